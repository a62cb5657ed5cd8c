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


def test_the_seeds_partial_payment_credit_sale_and_deposit_through_the_dag(
        airflow_db, dossier_url, comptoir_home, tasks_dir) -> None:
    from comptoir.accounting.document_posting import post_documents
    from tests.comptoir.accounting.books import NEXT_DAY, Books, entries, receivables
    from tests.comptoir.pos.shop import DAY, Line, sale

    task = json.loads((ROOT / "tasks" / "pos-accounting.json").read_text())
    (tasks_dir / "pos-accounting.json").write_text(json.dumps(task))
    engine = get_engine(dossier_url)
    books = Books(engine)
    books.document("FA2025-000001", "F", "CLI1", "248.69")
    books.document("CC2026-000001", "C", "CLI2", "664.00", status="excluded")
    post_documents(engine, until=DAY)
    books.pay(500, [Line(None, "1", "100.69", kind="invoice_payment",
                         document="FA2025-000001")], [("CB", "100.69")], customer="CLI1")
    books.pay(7, [sale("A20", "1", "60.00")], [("CRED", "60.00")], customer="CLI2")
    books.pay(10, [Line(None, "1", "100.00", kind="deposit", document="CC2026-000001")],
              [("CB", "100.00")], customer="CLI2")
    invoice_tickets(engine, TicketFilters.parse(until=DAY.isoformat()))
    dag = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["pos-accounting"]
    assert dag.test(run_conf={"until": DAY.isoformat()}).state == "success"
    books.document("FA2026-000009", "F", "CLI2", "664.00", day=NEXT_DAY)
    post_documents(engine, until=NEXT_DAY)
    books.pay(11, [Line(None, "1", "664.00", kind="invoice_payment",
                        document="FA2026-000009")],
              [("ACP", "100.00", "CC2026-000001"), ("CB", "564.00")], customer="CLI2",
              day=NEXT_DAY)
    invoice_tickets(engine, TicketFilters.parse(until=NEXT_DAY.isoformat()))
    assert dag.test(run_conf={"until": NEXT_DAY.isoformat()}).state == "success"
    open_left = [(r[1], r[3], r[4]) for r in receivables(engine) if r[6] != "paid"]
    assert sorted(open_left) == [("FA2025-000001", "D10", "148.00"),
                                 ("FA2026-000001", "C10", "60.00")]
    codes = {line[4]: line[5] for entry in entries(engine).values()
             for line in entry["lines"] if line[1]}
    assert codes["FA2025-000001"] == "a"               # partly paid: lowercase
    assert codes["FA2026-000001"] is None              # credit sale: unlettered
    assert codes["CC2026-000001"].isupper() and codes["FA2026-000009"].isupper()
