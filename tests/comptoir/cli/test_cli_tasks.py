"""`comptoir tasks`, `comptoir messages` and `comptoir mode` (the commands that need no Airflow)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from comptoir.automation.messages import Report, record
from comptoir.cli import app
from comptoir.errors import ComptoirError


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def write(folder: Path, task: dict) -> None:
    (folder / f"{task['id']}.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [task]}))


def test_types_lists_the_catalog():
    result = run("tasks", "types")
    assert result.exit_code == 0
    for text in ("export_data", "Exportation de données", "Import-Export", "db_maintenance",
                 "Système", "retention = 7"):
        assert text in result.stdout


def test_list_and_validate_report_invalid_definitions(tasks_dir):
    write(tasks_dir, {"id": "upkeep", "type": "db_maintenance", "schedule": "@weekly"})
    assert run("tasks", "validate").exit_code == 0
    write(tasks_dir, {"id": "broken", "type": "db_maintenance", "schedule": "whenever"})
    listed = run("tasks", "list")
    assert "upkeep" in listed.stdout and "@weekly" in listed.stdout
    assert "invalid: broken.json: task 'broken': schedule" in listed.stderr  # stdout: rows
    checked = run("tasks", "validate")
    assert checked.exit_code == 1
    assert "1 valid, 1 invalid" in checked.stdout


def test_duplicate_export_import(tasks_dir, tmp_path, monkeypatch):
    write(tasks_dir, {"id": "upkeep", "name": "Upkeep", "type": "db_maintenance"})
    assert "upkeep copied to upkeep-2" in run("tasks", "duplicate", "upkeep", "upkeep-2").stdout
    out = tmp_path / "export.json"
    exported = run("tasks", "export", "--out", str(out))
    assert "2 task(s) exported" in exported.stdout
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(tmp_path / "other"))
    assert "all 2 task(s) imported" in run("tasks", "import", str(out)).stdout
    again = run("tasks", "import", str(out))
    assert isinstance(again.exception, ComptoirError)
    assert "--replace" in str(again.exception)
    assert run("tasks", "import", str(out), "--replace").exit_code == 0


def test_run_refuses_a_bad_option_before_starting_airflow(tasks_dir):
    write(tasks_dir, {"id": "upkeep", "type": "db_maintenance"})
    result = run("tasks", "run", "upkeep", "--set", "colour=red")
    assert "db_maintenance has no option 'colour'" in str(result.exception)
    result = run("tasks", "run", "upkeep", "--set", "vacuum=perhaps")
    assert "options.vacuum" in str(result.exception)


def test_run_on_an_unusable_airflow_home_says_so_in_one_line(tasks_dir, comptoir_home, tmp_path):
    write(tasks_dir, {"id": "upkeep", "type": "db_maintenance"})
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-c", "from comptoir.cli import main; main()", "tasks", "run", "upkeep"],
        env={**os.environ, "AIRFLOW_HOME": str(blocker / "airflow"), "COLUMNS": "300"},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: cannot use the Airflow home {blocker / 'airflow'} (AIRFLOW_HOME): "
        "Not a directory"]
    assert "Traceback" not in done.stdout


def test_messages_and_modes(engine):
    with engine.begin() as conn:
        record(conn, Report("a", "r1", "error", "a: failed — login refused", "details here"))
        record(conn, Report("b", "r2", "info", "b: succeeded", "fine"))
    shown = run("messages", "--errors")
    assert "a: failed — login refused" in shown.stdout and "details here" in shown.stdout
    assert "b: succeeded" not in shown.stdout
    assert "b: succeeded" in run("messages", "--task", "b", "--brief").stdout

    assert "isolated mode: off" in run("mode").stdout
    assert "scheduled tasks are skipped" in run("mode", "isolated", "on").stdout
    assert "isolated mode: on" in run("mode").stdout
    assert run("mode", "school", "maybe").exit_code != 0
