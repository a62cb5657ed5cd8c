"""What a reception writes: the document field by field, the archive, the acknowledgement."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.exchange.mail import MailFolder
from comptoir.intersite.reception import receive

from .central import SENDER, SITE, attachment, central, drop, mail, order


def run(engine, folder: Path, **options):  # type: ignore[no-untyped-def]
    with MailFolder(folder).session() as mailbox:
        return receive(engine, mailbox, source_name="mail folder incoming", **options)


def _document(engine, number: str):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        head = conn.execute(select(s.sales_documents).where(
            s.sales_documents.c.number == number)).one()
        lines = conn.execute(select(s.sales_document_lines).where(
            s.sales_document_lines.c.document_id == head.id)
            .order_by(s.sales_document_lines.c.line_no)).all()
        taxes = conn.execute(select(s.sales_document_taxes).where(
            s.sales_document_taxes.c.document_id == head.id)
            .order_by(s.sales_document_taxes.c.rate)).all()
    return head, lines, taxes


def test_the_created_document_field_by_field(engine, comptoir_home: Path) -> None:
    ids = central(engine)
    folder = comptoir_home / "mail" / "incoming"
    lines = [{"line_no": 2, "article": "ART2", "quantity": "3.5"},
             {"line_no": 1, "article": "ART1", "description": "Crème mains 400 ml",
              "quantity": "48", "unit_price": "5.5550"},
             {"line_no": 3, "article": "ART1", "quantity": "0.333", "unit_price": "0.015"}]
    raw = mail(attachment(order("CF1", lines=lines)))
    drop(folder, "a.eml", raw)
    report = run(engine, folder)
    head, rows, taxes = _document(engine, "IS-C-000001")
    assert (head.type, head.customer_id, head.date, head.depot_id) == (
        "C", ids["CALVI"], dt.date(2026, 1, 11), ids["DEP1"])
    assert (head.reference, head.origin, head.source) == ("Réassort 11/01", f"{SITE}:CF1",
                                                          "intersite")
    # ART1 48 × 5.5550 = 266.64; ART2 3.5 × 2.50 (sale price) = 8.75;
    # ART1 0.333 × 0.015 = 0.004995 → 0.00
    assert [(r.line_no, r.article_id, r.description, r.quantity, r.unit_price, r.vat_code_id,
             r.total_excl_tax) for r in rows] == [
        (1, ids["ART1"], "Crème mains 400 ml", Decimal("48.000"), Decimal("5.5550"),
         ids["T1"], Decimal("266.64")),
        (2, ids["ART2"], "Article deux", Decimal("3.500"), Decimal("2.5000"), ids["T3"],
         Decimal("8.75")),
        (3, ids["ART1"], "Article un", Decimal("0.333"), Decimal("0.0150"), ids["T1"],
         Decimal("0.00"))]
    # VAT 20 % of 266.64 = 53.328 → 53.33; 5.5 % of 8.75 = 0.48125 → 0.48
    assert [(t.vat_code_id, t.rate, t.base_excl_tax, t.tax, t.total_incl_tax)
            for t in taxes] == [
        (ids["T3"], Decimal("5.500"), Decimal("8.75"), Decimal("0.48"), Decimal("9.23")),
        (ids["T1"], Decimal("20.000"), Decimal("266.64"), Decimal("53.33"), Decimal("319.97"))]
    assert (head.total_excl_tax, head.total_tax, head.total_incl_tax) == (
        Decimal("275.39"), Decimal("53.81"), Decimal("329.20"))
    with engine.connect() as conn:
        link = conn.execute(select(s.intersite_messages)).one()
        mail_row = conn.execute(select(s.intersite_mails)).one()
        counter = conn.execute(select(s.counters.c.value).where(
            s.counters.c.name == "intersite.C")).scalar_one()
    key = report.messages[0]["key"]
    assert (link.sender_site, link.order_ref, link.message_id, link.document_id,
            link.mail_id) == (SITE, "CF1", key, head.id, mail_row.id)
    assert (mail_row.key, mail_row.uid, mail_row.sender, mail_row.site_id, mail_row.outcome,
            mail_row.rule) == (key, "a.eml", SENDER, ids[SITE], "processed", None)
    assert json.loads(mail_row.report)["orders"][0]["document"] == "IS-C-000001"
    assert counter == 1


def test_catalogue_prices_and_the_reference_defaulting_to_the_id(engine,
                                                                 comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment(order("CF1", reference=None))))
    run(engine, folder, prices="catalogue")
    head, rows, _ = _document(engine, "IS-C-000001")
    assert head.reference == "CF1"
    assert [r.unit_price for r in rows] == [Decimal("10.0000"), Decimal("2.5000")]


def test_attachments_are_archived_with_safe_names(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(("../../x.json", attachment(order("CF1")))))
    drop(folder, "b.eml", mail(("../../x.json", attachment(order("CF2")))))
    drop(folder, "c.eml", mail(("../../x.json", b"{}")))  # rejected: archived too
    report = run(engine, folder)
    assert [m["state"] for m in report.messages] == ["processed", "processed", "rejected"]
    [day] = list((comptoir_home / "intersite" / "received").iterdir())
    assert sorted(p.name for p in day.iterdir()) == ["x-2.json", "x-3.json", "x.json"]
    assert not (comptoir_home.parent / "x.json").exists()
    assert not (comptoir_home / "x.json").exists()


def test_acknowledgement_answers_processed_messages_only(engine, comptoir_home: Path,
                                                         monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("COMPTOIR_MAIL_BACKEND", raising=False)
    central(engine)
    with engine.begin() as conn:
        set_setting(conn, "intersite_ack_from", "commandes@centrale.example")
    folder = comptoir_home / "mail" / "incoming"
    message_id = "<20261123101500.1a2b@calvi.example>"
    drop(folder, "a.eml", mail(attachment(order("CF1"), order("BAD", lines=[])),
                               message_id=message_id, subject="Commandes DIST-CALVI"))
    drop(folder, "b.eml", mail(attachment(), sender="pirate@evil.example"))
    report = run(engine, folder, acknowledge=True)
    assert report.acknowledgements == 1 and report.as_json()["acknowledgements"] == 1
    [sent] = list((comptoir_home / "mail").glob("*.eml"))
    reply = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert reply["To"] == SENDER and reply["From"] == "commandes@centrale.example"
    assert reply["Subject"] == "Re: Commandes DIST-CALVI"
    assert reply["In-Reply-To"] == message_id and reply["References"] == message_id
    [part] = [p for p in reply.iter_attachments()]
    assert part.get_filename().startswith(f"accuse-{SITE}-")
    ack = json.loads(part.get_content() if isinstance(part.get_content(), str)
                     else part.get_content().decode())
    assert ack["format"] == "comptoir-intersite-ack" and ack["in_reply_to"] == message_id
    assert [(o["id"], o["state"], o["document"], o["rule"]) for o in ack["orders"]] == [
        ("CF1", "created", "IS-C-000001", None), ("BAD", "rejected", None, "empty_order")]


def test_acknowledge_without_its_sender_is_an_error_before_reading(engine,
                                                                   comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment()))
    report = run(engine, folder, acknowledge=True)
    assert report.exit_status == 1 and "intersite_ack_from" in report.error
    assert (folder / "a.eml").exists() and report.messages == []


def test_headers_decide_a_known_key_without_reading_the_body(engine, comptoir_home: Path,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    raw = mail(attachment())
    drop(folder, "a.eml", raw)
    run(engine, folder)
    drop(folder, "b.eml", raw)

    def no_read(self, handle):  # type: ignore[no-untyped-def]
        raise AssertionError("the whole message was read")

    monkeypatch.setattr(MailFolder, "read", no_read)
    assert run(engine, folder).messages[0]["state"] == "already_processed"
