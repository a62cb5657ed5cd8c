"""The retail task types through Airflow: the project's definitions become DAGs in their
catalog category (`run >> report`, `run >> deliver >> report` for a type that writes a
file), and a `dag.test()` run of each does the contract's worked example on both
databases, its report saved in the dossier."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from sqlalchemy import select

from comptoir import paths
from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import messages
from tests.comptoir.retail.test_customer_duplicates import HEADER
from tests.comptoir.retail.test_customer_duplicates import worked_example as duplicates
from tests.comptoir.retail.test_last_purchases_store import (
    linked,
    stores_and_customers,
    worked_example,
)
from tests.comptoir.retail.test_live_message import registers_of_two_stores
from tests.comptoir.retail.test_restock_alert import CF1, CF2, EXPECTED, orders
from tests.comptoir.retail.test_restock_alert import worked_example as restock

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {  # definition file → (DAG id, tasks, category)
    "last-purchases-store": ("last-purchases-store", ["run", "report"], "Import-Export"),
    "customer-duplicates": ("customer-duplicates", ["run", "deliver", "report"],
                            "Import-Export"),
    "restock-alert": ("restock-alert", ["run", "report"], "Autres"),
    "live-message": ("live-message", ["run", "report"], "Autres"),
}


def install(tasks_dir: Path, *names: str) -> None:
    for name in names:
        (tasks_dir / f"{name}.json").write_text((ROOT / "tasks" / f"{name}.json").read_text())


def dag_of(task_id: str):  # type: ignore[no-untyped-def]
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[task_id]


def report_of(url: str, task_id: str, run_id: str):  # type: ignore[no-untyped-def]
    with get_engine(url).connect() as conn:
        (report,) = list_messages(conn, task_id=task_id, run_id=run_id)
    return report


def test_the_project_definitions_are_dags_in_their_category(tasks_dir):
    install(tasks_dir, *PROJECT)
    bag = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py"))
    assert bag.import_errors == {}
    for name, (dag_id, tasks, category) in PROJECT.items():
        dag = bag.dags[dag_id]
        assert [t.task_id for t in dag.tasks] == tasks, name
        assert dag.task_dict["report"].trigger_rule == "all_done"
        assert category in dag.tags and "invalid definition" not in dag.tags, dag.tags


@pytest.mark.slow
def test_a_restock_dag_run_drafts_the_orders_once(airflow_db, dossier_url, comptoir_home,
                                                  tasks_dir):
    engine = restock(get_engine(dossier_url))
    install(tasks_dir, "restock-alert")
    run = dag_of("restock-alert").test()
    assert run.state == "success"
    assert {n: o["lines"] for n, o in orders(engine).items()} == EXPECTED
    report = report_of(dossier_url, "restock-alert", run.run_id)
    assert report.level == "info"
    assert f"Commande {CF1} créée : fournisseur FRA1 Fournisseur réassort 1, dépôt MAGR1, " \
           "2 lignes" in report.body.splitlines()
    assert f"Commande {CF2} créée : fournisseur FRA2 Fournisseur réassort 2, dépôt MAGR1, " \
           "1 ligne" in report.body.splitlines()
    again = dag_of("restock-alert").test()
    assert again.state == "success"
    assert {n: o["lines"] for n, o in orders(engine).items()} == EXPECTED
    assert "Aucun article sous son stock d'alerte" in report_of(
        dossier_url, "restock-alert", again.run_id).body.splitlines()


@pytest.mark.slow
def test_a_duplicates_dag_run_delivers_the_groups(airflow_db, dossier_url, comptoir_home,
                                                  tasks_dir):
    duplicates(get_engine(dossier_url))
    install(tasks_dir, "customer-duplicates")
    run = dag_of("customer-duplicates").test()
    assert run.state == "success"
    (delivered,) = paths.outbox_dir().joinpath("demo", "customers").glob(
        "doublons-clients-*.csv")
    lines = delivered.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert sorted(line.split(";")[3] for line in lines[1:]) == [
        "TDU1", "TDU2", "TDU3", "TDU4", "TDU5", "TDU6"]
    report = report_of(dossier_url, "customer-duplicates", run.run_id)
    assert "3 groupes de doublons, 6 clients concernés" in report.body.splitlines()


@pytest.mark.slow
def test_a_live_message_dag_run_posts_to_the_registers(airflow_db, dossier_url,
                                                       comptoir_home, tasks_dir):
    engine = registers_of_two_stores(get_engine(dossier_url))
    (tasks_dir / "consigne.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "consigne", "type": "live_message", "site": "central", "retries": 0,
        "options": {"text": "Inventaire ce soir", "title": "Consigne",
                    "stores": ["MAG01"]}}]}))
    dag = dag_of("consigne")
    assert [t.task_id for t in dag.tasks] == ["run", "report"]
    assert "Autres" in dag.tags
    run = dag.test()
    assert run.state == "success"
    with engine.connect() as conn:
        targets = conn.execute(select(messages.c.target).where(
            messages.c.category == "Live message").order_by(messages.c.target)).scalars()
        assert list(targets) == ["MAG01/C1", "MAG01/C2", "MAG01/C3"]
    assert ("Message « Consigne » envoyé à 3 caisses : MAG01/C1, MAG01/C2, MAG01/C3"
            in report_of(dossier_url, "consigne", run.run_id).body.splitlines())


@pytest.mark.slow
def test_comptoir_tasks_run_prints_the_worked_example_of_a_retail_type(
        airflow_db, dossier_url, comptoir_home, tasks_dir):
    """As a user runs it: `comptoir tasks run restock-alert` (Airflow in a subprocess)."""
    from tests.dags.test_cli_run import comptoir

    engine = restock(get_engine(dossier_url))
    install(tasks_dir, "restock-alert")
    result = comptoir("tasks", "run", "restock-alert")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restock-alert: succeeded" in result.stdout
    assert (f"Commande {CF1} créée : fournisseur FRA1 Fournisseur réassort 1, dépôt MAGR1, "
            "2 lignes") in result.stdout
    assert {n: o["lines"] for n, o in orders(engine).items()} == EXPECTED


@pytest.mark.slow
def test_a_last_purchases_dag_run_links_the_customers(airflow_db, dossier_url, comptoir_home,
                                                      tasks_dir):
    engine = stores_and_customers(get_engine(dossier_url))
    worked_example(engine)
    install(tasks_dir, "last-purchases-store")
    run = dag_of("last-purchases-store").test()
    assert run.state == "success"
    assert linked(engine) == {"TLP1": "MAGL2", "TLP2": "MAGL1", "TLP3": "MAGL1",
                              "TLP4": "MAGL3", "TLP5": None}
    report = report_of(dossier_url, "last-purchases-store", run.run_id)
    assert "Nombre de clients à mettre à jour : 3" in report.body.splitlines()
    again = dag_of("last-purchases-store").test()
    assert "Nombre de clients à mettre à jour : 0" in report_of(
        dossier_url, "last-purchases-store", again.run_id).body.splitlines()
