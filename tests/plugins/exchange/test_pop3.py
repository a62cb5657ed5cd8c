"""Fetching a POP3 mailbox into an inbox, against Dovecot's POP3 on loopback.

Messages are delivered with IMAP APPEND to the account whose INBOX Dovecot's POP3
serves. Attachments are fetched once, byte for byte; messages stay on the server (no
`DELE`) and the fetch ledger remembers their UIDLs. A scripted server covers what
Dovecot always offers (`UIDL`, `TOP`).
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.exchange.endpoints import Pop3InboxSource
from comptoir.exchange.errors import (
    CommandRefused,
    ConnectionFailed,
    ConnectionNotDefined,
    ExchangeError,
    LoginRefused,
)
from comptoir.exchange.inbox import Inbox
from comptoir.exchange.ledger import FetchLedger
from comptoir_airflow.exchange import pop3
from comptoir_airflow.exchange.factory import fetch
from comptoir_airflow.exchange.pop3 import Pop3Mailbox
from tests.servers import free_port, silent_server
from tests.servers.imap import ImapAccount, order

pytestmark = pytest.mark.servers

# CRLF, Windows-1252 and a NUL: any re-encoding or text-mode transfer would show.
CLIENTS = b"CODE;DESIG\r\nC001;Caf\xe9 du Port\r\nC002;L'\x80picerie\r\n\x00"
ARTICLES = b"CODE;DESIG;PRIX_VENTE\r\nA001;Pomme;1,20\r\nA002;P\xeache;2,10\r\n"
SOURCE = {"kind": "pop3", "conn_id": "pop3_orders", "pattern": "*.csv"}
DESCRIBED = "POP3 connection 'pop3_orders', attachments *.csv"


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox")


@pytest.fixture
def mailbox(imap_account: ImapAccount, set_connection) -> ImapAccount:
    """Two messages: one with two CSV files, one with a PDF only; `pop3_orders` reads them."""
    set_connection("pop3_orders", imap_account.pop3_connection())
    imap_account.deliver(order(
        "Magasin Lyon <mag01@comptoir.test>", "Commandes du jour", "<m1@comptoir.test>",
        ("commandes-mag01.csv", CLIENTS), ("lignes-mag01.csv", ARTICLES),
    ))
    imap_account.deliver(order(
        "Fournisseur <compta@supplier.test>", "Facture", "<m2@supplier.test>",
        ("facture.pdf", b"%PDF-1.4 ..."),
    ))
    return imap_account


def waiting(inbox: Inbox) -> list[str]:
    return [p.name for p in inbox.waiting()]


def ledger_entries(inbox: Inbox) -> dict:
    path = inbox.root / ".fetched.json"
    return json.loads(path.read_text())["entries"] if path.exists() else {}


BOTH = {"<m1@comptoir.test>", "<m2@supplier.test>"}


# ------------------------------------------------------------------------- fetching


def test_fetch_saves_matching_attachments_byte_for_byte(mailbox: ImapAccount, inbox: Inbox):
    result = fetch(Pop3InboxSource.model_validate(SOURCE), inbox)

    assert [f.path.name for f in result.fetched] == ["commandes-mag01.csv", "lignes-mag01.csv"]
    assert (inbox.incoming / "commandes-mag01.csv").read_bytes() == CLIENTS
    assert (inbox.incoming / "lignes-mag01.csv").read_bytes() == ARTICLES
    assert waiting(inbox) == ["commandes-mag01.csv", "lignes-mag01.csv"]  # no facture.pdf
    origin = inbox.origin(inbox.incoming / "commandes-mag01.csv")
    assert origin is not None
    assert origin["message_id"] == "<m1@comptoir.test>"
    assert origin["sender"] == "Magasin Lyon <mag01@comptoir.test>"
    assert origin["source"] == DESCRIBED
    assert result.summary().splitlines() == [
        f"Fetched from {DESCRIBED}: commandes-mag01.csv, lignes-mag01.csv",
        "Left on the server: message 'Facture' from Fournisseur <compta@supplier.test>: "
        "no attachment matching *.csv",
    ]


def test_a_second_fetch_fetches_nothing_and_nothing_is_deleted(
    mailbox: ImapAccount, inbox: Inbox
):
    fetch(SOURCE, inbox)
    inbox.done(inbox.incoming / "commandes-mag01.csv", {"accepted": 2})  # imported meanwhile

    again = fetch(SOURCE, inbox)

    assert again.fetched == () and again.already_fetched == () and again.skipped == ()
    assert again.summary() == f"Nothing new in {DESCRIBED}"
    assert waiting(inbox) == ["lignes-mag01.csv"]
    assert set(mailbox.messages()) == BOTH  # still on the server: POP3 never deletes
    settled = [key for key, entry in ledger_entries(inbox).items() if entry.get("settled")]
    assert len(settled) == 2 and len(ledger_entries(inbox)) == 2


def test_a_new_message_is_fetched_alone_on_the_third_pass(mailbox: ImapAccount, inbox: Inbox):
    fetch(SOURCE, inbox)
    fetch(SOURCE, inbox)
    tomorrow = b"CODE;DESIG\r\nC003;Le Fournil\r\n"
    mailbox.deliver(order(
        "Magasin Lyon <mag01@comptoir.test>", "Commandes du lendemain", "<m3@comptoir.test>",
        ("commandes-mag01.csv", tomorrow),  # the same name as yesterday's: a new file
    ))

    third = fetch(SOURCE, inbox)

    assert [(f.path.name, f.remote_name) for f in third.fetched] == [
        ("commandes-mag01-2.csv", "commandes-mag01.csv")
    ]
    assert third.fetched[0].origin["message_id"] == "<m3@comptoir.test>"
    assert third.already_fetched == () and third.skipped == ()
    assert (inbox.incoming / "commandes-mag01-2.csv").read_bytes() == tomorrow
    assert (inbox.incoming / "commandes-mag01.csv").read_bytes() == CLIENTS
    assert waiting(inbox) == ["commandes-mag01-2.csv", "commandes-mag01.csv", "lignes-mag01.csv"]
    assert set(mailbox.messages()) == BOTH | {"<m3@comptoir.test>"}
    assert fetch(SOURCE, inbox).fetched == ()


def test_sender_filter(mailbox: ImapAccount, inbox: Inbox):
    by_supplier = SOURCE | {"pattern": "*", "sender": "SUPPLIER.test"}  # ignoring case
    result = fetch(by_supplier, inbox)

    assert [f.path.name for f in result.fetched] == ["facture.pdf"]
    assert result.fetched[0].origin["message_id"] == "<m2@supplier.test>"
    assert result.skipped == ()
    assert waiting(inbox) == ["facture.pdf"]

    # The other sender's message was left alone, unremembered: without the filter it comes.
    everything = fetch(SOURCE | {"pattern": "*"}, inbox)
    assert [f.path.name for f in everything.fetched] == ["commandes-mag01.csv",
                                                         "lignes-mag01.csv"]
    assert set(mailbox.messages()) == BOTH


def test_a_crash_before_the_message_is_remembered_duplicates_nothing(
    mailbox: ImapAccount, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
):
    settle = FetchLedger.settle
    crashes = []

    def crash_once(ledger: FetchLedger, key: str) -> None:
        if not crashes:
            crashes.append(key)
            raise RuntimeError("the worker died")
        settle(ledger, key)

    monkeypatch.setattr(FetchLedger, "settle", crash_once)
    with pytest.raises(RuntimeError, match="the worker died"):
        fetch(SOURCE, inbox)
    assert waiting(inbox) == ["commandes-mag01.csv", "lignes-mag01.csv"]
    inbox.done(inbox.incoming / "commandes-mag01.csv", {"accepted": 2})  # imported meanwhile

    rerun = fetch(SOURCE, inbox)

    assert crashes and rerun.fetched == ()
    assert rerun.already_fetched == ("commandes-mag01.csv", "lignes-mag01.csv")
    assert waiting(inbox) == ["lignes-mag01.csv"]
    files = sorted(p.name for p in inbox.root.rglob("*.csv"))
    assert files == ["commandes-mag01.csv", "lignes-mag01.csv"]  # no commandes-mag01-2.csv
    assert all(entry.get("settled") for entry in ledger_entries(inbox).values())
    assert fetch(SOURCE, inbox).summary() == f"Nothing new in {DESCRIBED}"
    assert set(mailbox.messages()) == BOTH


# --------------------------------------------------------------------------- failures


def failure(source: dict, inbox: Inbox, expected: type[ExchangeError], match: str,
            password: str) -> ExchangeError:
    """The error `fetch(source)` raises: of the class expected, naming the connection,
    never showing the password, nothing written."""
    with pytest.raises(expected, match=match) as caught:
        fetch(source, inbox)
    assert str(caught.value).startswith(f"POP3 connection {source['conn_id']!r}: ")
    assert password not in str(caught.value)
    assert not inbox.root.exists()
    return caught.value


def test_wrong_password(mailbox: ImapAccount, set_connection, inbox: Inbox):
    set_connection("pop3_orders", mailbox.pop3_connection(password="not-the-password"))
    failure(SOURCE, inbox, LoginRefused, "login refused", "not-the-password")
    set_connection("pop3_orders", mailbox.pop3_connection(password=None))
    failure(SOURCE, inbox, LoginRefused, "no login or no password", mailbox.password)
    assert set(mailbox.messages()) == BOTH


def test_server_unreachable(mailbox: ImapAccount, set_connection, inbox: Inbox):
    set_connection("pop3_orders", mailbox.pop3_connection(port=free_port()))
    failure(SOURCE, inbox, ConnectionFailed, "cannot connect.*refused", mailbox.password)
    set_connection("pop3_orders", mailbox.pop3_connection(host="no-such-host.invalid"))
    failure(SOURCE, inbox, ConnectionFailed, "unknown host", mailbox.password)


def test_a_server_that_never_greets_times_out(
    mailbox: ImapAccount, set_connection, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(pop3, "CONNECT_TIMEOUT", 0.3)
    with silent_server() as port:
        set_connection("pop3_orders", mailbox.pop3_connection(port=port))
        failure(SOURCE, inbox, ConnectionFailed, "timed out", mailbox.password)


def test_ssl_against_the_plain_port(mailbox: ImapAccount, set_connection, inbox: Inbox):
    set_connection("pop3_orders", mailbox.pop3_connection(extra={"use_ssl": True}))
    failure(SOURCE, inbox, ConnectionFailed, r"TLS failed .*check the connection's use_ssl",
            mailbox.password)
    set_connection("pop3_orders", mailbox.pop3_connection(extra={"use_ssl": "true",
                                                                 "ssl_context": "none"}))
    failure(SOURCE, inbox, ConnectionFailed, "use_ssl", mailbox.password)
    assert set(mailbox.messages()) == BOTH


def test_connection_not_defined(inbox: Inbox, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AIRFLOW_CONN_POP3_NOWHERE", raising=False)
    failure(SOURCE | {"conn_id": "pop3_nowhere"}, inbox, ConnectionNotDefined,
            "'pop3_nowhere'.*not defined", "imap-secret-1")


# ------------------------------------------------------------ a scripted POP3 server


class ScriptedPop3(socketserver.ThreadingTCPServer):
    """A POP3 server answering from a script: which commands it refuses, one mailbox."""

    daemon_threads = True

    def __init__(self, messages: list[bytes], refused: set[str]) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.messages = messages
        self.refused = refused
        self.commands: list[str] = []


class ScriptedHandler(socketserver.StreamRequestHandler):
    server: ScriptedPop3

    def _lines(self, lines: list[bytes]) -> None:
        self.wfile.write(b"+OK\r\n")
        for line in lines:
            self.wfile.write((b"." + line if line.startswith(b".") else line) + b"\r\n")
        self.wfile.write(b".\r\n")

    def handle(self) -> None:
        messages = self.server.messages
        self.wfile.write(b"+OK scripted\r\n")
        for raw in self.rfile:
            verb, *args = raw.decode().split()
            verb = verb.upper()
            self.server.commands.append(verb)
            if verb in self.server.refused:
                self.wfile.write(b"-ERR unknown command\r\n")
            elif verb in ("USER", "PASS"):
                self.wfile.write(b"+OK\r\n")
            elif verb == "UIDL":
                self._lines([f"{n} uid-{n}".encode() for n in range(1, len(messages) + 1)])
            elif verb in ("RETR", "TOP"):
                message = messages[int(args[0]) - 1]
                if verb == "TOP":
                    message = message.split(b"\r\n\r\n", 1)[0] + b"\r\n"
                self._lines(message.rstrip(b"\r\n").split(b"\r\n"))
            elif verb == "QUIT":
                self.wfile.write(b"+OK bye\r\n")
                return
            else:
                self.wfile.write(b"-ERR unknown command\r\n")


@pytest.fixture
def scripted(set_connection) -> Iterator[ScriptedPop3]:
    """A scripted server with two messages; `pop3_orders` reads it."""
    messages = [
        order("Magasin Lyon <mag01@comptoir.test>", "Commandes", "<m1@comptoir.test>",
              ("commandes.csv", CLIENTS)).as_bytes(),
        order("Fournisseur <compta@supplier.test>", "Tarifs", "<m2@supplier.test>",
              ("tarifs.csv", ARTICLES)).as_bytes(),
    ]
    server = ScriptedPop3([m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for m in messages],
                          set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    set_connection("pop3_orders", {
        "conn_type": "pop3", "host": "127.0.0.1", "port": server.server_address[1],
        "login": "reader", "password": "scripted-secret", "extra": {"use_ssl": False},
    })
    yield server
    server.shutdown()
    server.server_close()


def test_a_server_without_uidl_is_refused(scripted: ScriptedPop3, inbox: Inbox):
    scripted.refused.add("UIDL")
    error = failure(SOURCE, inbox, CommandRefused, "does not offer UIDL.*fetched twice",
                    "scripted-secret")
    assert "unknown command" in str(error)
    assert scripted.commands == ["USER", "PASS", "UIDL", "QUIT"]


def test_the_sender_filter_reads_whole_messages_when_top_is_refused(
    scripted: ScriptedPop3, inbox: Inbox
):
    scripted.refused.add("TOP")
    result = fetch(SOURCE | {"sender": "supplier.test"}, inbox)

    assert [f.path.name for f in result.fetched] == ["tarifs.csv"]
    assert (inbox.incoming / "tarifs.csv").read_bytes() == ARTICLES
    # TOP asked once, then RETR for every header; never DELE; QUIT at the end.
    assert scripted.commands == ["USER", "PASS", "UIDL", "TOP", "RETR", "RETR", "RETR", "QUIT"]


def test_the_sender_filter_reads_headers_with_top(scripted: ScriptedPop3, inbox: Inbox):
    result = fetch(SOURCE | {"sender": "mag01@"}, inbox)

    assert [f.path.name for f in result.fetched] == ["commandes.csv"]
    assert scripted.commands == ["USER", "PASS", "UIDL", "TOP", "TOP", "RETR", "QUIT"]


def test_the_mailbox_outside_a_session():
    mailbox = Pop3Mailbox("pop3_orders")
    assert mailbox.name == "POP3 connection 'pop3_orders'"
    assert mailbox.keeps_messages is True
    assert mailbox.key("00000001abcdef01") == "00000001abcdef01"
    with pytest.raises(RuntimeError, match="inside `with mailbox.session"):
        mailbox.pending()
