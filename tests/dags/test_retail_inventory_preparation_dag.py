"""`inventory_preparation` through Airflow: the project's definition parsed into a `run >>
deliver >> report` DAG of the Autres category, and a `dag.test()` run that prepares the
inventory and delivers one PDF count sheet per depot (both databases)."""

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import articles, depots, inventories, stock_records
from tests.dags.project_tasks import project_dag

TASK = "inventory-preparation"


def test_the_dag_is_run_deliver_report_in_autres(project_definition: Path) -> None:
    parsed = project_dag(TASK)
    assert [t.task_id for t in parsed.tasks] == ["run", "deliver", "report"]
    assert set(parsed.tags) == {"Autres", "inventory_preparation", "central"}
    assert parsed.params.get_param("blind").value is True
    assert parsed.params.get_param("format").value == "pdf"


@pytest.mark.slow
def test_a_dag_run_prepares_the_inventory(airflow_db, dossier_url, comptoir_home: Path,
                                          project_definition: Path) -> None:
    engine = get_engine(dossier_url)
    with engine.begin() as conn:
        depot = conn.execute(depots.insert().values(code="MAGI1", name="Dépôt inventaire")
                             .returning(depots.c.id)).scalar_one()
        article = conn.execute(articles.insert().values(code="TRS-1", name="Article")
                               .returning(articles.c.id)).scalar_one()
        conn.execute(stock_records.insert().values(article_id=article, depot_id=depot,
                                                   quantity=Decimal(3)))
    run = project_dag(TASK).test()
    assert run.state == "success"
    with engine.connect() as conn:
        [(number, status)] = conn.execute(select(inventories.c.number,
                                                 inventories.c.status)).all()
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
    assert status == "prepared"
    assert report.level == "info"
    assert f"Inventaire {number} préparé : dépôt MAGI1 Dépôt inventaire, 1 ligne" in (
        report.body.splitlines())
    [sheet] = (comptoir_home / "outbox" / "demo" / "inventories").glob("inventaire-MAGI1-*.pdf")
    assert sheet.read_bytes().startswith(b"%PDF")
