"""The partner connector's task types through Airflow: DAGs built from the definitions
(`fetch >> receive >> report` on the inbox template, `run >> report` for the sending), in
the Import-Export category, with a self-explaining trigger form; a reception DAG run with
`dag.test()` receives the import folder, reports and announces what it wrote."""

import json
import time
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.econnector.correspondences import map_article
from tests.comptoir.econnector.partner import (
    DOCUMENT_COLUMNS,
    connector,
    document_rows,
    drop,
    reference,
)
from tests.comptoir.imports.conftest import rows
from tests.dags.test_imports_dag import asset_events

ROOT = Path(__file__).resolve().parents[2]
SQLITE = pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)
TASKS = ("facili-receive", "facili-send")


@pytest.fixture
def project_definitions(tasks_dir: Path) -> Path:
    """The project's own definitions of the two tasks, in the test's tasks folder."""
    for name in TASKS:
        (tasks_dir / f"{name}.json").write_text((ROOT / "tasks" / f"{name}.json").read_text())
    return tasks_dir


def bag() -> DagBag:
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py"))


def dag_of(task_id: str):  # type: ignore[no-untyped-def]
    """A DAG parsed anew (a run's conf stays in the params of the DAG object it ran)."""
    return bag().dags[task_id]


def reports(url: str, task_id: str, run_id: str):  # type: ignore[no-untyped-def]
    with get_engine(url).connect() as conn:
        return list_messages(conn, task_id=task_id, run_id=run_id)


def test_the_reception_dag_is_fetch_receive_report_in_import_export(project_definitions):
    dag = bag().dags["facili-receive"]
    assert [t.task_id for t in dag.tasks] == ["fetch", "receive", "report"]
    assert dag.task_dict["fetch"].downstream_task_ids == {"receive"}
    assert dag.task_dict["receive"].downstream_task_ids == {"report"}
    assert dag.task_dict["report"].trigger_rule == "all_done"
    assert set(dag.tags) == {"Import-Export", "econnector_receive", "central"}
    assert {t.queue for t in dag.tasks} == {"central"}
    assert "Réception E-connecteur" in dag.doc_md
    assert "fetch >> receive >> report" in dag.doc_md
    assert [o.name for o in dag.task_dict["receive"].outlets] == ["comptoir-econnector"]
    assert dag.timetable.expression == "*/15 * * * *"


def test_the_sending_dag_is_run_report_in_import_export(project_definitions):
    dag = bag().dags["facili-send"]
    assert [t.task_id for t in dag.tasks] == ["run", "report"]
    assert dag.task_dict["run"].downstream_task_ids == {"report"}
    assert set(dag.tags) == {"Import-Export", "econnector_send", "central"}
    assert "Envoi E-connecteur" in dag.doc_md
    assert dag.task_dict["run"].outlets == []


def test_the_trigger_forms_explain_every_option(project_definitions):
    dags = bag().dags
    receive = dags["facili-receive"].params
    connector_param = receive.get_param("connector")
    assert connector_param.value == "FACILI"
    assert connector_param.schema["type"] == "string"
    assert connector_param.schema["title"] == "Connector"
    assert connector_param.schema["section"] == "Connector"
    assert "comptoir connector list" in connector_param.description
    assert receive.get_param("dry_run").value is False
    assert receive.get_param("dry_run").schema["type"] == ["boolean", "null"]
    assert receive.get_param("source_kind").value is None
    assert receive.get_param("source_kind").schema["section"] == "Inbox"
    assert receive.get_param("source_kind").schema["enum"] == ["sftp", "ftp", None]
    send = dags["facili-send"].params
    assert send.get_param("connector").value == "FACILI"
    for name in ("articles", "customers"):
        assert send.get_param(name).value is None
        assert "boolean" in json.dumps(send.get_param(name).schema)
    for params in (receive, send):
        for name in params:
            param = params.get_param(name)
            assert param.schema.get("title") and param.description, name
            assert param.schema.get("section"), name
    assert receive.validate() == {"connector": "FACILI", "dry_run": False, "source_kind": None,
                                  "source_conn_id": None, "source_directory": None,
                                  "source_pattern": None}


def test_the_dags_folder_with_the_connector_tasks_still_parses_in_under_a_second(monkeypatch):
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(ROOT / "tasks"))
    DagBag(dag_folder=str(ROOT / "dags"))  # warm imports, as a running dag-processor has them
    started = time.perf_counter()
    project = DagBag(dag_folder=str(ROOT / "dags"))
    assert time.perf_counter() - started < 1.0
    assert project.import_errors == {}
    for task_id in TASKS:
        assert "invalid definition" not in project.dags[task_id].tags


@pytest.mark.slow
@SQLITE
def test_a_reception_dag_run_receives_the_import_folder(
        airflow_db, dossier_url, comptoir_home, project_definitions):
    engine = get_engine(dossier_url)
    reference(engine)
    made = connector(engine)
    with engine.begin() as conn:
        map_article(conn, "FACILI", "ART1", "POSE")
    folder = made.import_folder
    drop(folder, "ImportDocuments_001.csv", DOCUMENT_COLUMNS, [
        *document_rows("D1", "CLI1", ("POSE", "2", "45,00")),
        *document_rows("D2", "CLI9", ("POSE", "1", None), client_name="Cabinet Martin")])

    dry = dag_of("facili-receive").test(run_conf={"dry_run": True})
    assert dry.state == "success"
    assert rows(engine, "SELECT COUNT(*) FROM sales_documents") == [(0,)]
    assert asset_events(dry) == {}

    run = dag_of("facili-receive").test()
    assert run.state == "success"
    assert rows(engine, "SELECT origin FROM sales_documents ORDER BY origin") == [
        ("FACILI:D1",), ("FACILI:D2",)]
    assert [p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
            ] == []
    (report,) = reports(dossier_url, "facili-receive", run.run_id)
    assert (report.level, report.title) == ("info", "facili-receive: succeeded")
    assert report.body.splitlines()[-1] == (
        "FACILI: 3 synchronised, 0 already received, 0 waiting, 0 in error")
    events = asset_events(run)
    assert set(events) == {"comptoir://dossier/sales_documents",
                           "comptoir://dossier/customers"}
    assert events["comptoir://dossier/sales_documents"]["documents"] == 2
    assert events["comptoir://dossier/customers"]["customers"] == 1

    drop(folder, "ImportDocuments_002.csv", DOCUMENT_COLUMNS,
         document_rows("D3", "CLI1", ("NOTAIRE", "1", "120,00")))
    waiting = dag_of("facili-receive").test()
    assert waiting.state == "success"  # exit 3: a warning, not a failed run
    (warning,) = reports(dossier_url, "facili-receive", waiting.run_id)
    assert warning.level == "warning"
    assert warning.title == ("facili-receive: succeeded with warnings — FACILI: 0 "
                             "synchronised, 0 already received, 1 waiting, 0 in error")
    assert asset_events(waiting) == {}

    drop(folder, "Tarifs.csv", ("CODE",), [["X"]])
    failed = dag_of("facili-receive").test()
    assert failed.state == "failed"
    (error,) = reports(dossier_url, "facili-receive", failed.run_id)
    assert error.level == "error"
    assert error.title.startswith("facili-receive: failed — receive: files not received "
                                  "(in failed/, or left in the import folder when the "
                                  "dossier refused the write): Tarifs.csv")
