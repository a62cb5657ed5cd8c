"""Fetching inbox sources into a local inbox against real servers on loopback: OpenSSH's
sshd (SFTP), pyftpdlib (FTP) and Dovecot (IMAP; POP3 is in test_pop3.py). Files are
fetched once, byte for byte, removed from the server only after they are safe in the
inbox, and never fetched twice; a name the fetch cannot use is reported, escaped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from comptoir.exchange.endpoints import ImapInboxSource
from comptoir.exchange.endpoints import parse_source as inbox_source_from_dict
from comptoir.exchange.errors import (
    ConnectionFailed,
    InboxError,
    LoginRefused,
    RemoteFolderMissing,
)
from comptoir.exchange.fetch import save_attachments
from comptoir.exchange.inbox import Inbox, inbox_for
from comptoir.exchange.ledger import FetchLedger, ledger_key
from comptoir.exchange.transports import PROCESSED
from comptoir_airflow.exchange.factory import fetch
from comptoir_airflow.exchange.imap import ImapMailbox, encode_mailbox_name
from tests.servers import free_port
from tests.servers.ftp import READER, READER_PASSWORD, FtpServer
from tests.servers.imap import ImapAccount, order
from tests.servers.sshd import TEST_PASSWORD, SshServer

pytestmark = pytest.mark.servers

# CRLF, Windows-1252 and a NUL: any re-encoding or text-mode transfer would show.
CLIENTS = b"CODE;DESIG\r\nC001;Caf\xe9 du Port\r\nC002;L'\x80picerie\r\n\x00"
ARTICLES = b"CODE;DESIG;PRIX_VENTE\nA001;Pomme;1,20\n"


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox")


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def waiting(inbox: Inbox) -> list[str]:
    return [p.name for p in inbox.waiting()]


def ledger_entries(inbox: Inbox) -> dict:
    path = inbox.root / ".fetched.json"
    return json.loads(path.read_text())["entries"] if path.exists() else {}


# -------------------------------------------------------------------------------- local


def test_a_local_source_is_its_own_inbox(tmp_path: Path, inbox: Inbox) -> None:
    source = inbox_source_from_dict({"kind": "local", "path": str(tmp_path / "drop")})
    local = inbox_for(source, "articles")
    local.incoming.mkdir(parents=True)
    (local.incoming / "articles.csv").write_bytes(ARTICLES)
    (local.incoming / ".copying.csv.part").write_bytes(b"half")

    result = fetch(source, local)
    assert result.fetched == () and "Nothing new" in result.summary()
    [waiting] = local.waiting("*.csv")
    done = local.done(waiting, {"accepted": 1})
    assert done.read_bytes() == ARTICLES
    assert listing(done.parent) == ["articles.csv", "articles.csv.report.json"]
    assert local.waiting() == []

    with pytest.raises(InboxError, match="its own inbox"):
        fetch(source, inbox)


# --------------------------------------------------------------------------------- SFTP


@pytest.fixture
def sftp_out(sshd: SshServer, set_connection) -> Path:
    """A remote folder with two CSV files, a text file and an upload in progress."""
    set_connection("sftp_erp", sshd.connection(password=TEST_PASSWORD))
    folder = sshd.user_folder("out")
    (folder / "clients.csv").write_bytes(CLIENTS)
    (folder / "articles.CSV").write_bytes(ARTICLES)
    (folder / "notes.txt").write_bytes(b"not for us")
    (folder / ".stock.csv.part").write_bytes(b"being uploaded")
    return folder


def sftp_source(folder: Path) -> dict:
    return {"kind": "sftp", "conn_id": "sftp_erp", "directory": str(folder), "pattern": "*.csv"}


def test_sftp_fetch_moves_remote_files_to_processed(sftp_out: Path, inbox: Inbox) -> None:
    result = fetch(sftp_source(sftp_out), inbox)

    assert [f.remote_name for f in result.fetched] == ["articles.CSV", "clients.csv"]
    assert waiting(inbox) == ["articles.CSV", "clients.csv"]
    assert (inbox.incoming / "clients.csv").read_bytes() == CLIENTS
    assert (inbox.incoming / "articles.CSV").read_bytes() == ARTICLES
    assert listing(sftp_out) == [".stock.csv.part", "notes.txt", PROCESSED]
    assert listing(sftp_out / PROCESSED) == ["articles.CSV", "clients.csv"]
    assert (sftp_out / PROCESSED / "clients.csv").read_bytes() == CLIENTS
    origin = inbox.origin(inbox.incoming / "clients.csv")
    assert origin is not None and origin["remote_name"] == "clients.csv"
    assert origin["size"] == len(CLIENTS)
    assert ledger_entries(inbox) == {}

    again = fetch(sftp_source(sftp_out), inbox)
    assert again.fetched == () and again.skipped == ()
    assert waiting(inbox) == ["articles.CSV", "clients.csv"]


def test_sftp_a_name_taken_in_processed_gets_a_suffix(sftp_out: Path, inbox: Inbox) -> None:
    fetch(sftp_source(sftp_out), inbox)
    (sftp_out / "clients.csv").write_bytes(b"tomorrow's file")

    result = fetch(sftp_source(sftp_out), inbox)
    assert [f.path.name for f in result.fetched] == ["clients-2.csv"]
    assert listing(sftp_out / PROCESSED) == ["articles.CSV", "clients-2.csv", "clients.csv"]
    assert (sftp_out / PROCESSED / "clients.csv").read_bytes() == CLIENTS
    assert (inbox.incoming / "clients-2.csv").read_bytes() == b"tomorrow's file"


def test_sftp_refetch_after_a_crash_fetches_nothing_twice(
    sftp_out: Path, inbox: Inbox
) -> None:
    # The server side cannot be done (folder read-only for the user): as after a crash
    # between saving the files and moving them, they are in the inbox and still remote.
    sftp_out.chmod(0o555)
    first = fetch(sftp_source(sftp_out), inbox)
    assert [f.remote_name for f in first.fetched] == ["articles.CSV", "clients.csv"]
    assert [s.name for s in first.skipped] == ["articles.CSV", "clients.csv"]
    assert "left on the server" in first.skipped[0].reason
    assert "clients.csv" in listing(sftp_out)
    assert len(ledger_entries(inbox)) == 2

    # The import processed one of them meanwhile.
    inbox.done(inbox.incoming / "clients.csv", {"accepted": 2})

    second = fetch(sftp_source(sftp_out), inbox)
    assert second.fetched == () and second.already_fetched == ()
    assert [s.name for s in second.skipped] == ["articles.CSV", "clients.csv"]
    sftp_out.chmod(0o755)
    third = fetch(sftp_source(sftp_out), inbox)

    assert third.fetched == () and third.skipped == ()
    assert third.already_fetched == ("articles.CSV", "clients.csv")
    assert waiting(inbox) == ["articles.CSV"]
    assert listing(inbox.done_folder()) == [
        "clients.csv", "clients.csv.origin.json", "clients.csv.report.json"
    ]
    assert listing(sftp_out / PROCESSED) == ["articles.CSV", "clients.csv"]
    assert ledger_entries(inbox) == {}


def test_sftp_an_unreadable_file_is_left_for_later(sftp_out: Path, inbox: Inbox) -> None:
    secret = sftp_out / "secret.csv"
    secret.write_bytes(b"root only")
    secret.chmod(0o600)  # owned by root: the SFTP user cannot read it

    result = fetch(sftp_source(sftp_out), inbox)
    assert [f.remote_name for f in result.fetched] == ["articles.CSV", "clients.csv"]
    assert [(s.name, "cannot be read" in s.reason) for s in result.skipped] == [
        ("secret.csv", True)
    ]
    assert "secret.csv" in listing(sftp_out) and "secret.csv" not in waiting(inbox)
    assert ledger_entries(inbox) == {}


def test_sftp_server_down_changes_nothing(sshd: SshServer, sftp_out: Path, inbox: Inbox) -> None:
    sshd.stop()
    with pytest.raises(ConnectionFailed, match="'sftp_erp'.*cannot connect"):
        fetch(sftp_source(sftp_out), inbox)
    assert not inbox.root.exists()
    assert "clients.csv" in listing(sftp_out) and PROCESSED not in listing(sftp_out)


def test_sftp_wrong_password(sshd: SshServer, sftp_out: Path, set_connection, inbox) -> None:
    set_connection("sftp_erp", sshd.connection(password="not-the-password"))
    with pytest.raises(LoginRefused, match="login refused") as caught:
        fetch(sftp_source(sftp_out), inbox)
    assert "not-the-password" not in str(caught.value)
    assert not inbox.root.exists()


def test_sftp_missing_folder(sshd: SshServer, sftp_out: Path, inbox: Inbox) -> None:
    with pytest.raises(RemoteFolderMissing, match="does not exist"):
        fetch(sftp_source(sftp_out / "nope"), inbox)


def test_sftp_a_name_that_is_not_utf8_stops_nothing(sftp_out: Path, inbox: Inbox) -> None:
    with open(os.path.join(os.fsencode(sftp_out), b"caf\xe9.csv"), "wb") as odd:
        odd.write(b"latin-1 name")
    result = fetch(sftp_source(sftp_out), inbox)

    assert waiting(inbox) == ["articles.CSV", "clients.csv"]
    assert b"caf\xe9.csv" in os.listdir(os.fsencode(sftp_out)), "left for a person to rename"
    summary = result.summary()
    assert "Left on the server: caf\\xe9.csv: the name is not valid UTF-8" in summary
    summary.encode("utf-8")  # printable as it is: no lone surrogate


def test_sftp_control_characters_in_names_are_escaped_wherever_shown(
    sftp_out: Path, inbox: Inbox
) -> None:
    (sftp_out / "esc\x1b[2Jclear.csv").write_bytes(b"E")
    (sftp_out / "forged\nLine.csv").write_bytes(b"F")
    result = fetch(sftp_source(sftp_out), inbox)

    assert (inbox.incoming / "esc_[2Jclear.csv").read_bytes() == b"E"
    assert (inbox.incoming / "forged_Line.csv").read_bytes() == b"F"
    summary = result.summary()
    assert "\x1b" not in summary and "esc\\x1b[2Jclear.csv" in summary
    assert "forged\\x0aLine.csv" in summary and len(summary.splitlines()) == 1


# ---------------------------------------------------------------------------------- FTP


@pytest.fixture
def ftp_out(ftp_server: FtpServer, set_connection) -> Path:
    set_connection("ftp_erp", ftp_server.connection())
    folder = ftp_server.root / "out"
    folder.mkdir()
    (folder / "clients.csv").write_bytes(CLIENTS)
    (folder / "articles.csv").write_bytes(ARTICLES)
    (folder / ".partial.csv.part").write_bytes(b"x")
    (folder / "archive.csv").mkdir()  # a folder, not a file
    return folder


FTP_SOURCE = {"kind": "ftp", "conn_id": "ftp_erp", "directory": "/out", "pattern": "*.csv"}


def test_ftp_fetch(ftp_out: Path, inbox: Inbox) -> None:
    (ftp_out / PROCESSED).mkdir()
    (ftp_out / PROCESSED / "clients.csv").write_bytes(b"last week's")
    result = fetch(FTP_SOURCE, inbox)

    assert [f.path.name for f in result.fetched] == ["articles.csv", "clients.csv"]
    assert (inbox.incoming / "clients.csv").read_bytes() == CLIENTS
    assert (inbox.incoming / "articles.csv").read_bytes() == ARTICLES
    assert listing(ftp_out) == [".partial.csv.part", "archive.csv", PROCESSED]
    assert listing(ftp_out / PROCESSED) == ["articles.csv", "clients-2.csv", "clients.csv"]
    assert (ftp_out / PROCESSED / "clients.csv").read_bytes() == b"last week's"
    assert fetch(FTP_SOURCE, inbox).fetched == ()
    assert waiting(inbox) == ["articles.csv", "clients.csv"]


def test_ftp_read_only_login_fetches_once(
    ftp_server: FtpServer, ftp_out: Path, set_connection, inbox: Inbox
) -> None:
    set_connection("ftp_erp", ftp_server.connection(login=READER, password=READER_PASSWORD))
    first = fetch(FTP_SOURCE, inbox)
    second = fetch(FTP_SOURCE, inbox)

    assert [f.remote_name for f in first.fetched] == ["articles.csv", "clients.csv"]
    assert all("cannot delete it" in s.reason for s in first.skipped)
    assert second.fetched == () and second.already_fetched == () and len(second.skipped) == 2
    assert waiting(inbox) == ["articles.csv", "clients.csv"]
    assert "clients.csv" in listing(ftp_out)

    (ftp_out / "clients.csv").write_bytes(b"a new version")  # a new file: fetched again
    third = fetch(FTP_SOURCE, inbox)
    assert [f.path.name for f in third.fetched] == ["clients-2.csv"]
    assert len(ledger_entries(inbox)) == 2  # the older version of clients.csv is forgotten


def test_ftp_names_with_a_line_break_or_not_utf8_are_reported(
    ftp_out: Path, inbox: Inbox
) -> None:
    (ftp_out / "a\nb.csv").write_bytes(b"L")
    with open(os.path.join(os.fsencode(ftp_out), b"caf\xe9.csv"), "wb") as odd:
        odd.write(b"latin-1 name")
    result = fetch(FTP_SOURCE, inbox)

    assert waiting(inbox) == ["articles.csv", "clients.csv"]
    summary = result.summary()
    assert "Left on the server: a\\x0ab.csv: the name holds a line break" in summary
    # pyftpdlib lists a name that is not UTF-8 with '?' for the bad byte: it cannot be read
    assert "Left on the server: caf?.csv: cannot be read" in summary
    assert {"a\nb.csv", "caf\udce9.csv"} <= set(os.listdir(ftp_out))


def test_ftp_server_down_and_wrong_password(
    ftp_server: FtpServer, ftp_out: Path, set_connection, inbox: Inbox
) -> None:
    set_connection("ftp_erp", ftp_server.connection(password="wrong"))
    with pytest.raises(LoginRefused):
        fetch(FTP_SOURCE, inbox)
    ftp_server.stop()
    with pytest.raises(ConnectionFailed):
        fetch(FTP_SOURCE, inbox)
    assert not inbox.root.exists()
    assert "clients.csv" in listing(ftp_out)


# --------------------------------------------------------------------------------- IMAP


@pytest.fixture
def mailbox(imap_account: ImapAccount, set_connection) -> ImapAccount:
    """Two unread messages: one with two CSV files, one with a PDF only."""
    set_connection("imap_orders", imap_account.connection())
    imap_account.deliver(order(
        "Magasin Lyon <mag01@comptoir.test>", "Commandes du jour", "<m1@comptoir.test>",
        ("commandes-mag01.csv", CLIENTS), ("lignes-mag01.csv", ARTICLES),
    ))
    imap_account.deliver(order(
        "Fournisseur <compta@supplier.test>", "Facture", "<m2@supplier.test>",
        ("facture.pdf", b"%PDF-1.4 ..."),
    ))
    return imap_account


IMAP_SOURCE = {"kind": "imap", "conn_id": "imap_orders", "pattern": "*.csv"}
PROCESSED_MAILBOX = "Comptoir." + encode_mailbox_name("Traité")  # Dovecot's Maildir uses '.'


def test_imap_fetch_saves_matching_attachments_and_files_messages(
    mailbox: ImapAccount, inbox: Inbox
) -> None:
    result = fetch(IMAP_SOURCE, inbox)

    assert [f.path.name for f in result.fetched] == ["commandes-mag01.csv", "lignes-mag01.csv"]
    assert (inbox.incoming / "commandes-mag01.csv").read_bytes() == CLIENTS
    assert (inbox.incoming / "lignes-mag01.csv").read_bytes() == ARTICLES
    assert waiting(inbox) == ["commandes-mag01.csv", "lignes-mag01.csv"]
    origin = inbox.origin(inbox.incoming / "commandes-mag01.csv")
    assert origin is not None
    assert origin["message_id"] == "<m1@comptoir.test>"
    assert origin["sender"] == "Magasin Lyon <mag01@comptoir.test>"
    assert origin["subject"] == "Commandes du jour"
    assert [s.name for s in result.skipped] == [
        "message 'Facture' from Fournisseur <compta@supplier.test>"
    ]

    assert PROCESSED_MAILBOX in mailbox.mailboxes()
    assert mailbox.messages(PROCESSED_MAILBOX) == {"<m1@comptoir.test>": {"\\Seen"}}
    assert mailbox.messages("INBOX") == {"<m2@supplier.test>": {"\\Seen"}}

    again = fetch(IMAP_SOURCE, inbox)
    assert again.fetched == () and again.skipped == ()
    assert waiting(inbox) == ["commandes-mag01.csv", "lignes-mag01.csv"]
    assert ledger_entries(inbox) == {}


def test_imap_refetch_after_a_crash_fetches_nothing_twice(
    mailbox: ImapAccount, inbox: Inbox
) -> None:
    source = inbox_source_from_dict(IMAP_SOURCE)
    assert isinstance(source, ImapInboxSource)
    # The attachments of the first message are saved, then the process dies: the message
    # is neither marked as read nor moved.
    imap = ImapMailbox("imap_orders")
    with imap.session(), FetchLedger.open(inbox, ledger_key(*source.identity())) as ledger:
        first = imap.read(imap.pending()[0])
        assert first is not None and first.message_id == "<m1@comptoir.test>"
        saved = save_attachments(source, ledger, first, first.message_id)
    assert [f.path.name for f in saved.fetched] == ["commandes-mag01.csv", "lignes-mag01.csv"]
    inbox.done(inbox.incoming / "commandes-mag01.csv", {"accepted": 3})  # imported meanwhile
    assert mailbox.messages("INBOX")["<m1@comptoir.test>"] == set()

    result = fetch(IMAP_SOURCE, inbox)
    assert result.fetched == ()
    assert result.already_fetched == ("commandes-mag01.csv", "lignes-mag01.csv")
    assert waiting(inbox) == ["lignes-mag01.csv"]
    assert mailbox.messages(PROCESSED_MAILBOX) == {"<m1@comptoir.test>": {"\\Seen"}}
    assert ledger_entries(inbox) == {}


def test_imap_sender_filter_and_messages_left_in_place(
    mailbox: ImapAccount, inbox: Inbox
) -> None:
    source = IMAP_SOURCE | {"sender": "supplier.test", "pattern": "*", "processed_mailbox": None}
    result = fetch(source, inbox)

    assert [f.path.name for f in result.fetched] == ["facture.pdf"]
    assert result.fetched[0].origin["message_id"] == "<m2@supplier.test>"
    assert mailbox.messages("INBOX") == {
        "<m1@comptoir.test>": set(), "<m2@supplier.test>": {"\\Seen"},
    }
    assert PROCESSED_MAILBOX not in mailbox.mailboxes()


def test_imap_server_down_and_wrong_password_change_nothing(
    mailbox: ImapAccount, set_connection, inbox: Inbox
) -> None:
    set_connection("imap_orders", mailbox.connection(password="not-the-password"))
    with pytest.raises(LoginRefused, match="'imap_orders'.*login refused") as caught:
        fetch(IMAP_SOURCE, inbox)
    assert "not-the-password" not in str(caught.value)

    set_connection("imap_orders", mailbox.connection(port=free_port()))
    with pytest.raises(ConnectionFailed, match="cannot connect"):
        fetch(IMAP_SOURCE, inbox)

    set_connection("imap_orders", mailbox.connection(extra={"use_ssl": True}))
    with pytest.raises(ConnectionFailed, match="use_ssl"):
        fetch(IMAP_SOURCE, inbox)

    assert not inbox.root.exists()
    assert mailbox.messages("INBOX") == {"<m1@comptoir.test>": set(), "<m2@supplier.test>": set()}


def test_imap_missing_mailbox(mailbox: ImapAccount, inbox: Inbox) -> None:
    with pytest.raises(RemoteFolderMissing, match="mailbox Commandes/Reçues"):
        fetch(IMAP_SOURCE | {"mailbox": "Commandes/Reçues"}, inbox)


def test_imap_attachment_names_not_utf8_or_with_escapes_are_reported_escaped(
    imap_account: ImapAccount, set_connection, inbox: Inbox
) -> None:
    set_connection("imap_orders", imap_account.connection())
    message = order("x@comptoir.test", "Noms", "<m4@comptoir.test>",
                    ("good.csv", b"G"), ("PLACEHOLDER.csv", b"B"), ("esc\x1b[31m.csv", b"E"))
    raw = message.as_bytes().replace(b'filename="PLACEHOLDER.csv"', b'filename="caf\xe9.csv"')
    client = imap_account.client()
    try:
        assert client.append("INBOX", "", None, raw)[0] == "OK"
    finally:
        client.logout()
    result = fetch(IMAP_SOURCE, inbox)

    assert waiting(inbox) == ["esc_[31m.csv", "good.csv"]
    summary = result.summary()
    assert "not valid UTF-8" in summary
    assert "\x1b" not in summary and "esc\\x1b[31m.csv" in summary


def test_imap_an_unsafe_attachment_name_is_made_safe(
    imap_account: ImapAccount, set_connection, inbox: Inbox
) -> None:
    set_connection("imap_orders", imap_account.connection())
    imap_account.deliver(order(
        "x@comptoir.test", "Piège", "<m3@comptoir.test>", ("../../etc/cron.d/evil.csv", b"x"),
    ))
    result = fetch(IMAP_SOURCE, inbox)
    assert [f.path for f in result.fetched] == [inbox.incoming / "evil.csv"]
    assert result.fetched[0].remote_name == "../../etc/cron.d/evil.csv"
    assert not os.path.exists(inbox.root.parent / "etc")
