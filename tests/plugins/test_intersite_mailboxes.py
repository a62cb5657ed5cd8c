"""The inter-site reception from real IMAP and POP3 mailboxes (Dovecot), through Airflow's
connector, the `intersite_receive` task (`run_task`) and `comptoir intersite receive`."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice import schema as s
from comptoir.exchange.errors import ConnectionLost
from comptoir.intersite.remote import receive_source
from comptoir.intersite.sources import parse_source
from comptoir_airflow.exchange.factory import CONNECTOR
from tests.comptoir.intersite.central import attachment, central, count, mail, order
from tests.servers.imap import ImapAccount

PROCESSED = "Comptoir.Commandes inter-sites"  # Dovecot's Maildir separates levels with '.'


def deliver(account: ImapAccount, raw: bytes, *, seen: bool = False) -> None:
    """Put a message into the INBOX (flagged \\Seen as a webmail leaves it, when asked)."""
    client = account.client()
    try:
        typ, data = client.append("INBOX", "(\\Seen)" if seen else "", None, raw)
        assert typ == "OK", data
    finally:
        client.logout()


def good(order_id: str, message_id: str) -> bytes:
    return mail(attachment(order(order_id)), message_id=message_id)


def forged(message_id: str) -> bytes:
    return mail(attachment(order("CF-FORGED")), sender="x@evil.example",
                message_id=message_id)


@pytest.fixture
def imap(imap_account: ImapAccount, set_connection) -> ImapAccount:
    set_connection("imap_is", imap_account.connection())
    set_connection("pop3_is", imap_account.pop3_connection())
    return imap_account


def receive(engine, source: dict[str, Any], connector: Any = CONNECTOR):  # type: ignore[no-untyped-def]
    return receive_source(engine, parse_source(source), connector)


def pop3_uidls(account: ImapAccount) -> int:
    import poplib

    client = poplib.POP3(account.server.host, account.server.pop3_port, timeout=10)
    try:
        client.user(account.login)
        client.pass_(account.password)
        return len(client.uidl()[1])
    finally:
        client.quit()


# --------------------------------------------------------------------------------- IMAP


def test_imap_reads_seen_messages_moves_processed_leaves_rejected_read(
        engine, comptoir_home: Path, imap: ImapAccount) -> None:
    central(engine)
    deliver(imap, good("CF1", "<a@calvi.example>"), seen=True)  # opened in a webmail
    deliver(imap, forged("<f@evil.example>"))
    report = receive(engine, {"kind": "imap", "conn_id": "imap_is"})
    assert report.error is None and report.exit_status == 3
    assert [(m["key"], m["state"], m["rule"]) for m in report.messages] == [
        ("<a@calvi.example>", "processed", None),
        ("<f@evil.example>", "rejected", "unknown_sender")]
    assert report.source == "IMAP connection 'imap_is', mailbox INBOX"
    assert report.messages[0]["where"].isdigit()  # the IMAP UID
    assert imap.messages(PROCESSED) == {"<a@calvi.example>": {"\\Seen"}}
    assert imap.messages("INBOX") == {"<f@evil.example>": {"\\Seen"}}
    assert count(engine, s.sales_documents) == 1

    again = receive(engine, {"kind": "imap", "conn_id": "imap_is"})
    assert (again.error, again.messages, again.exit_status) == (None, [], 0)
    assert imap.messages("INBOX") == {"<f@evil.example>": {"\\Seen"}}


def test_imap_processed_mailbox_null_leaves_processed_in_place_read(
        engine, comptoir_home: Path, imap: ImapAccount) -> None:
    central(engine)
    deliver(imap, good("CF1", "<a@calvi.example>"))
    source = {"kind": "imap", "conn_id": "imap_is", "processed_mailbox": None}
    assert receive(engine, source).counts()["orders_created"] == 1
    assert imap.messages("INBOX") == {"<a@calvi.example>": {"\\Seen"}}
    assert PROCESSED not in imap.mailboxes()
    again = receive(engine, source)
    assert [m["state"] for m in again.messages] == ["already_processed"]
    assert count(engine, s.sales_documents) == 1


def test_imap_known_keys_are_decided_from_the_headers(
        engine, comptoir_home: Path, imap: ImapAccount, monkeypatch) -> None:
    from comptoir_airflow.exchange.imap import ImapMailbox

    central(engine)
    deliver(imap, good("CF1", "<a@calvi.example>"))
    source = {"kind": "imap", "conn_id": "imap_is", "processed_mailbox": None}
    receive(engine, source)

    def no_body(self, uid):  # type: ignore[no-untyped-def]
        raise AssertionError("the body of a known message was fetched")

    monkeypatch.setattr(ImapMailbox, "read", no_body)
    assert [m["state"] for m in receive(engine, source).messages] == ["already_processed"]


def test_imap_failures_exit_1_and_write_nothing(engine, comptoir_home: Path,
                                                imap: ImapAccount, set_connection) -> None:
    central(engine)
    deliver(imap, good("CF1", "<a@calvi.example>"))
    set_connection("imap_bad", imap.connection(password="wrong"))
    for source in ({"kind": "imap", "conn_id": "imap_bad"},
                   {"kind": "imap", "conn_id": "imap_is", "mailbox": "Nowhere"},
                   {"kind": "imap", "conn_id": "imap_undefined"}):
        report = receive(engine, source)
        assert report.exit_status == 1 and report.error and report.messages == [], source
    assert count(engine, s.intersite_mails) == 0
    assert imap.messages("INBOX") == {"<a@calvi.example>": set()}


# --------------------------------------------------------------------------------- POP3


class Interrupted:
    """Airflow's connector, whose POP3 session drops when the second message is read."""

    @contextlib.contextmanager
    def mailbox(self, source: Any, *, every_message: bool = False) -> Iterator[Any]:
        with CONNECTOR.mailbox(source, every_message=every_message) as opened:
            original, reads = opened.read, []

            def read(handle: str):  # type: ignore[no-untyped-def]
                reads.append(handle)
                if len(reads) == 2:
                    raise ConnectionLost(opened.name, "connection reset by peer")
                return original(handle)

            opened.read = read  # type: ignore[method-assign]
            yield opened


