"""`daily_journal` through Airflow and the command line: the project's definition (the
demo week, one PDF per store) parsed into a `run >> deliver >> report` DAG of the Editions
category, a `dag.test()` run delivering the cash sheets, and `comptoir tasks run` as a
user runs it (both databases)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from tests.comptoir.editions.looks import bookmarks
from tests.comptoir.editions.test_daily_journal import seed_chain

ROOT = Path(__file__).resolve().parents[2]
TASK = "daily-journal"
DAY = dt.date(2026, 10, 20)  # in the demo's activity week


@pytest.fixture
def project_definition(tasks_dir: Path) -> Path:
    (tasks_dir / f"{TASK}.json").write_text((ROOT / "tasks" / f"{TASK}.json").read_text())
    return tasks_dir


def dag():  # type: ignore[no-untyped-def]
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[TASK]


def test_the_dag_is_run_deliver_report_in_editions(project_definition: Path) -> None:
    parsed = dag()
    assert [t.task_id for t in parsed.tasks] == ["run", "deliver", "report"]
    assert set(parsed.tags) == {"Editions", "daily_journal", "central"}
    assert parsed.params.get_param("period").value == "custom"
    assert parsed.params.get_param("format").value == "pdf"


@pytest.mark.slow
def test_a_dag_run_delivers_one_cash_sheet_per_store(airflow_db, dossier_url,
                                                     comptoir_home: Path,
                                                     project_definition: Path) -> None:
    engine = seed_chain(get_engine(dossier_url), DAY)
    run = dag().test()
    assert run.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
    assert report.level == "warning"
    lines = report.body.splitlines()
    assert "Période : du 19/10/2026 au 25/10/2026" in lines
    assert "Brouillard : 3 journées (magasin × jour), total net 44,30 €" in lines
    assert "Écart de règlement MAG02 20/10/2026 : -2,00 €" in lines
    folder = comptoir_home / "outbox" / "demo" / "editions"
    [mag01] = folder.glob("brouillard-MAG01-*.pdf")
    [mag02] = folder.glob("brouillard-MAG02-*.pdf")
    assert [t for t, _ in bookmarks(mag01)] == ["MAG01 20/10/2026", "MAG01 21/10/2026"]
    assert [t for t, _ in bookmarks(mag02)] == ["MAG02 20/10/2026"]


@pytest.mark.slow
def test_comptoir_tasks_run_prints_the_journal(airflow_db, dossier_url, comptoir_home: Path,
                                               project_definition: Path) -> None:
    """As a user runs it: `comptoir tasks run daily-journal` (Airflow in a subprocess)."""
    from tests.dags.test_cli_run import comptoir

    seed_chain(get_engine(dossier_url), DAY)
    result = comptoir("tasks", "run", TASK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Brouillard : 3 journées (magasin × jour), total net 44,30 €" in result.stdout
    assert "Écart de règlement MAG02 20/10/2026 : -2,00 €" in result.stdout
    folder = comptoir_home / "outbox" / "demo" / "editions"
    assert len(list(folder.glob("brouillard-MAG0*-*.pdf"))) == 2
