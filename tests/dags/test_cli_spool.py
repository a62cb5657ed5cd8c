"""`comptoir spool list` and `comptoir spool retry` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from comptoir.exchange import spool

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("dossier_url", ["sqlite"],
                                                        indirect=True)]


def comptoir(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from comptoir.cli import main; main()", *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=300)


def export_task(tasks_dir: Path, folder: Path) -> None:
    (tasks_dir / "stock.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "stock", "type": "export_data", "options": {"entity": "stock"},
        "output": {"filename": "stock.csv",
                   "delivery": {"method": "local", "path": str(folder)}}}]}))


def test_list_then_retry_delivers_what_waits_and_says_why_when_it_cannot(
        airflow_db, dossier_url, comptoir_home, tasks_dir, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    export_task(tasks_dir, blocker / "out")
    legacy = spool.spool_folder("stock")  # a file put there by hand, with an odd name
    legacy.mkdir(parents=True)
    (legacy / "esc\x1b[2J.csv").write_text("x\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "stock.csv").write_text("A1;4\n")
    spool.enqueue("stock", [work / "stock.csv"])

    listed = comptoir("spool", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["task"], r["file"], r["bytes"]) for r in rows] == [
        ("stock", "esc\\x1b[2J.csv", 2), ("stock", "stock.csv", 5)]
    assert rows[0]["destination"] == f"local folder {blocker / 'out'}"
    plain = comptoir("spool", "list")
    assert plain.stdout.splitlines()[0].split("\t") == [
        "task", "file", "waiting_since", "bytes", "destination"]
    assert "\x1b" not in plain.stdout

    failed = comptoir("spool", "retry")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "the folder cannot be created" in failed.stdout
    assert "Still in the spool, retried at the next run: " in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    assert len(spool.pending("stock")) == 2

    out = tmp_path / "out"
    export_task(tasks_dir, out)
    done = comptoir("spool", "retry", "stock")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Delivered to local folder {out}: esc\\x1b[2J.csv, stock.csv" in done.stdout
    assert "\x1b" not in done.stdout
    assert sorted(p.name for p in out.iterdir()) == ["esc\x1b[2J.csv", "stock.csv"]
    assert spool.pending("stock") == []
    empty = comptoir("spool", "list")
    assert empty.stdout == "" and "no file waiting" in empty.stderr

    unknown = comptoir("spool", "retry", "nope")
    assert unknown.returncode == 1 and "no task 'nope'" in unknown.stderr