def test_pop3_an_interrupted_session_fetched_again_creates_nothing_twice(
        engine, comptoir_home: Path, imap: ImapAccount) -> None:
    central(engine)
    for number in (1, 2, 3):
        deliver(imap, good(f"CF{number}", f"<m{number}@calvi.example>"))
    source = {"kind": "pop3", "conn_id": "pop3_is"}
    broken = receive(engine, source, Interrupted())
    assert broken.exit_status == 1 and "connection reset" in (broken.error or "")
    assert [m["state"] for m in broken.messages] == ["processed"]
    assert count(engine, s.sales_documents) == 1

    again = receive(engine, source)
    assert again.error is None
    assert [(m["key"], m["state"]) for m in again.messages] == [
        ("<m2@calvi.example>", "processed"), ("<m3@calvi.example>", "processed")]
    assert count(engine, s.sales_documents) == 3
    third = receive(engine, source)
    assert (third.messages, third.exit_status) == ([], 0)  # every UIDL known
    assert count(engine, s.sales_documents) == 3
    assert pop3_uidls(imap) == 3  # never deleted
    assert set(imap.messages("INBOX")) == {f"<m{n}@calvi.example>" for n in (1, 2, 3)}


def test_pop3_rejected_messages_are_remembered_by_uidl(engine, comptoir_home: Path,
                                                       imap: ImapAccount) -> None:
    central(engine)
    deliver(imap, forged("<f@evil.example>"))
    deliver(imap, mail(attachment(order("CF9")), message_id=None))  # keyed by its digest
    source = {"kind": "pop3", "conn_id": "pop3_is"}
    first = receive(engine, source)
    assert [m["state"] for m in first.messages] == ["rejected", "processed"]
    assert first.messages[1]["key"].startswith("sha256:")
    assert receive(engine, source).messages == []
    assert pop3_uidls(imap) == 2


# ----------------------------------------------------------------------- the task type


def task(source: dict[str, Any], **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "appros-releve", "type": "intersite_receive", "site": "central",
        "options": {"source": source, **options}, "output": None})


