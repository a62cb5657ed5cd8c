"""`comptoir tasks run` and `comptoir tasks check` as a user runs them (Airflow in a subprocess)."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("dossier_url", ["sqlite"],
                                                        indirect=True)]


def comptoir(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from comptoir.cli import main; main()", *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=300)


def test_tasks_run_runs_the_dag_and_prints_the_report(airflow_db, dossier_url, comptoir_home,
                                                      tasks_dir, tmp_path):
    backups = tmp_path / "backups"
    (tasks_dir / "backup.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "backup", "type": "db_backup", "retries": 0, "options": {"retention": 1},
        "output": {"filename": "dossier-{y}{m}{d}{h}{i}{s}.backup",
                   "delivery": {"method": "local", "path": str(backups)}}}]}))
    backups.mkdir()
    (backups / "dossier-20000101000000.backup").write_text("an old backup")

    result = comptoir("tasks", "run", "backup")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "success" in result.stdout and "backup: succeeded" in result.stdout
    assert "Backup: SQLite copy" in result.stdout
    (kept,) = backups.iterdir()  # retention 1: the old one is gone
    assert kept.name != "dossier-20000101000000.backup"

    checked = comptoir("tasks", "check", "backup")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"OK: local folder {backups}" in checked.stdout
