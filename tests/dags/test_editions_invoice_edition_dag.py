"""`invoice_edition` through Airflow: the project's definition parsed into a `run >> deliver
>> report` DAG of the Editions category, a `dag.test()` run and `comptoir tasks run` that
print the week's invoices and credit notes into one PDF and mark them printed (both
databases)."""

import datetime as dt
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from sqlalchemy import select

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import sales_documents
from tests.comptoir.editions.looks import bookmarks
from tests.comptoir.editions.test_invoice_edition import seed

ROOT = Path(__file__).resolve().parents[2]
TASK = "invoice-edition"
DAY = dt.date(2026, 10, 20)  # in the definition's period, the demo's activity week
EDITED = ["AT2026-000001", "FT2026-000001", "FT2026-000002", "FT2026-000003"]
LINE = f"4 factures éditées : {', '.join(EDITED)}"


@pytest.fixture
def project_definition(tasks_dir: Path) -> Path:
    (tasks_dir / f"{TASK}.json").write_text((ROOT / "tasks" / f"{TASK}.json").read_text())
    return tasks_dir


def dag():  # type: ignore[no-untyped-def]
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[TASK]


def printed(url: str) -> set[str]:
    with get_engine(url).connect() as conn:
        return set(conn.execute(select(sales_documents.c.number)
                                .where(sales_documents.c.printed_at.is_not(None))).scalars())


def test_the_dag_is_run_deliver_report_in_editions(project_definition: Path) -> None:
    parsed = dag()
    assert [t.task_id for t in parsed.tasks] == ["run", "deliver", "report"]
    assert set(parsed.tags) == {"Editions", "invoice_edition", "central"}
    assert parsed.params.get_param("layout").value == "single"
    assert parsed.params.get_param("types").value == ["F", "A"]


@pytest.mark.slow
def test_a_dag_run_prints_the_invoices(airflow_db, dossier_url, comptoir_home: Path,
                                       project_definition: Path) -> None:
    seed(get_engine(dossier_url), day=DAY)
    run = dag().test()
    assert run.state == "success"
    with get_engine(dossier_url).connect() as conn:
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
    assert report.level == "info", report.body
    lines = report.body.splitlines()
    assert "Période : du 19/10/2026 au 25/10/2026" in lines and LINE in lines
    [pdf] = (comptoir_home / "outbox" / "demo" / "editions").glob("factures-*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert [title for title, _ in bookmarks(pdf)] == EDITED
    assert printed(dossier_url) == set(EDITED)


@pytest.mark.slow
def test_comptoir_tasks_run_prints_the_invoices(airflow_db, dossier_url, comptoir_home: Path,
                                                project_definition: Path) -> None:
    """As a user runs it: `comptoir tasks run invoice-edition` (Airflow in a subprocess)."""
    from tests.dags.test_cli_run import comptoir

    seed(get_engine(dossier_url), day=DAY)
    result = comptoir("tasks", "run", TASK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{TASK}: succeeded" in result.stdout
    assert LINE in result.stdout
    [pdf] = (comptoir_home / "outbox" / "demo" / "editions").glob("factures-*.pdf")
    assert [title for title, _ in bookmarks(pdf)] == EDITED
    assert printed(dossier_url) == set(EDITED)
