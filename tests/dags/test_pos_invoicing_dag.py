"""The `pos_invoicing` task type through Airflow: scheduled on the tickets' asset, the
tickets integrated become documents, announced on the sales documents' asset."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.backoffice.engine import get_engine
from comptoir.pos.integration import integrate_files
from tests.comptoir.imports.conftest import rows
from tests.comptoir.pos.pos_data import sale, seed, ticket_file
from tests.dags.test_imports_dag import asset_events

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_integrated_tickets_become_documents(airflow_db, dossier_url, comptoir_home, tasks_dir,
                                             tmp_path) -> None:
    task = json.loads((ROOT / "tasks" / "pos-invoicing.json").read_text())
    (tasks_dir / "pos-invoicing.json").write_text(json.dumps(task))
    engine = get_engine(dossier_url)
    seed(engine)
    integrate_files(engine, [ticket_file(tmp_path, [sale(1, customer="CLI1"), sale(2),
                                                    sale(3, mode="BLC", customer="CLI2")])])
    dag = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["pos-invoicing"]
    assert "comptoir://dossier/pos_tickets" in str(dag.timetable.asset_condition)
    assert dag.params.get_param("until").value == "today"
    run = dag.test(run_conf={"until": "2026-01-12"})
    assert run.state == "success"
    assert rows(engine, "SELECT type, COUNT(*) FROM sales_documents WHERE source = 'pos' "
                "GROUP BY type ORDER BY type") == [("B", 1), ("F", 2)]
    assert rows(engine, "SELECT COUNT(*) FROM pos_tickets WHERE integrated_document_id IS NULL"
                ) == [(0,)]
    assert asset_events(run)["comptoir://dossier/sales_documents"]["documents"] == 3
