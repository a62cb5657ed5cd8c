"""The spool: files wait there until a transport confirms each one."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from comptoir import paths
from comptoir.automation import spool
from comptoir.automation.transports import ConnectionFailed, DeliveryError


class Recorder:
    """A transport that records what it is given and can fail on a chosen file."""

    name = "recorder"

    def __init__(self, fail_on: str | None = None, error: DeliveryError | None = None) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.fail_on = fail_on
        self.error = error or ConnectionFailed("recorder")

    def check(self) -> None:
        pass

    def send(self, path: Path, remote_name: str) -> None:
        if remote_name == self.fail_on:
            raise self.error
        self.sent.append((remote_name, path.read_bytes()))


def make(folder: Path, name: str, content: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content)
    return path


def test_enqueue_copies_into_the_task_folder(comptoir_home: Path, tmp_path: Path) -> None:
    source = make(tmp_path / "work", "a.csv", "1;2\n")
    copies = spool.enqueue("export-1", [source])

    folder = paths.spool_dir() / "UPDATE-export-1"
    assert copies == [folder / "a.csv"]
    assert (folder / "a.csv").read_text() == "1;2\n"
    assert source.exists(), "the work file is copied, not moved"
    assert spool.pending("export-1") == [folder / "a.csv"]
    assert not list((paths.spool_dir() / ".tmp").iterdir()), "no temporary file is left"


def test_pending_is_oldest_first_across_runs(comptoir_home: Path, tmp_path: Path) -> None:
    first_run = tmp_path / "r1"
    spool.enqueue("t", [make(first_run, "z.csv", "run 1"), make(first_run, "a.csv", "run 1")])
    spool.enqueue("t", [make(tmp_path / "r2", "m.csv", "run 2")])
    assert [p.name for p in spool.pending("t")] == ["z.csv", "a.csv", "m.csv"]


def test_a_newer_file_of_the_same_name_replaces_the_pending_one(
    comptoir_home: Path, tmp_path: Path
) -> None:
    first_run = tmp_path / "r1"
    spool.enqueue("t", [make(first_run, "daily.csv", "old"), make(first_run, "b.csv", "b")])
    spool.enqueue("t", [make(tmp_path / "r2", "daily.csv", "new")])
    files = spool.pending("t")
    assert [p.name for p in files] == ["b.csv", "daily.csv"]
    assert files[1].read_text() == "new"


def test_deliver_pending_sends_everything_and_empties_the_spool(
    comptoir_home: Path, tmp_path: Path
) -> None:
    spool.enqueue("t", [make(tmp_path, "a.csv", "A"), make(tmp_path, "b.csv", "B")])
    transport = Recorder()
    result = spool.deliver_pending("t", transport)

    assert result.ok
    assert result.delivered == ("a.csv", "b.csv")
    assert result.remaining == ()
    assert transport.sent == [("a.csv", b"A"), ("b.csv", b"B")]
    assert spool.pending("t") == []
    assert "Delivered to recorder: a.csv, b.csv" in result.summary()


def test_deliver_pending_stops_at_the_first_failure(comptoir_home: Path, tmp_path: Path) -> None:
    spool.enqueue("t", [make(tmp_path, f"{n}.csv", n.upper()) for n in "abc"])
    error = ConnectionFailed("FTP connection 'x', folder /in")
    result = spool.deliver_pending("t", Recorder(fail_on="b.csv", error=error))

    assert not result.ok
    assert result.delivered == ("a.csv",)
    assert result.remaining == ("b.csv", "c.csv")
    assert result.error is error
    assert [p.name for p in spool.pending("t")] == ["b.csv", "c.csv"]
    summary = result.summary()
    assert "Still in the spool, retried at the next run: b.csv, c.csv" in summary
    assert "cannot connect to the server" in summary

    retry = Recorder()
    assert spool.deliver_pending("t", retry).ok
    assert retry.sent == [("b.csv", b"B"), ("c.csv", b"C")]
    assert spool.pending("t") == []


def test_an_unexpected_error_propagates_and_keeps_the_file(
    comptoir_home: Path, tmp_path: Path
) -> None:
    spool.enqueue("t", [make(tmp_path, "a.csv", "A")])

    class Broken(Recorder):
        def send(self, path: Path, remote_name: str) -> None:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        spool.deliver_pending("t", Broken())
    assert [p.name for p in spool.pending("t")] == ["a.csv"]


def test_nothing_pending(comptoir_home: Path) -> None:
    result = spool.deliver_pending("never-ran", Recorder())
    assert result.ok and result.delivered == ()
    assert result.summary() == "Nothing to deliver to recorder"


def test_concurrent_deliveries_send_each_file_once(comptoir_home: Path, tmp_path: Path) -> None:
    spool.enqueue("t", [make(tmp_path, f"{i}.csv", str(i)) for i in range(20)])
    transport = Recorder()
    threads = [
        threading.Thread(target=spool.deliver_pending, args=("t", transport)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(name for name, _ in transport.sent) == sorted(f"{i}.csv" for i in range(20))


@pytest.mark.parametrize("task_id", ["../etc", "a/b", "..", ".", "", "a b", "x\\y", "é"])
def test_task_ids_that_could_escape_are_refused(comptoir_home: Path, task_id: str) -> None:
    with pytest.raises(spool.InvalidTaskId):
        spool.spool_folder(task_id)
    with pytest.raises(spool.InvalidTaskId):
        spool.deliver_pending(task_id, Recorder())


def test_all_spools_lists_tasks_with_files_waiting(comptoir_home: Path, tmp_path: Path) -> None:
    spool.enqueue("b-task", [make(tmp_path, "1.csv", "1")])
    spool.enqueue("a.task", [make(tmp_path, "2.csv", "2")])
    spool.enqueue("empty", [make(tmp_path, "3.csv", "3")])
    spool.deliver_pending("empty", Recorder())
    (paths.spool_dir() / "not-a-spool").mkdir()

    listing = spool.all_spools()
    assert list(listing) == ["a.task", "b-task"]
    assert [p.name for p in listing["b-task"]] == ["1.csv"]


def test_stale_temporary_files_are_cleaned(comptoir_home: Path, tmp_path: Path) -> None:
    tmp = paths.spool_dir() / ".tmp"
    tmp.mkdir(parents=True)
    stale, fresh = tmp / "old.spooling", tmp / "new.spooling"
    stale.write_text("crashed")
    fresh.write_text("in progress")
    os.utime(stale, (0, 0))
    spool.enqueue("t", [make(tmp_path, "a.csv", "A")])
    assert not stale.exists()
    assert fresh.exists()
