"""`city_localisation` through Airflow: the project's definition parsed into a `run >>
report` DAG of the Autres category, and a `dag.test()` run that fills the cities and
reports (both databases)."""

from pathlib import Path

import pytest
from sqlalchemy import select

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import customers
from tests.dags.project_tasks import project_dag

TASK = "city-localisation"


def test_the_dag_is_run_report_in_autres(project_definition: Path) -> None:
    parsed = project_dag(TASK)
    assert [t.task_id for t in parsed.tasks] == ["run", "report"]
    assert set(parsed.tags) == {"Autres", "city_localisation", "central"}
    assert parsed.params.get_param("entities").value == ["customers", "customer_addresses"]


@pytest.mark.slow
def test_a_dag_run_fills_the_cities(airflow_db, dossier_url, comptoir_home: Path,
                                    project_definition: Path) -> None:
    engine = get_engine(dossier_url)
    with engine.begin() as conn:
        conn.execute(customers.insert(), [
            {"code": "TCY1", "name": "Client 1", "postcode": "69100", "city": None},
            {"code": "TCY3", "name": "Client 3", "postcode": "99999", "city": None}])
    run = project_dag(TASK).test()
    assert run.state == "success"
    with engine.connect() as conn:
        assert dict(conn.execute(select(customers.c.code, customers.c.city)).all()) == {
            "TCY1": "VILLEURBANNE", "TCY3": None}
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
    assert report.level == "info"
    assert report.body.splitlines()[-2:] == [
        "Localisation des villes : 1 ville renseignée, 1 code postal inconnu",
        "Codes postaux inconnus : 99999 (1)"]
