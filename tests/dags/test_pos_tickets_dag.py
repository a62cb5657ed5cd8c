"""The `pos_tickets` task type run through Airflow (`dag.test()`): ticket files of a local
folder integrated, filed with their reports, a task report and an asset event."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.backoffice.engine import get_engine
from tests.comptoir.imports.conftest import rows
from tests.comptoir.pos.pos_data import sale, seed, ticket_file
from tests.dags.test_imports_dag import asset_events, filed

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def pos_task(folder: Path) -> dict:
    return {"id": "tickets", "type": "pos_tickets", "site": "central", "retries": 0,
            "options": {"source": {"kind": "local", "path": str(folder),
                                   "min_age_seconds": 0}}}


def test_ticket_files_are_integrated_filed_and_announced(airflow_db, dossier_url, comptoir_home,
                                                        tasks_dir, tmp_path) -> None:
    folder = tmp_path / "drop"
    (tasks_dir / "tickets.json").write_text(json.dumps({"comptoir_tasks": 1,
                                                         "tasks": [pos_task(folder)]}))
    engine = get_engine(dossier_url)
    seed(engine)
    incoming = folder / "incoming"
    incoming.mkdir(parents=True)
    ticket_file(incoming, [sale(1), sale(2, article="ZX-404")])

    dag = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["tickets"]
    assert [t.task_id for t in dag.tasks] == ["fetch", "integrate_files", "report"]
    run = dag.test()
    assert run.state == "success"
    assert rows(engine, "SELECT number FROM pos_tickets") == [(1,)]
    assert filed(folder / "done") == ["TicDegMAG01C120260112183005.zip",
                                      "TicDegMAG01C120260112183005.zip.report.json"]
    assert asset_events(run)["comptoir://dossier/pos_tickets"]["tickets"] == 1

    (incoming / "TicDegMAG01C120260112190000.zip").write_bytes(b"damaged")
    failed = dag.test()
    assert failed.state == "failed"
    assert filed(folder / "failed") == ["TicDegMAG01C120260112190000.zip",
                                        "TicDegMAG01C120260112190000.zip.report.json"]
