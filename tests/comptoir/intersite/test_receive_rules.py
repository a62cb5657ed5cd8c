"""The reception's message and order rules, states, keys and counts (spec/intersite.md)."""

from __future__ import annotations

from pathlib import Path

from comptoir.backoffice import schema as s
from comptoir.exchange.mail import MailFolder
from comptoir.intersite.reception import receive
from comptoir.intersite.reception_report import ReceptionReport

from .central import SENDER, attachment, central, count, drop, mail, order


def run(engine, folder: Path, **options) -> ReceptionReport:  # type: ignore[no-untyped-def]
    with MailFolder(folder).session() as mailbox:
        return receive(engine, mailbox, source_name="mail folder incoming", **options)


def test_a_mail_creates_its_orders_and_is_filed(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment(order("CF1"), order("CF2"))))
    report = run(engine, folder)
    assert report.exit_status == 0
    [message] = report.messages
    assert message["state"] == "processed" and message["site"] == "DIST-CALVI"
    assert message["from"] == SENDER
    assert [(o["id"], o["state"], o["document"]) for o in message["orders"]] == [
        ("CF1", "created", "IS-C-000001"), ("CF2", "created", "IS-C-000002")]
    assert report.summary() == ("1 messages: 1 processed, 0 rejected; 2 orders created, "
                                "0 already received, 0 rejected")
    assert count(engine, s.sales_documents) == 2
    assert count(engine, s.intersite_messages) == 2
    assert count(engine, s.intersite_mails) == 1
    assert not (folder / "a.eml").exists()
    assert len(list((folder / "processed").glob("*/a.eml"))) == 1


def test_a_message_read_twice_is_already_processed(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    raw = mail(attachment())
    drop(folder, "a.eml", raw)
    run(engine, folder)
    drop(folder, "a.eml", raw)  # put back, e.g. restored by a person
    report = run(engine, folder)
    assert [m["state"] for m in report.messages] == ["already_processed"]
    assert report.counts()["already_processed"] == 1 and report.exit_status == 0
    assert count(engine, s.sales_documents) == 1
    assert len(list((folder / "processed").glob("*/a*.eml"))) == 2  # a.eml, a-2.eml


def test_the_same_order_in_two_mails_is_created_once(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment(order("CF1"))))
    drop(folder, "b.eml", mail(attachment(order("CF1"), order("CF2"))))
    report = run(engine, folder)
    states = [[(o["id"], o["state"]) for o in m["orders"]] for m in report.messages]
    assert states == [[("CF1", "created")],
                      [("CF1", "already_received"), ("CF2", "created")]]
    assert report.messages[1]["orders"][0]["document"] == "IS-C-000001"
    assert count(engine, s.sales_documents) == 2


def test_a_mail_without_message_id_is_keyed_by_its_digest(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    raw = mail(attachment(), message_id=None)
    drop(folder, "a.eml", raw)
    first = run(engine, folder)
    import hashlib

    assert first.messages[0]["key"] == f"sha256:{hashlib.sha256(raw).hexdigest()}"
    drop(folder, "b.eml", raw)
    second = run(engine, folder)
    assert second.messages[0]["state"] == "already_processed"


def test_a_forged_sender_creates_nothing(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment(), sender="pirate@evil.example"))
    report = run(engine, folder)
    [message] = report.messages
    assert (message["state"], message["rule"]) == ("rejected", "unknown_sender")
    assert report.exit_status == 3
    assert count(engine, s.sales_documents) == 0
    assert count(engine, s.intersite_mails) == 1  # recorded as rejected
    assert len(list((folder / "rejected").glob("*/a.eml"))) == 1


def test_the_sender_is_compared_without_case(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment(), sender=SENDER.upper()))
    assert run(engine, folder).messages[0]["state"] == "processed"


def _rejected(engine, folder: Path, raw: bytes) -> dict:  # type: ignore[no-untyped-def]
    drop(folder, "a.eml", raw)
    report = run(engine, folder)
    assert report.exit_status == 3
    assert count(engine, s.sales_documents) == 0
    return report.messages[0]


