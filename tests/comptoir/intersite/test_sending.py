"""`comptoir intersite send`: one mail per supplier, orders pending once it left, every rule."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comptoir.backoffice.settings import set_setting
from comptoir.cli import app
from comptoir.exchange.errors import ConnectionFailed
from comptoir.intersite.sending import SendRequest, send_orders
from comptoir.intersite.suppliers import order_address
from tests.comptoir.intersite.distributor import CENTRAL, SENDER, order, orders_state, reference

SENT_AT = dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["intersite", "send", "--user", "s.lefevre", *args],
                              env={"COMPTOIR_FORCE_TERMINAL": ""})


def mails(home: Path) -> list[email.message.EmailMessage]:
    folder = home / "mail"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def attachment(message) -> tuple[str, str, bytes]:  # type: ignore[no-untyped-def]
    [part] = list(message.iter_attachments())
    return part.get_filename(), part.get_content_type(), part.get_payload(decode=True)


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home):  # type: ignore[no-untyped-def]
    reference(engine)
    return engine


class Refusing:
    """A mailer whose server is down."""

    name = "SMTP connection 'smtp_default'"

    def send(self, message) -> None:  # type: ignore[no-untyped-def]
        raise ConnectionFailed(self.name, "connection refused")


def test_the_message_and_its_attachment_are_the_contracts(dossier, comptoir_home) -> None:
    order(dossier, "CF2026-000001")
    order(dossier, "CF2026-000002", [("ART2", "2.5", None)], reference=None,
          date=dt.date(2026, 1, 12))
    from comptoir.exchange.mail import FileMailer

    result = send_orders(dossier, SendRequest(user="s.lefevre"), FileMailer(), now=SENT_AT)
    assert result.exit_code == 0
    [message] = mails(comptoir_home)
    assert message["Subject"] == "Commandes inter-sites DIST-CALVI : 2 commande(s)"
    assert message["X-Comptoir-Intersite"] == "orders/1"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["From"].addresses[0].display_name == "Sophie Lefèvre"
    assert str(message["To"]) == CENTRAL
    assert message["Message-ID"].startswith("<") and message["Date"] is not None
    body = message.get_body(("plain",)).get_content()
    assert "- CF2026-000001 du 11/01/2026, référence Réassort 11/01 : 1 ligne(s), " \
           "total HT 266,40 €" in body
    name, content_type, payload = attachment(message)
    assert (name, content_type) == ("commandes-DIST-CALVI-20261123-101500.json",
                                    "application/json")
    assert not payload.startswith(b"\xef\xbb\xbf")
    assert json.loads(payload.decode("utf-8")) == {
        "format": "comptoir-intersite-orders", "version": 1, "site": "DIST-CALVI",
        "company": "Les Comptoirs Réunis", "sent_at": "2026-11-23T10:15:00+01:00",
        "sender": SENDER,
        "supplier": {"code": "FOU0001", "name": "Comptoir Logistique Centrale"},
        "orders": [
            {"id": "CF2026-000001", "date": "2026-01-11", "reference": "Réassort 11/01",
             "follow_up_user": "s.lefevre", "depot": "MAG01", "total_excl_tax": "266.40",
             "lines": [{"line_no": 1, "article": "ART001358",
                        "description": "Crème mains 400 ml", "quantity": "48",
                        "unit_price": "5.5500"}]},
            {"id": "CF2026-000002", "date": "2026-01-12", "reference": None,
             "follow_up_user": "s.lefevre", "depot": "MAG01", "total_excl_tax": "0.00",
             "lines": [{"line_no": 1, "article": "ART2", "description": "Riz",
                        "quantity": "2.5"}]}]}
    state = orders_state(dossier)
    assert state["CF2026-000001"] == ("pending", True, message["Message-ID"])
    assert state["CF2026-000002"] == ("pending", True, message["Message-ID"])


def test_send_reports_and_a_second_send_sends_nothing(dossier, comptoir_home, tmp_path) -> None:
    order(dossier, "CF1")
    run("supplier-email", "FOU0002", "x@y.example")
    result = run("--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "DIST-CALVI: 1 order(s) sent in 1 message(s)\n"
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    [message] = mails(comptoir_home)
    assert report == {
        "site": "DIST-CALVI", "user": "s.lefevre", "sender": SENDER, "dry_run": False,
        "error": None, "not_sent": [], "orders_sent": 1,
        "messages": [{"supplier": "FOU0001", "recipient": CENTRAL,
                      "message_id": message["Message-ID"],
                      "attachment": attachment(message)[0], "orders": ["CF1"],
                      "state": "sent", "error": None}]}
    again = run()
    assert again.exit_code == 0 and again.stdout == "DIST-CALVI: nothing to send\n"
    assert len(mails(comptoir_home)) == 1


def test_one_message_per_supplier(dossier, comptoir_home) -> None:
    CliRunner().invoke(app, ["intersite", "supplier-email", "FOU0002", "grossiste@example.com"])
    order(dossier, "A1")
    order(dossier, "A2")
    order(dossier, "B1", supplier="FOU0002")
    assert run().exit_code == 0
    sent = {str(m["To"]): [o["id"] for o in json.loads(attachment(m)[2])["orders"]]
            for m in mails(comptoir_home)}
    assert sent == {CENTRAL: ["A1", "A2"], "grossiste@example.com": ["B1"]}


def test_orders_that_cannot_be_sent_are_reported_the_others_sent_exit_3(
        dossier, comptoir_home, tmp_path) -> None:
    order(dossier, "CF-OK")
    order(dossier, "CF-EMPTY", [])
    order(dossier, "CF-FREE", [("ART2", "1", "2"), (None, "1", "3")])
    order(dossier, "CF-OUT")
    result = run("--exclude", "CF-OUT", "--order", "CF-OK", "--order", "CF-EMPTY",
                 "--order", "CF-FREE", "--order", "CF-OUT", "--order", "CF-NONE",
                 "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines()[0] == (
        "DIST-CALVI: 1 order(s) sent in 1 message(s); 4 order(s) left out")
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [(i["order"], i["rule"]) for i in report["not_sent"]] == [
        ("CF-OUT", "not_selected"), ("CF-NONE", "not_selected"),
        ("CF-EMPTY", "empty_order"), ("CF-FREE", "line_without_article")]
    state = orders_state(dossier)
    assert state["CF-OK"][:2] == ("pending", True)
    assert all(state[n] == ("confirmed", False, None) for n in ("CF-EMPTY", "CF-FREE", "CF-OUT"))


def test_exclude_takes_an_order_out_unchanged(dossier, comptoir_home) -> None:
    order(dossier, "CF1")
    order(dossier, "CF2")
    assert run("--exclude", "CF2").exit_code == 0
    assert orders_state(dossier)["CF2"] == ("confirmed", False, None)
    assert orders_state(dossier)["CF1"][0] == "pending"


def test_dry_run_builds_and_reports_but_changes_nothing(dossier, comptoir_home, tmp_path) -> None:
    order(dossier, "CF1", supplier="FOU0002")
    result = run("--supplier", "FOU0002", "--recipient", "new@central.example", "--dry-run",
                 "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "DIST-CALVI: 1 order(s) would be sent in 1 message(s)\n"
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["orders_sent"] == 1
    assert report["messages"][0]["recipient"] == "new@central.example"
    assert mails(comptoir_home) == []
    assert orders_state(dossier)["CF1"] == ("confirmed", False, None)
    with dossier.connect() as conn:
        assert order_address(conn, "FOU0002") is None


def test_recipient_is_stored_for_a_supplier_without_address(dossier, comptoir_home) -> None:
    order(dossier, "CF1", supplier="FOU0002")
    assert run("--supplier", "FOU0002", "--recipient", "new@central.example").exit_code == 0
    with dossier.connect() as conn:
        assert order_address(conn, "FOU0002") == "new@central.example"
    assert str(mails(comptoir_home)[0]["To"]) == "new@central.example"


@pytest.mark.parametrize(("args", "says"), [
    (("--supplier", "FOU0002"), "comptoir intersite supplier-email FOU0002"),
    (("--recipient", "other@central.example"), "is not the order address of supplier FOU0001"),
    (("--supplier", "NOPE"), "unknown supplier 'NOPE'"),
    (("--date-from", "32/01/2026"), "--date-from: '32/01/2026' is not a date"),
    (("--user", "nobody"), "unknown user 'nobody'"),
])
def test_what_cannot_be_done_exits_1_and_sends_nothing(dossier, comptoir_home, tmp_path,
                                                        args, says) -> None:
    order(dossier, "CF1")
    order(dossier, "CF2", supplier="FOU0002")
    result = run(*args, "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 1, result.output
    assert says in result.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert says in report["error"] and report["messages"] == [] and report["orders_sent"] == 0
    assert mails(comptoir_home) == []
    assert {state for state in orders_state(dossier).values()} == {("confirmed", False, None)}


def test_a_user_without_address_or_no_site_code_exits_1(dossier, comptoir_home) -> None:
    order(dossier, "CF1")
    from comptoir.backoffice import schema as s

    with dossier.begin() as conn:
        conn.execute(s.users.update().values(email=None))
    assert "has no e-mail address" in run().stderr
    with dossier.begin() as conn:
        conn.execute(s.users.update().values(email=SENDER))
        conn.execute(s.settings.delete().where(s.settings.c.key == "intersite_site_code"))
    result = run()
    assert result.exit_code == 1 and "the site code is not set" in result.stderr
    assert mails(comptoir_home) == []


def test_a_message_that_cannot_be_sent_changes_nothing_exit_3(dossier) -> None:
    order(dossier, "CF1")
    order(dossier, "CF2", supplier="FOU0002")
    result = send_orders(dossier, SendRequest(user="s.lefevre", selection=_both(),
                                              recipient=CENTRAL), Refusing())
    assert result.exit_code == 3
    assert [(m.supplier, m.state) for m in result.messages] == [("FOU0001", "error"),
                                                               ("FOU0002", "error")]
    assert "connection refused" in (result.messages[0].error or "")
    assert result.orders_sent == 0
    assert {state for state in orders_state(dossier).values()} == {("confirmed", False, None)}
    with dossier.connect() as conn:
        assert order_address(conn, "FOU0002") is None, "the address goes with its message"


def _both():  # type: ignore[no-untyped-def]
    from comptoir.intersite.selection import Selection

    return Selection(suppliers=("FOU0001", "FOU0002"))


def test_the_site_code_is_the_settings(dossier, comptoir_home) -> None:
    with dossier.begin() as conn:
        set_setting(conn, "intersite_site_code", "DIST-AJACCIO")
    order(dossier, "CF1")
    assert run().exit_code == 0
    [message] = mails(comptoir_home)
    assert message["Subject"] == "Commandes inter-sites DIST-AJACCIO : 1 commande(s)"
    assert attachment(message)[0].startswith("commandes-DIST-AJACCIO-")
