"""The spool: files wait there, one entry each, until a transport confirms each one.

Transports here are in-memory fakes: a "server" dict, failures on chosen files, a
connection that drops mid-transfer, a slow link held open by the test.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from comptoir import paths
from comptoir.exchange import spool
from comptoir.exchange.errors import (
    ConnectionFailed,
    ConnectionLost,
    ExchangeError,
    InvalidIdentifier,
)


class Server:
    """A fake destination: name → bytes, a log of what was sent, failures on demand."""

    name = "fake server"

    def __init__(self, fail_on: str | None = None, error: ExchangeError | None = None) -> None:
        self.files: dict[str, bytes] = {}
        self.sent: list[tuple[str, bytes]] = []
        self.fail_on = fail_on
        self.error = error or ConnectionFailed("fake server")

    def check(self) -> None:
        pass

    def send(self, path: Path, remote_name: str) -> None:
        if remote_name == self.fail_on:
            raise self.error
        data = path.read_bytes()
        self.sent.append((remote_name, data))
        self.files[remote_name] = data


def make(folder: Path, name: str, content: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content)
    return path


def names(task_id: str) -> list[str]:
    return [entry.name for entry in spool.pending(task_id)]


def test_enqueue_copies_each_file_into_an_entry_of_its_own(
    comptoir_home: Path, tmp_path: Path
) -> None:
    source = make(tmp_path / "work", "a.csv", "1;2\n")
    (entry,) = spool.enqueue("export-1", [source])

    folder = paths.spool_dir() / "UPDATE-export-1"
    assert entry.path == folder / entry.id / "a.csv"
    assert entry.path.read_text() == "1;2\n"
    assert source.exists(), "the work file is copied, not moved"
    assert spool.pending("export-1") == [entry]
    assert [p.name for p in folder.iterdir()] == [entry.id], "no staging folder is left"


def test_pending_is_oldest_first_across_runs(comptoir_home: Path, tmp_path: Path) -> None:
    first_run = tmp_path / "r1"
    spool.enqueue("t", [make(first_run, "z.csv", "run 1"), make(first_run, "a.csv", "run 1")])
    spool.enqueue("t", [make(tmp_path / "r2", "m.csv", "run 2")])
    assert names("t") == ["z.csv", "a.csv", "m.csv"]


def test_a_newer_file_of_the_same_name_never_replaces_the_pending_one(
    comptoir_home: Path, tmp_path: Path
) -> None:
    first_run = tmp_path / "r1"
    old, _ = spool.enqueue("t", [make(first_run, "daily.csv", "old"),
                                 make(first_run, "b.csv", "b")])
    spool.enqueue("t", [make(tmp_path / "r2", "daily.csv", "new")])
    entries = spool.pending("t")
    assert [e.name for e in entries] == ["daily.csv", "b.csv", "daily.csv"]
    assert [e.path.read_text() for e in entries] == ["old", "b", "new"]
    assert entries[0] == old

    server = Server()
    assert spool.deliver_pending("t", server).ok
    assert server.sent == [("daily.csv", b"old"), ("b.csv", b"b"), ("daily.csv", b"new")]
    assert server.files["daily.csv"] == b"new", "the destination ends with the newer bytes"


def test_deliver_pending_sends_everything_and_empties_the_spool(
    comptoir_home: Path, tmp_path: Path
) -> None:
    spool.enqueue("t", [make(tmp_path, "a.csv", "A"), make(tmp_path, "b.csv", "B")])
    server = Server()
    result = spool.deliver_pending("t", server)

    assert result.ok
    assert result.delivered == ("a.csv", "b.csv")
    assert result.remaining == ()
    assert server.sent == [("a.csv", b"A"), ("b.csv", b"B")]
    assert spool.pending("t") == []
    assert [p.name for p in (paths.spool_dir() / "UPDATE-t").iterdir()] == [".delivered.jsonl"]
    assert "Delivered to fake server: a.csv, b.csv" in result.summary()


def test_a_failure_on_the_nth_file_stops_the_pass_and_keeps_the_rest(
    comptoir_home: Path, tmp_path: Path
) -> None:
    spool.enqueue("t", [make(tmp_path, f"{n}.csv", n.upper()) for n in "abc"])
    error = ConnectionFailed("FTP connection 'x', folder /in")
    result = spool.deliver_pending("t", Server(fail_on="b.csv", error=error))

    assert not result.ok
    assert result.delivered == ("a.csv",)
    assert result.remaining == ("b.csv", "c.csv")
    assert result.error is error
    assert names("t") == ["b.csv", "c.csv"]
    summary = result.summary()
    assert "Still in the spool, retried at the next run: b.csv, c.csv" in summary
    assert "cannot connect to the server" in summary

    retry = Server()
    assert spool.deliver_pending("t", retry).ok
    assert retry.sent == [("b.csv", b"B"), ("c.csv", b"C")]
    assert spool.pending("t") == []


def test_a_connection_dropped_mid_transfer_keeps_the_whole_file(
    comptoir_home: Path, tmp_path: Path
) -> None:
    payload = os.urandom(200_000)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    spool.enqueue("t", [source])

    class Dropping(Server):
        def send(self, path: Path, remote_name: str) -> None:
            with open(path, "rb") as handle:
                handle.read(50_000)  # part of it went out, then the link died
            raise ConnectionLost(self.name, "connection reset by peer")

    result = spool.deliver_pending("t", Dropping())
    assert isinstance(result.error, ConnectionLost) and result.remaining == ("big.bin",)
    server = Server()
    assert spool.deliver_pending("t", server).ok
    assert server.files == {"big.bin": payload}


def test_an_unexpected_error_propagates_and_keeps_the_file(
    comptoir_home: Path, tmp_path: Path
) -> None:
    spool.enqueue("t", [make(tmp_path, "a.csv", "A")])

    class Broken(Server):
        def send(self, path: Path, remote_name: str) -> None:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        spool.deliver_pending("t", Broken())
    assert names("t") == ["a.csv"]


def test_nothing_pending(comptoir_home: Path) -> None:
    result = spool.deliver_pending("never-ran", Server())
    assert result.ok and result.delivered == ()
    assert result.summary() == "Nothing to deliver to fake server"


def test_concurrent_deliveries_send_each_file_once(comptoir_home: Path, tmp_path: Path) -> None:
    spool.enqueue("t", [make(tmp_path, f"{i}.csv", str(i)) for i in range(20)])
    server = Server()
    threads = [threading.Thread(target=spool.deliver_pending, args=("t", server))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(name for name, _ in server.sent) == sorted(f"{i}.csv" for i in range(20))


def test_a_run_never_loses_the_newer_file_another_run_spooled_during_a_slow_delivery(
    comptoir_home: Path, tmp_path: Path
) -> None:
    """Run A sends `big.backup` over a slow link; run B spools a newer `big.backup` and
    delivers meanwhile. B's bytes must reach the server, and B's report says where."""
    sending = threading.Event()
    go_on = threading.Event()

    class SlowLink(Server):
        def send(self, path: Path, remote_name: str) -> None:
            data = path.read_bytes()
            if data == b"A":
                sending.set()
                assert go_on.wait(10)
            self.sent.append((remote_name, data))
            self.files[remote_name] = data

    server = SlowLink()
    (entry_a,) = spool.enqueue("backup", [make(tmp_path / "a", "big.backup", "A")])
    results: dict[str, spool.DeliveryResult] = {}
    run_a = threading.Thread(target=lambda: results.setdefault(
        "a", spool.deliver_pending("backup", server, [entry_a.id])))
    run_a.start()
    assert sending.wait(10)
    (entry_b,) = spool.enqueue("backup", [make(tmp_path / "b", "big.backup", "B")])
    run_b = threading.Thread(target=lambda: results.setdefault(
        "b", spool.deliver_pending("backup", server, [entry_b.id])))
    run_b.start()
    time.sleep(0.2)  # B waits for A's delivery lock
    go_on.set()
    run_a.join(10)
    run_b.join(10)

    assert server.sent == [("big.backup", b"A"), ("big.backup", b"B")]
    assert server.files["big.backup"] == b"B", "the newer backup is on the server"
    assert spool.pending("backup") == []
    assert results["a"].delivered == ("big.backup",)
    assert results["b"].delivered == ("big.backup",)


def test_a_run_whose_file_another_run_delivered_says_where_it_went(
    comptoir_home: Path, tmp_path: Path
) -> None:
    (entry,) = spool.enqueue("t", [make(tmp_path, "export.csv", "x")])
    spool.deliver_pending("t", Server())  # the spool retry DAG, say, got there first

    result = spool.deliver_pending("t", Server(), [entry.id])
    assert result.ok and result.delivered == ()
    (record,) = result.elsewhere
    assert (record.name, record.destination) == ("export.csv", "fake server")
    summary = result.summary()
    assert "Delivered by another run" in summary and "to fake server" in summary
    assert "export.csv" in summary and "Nothing to deliver" not in summary


def test_a_crash_after_the_delivery_was_logged_does_not_send_it_again(
    comptoir_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool.enqueue("t", [make(tmp_path, "a.csv", "A")])

    def die(entry: spool.SpoolEntry) -> None:
        raise SystemExit("killed between the log and the removal")

    with monkeypatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(spool, "_remove", die)
        spool.deliver_pending("t", Server())
    assert names("t") == ["a.csv"]

    again = Server()
    result = spool.deliver_pending("t", again)
    assert result.ok and again.sent == [], "logged as delivered: removed, not sent twice"
    assert spool.pending("t") == []


def test_a_spool_written_by_an_older_version_is_still_delivered(
    comptoir_home: Path, tmp_path: Path
) -> None:
    folder = paths.spool_dir() / "UPDATE-t"
    folder.mkdir(parents=True)
    (folder / "legacy.csv").write_text("old layout")
    spool.enqueue("t", [make(tmp_path, "new.csv", "new")])
    server = Server()
    assert spool.deliver_pending("t", server).ok
    assert server.sent == [("legacy.csv", b"old layout"), ("new.csv", b"new")]


@pytest.mark.parametrize("task_id", ["../etc", "a/b", "..", ".", "", "a b", "x\\y", "é"])
def test_task_ids_that_could_escape_are_refused(comptoir_home: Path, task_id: str) -> None:
    with pytest.raises(InvalidIdentifier):
        spool.spool_folder(task_id)
    with pytest.raises(InvalidIdentifier):
        spool.deliver_pending(task_id, Server())


def test_all_spools_lists_tasks_with_files_waiting(comptoir_home: Path, tmp_path: Path) -> None:
    spool.enqueue("b-task", [make(tmp_path, "1.csv", "1")])
    spool.enqueue("a.task", [make(tmp_path, "2.csv", "2")])
    spool.enqueue("empty", [make(tmp_path, "3.csv", "3")])
    spool.deliver_pending("empty", Server())
    (paths.spool_dir() / "not-a-spool").mkdir()

    listing = spool.all_spools()
    assert list(listing) == ["a.task", "b-task"]
    assert [e.name for e in listing["b-task"]] == ["1.csv"]


def test_stale_staging_folders_are_cleaned(comptoir_home: Path, tmp_path: Path) -> None:
    folder = paths.spool_dir() / "UPDATE-t"
    stale, fresh = folder / ".staging-old", folder / ".staging-new"
    stale.mkdir(parents=True)
    fresh.mkdir()
    (stale / "x.csv").write_text("crashed")
    os.utime(stale, (0, 0))
    spool.enqueue("t", [make(tmp_path, "a.csv", "A")])
    assert not stale.exists()
    assert fresh.exists()
    assert names("t") == ["a.csv"], "a staging folder is never an entry"
