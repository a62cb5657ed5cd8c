"""The fetch logic alone, on in-memory fakes of a remote folder and of a mailbox: failures on
the n-th file, a server that drops mid-transfer, duplicate names, files that vanish between
the listing and the download, names that cannot be used, crashes between save and removal.
(The real servers are in tests/plugins/exchange/.)"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO

import pytest

from comptoir.exchange.endpoints import (
    LocalInboxSource,
    MailFolderInboxSource,
    parse_source,
)
from comptoir.exchange.errors import ConnectionLost, InboxError
from comptoir.exchange.fetch import fetch, fetch_folder, fetch_mailbox
from comptoir.exchange.inbox import Inbox
from comptoir.exchange.mail import FileMailer, MailFolder, MailMessage, build_message
from comptoir.exchange.names import name_candidates
from comptoir.exchange.transports import (
    FileChanged,
    NotRemoved,
    RemoteFile,
    Unreadable,
)

SFTP = parse_source({"kind": "sftp", "conn_id": "sftp_erp", "directory": "/out",
                     "pattern": "*.csv"})


class FakeFolder:
    """A remote folder in memory: `contents` name → bytes, `processed` what was archived."""

    name = "fake SFTP folder"

    def __init__(self, contents: dict[str, bytes]) -> None:
        self.contents = dict(contents)
        self.processed: dict[str, bytes] = {}
        self.mtimes = dict.fromkeys(contents, "1")
        self.unusable: dict[str, str] = {}
        self.unreadable: set[str] = set()
        self.vanishing: set[str] = set()
        self.drop_on: str | None = None
        self.refuse_archive: set[str] = set()
        self.downloads: list[str] = []

    def put(self, name: str, data: bytes, mtime: str) -> None:
        self.contents[name] = data
        self.mtimes[name] = mtime

    def files(self) -> list[RemoteFile]:
        return [RemoteFile(name, len(data), self.mtimes[name], self.unusable.get(name))
                for name, data in self.contents.items()]

    def download(self, remote: RemoteFile, target: BinaryIO) -> None:
        self.downloads.append(remote.name)
        if remote.name in self.vanishing:
            del self.contents[remote.name]
            raise Unreadable("No such file")
        if remote.name in self.unreadable:
            raise Unreadable("Permission denied")
        data = self.contents[remote.name]
        if remote.name == self.drop_on:
            target.write(data[: len(data) // 2])
            raise ConnectionLost(self.name, "connection reset by peer")
        target.write(data)

    def archive(self, name: str) -> None:
        if name in self.refuse_archive:
            raise NotRemoved("cannot move it to processed/ (Permission denied)")
        target = next(c for c in name_candidates(name) if c not in self.processed)
        self.processed[target] = self.contents.pop(name)


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox")


def waiting(inbox: Inbox) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in inbox.waiting()}


def leftovers(inbox: Inbox) -> list[str]:
    return [p.name for p in inbox.incoming.iterdir() if p.name.endswith(".part")]


# ---------------------------------------------------------------------------- folders


def test_matching_files_are_fetched_once_then_archived(inbox: Inbox) -> None:
    folder = FakeFolder({"a.csv": b"A", "b.CSV": b"B", "notes.txt": b"N", ".up.csv.part": b"P"})
    result = fetch_folder(folder, SFTP, inbox)

    assert waiting(inbox) == {"a.csv": b"A", "b.CSV": b"B"}
    assert set(folder.processed) == {"a.csv", "b.CSV"}
    assert set(folder.contents) == {"notes.txt", ".up.csv.part"}
    assert [f.remote_name for f in result.fetched] == ["a.csv", "b.CSV"]
    assert result.summary().startswith("Fetched from SFTP connection 'sftp_erp'")
    again = fetch_folder(folder, SFTP, inbox)
    assert again.fetched == () and "Nothing new" in again.summary()


def test_a_failure_on_the_nth_file_leaves_it_and_fetches_the_others(inbox: Inbox) -> None:
    folder = FakeFolder({"1.csv": b"1", "2.csv": b"2", "3.csv": b"3", "4.csv": b"4"})
    folder.unreadable = {"3.csv"}
    result = fetch_folder(folder, SFTP, inbox)

    assert set(waiting(inbox)) == {"1.csv", "2.csv", "4.csv"}
    assert set(folder.contents) == {"3.csv"}, "left on the server for the next pass"
    assert "Left on the server: 3.csv: cannot be read (Permission denied)" in result.summary()
    assert leftovers(inbox) == []

    folder.unreadable.clear()
    later = fetch_folder(folder, SFTP, inbox)
    assert [f.remote_name for f in later.fetched] == ["3.csv"]
    assert waiting(inbox)["3.csv"] == b"3"


def test_a_server_that_drops_mid_transfer_keeps_what_was_saved_and_nothing_half(
    inbox: Inbox,
) -> None:
    folder = FakeFolder({"1.csv": b"one", "2.csv": b"two", "3.csv": b"three" * 1000,
                         "4.csv": b"four"})
    folder.drop_on = "3.csv"
    with pytest.raises(ConnectionLost):
        fetch_folder(folder, SFTP, inbox)
    assert waiting(inbox) == {"1.csv": b"one", "2.csv": b"two"}
    assert set(folder.processed) == {"1.csv", "2.csv"}
    assert leftovers(inbox) == [], "no half-written file"

    folder.drop_on = None  # the server is back
    result = fetch_folder(folder, SFTP, inbox)
    assert [f.remote_name for f in result.fetched] == ["3.csv", "4.csv"]
    assert waiting(inbox)["3.csv"] == b"three" * 1000
    assert len(waiting(inbox)) == 4, "nothing fetched twice"


def test_a_file_that_disappears_between_list_and_fetch_is_reported(inbox: Inbox) -> None:
    folder = FakeFolder({"a.csv": b"A", "gone.csv": b"G"})
    folder.vanishing = {"gone.csv"}
    result = fetch_folder(folder, SFTP, inbox)
    assert waiting(inbox) == {"a.csv": b"A"}
    assert "Left on the server: gone.csv: cannot be read (No such file)" in result.summary()
    assert leftovers(inbox) == []


def test_a_file_still_being_written_is_left_for_the_next_pass(inbox: Inbox) -> None:
    class Growing(FakeFolder):
        def download(self, remote: RemoteFile, target: BinaryIO) -> None:
            target.write(self.contents[remote.name])
            raise FileChanged("the file changed while it was read (still being written?)")

    result = fetch_folder(Growing({"a.csv": b"A"}), SFTP, inbox)
    assert waiting(inbox) == {} and leftovers(inbox) == []
    assert "still being written" in result.summary()


def test_duplicate_names_never_overwrite(inbox: Inbox) -> None:
    inbox.receive("clients.csv", b"dropped by hand")
    folder = FakeFolder({"clients.csv": b"first upload"})
    fetch_folder(folder, SFTP, inbox)
    folder.put("clients.csv", b"second upload", mtime="2")  # the partner sends it again
    fetch_folder(folder, SFTP, inbox)

    assert waiting(inbox) == {"clients.csv": b"dropped by hand",
                              "clients-2.csv": b"first upload",
                              "clients-3.csv": b"second upload"}
    assert folder.processed == {"clients.csv": b"first upload",
                                "clients-2.csv": b"second upload"}


def test_a_crash_between_saving_and_archiving_never_duplicates(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = FakeFolder({"a.csv": b"A"})

    def die(name: str) -> None:
        raise SystemExit("killed before the server side was done")

    with monkeypatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(folder, "archive", die)
        fetch_folder(folder, SFTP, inbox)
    assert waiting(inbox) == {"a.csv": b"A"} and "a.csv" in folder.contents

    result = fetch_folder(folder, SFTP, inbox)
    assert folder.downloads == ["a.csv"], "not downloaded again"
    assert result.already_fetched == ("a.csv",) and "now cleaned up: a.csv" in result.summary()
    assert waiting(inbox) == {"a.csv": b"A"} and folder.processed == {"a.csv": b"A"}


def test_a_file_that_cannot_be_removed_is_not_fetched_again(inbox: Inbox) -> None:
    folder = FakeFolder({"a.csv": b"A"})
    folder.refuse_archive = {"a.csv"}
    first = fetch_folder(folder, SFTP, inbox)
    assert [f.remote_name for f in first.fetched] == ["a.csv"]
    assert "fetched, but left on the server" in first.summary()
    second = fetch_folder(folder, SFTP, inbox)
    assert second.fetched == () and folder.downloads == ["a.csv"]
    assert len(waiting(inbox)) == 1


def test_unusable_names_are_reported_escaped_and_the_others_fetched(inbox: Inbox) -> None:
    bad = "caf\udce9.csv"  # the bytes b"caf\xe9.csv", not UTF-8
    folder = FakeFolder({bad: b"X", "ok.csv": b"O", "line\nbreak.csv": b"L"})
    folder.unusable = {bad: "the name is not valid UTF-8: rename the file on the server",
                       "line\nbreak.csv": "the name holds a line break"}
    result = fetch_folder(folder, SFTP, inbox)
    assert waiting(inbox) == {"ok.csv": b"O"}
    summary = result.summary()
    assert "Left on the server: caf\\xe9.csv: the name is not valid UTF-8" in summary
    assert "line\\x0abreak.csv" in summary
    assert all(line.startswith(("Fetched", "Nothing", "Left")) for line in summary.splitlines())


def test_control_characters_in_names_never_reach_the_report_raw(inbox: Inbox) -> None:
    folder = FakeFolder({"esc\x1b[2J.csv": b"E"})
    result = fetch_folder(folder, SFTP, inbox)
    assert waiting(inbox) == {"esc_[2J.csv": b"E"}
    assert "\x1b" not in result.summary() and "esc\\x1b[2J.csv" in result.summary()
    assert result.fetched[0].origin["remote_name"] == "esc\x1b[2J.csv"  # kept exactly


# -------------------------------------------------------------------------- mailboxes


def message(subject: str, sender: str = "erp@example.com", **attachments: bytes) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "shop@example.com", subject
    mail["Message-ID"] = f"<{subject}@example.com>"
    mail.set_content("see attached")
    for name, data in attachments.items():
        mail.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return mail.as_bytes()


class FakeMailbox:
    """Messages in memory; `keeps_messages` like POP3 when asked."""

    name = "fake mailbox"

    def __init__(self, messages: dict[str, bytes], keeps_messages: bool = False) -> None:
        self.messages = dict(messages)
        self.keeps_messages = keeps_messages
        self.filed: list[tuple[str, bool]] = []
        self.reads: list[str] = []

    def pending(self, sender: str | None = None) -> list[str]:
        handles = [h for h, raw in self.messages.items()
                   if MailMessage.parse(h, raw).is_from(sender)]
        if self.keeps_messages:
            return handles
        return [h for h in handles if h not in {f for f, _ in self.filed}]

    def key(self, handle: str) -> str:
        return f"uidl-{handle}"

    def read(self, handle: str) -> MailMessage | None:
        self.reads.append(handle)
        raw = self.messages.get(handle)
        return None if raw is None else MailMessage.parse(handle, raw)

    def done(self, handle: str, *, kept: bool) -> None:
        self.filed.append((handle, kept))


POP3 = parse_source({"kind": "pop3", "conn_id": "pop3_orders", "pattern": "*.csv"})


def test_attachments_are_saved_and_messages_filed(inbox: Inbox) -> None:
    box = FakeMailbox({"1": message("orders", **{"cmd.csv": b"1;2\r\n", "logo.png": b"P"}),
                       "2": message("hello")})
    result = fetch_mailbox(box, POP3, inbox)
    assert waiting(inbox) == {"cmd.csv": b"1;2\r\n"}
    assert box.filed == [("1", True), ("2", False)]
    assert "Left on the server: message 'hello'" in result.summary()
    assert inbox.origin(inbox.incoming / "cmd.csv")["message_id"] == "<orders@example.com>"


def test_a_mailbox_that_keeps_its_messages_is_read_once(inbox: Inbox) -> None:
    box = FakeMailbox({"1": message("a", **{"a.csv": b"A"})}, keeps_messages=True)
    fetch_mailbox(box, POP3, inbox)
    second = fetch_mailbox(box, POP3, inbox)
    assert second.fetched == () and second.skipped == () and box.reads == ["1"]
    box.messages["2"] = message("b", **{"b.csv": b"B"})
    third = fetch_mailbox(box, POP3, inbox)
    assert [f.remote_name for f in third.fetched] == ["b.csv"] and box.reads == ["1", "2"]
    assert waiting(inbox) == {"a.csv": b"A", "b.csv": b"B"}


def test_a_crash_before_the_message_is_remembered_never_duplicates(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = FakeMailbox({"1": message("a", **{"a.csv": b"A"})}, keeps_messages=True)

    def die(handle: str, *, kept: bool) -> None:
        raise SystemExit("killed")

    with monkeypatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(box, "done", die)
        fetch_mailbox(box, POP3, inbox)
    result = fetch_mailbox(box, POP3, inbox)
    assert result.already_fetched == ("a.csv",)
    assert waiting(inbox) == {"a.csv": b"A"}


def test_an_attachment_name_that_is_not_utf8_is_reported_the_others_saved(inbox: Inbox) -> None:
    raw = message("mixed", **{"good.csv": b"G", "PLACEHOLDER.csv": b"B"})
    raw = raw.replace(b'filename="PLACEHOLDER.csv"', b'filename="caf\xe9.csv"')
    result = fetch_mailbox(FakeMailbox({"1": raw}), POP3, inbox)
    assert waiting(inbox) == {"good.csv": b"G"}
    assert "not valid UTF-8" in result.summary()


def test_the_embedded_mail_folder_is_a_mailbox(tmp_path: Path, inbox: Inbox) -> None:
    mail = tmp_path / "mail"
    data = tmp_path / "clients.csv"
    data.write_bytes(b"CODE\r\nC1\r\n")
    FileMailer(mail).send(build_message(to=["shop@example.com"], subject="clients",
                                        body="x", sender="erp@example.com",
                                        attachments=[data]))
    FileMailer(mail).send(build_message(to=["shop@example.com"], subject="no file", body="x"))
    source = MailFolderInboxSource(kind="mail_folder", path=str(mail), pattern="*.csv")

    @contextlib.contextmanager
    def opened() -> Iterator[MailFolder]:
        with MailFolder(mail).session() as box:
            yield box

    with opened() as box:
        result = fetch_mailbox(box, source, inbox)
    assert waiting(inbox) == {"clients.csv": b"CODE\r\nC1\r\n"}
    assert [p.suffix for p in mail.iterdir() if p.is_file() and p.name != ".lock"] == []
    filed = mail / "processed" / dt.date.today().isoformat()
    assert len(list(filed.glob("*.eml"))) == 2, "read messages are moved, never deleted"
    assert "no attachment matching *.csv" in result.summary()
    with opened() as box:
        assert fetch_mailbox(box, source, inbox).fetched == ()


class Connector:
    """Opens the fakes, as the Airflow factory opens real servers."""

    def __init__(self, folder: FakeFolder | None = None) -> None:
        self.opened = folder

    @contextlib.contextmanager
    def folder(self, source):  # type: ignore[no-untyped-def]
        assert self.opened is not None
        yield self.opened

    @contextlib.contextmanager
    def mailbox(self, source):  # type: ignore[no-untyped-def]
        with MailFolder(source.folder()).session() as box:
            yield box


def test_fetch_dispatches_on_the_kind_and_a_local_source_is_its_own_inbox(
    tmp_path: Path, inbox: Inbox
) -> None:
    folder = FakeFolder({"a.csv": b"A"})
    assert [f.remote_name for f in fetch(SFTP, inbox, Connector(folder)).fetched] == ["a.csv"]
    local = LocalInboxSource(kind="local", path=str(tmp_path / "drop"))
    assert "Nothing new" in fetch(local, Inbox(tmp_path / "drop"), Connector()).summary()
    with pytest.raises(InboxError, match="is its own inbox"):
        fetch(local, inbox, Connector())
