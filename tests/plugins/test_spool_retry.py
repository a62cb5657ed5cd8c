"""The spool retry DAG: one task per site, built without validating every definition."""

import json

from comptoir.automation import definitions
from comptoir_airflow.spool_retry import build_spool_retry_dag, sites


def write(folder, name, tasks):
    (folder / name).write_text(json.dumps({"comptoir_tasks": 1, "tasks": tasks}))


def test_the_sites_come_from_the_files_without_validating_them(tasks_dir, monkeypatch):
    write(tasks_dir, "a.json", [{"id": "a", "type": "export_data", "site": "mag-01",
                                 "output": {"delivery": {"method": "local", "path": "x"}}}])
    write(tasks_dir, "b.json", [{"id": "b", "type": "db_maintenance", "site": "mag-09"}])
    write(tasks_dir, "c.json", [{"id": "c", "type": "no-such-type", "site": "mag-02",
                                 "output": {"delivery": {"method": "local", "path": "y"}}}])
    write(tasks_dir, "d.json", [{"id": "d", "type": "export_data", "site": "bad site!",
                                 "output": {}}])
    (tasks_dir / "e.json").write_text("{not json")

    def no_validation(*args, **kwargs):
        raise AssertionError("the spool retry DAG must not validate definitions at parse time")

    monkeypatch.setattr(definitions.TaskDefinition, "model_validate", no_validation)
    assert sites() == ["mag-01", "mag-02"]
    dag = build_spool_retry_dag()
    assert {t.task_id: t.queue for t in dag.tasks} == {"retry_mag-01": "mag-01",
                                                       "retry_mag-02": "mag-02"}


def test_without_any_delivering_task_the_central_site_is_retried(tasks_dir):
    assert sites() == ["central"]


def test_the_command_takes_at_most_one_task(capsys):
    from comptoir_airflow.spool_retry import main

    assert main(["a", "b"]) == 2
    assert "usage" in capsys.readouterr().err
