"""`comptoir tasks run` and `comptoir tasks check` as a user runs them (Airflow in a subprocess)."""

import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("dossier_url", ["sqlite"],
                                                        indirect=True)]


CLI = [sys.executable, "-c", "from comptoir.cli import main; main()"]


def comptoir(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True,
                          env=dict(os.environ) if env is None else env, timeout=300)


def user_env(**values: str) -> dict[str, str]:
    """The environment of a user's shell: no Airflow setting but `values`, a wide terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
    return {**env, "COLUMNS": "300", **values}


def write_upkeep(tasks_dir) -> None:
    (tasks_dir / "upkeep.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "upkeep", "type": "db_maintenance", "retries": 0}]}))


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


def test_tasks_run_uses_the_users_own_airflow_home(dossier_url, comptoir_home, tasks_dir,
                                                   tmp_path):
    write_upkeep(tasks_dir)
    own = tmp_path / "my-airflow"  # does not exist yet

    result = comptoir("tasks", "run", "upkeep", env=user_env(AIRFLOW_HOME=str(own)))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "upkeep: succeeded" in result.stdout
    assert (own / "airflow.db").is_file() and (own / "airflow.cfg").is_file()
    assert not (comptoir_home / "airflow").exists()


def test_an_unusable_metadata_database_is_one_line(dossier_url, comptoir_home, tasks_dir,
                                                   tmp_path):
    write_upkeep(tasks_dir)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = user_env(AIRFLOW_HOME=str(tmp_path / "my-airflow"),
                   AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{blocker}/airflow.db")

    result = comptoir("tasks", "run", "upkeep", env=env)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: Airflow could not be prepared: cannot open Airflow's metadata database "
        f"sqlite:///{blocker}/airflow.db: File exists ({blocker})"]
    assert "Traceback" not in result.stdout


def test_two_first_runs_of_one_task_at_once_take_turns(dossier_url, comptoir_home, tasks_dir):
    from comptoir.automation.messages import list_messages
    from comptoir.backoffice.engine import get_engine

    write_upkeep(tasks_dir)
    env = user_env()  # the embedded home, new: both would migrate it and insert the DAG rows
    runs = [subprocess.Popen([*CLI, "tasks", "run", "upkeep"], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stdout + stderr
        assert "upkeep: succeeded" in stdout and "Traceback" not in stdout + stderr
    waiting = "another run of upkeep is in progress: waiting for it to finish"
    assert sum(waiting in stdout for stdout, _ in outputs) == 1
    assert (comptoir_home / "airflow" / "airflow.db").is_file()
    with get_engine(dossier_url).connect() as conn:
        reports = list_messages(conn, task_id="upkeep", limit=10)
    printed = {re.search(r"^run (\S+): success$", stdout, re.M).group(1) for stdout, _ in outputs}
    assert {report.run_id for report in reports} == printed and len(printed) == 2