def test_the_task_receives_imap_and_pop3_through_the_connector(
        engine, comptoir_home: Path, imap: ImapAccount) -> None:
    central(engine)
    deliver(imap, good("CF1", "<a@calvi.example>"), seen=True)
    deliver(imap, forged("<f@evil.example>"))
    lines: list[str] = []
    report = runner.run_task(task({"kind": "imap", "conn_id": "imap_is"}), "manual-1", None,
                             connector=CONNECTOR, engine=engine, log=lines.append)
    assert report.level == "warning"
    body = report.body.splitlines()
    assert "2 message(s) waiting in IMAP connection 'imap_is', mailbox INBOX" in body
    assert any("rejected, unknown_sender" in line for line in body)
    assert body[-1].startswith("2 messages: 1 processed, 1 rejected; 1 orders created")
    assert imap.messages(PROCESSED) == {"<a@calvi.example>": {"\\Seen"}}

    deliver(imap, good("CF2", "<b@calvi.example>"))
    pop3 = runner.run_task(task({"kind": "pop3", "conn_id": "pop3_is"}), "manual-2", None,
                           connector=CONNECTOR, engine=engine, log=lines.append)
    # POP3 lists the INBOX: the forged message (its key known), and the new one
    assert pop3.level == "info", pop3.body
    assert pop3.body.splitlines()[-1].startswith("2 messages: 1 processed, 0 rejected, "
                                                 "1 already processed; 1 orders created")
    assert count(engine, s.sales_documents) == 2


def test_the_task_fails_when_the_mailbox_cannot_be_opened(
        engine, comptoir_home: Path, imap: ImapAccount, set_connection) -> None:
    central(engine)
    set_connection("imap_bad", imap.connection(password="wrong"))
    report = runner.run_task(task({"kind": "imap", "conn_id": "imap_bad"}), "manual-1", None,
                             connector=CONNECTOR, engine=engine, log=lambda _: None)
    assert report.level == "error" and "fetch:" in report.body
    assert count(engine, s.intersite_mails) == 0


# ------------------------------------------------------------------------- the command


def comptoir(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from comptoir.cli import main; main()", *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)
def test_the_command_reads_imap_and_pop3_through_the_connections(
        airflow_db, engine, comptoir_home: Path, imap: ImapAccount,
        set_connection, tmp_path: Path) -> None:
    central(engine)
    deliver(imap, good("CF1", "<a@calvi.example>"), seen=True)
    deliver(imap, forged("<f@evil.example>"))
    done = comptoir("intersite", "receive", "--imap", "imap_is", "--processed-mailbox",
                    "Traitées/Inter-sites", "--report", str(tmp_path / "r.json"))
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == ("2 messages: 1 processed, 1 rejected; 1 orders "
                                           "created, 0 already received, 0 rejected")
    assert "rejected, unknown_sender" in done.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["source"] == "IMAP connection 'imap_is', mailbox INBOX"
    assert set(report) == {"source", "dry_run", "error", "started_at", "finished_at",
                           "messages", "counts", "acknowledgements"}
    moved = [name for name in imap.mailboxes() if name.endswith("Inter-sites")]
    assert len(moved) == 1 and imap.messages(moved[0]) == {"<a@calvi.example>": {"\\Seen"}}

    deliver(imap, good("CF2", "<b@calvi.example>"))
    pop3 = comptoir("intersite", "receive", "--pop3", "pop3_is", "--dry-run")
    assert pop3.returncode == 0, pop3.stdout + pop3.stderr
    assert pop3.stdout.splitlines()[0] == (
        "2 messages: 1 processed, 0 rejected, 1 already processed; 1 orders created, "
        "0 already received, 0 rejected (dry run: nothing written)")
    assert count(engine, s.sales_documents) == 1

    set_connection("pop3_bad", imap.pop3_connection(password="wrong"))
    refused = comptoir("intersite", "receive", "--source",
                       '{"kind": "pop3", "conn_id": "pop3_bad"}')
    assert refused.returncode == 1 and "error:" in refused.stderr
    assert count(engine, s.intersite_mails) == 2
