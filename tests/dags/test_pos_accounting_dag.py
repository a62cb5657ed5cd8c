"""The `pos_accounting` task type through Airflow: scheduled on the sales documents'
asset, the POS documents and payments are posted and lettered, announced on the journal
entries' asset; a second run writes nothing."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.backoffice.engine import get_engine
from comptoir.pos.filters import TicketFilters
from comptoir.pos.integration import integrate_files
from comptoir.pos.invoicing import invoice_tickets
from tests.comptoir.imports.conftest import rows
from tests.comptoir.pos.pos_data import sale, seed, ticket_file
from tests.dags.test_imports_dag import asset_events

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_invoiced_tickets_are_posted_and_lettered(airflow_db, dossier_url, comptoir_home,
                                                  tasks_dir, tmp_path) -> None:
    task = json.loads((ROOT / "tasks" / "pos-accounting.json").read_text())
    (tasks_dir / "pos-accounting.json").write_text(json.dumps(task))
    engine = get_engine(dossier_url)
    seed(engine)
    integrate_files(engine, [ticket_file(tmp_path, [
        sale(1, customer="CLI1", mode="CB"), sale(2), sale(3, customer="CLI2", mode="CRED")])])
    invoice_tickets(engine, TicketFilters.parse(until="2026-01-12"))
    dag = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["pos-accounting"]
    assert "comptoir://dossier/sales_documents" in str(dag.timetable.asset_condition)
    assert dag.params.get_param("method").value == ""
    run = dag.test(run_conf={"until": "2026-01-12", "grouping": "customer"})
    assert run.state == "success"
    assert rows(engine, "SELECT kind, COUNT(*) FROM journal_entries GROUP BY kind "
                "ORDER BY kind") == [("sales", 3), ("treasury", 2)]
    assert rows(engine, "SELECT state_code, state FROM receivables WHERE kind = 'due'") == [
        ("C10", "open")]
    assert rows(engine, "SELECT COUNT(*) FROM pos_tickets WHERE posted_at IS NULL") == [(0,)]
    assert asset_events(run)["comptoir://dossier/journal_entries"]["entries"] == 5
    again = dag.test(run_conf={"until": "2026-01-12"})
    assert again.state == "success"
    assert rows(engine, "SELECT COUNT(*) FROM journal_entries") == [(5,)]