def test_message_rules(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    cases = [
        (mail(), "no_attachment", "no JSON attachment"),
        (mail(b"{not json"), "malformed_attachment", "not JSON"),
        (mail(b"\xff\xfe"), "malformed_attachment", "not UTF-8"),
        (mail(b'{"format": "other"}'), "malformed_attachment", "'format'"),
        (mail(attachment(version=2)), "unsupported_version", "version 2"),
        (mail(attachment(site="DIST-AJACCIO")), "site_mismatch", "DIST-AJACCIO"),
        (mail(attachment(order(lines=[{"article": "ART1"}]))), "malformed_attachment",
         "has no 'quantity'"),
        (mail(attachment(), attachment(site="X")), "site_mismatch", "'X'"),
    ]
    for raw, rule, text in cases:
        message = _rejected(engine, folder, raw)
        assert (message["state"], message["rule"]) == ("rejected", rule)
        assert text in message["message"]


def test_order_rules_reject_one_order_not_the_others(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    orders = [
        order("OK1"),
        order("OK1"),
        order("EMPTY", lines=[]),
        order("UNKNOWN", lines=[{"article": "LOCAL-01", "quantity": "1"},
                                {"article": "ART1", "quantity": "1"}]),
        order("ZERO", lines=[{"article": "ART1", "quantity": "0"}]),
        order("PRICE", lines=[{"article": "ART1", "quantity": "1", "unit_price": "-1"}]),
        order("DECIMALS", lines=[{"article": "ART1", "quantity": "1.0001"}]),
        order("DATE", date="11/01/2026"),
        order("NOPRICE", lines=[{"article": "ART3", "quantity": "1"}]),
        order("OK2"),
    ]
    drop(folder, "a.eml", mail(attachment(*orders)))
    report = run(engine, folder)
    got = [(o["id"], o["state"], o["rule"]) for o in report.messages[0]["orders"]]
    assert got == [("OK1", "created", None),
                   ("OK1", "rejected", "duplicate_in_message"),
                   ("EMPTY", "rejected", "empty_order"),
                   ("UNKNOWN", "rejected", "unknown_article"),
                   ("ZERO", "rejected", "invalid_value"),
                   ("PRICE", "rejected", "invalid_value"),
                   ("DECIMALS", "rejected", "invalid_value"),
                   ("DATE", "rejected", "invalid_value"),
                   ("NOPRICE", "rejected", "invalid_value"),
                   ("OK2", "created", None)]
    assert report.messages[0]["orders"][3]["message"] == "unknown articles: LOCAL-01"
    assert report.messages[0]["state"] == "processed" and report.exit_status == 3
    assert count(engine, s.sales_documents) == 2
    counts = report.counts()
    assert (counts["orders_created"], counts["orders_rejected"]) == (2, 8)


def test_a_rejected_order_sent_again_is_created(engine, comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    bad = order("CF9", lines=[{"article": "NEW", "quantity": "1"}])
    drop(folder, "a.eml", mail(attachment(bad)))
    assert run(engine, folder).messages[0]["orders"][0]["rule"] == "unknown_article"
    with engine.begin() as conn:
        conn.execute(s.articles.insert().values(code="NEW", name="Nouveau",
                                                sale_price=1))
    drop(folder, "b.eml", mail(attachment(bad)))
    assert run(engine, folder).messages[0]["orders"][0]["state"] == "created"


def test_no_known_site_is_an_error_before_reading(engine, comptoir_home: Path) -> None:
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment()))
    report = run(engine, folder)
    assert report.exit_status == 1 and "no known site" in report.error
    assert (folder / "a.eml").exists()
    assert count(engine, s.intersite_mails) == 0


def test_nothing_to_read_exits_0(engine, comptoir_home: Path) -> None:
    central(engine)
    report = run(engine, comptoir_home / "mail" / "incoming")
    assert report.exit_status == 0 and report.messages == []
    assert report.summary().startswith("0 messages: 0 processed")


def test_dry_run_writes_moves_nothing_and_gives_the_same_states(engine,
                                                                comptoir_home: Path) -> None:
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    raw = mail(attachment(order("CF1")))
    drop(folder, "a.eml", raw)
    drop(folder, "b.eml", raw)  # the same message twice
    drop(folder, "c.eml", mail(attachment(order("CF1"), order("CF2"))))
    dry = run(engine, folder, dry_run=True)
    assert count(engine, s.sales_documents) == 0 and count(engine, s.intersite_mails) == 0
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".eml") == [
        "a.eml", "b.eml", "c.eml"]
    assert not (comptoir_home / "intersite").exists()
    real = run(engine, folder)

    def states(report: ReceptionReport) -> list:
        return [(m["state"], [(o["id"], o["state"]) for o in m["orders"]])
                for m in report.messages]

    assert states(dry) == states(real)
    assert dry.as_json()["dry_run"] is True
