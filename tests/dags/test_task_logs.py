"""A run through `comptoir_airflow.run_task` (what `comptoir nightly` and `comptoir tasks run`
start) leaves each task's log where the Airflow UI reads it."""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)


def test_each_task_of_a_run_has_its_log_file_where_the_ui_reads_it(
        airflow_db, dossier_url, comptoir_home, tasks_dir):
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.log.log_reader import TaskLogReader
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from comptoir_airflow.run_task import run

    (tasks_dir / "upkeep.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "upkeep", "type": "db_maintenance", "retries": 0}]}))
    result = run("upkeep")
    assert result["state"] == "success", result

    reader = TaskLogReader()
    handler = reader.log_handler
    with create_session() as session:
        tis = session.scalars(select(TaskInstance).where(
            TaskInstance.dag_id == "upkeep", TaskInstance.run_id == result["run_id"])).all()
        assert {ti.task_id for ti in tis} == set(result["tasks"])
        for ti in tis:
            # the path the API server's FileTaskHandler computes for this try
            path = Path(handler.local_base, handler._render_filename(ti, ti.try_number,
                                                                      session=session))
            assert path.is_file(), f"{ti.task_id}: no log file at {path}"
            lines = [json.loads(line) for line in path.read_text().splitlines()]
            assert all({"timestamp", "level", "event"} <= set(line) for line in lines)
            shown = "".join(reader.read_log_stream(ti, ti.try_number, metadata={}))
            assert "Log file not found" not in shown and str(path) in shown
        report = next(ti for ti in tis if ti.task_id == "report")
        shown = "".join(reader.read_log_stream(report, report.try_number, metadata={}))
        assert "upkeep: succeeded" in shown  # the report task's own lines, not just a header
