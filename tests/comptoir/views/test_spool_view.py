"""The Spool page's data: per task, the files waiting, since when, the last error."""

from __future__ import annotations

from pathlib import Path

from comptoir.automation.messages import Report, record
from comptoir.exchange import spool
from comptoir.views.spool import spool_tasks


def test_each_task_says_its_files_and_last_delivery_error(engine, comptoir_home: Path,
                                                         tasks_dir: Path, tmp_path: Path) -> None:
    files = []
    for name in ("a.csv", "b.csv"):
        files.append(tmp_path / name)
        files[-1].write_text(name)
    spool.enqueue("daily", files)
    spool.enqueue("secret", files[:1])
    with engine.begin() as conn:
        record(conn, Report("daily", "r1", "error", "Old failure", "Delivery failed: old"))
        record(conn, Report("daily", "r2", "error", "daily failed",
                            "Still in the spool\nDelivery failed: SFTP server refused the login"))
        found = spool_tasks(conn, task_ids={"daily"})
        every = spool_tasks(None)
    assert [t.task_id for t in found] == ["daily"]
    daily = found[0]
    assert [f.name for f in daily.files] == ["a.csv", "b.csv"] and daily.count == 2
    assert daily.since == daily.files[0].waiting_since
    assert daily.last_error == "SFTP server refused the login"
    assert daily.destination.startswith("no valid task definition")
    assert {t.task_id for t in every} == {"daily", "secret"}
    assert all(t.last_error is None for t in every)
