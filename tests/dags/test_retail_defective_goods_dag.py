"""The `defective_goods` DAG from the project's task definition: `run >> report` in
Système, and a `dag.test()` run taking the worked example's defectives out of stock
(both databases)."""

import json
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from tests.comptoir.retail.test_defective_goods import Dossier, vouchers

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = json.loads((ROOT / "tasks" / "defective-goods.json").read_text())


def dag(tasks_dir: Path):  # type: ignore[no-untyped-def]
    (tasks_dir / "defective-goods.json").write_text(json.dumps(DEFINITION))
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["defective-goods"]


def test_the_dag_runs_the_type_then_reports_in_systeme(tasks_dir: Path) -> None:
    built = dag(tasks_dir)
    assert [t.task_id for t in built.tasks] == ["run", "report"]
    assert set(built.tags) == {"Système", "defective_goods", "central"}
    assert "Gestion des défectueux" in built.doc_md
    assert built.timetable.expression == "30 3 * * *"


def test_a_dag_run_writes_the_vouchers_once(airflow_db, engine, comptoir_home: Path,
                                             tasks_dir: Path) -> None:
    dossier = Dossier(engine)
    dossier.day(1, {1: 1, 2: 2})
    first = dag(tasks_dir).test()
    assert first.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id="defective-goods", run_id=first.run_id)
    assert report.level == "info", report.body
    assert "Voici la liste des bons d'ajustements générés :" in report.body
    assert sorted(v[0] for v in vouchers(engine).values()) == [
        "defective_destruction", "supplier_return"]
    second = dag(tasks_dir).test()
    with engine.connect() as conn:
        (again,) = list_messages(conn, task_id="defective-goods", run_id=second.run_id)
    assert "Aucun défectueux à traiter" in again.body
    assert len(vouchers(engine)) == 2
