"""The local inbox: atomic arrivals, safe names, no overwrite, done/failed with reports, the
fetch ledger that prevents duplicates, and the inbox source models."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest

from comptoir import paths
from comptoir.exchange import inbox as inbox_module
from comptoir.exchange.endpoints import (
    FtpInboxSource,
    ImapInboxSource,
    LocalInboxSource,
    SftpInboxSource,
)
from comptoir.exchange.endpoints import parse_source as inbox_source_from_dict
from comptoir.exchange.errors import (
    InboxError,
    InvalidEndpoint,
    InvalidIdentifier,
    UnsafeFileName,
)
from comptoir.exchange.inbox import Inbox, inbox_for
from comptoir.exchange.ledger import FetchLedger, ledger_key
from comptoir.exchange.names import is_temporary, safe_name

DAY = dt.date(2024, 3, 1)


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox")


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# ----------------------------------------------------------------------------- arrivals


def test_receive_bytes_a_file_or_a_writer(inbox: Inbox, tmp_path: Path) -> None:
    source = tmp_path / "articles.csv"
    source.write_bytes(b"CODE;DESIG\nA1;Pomme\n")

    from_bytes = inbox.receive("clients.csv", b"CODE;DESIG\n")
    from_file = inbox.receive("articles.csv", source)
    from_writer = inbox.receive("stocks.csv", lambda target: target.write(b"ART_CODE\n"))

    assert from_bytes.read_bytes() == b"CODE;DESIG\n"
    assert from_file.read_bytes() == source.read_bytes()
    assert source.exists()  # copied, not moved
    assert from_writer.read_bytes() == b"ART_CODE\n"
    assert names(inbox.incoming) == ["articles.csv", "clients.csv", "stocks.csv"]
    assert inbox.waiting() == [from_file, from_bytes, from_writer]


def test_a_failed_write_leaves_nothing(inbox: Inbox) -> None:
    def broken(target) -> None:
        target.write(b"half a file")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        inbox.receive("clients.csv", broken)
    assert names(inbox.incoming) == []


def test_the_file_appears_only_complete(inbox: Inbox) -> None:
    seen_while_writing: list[list[Path]] = []

    def writer(target) -> None:
        target.write(b"CODE\n")
        seen_while_writing.append(inbox.waiting())
        assert [n for n in names(inbox.incoming) if n.endswith(".part")]

    inbox.receive("clients.csv", writer)
    assert seen_while_writing == [[]]
    assert names(inbox.incoming) == ["clients.csv"]


@pytest.mark.parametrize(
    "name",
    ["../evil.csv", "a/b.csv", "a\\b.csv", "/etc/passwd", "..", ".", "", "bad\nname.csv",
     "tab\t.csv", "bell\x07.csv", ".hidden.csv", "clients.csv.part", "x" * 191],
)
def test_names_that_escape_or_hide_are_refused(inbox: Inbox, name: str) -> None:
    with pytest.raises(UnsafeFileName):
        inbox.receive(name, b"data")
    assert names(inbox.root) in ([], ["incoming"])
    assert names(inbox.incoming) == []
    assert not (inbox.root.parent / "evil.csv").exists()


def test_refusal_says_why(inbox: Inbox) -> None:
    with pytest.raises(UnsafeFileName, match="folder separator"):
        inbox.receive("../x.csv", b"")
    with pytest.raises(UnsafeFileName, match="control character"):
        inbox.receive("x\r.csv", b"")


def test_a_name_already_waiting_gets_a_suffix(inbox: Inbox) -> None:
    first = inbox.receive("clients.csv", b"first")
    second = inbox.receive("clients.csv", b"second")
    third = inbox.receive("clients.csv", b"third")

    assert [first.name, second.name, third.name] == [
        "clients.csv", "clients-2.csv", "clients-3.csv"
    ]
    assert [p.read_bytes() for p in (first, second, third)] == [b"first", b"second", b"third"]


def test_origin_travels_with_the_file(inbox: Inbox) -> None:
    origin = {"remote_name": "CLIENTS.CSV", "sender": "erp@example.com"}
    path = inbox.receive("clients.csv", b"x", origin=origin)
    assert inbox.waiting() == [path]  # the origin file is hidden
    assert inbox.origin(path) == origin

    done = inbox.done(path, {"accepted": 1}, day=DAY)
    assert json.loads(done.with_name("clients.csv.origin.json").read_text()) == origin
    assert inbox.origin(done) == origin
    assert names(inbox.incoming) == []
    assert inbox.origin(inbox.receive("local.csv", b"x")) is None


# ------------------------------------------------------------------------------ waiting


def test_waiting_ignores_temporary_hidden_folders_and_links(inbox: Inbox) -> None:
    inbox.incoming.mkdir(parents=True)
    for name in ["b.csv", "A.CSV", ".c.csv.part", "d.csv.part", "e.tmp", "~$f.xlsx", ".g",
                 "notes.txt"]:
        (inbox.incoming / name).write_bytes(b"x")
    (inbox.incoming / "sub.csv").mkdir()
    (inbox.incoming / "link.csv").symlink_to(inbox.incoming / "b.csv")

    assert [p.name for p in inbox.waiting("*.csv")] == ["A.CSV", "b.csv"]
    assert [p.name for p in inbox.waiting()] == ["A.CSV", "b.csv", "notes.txt"]


def test_waiting_leaves_files_still_being_copied(inbox: Inbox) -> None:
    old = inbox.receive("old.csv", b"x")
    os.utime(old, (time.time() - 60, time.time() - 60))
    inbox.receive("new.csv", b"x")

    assert [p.name for p in inbox.waiting(min_age=10)] == ["old.csv"]
    assert [p.name for p in inbox.waiting()] == ["new.csv", "old.csv"]


def test_waiting_in_an_empty_inbox(inbox: Inbox) -> None:
    assert inbox.waiting() == []


# -------------------------------------------------------------------------------- exits


def test_done_and_failed_move_the_file_with_its_report(inbox: Inbox) -> None:
    good = inbox.receive("clients.csv", b"good")
    bad = inbox.receive("articles.csv", b"bad")

    done = inbox.done(good, {"accepted": 8, "rejected": 0, "entity": "customers"}, day=DAY)
    failed = inbox.failed(bad, {"error": "colonne CODE manquante"}, day=DAY)

    assert done == inbox.root / "done" / "2024-03-01" / "clients.csv"
    assert failed == inbox.root / "failed" / "2024-03-01" / "articles.csv"
    assert done.read_bytes() == b"good" and failed.read_bytes() == b"bad"
    assert json.loads((done.parent / "clients.csv.report.json").read_text()) == {
        "accepted": 8, "rejected": 0, "entity": "customers"
    }
    report = (failed.parent / "articles.csv.report.json").read_text(encoding="utf-8")
    assert json.loads(report) == {"error": "colonne CODE manquante"}
    assert inbox.waiting() == []


def test_done_without_report_and_default_day(inbox: Inbox) -> None:
    path = inbox.done(inbox.receive("clients.csv", b"x"))
    assert path.parent == inbox.done_folder()
    assert path.parent.name == dt.date.today().isoformat()
    assert names(path.parent) == ["clients.csv"]


def test_collisions_in_done_never_overwrite(inbox: Inbox) -> None:
    first = inbox.done(inbox.receive("clients.csv", b"monday"), {"run": 1}, day=DAY)
    second = inbox.done(inbox.receive("clients.csv", b"again"), {"run": 2}, day=DAY)

    assert (first.name, second.name) == ("clients.csv", "clients-2.csv")
    assert first.read_bytes() == b"monday" and second.read_bytes() == b"again"
    assert json.loads((second.parent / "clients-2.csv.report.json").read_text()) == {"run": 2}
    assert names(first.parent) == [
        "clients-2.csv", "clients-2.csv.report.json", "clients.csv", "clients.csv.report.json"
    ]


def test_a_report_left_alone_also_blocks_its_name(inbox: Inbox) -> None:
    folder = inbox.failed_folder(DAY)
    folder.mkdir(parents=True)
    (folder / "clients.csv.report.json").write_text("{}")
    moved = inbox.failed(inbox.receive("clients.csv", b"x"), {"error": "x"}, day=DAY)
    assert moved.name == "clients-2.csv"
    assert (folder / "clients.csv.report.json").read_text() == "{}"


def test_only_waiting_files_can_be_filed(inbox: Inbox, tmp_path: Path) -> None:
    outsider = tmp_path / "elsewhere.csv"
    outsider.write_bytes(b"x")
    with pytest.raises(InboxError, match="not a file of the inbox"):
        inbox.done(outsider)
    assert outsider.exists()

    path = inbox.receive("clients.csv", b"x")
    inbox.done(path, day=DAY)
    with pytest.raises(InboxError, match="no longer waiting"):
        inbox.failed(path, day=DAY)


# -------------------------------------------------------------------------------- ledger


def test_the_ledger_receives_a_remote_file_once(inbox: Inbox) -> None:
    key = ledger_key("sftp", "conn", "/out", "clients.csv", 10, "1700000000")
    calls = []

    def download(target) -> None:
        calls.append(1)
        target.write(b"CODE\nC001\n")

    with FetchLedger.open(inbox, "sftp/conn") as ledger:
        path, new = ledger.receive(key, "clients.csv", download)
        assert new and path == inbox.incoming / "clients.csv"
    # The process died before the server side was done: the next pass must not download again.
    with FetchLedger.open(inbox, "sftp/conn") as ledger:
        assert ledger.known(key)
        again, new = ledger.receive(key, "clients.csv", download)
        assert (again, new) == (path, False)
        ledger.forget(key)
        assert not ledger.known(key)
    assert calls == [1]
    assert names(inbox.incoming) == ["clients.csv"]
    assert json.loads((inbox.root / ".fetched.json").read_text())["entries"] == {}


def test_a_crash_during_the_rename_is_finished_by_the_next_fetch(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = ledger_key("ftp", "conn", "/out", "clients.csv", 4, "20240301")
    real_replace = os.replace

    def crash(src, dst) -> None:
        if Path(dst) == inbox.incoming / "clients.csv":
            raise SystemExit("killed")  # the process dies between the ledger and the rename
        real_replace(src, dst)

    monkeypatch.setattr(inbox_module.os, "replace", crash)
    with pytest.raises(SystemExit), FetchLedger.open(inbox, "ftp/conn") as ledger:
        ledger.receive(key, "clients.csv", b"data", origin={"remote_name": "clients.csv"})
    monkeypatch.setattr(inbox_module.os, "replace", real_replace)
    assert inbox.waiting() == []  # not visible yet, but kept

    with FetchLedger.open(inbox, "ftp/conn") as ledger:
        path, new = ledger.receive(key, "clients.csv", b"must not be written")
    assert new is False
    assert path is not None and path.read_bytes() == b"data"
    assert inbox.waiting() == [path]
    assert inbox.origin(path) == {"remote_name": "clients.csv"}
    assert [n for n in names(inbox.incoming) if n.endswith(".part")] == []


def test_a_file_already_processed_is_not_fetched_again(inbox: Inbox) -> None:
    key = ledger_key("imap", "conn", "INBOX", "<m1@x>", 0, "cmd.csv", "abc")
    with FetchLedger.open(inbox, "imap/conn") as ledger:
        path, _ = ledger.receive(key, "cmd.csv", b"order")
    inbox.done(path, {"ok": True}, day=DAY)

    with FetchLedger.open(inbox, "imap/conn") as ledger:
        assert ledger.receive(key, "cmd.csv", b"order") == (None, False)
    assert inbox.waiting() == []


def test_prune_drops_only_unseen_keys_of_the_same_source(inbox: Inbox) -> None:
    with FetchLedger.open(inbox, "a") as ledger:
        ledger.receive("k1", "one.csv", b"1")
        ledger.receive("k2", "two.csv", b"2")
    with FetchLedger.open(inbox, "b") as ledger:
        ledger.receive("k3", "three.csv", b"3")
    with FetchLedger.open(inbox, "a") as ledger:
        assert ledger.known("k1")
        ledger.prune()
    entries = json.loads((inbox.root / ".fetched.json").read_text())["entries"]
    assert sorted(entries) == ["k1", "k3"]


def test_a_damaged_ledger_stops_the_fetch(inbox: Inbox) -> None:
    inbox.root.mkdir(parents=True)
    (inbox.root / ".fetched.json").write_text("{not json")
    with pytest.raises(InboxError, match="fetch ledger"), FetchLedger.open(inbox, "a"):
        pass


# ------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("commande.csv", "commande.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\ventes.csv", "ventes.csv"),
        (".bashrc", "bashrc"),
        ("a\r\nb.csv", "a__b.csv"),
        ("report.csv.part", "report.csv"),
        ("", "attachment"),
        (None, "attachment"),
        ("..", "attachment"),
        ("é" * 150 + ".csv", "é" * 88 + ".csv"),
        ("notes.txt~", "notes.txt"),
        ("a.b.tmp", "a.b"),
    ],
)
def test_safe_name(raw: str | None, expected: str) -> None:
    assert safe_name(raw) == expected


def test_temporary_names() -> None:
    assert is_temporary(".clients.csv.part") and is_temporary("x.filepart")
    assert is_temporary("x.TMP") and is_temporary("~$x.xlsx") and is_temporary("x~")
    assert not is_temporary("clients.csv")


# ------------------------------------------------------------------------------ sources


def test_sources_from_dicts() -> None:
    local = inbox_source_from_dict({"kind": "local", "path": "articles", "pattern": "*.csv"})
    sftp = inbox_source_from_dict({"kind": "sftp", "conn_id": "sftp_erp", "directory": "~/out"})
    ftp = inbox_source_from_dict({"kind": "ftp", "conn_id": "ftp_erp", "pattern": "ART*.csv"})
    imap = inbox_source_from_dict(
        {"kind": "imap", "conn_id": "imap_orders", "sender": "erp@example.com"}
    )
    assert isinstance(local, LocalInboxSource) and local.min_age_seconds == 10
    assert local.folder() == paths.inbox_dir().resolve() / "articles"
    assert isinstance(sftp, SftpInboxSource) and sftp.directory == "out" and sftp.pattern == "*"
    assert isinstance(ftp, FtpInboxSource) and ftp.directory == "."
    assert isinstance(imap, ImapInboxSource)
    assert (imap.mailbox, imap.processed_mailbox) == ("INBOX", "Comptoir/Traité")
    assert imap.describe() == (
        "IMAP connection 'imap_orders', mailbox INBOX, attachments *, from erp@example.com"
    )
    assert sftp.describe() == "SFTP connection 'sftp_erp', folder out, files *"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"kind": "local", "path": "../etc"}, "inside the inbox"),
        ({"kind": "local", "path": "a\\b"}, "'/' separators"),
        ({"kind": "sftp", "conn_id": "bad id"}, "connection id"),
        ({"kind": "ftp", "conn_id": "f", "pattern": "../*.csv"}, "file names"),
        ({"kind": "imap", "conn_id": "i", "sender": "é@x.fr"}, "ASCII"),
        ({"kind": "imap", "conn_id": "i", "mailbox": "a\nb"}, "one line"),
        ({"kind": "nfs", "path": "x"}, "kind"),
        ({"kind": "sftp", "conn_id": "s", "password": "secret"}, "Extra inputs"),
    ],
)
def test_invalid_sources_say_why(data: dict, problem: str) -> None:
    with pytest.raises(InvalidEndpoint, match=problem):
        inbox_source_from_dict(data)


def test_local_paths_stay_inside_the_inbox_dir(tmp_path: Path) -> None:
    (paths.inbox_dir()).mkdir(parents=True, exist_ok=True)
    link = paths.inbox_dir() / "escape"
    link.unlink(missing_ok=True)
    link.symlink_to(tmp_path)
    try:
        source = inbox_source_from_dict({"kind": "local", "path": "escape/x"})
        with pytest.raises(InvalidEndpoint, match="outside the inbox"):
            source.folder()
    finally:
        link.unlink()
    absolute = inbox_source_from_dict({"kind": "local", "path": str(tmp_path / "drop")})
    assert absolute.folder() == tmp_path / "drop"


def test_inbox_for_a_source() -> None:
    local = inbox_source_from_dict({"kind": "local", "path": "articles"})
    sftp = inbox_source_from_dict({"kind": "sftp", "conn_id": "sftp_erp"})
    assert inbox_for(local, "ignored").root == paths.inbox_dir().resolve() / "articles"
    assert inbox_for(sftp, "import-articles").root == paths.inbox_dir() / "import-articles"
    with pytest.raises(InvalidIdentifier):
        inbox_for(sftp, "../x")
