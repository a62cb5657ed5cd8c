"""The operators alone, with a hand-made context: what a scheduled run does in isolated mode."""

import json
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from comptoir.automation.definitions import find
from comptoir.automation.messages import list_messages
from comptoir.automation.modes import set_mode
from comptoir.backoffice.engine import get_engine
from comptoir_airflow.operators import ReportOperator, RunOperator


class FakeTI:
    def __init__(self):
        self.xcom = {}

    def xcom_push(self, key, value):
        self.xcom[key] = value

    def xcom_pull(self, task_ids, key):
        return self.xcom.get(key) if task_ids == "run" else None


def context(run_type, ti):
    return {"dag_run": SimpleNamespace(run_type=run_type), "ti": ti, "run_id": "r1",
            "params": {}}


@pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)
def test_a_scheduled_run_in_isolated_mode_is_skipped_and_says_so(dossier_url, comptoir_home,
                                                                 tmp_path, monkeypatch):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(tasks))
    (tasks / "m.json").write_text(json.dumps({"id": "m", "type": "db_maintenance"}))
    data = find("m").to_json()
    with get_engine().begin() as conn:
        set_mode(conn, "school", True)
    ti = FakeTI()
    with pytest.raises(AirflowSkipException, match="school mode is on"):
        RunOperator(task_id="run", definition=data, first=True).execute(context("scheduled", ti))
    ReportOperator(task_id="report", definition=data, steps=["run"]).execute(
        context("scheduled", ti))
    with get_engine().connect() as conn:
        (report,) = list_messages(conn)
    assert (report.level, report.title) == ("info", "m: skipped")
    assert "school mode is on (dossier setting school_mode)" in report.body
