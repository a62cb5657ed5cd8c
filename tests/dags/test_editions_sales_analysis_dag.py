"""`sales_analysis` through Airflow (both databases): the project's definition parsed into a
`run >> deliver >> report` DAG of the Editions category, a `dag.test()` run and
`comptoir tasks run` on a small dossier whose sales fall in the definition's period, each
delivering the PDF and saving the contract's report."""

from pathlib import Path

import pytest

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from tests.comptoir.editions.looks import pages_text
from tests.comptoir.editions.test_sales_analysis import shop
from tests.dags.project_tasks import project_dag

TASK = "sales-analysis"
LINES = ["Période : du 01/08/2026 au 31/10/2026",
         "Analyse des ventes du 01/08/2026 au 31/10/2026 : CA HT 79,62 €, 5 lignes"]


def test_the_dag_is_run_deliver_report_in_editions(project_definition: Path) -> None:
    parsed = project_dag(TASK)
    assert [t.task_id for t in parsed.tasks] == ["run", "deliver", "report"]
    assert set(parsed.tags) == {"Editions", "sales_analysis", "central"}
    assert parsed.params.get_param("format").value == "pdf"
    assert parsed.params.get_param("group_by").value == ["month", "store", "family"]


def delivered(home: Path) -> Path:
    [pdf] = (home / "outbox" / "demo" / "editions").glob("analyse-ventes-*.pdf")
    text = "\n".join(pages_text(pdf)).replace("\u00a0", " ")
    assert "Analyse des ventes" in text and "79,62 €" in text and "Magasin Analyse 1" in text
    return pdf


@pytest.mark.slow
def test_a_dag_run_writes_the_analysis(airflow_db, dossier_url, comptoir_home: Path,
                                       project_definition: Path) -> None:
    engine = shop(get_engine(dossier_url), 2026, 10)
    run = project_dag(TASK).test()
    assert run.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
    assert report.level == "info"
    body = report.body.splitlines()
    assert body[body.index(LINES[0]):body.index(LINES[0]) + 2] == LINES
    delivered(comptoir_home)


@pytest.mark.slow
def test_comptoir_tasks_run_writes_the_analysis(airflow_db, dossier_url, comptoir_home: Path,
                                                project_definition: Path) -> None:
    """As a user runs it: `comptoir tasks run sales-analysis` (Airflow in a subprocess)."""
    from tests.dags.test_cli_run import comptoir

    shop(get_engine(dossier_url), 2026, 10)
    result = comptoir("tasks", "run", TASK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sales-analysis: succeeded" in result.stdout
    for line in LINES:
        assert line in result.stdout
    delivered(comptoir_home)
