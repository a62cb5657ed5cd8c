"""The `sales_correction` task type through Airflow: the project's definition parsed into a
`run >> report` DAG in the Système category, and a `dag.test()` run updating the worked
example's days (both databases)."""

import json
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from tests.comptoir.retail.sales_days_data import MAGT1, MAGT2, TSC_A, days, stock, worked_example

ROOT = Path(__file__).resolve().parents[2]
PROJECT = json.loads((ROOT / "tasks" / "sales-correction.json").read_text())


def bag() -> DagBag:
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py"))


def test_the_project_definition_is_a_run_report_dag_in_systeme(tasks_dir: Path) -> None:
    (tasks_dir / "sales-correction.json").write_text(json.dumps(PROJECT))
    dag = bag().dags["sales-correction"]
    assert [t.task_id for t in dag.tasks] == ["run", "report"]
    assert dag.task_dict["run"].downstream_task_ids == {"report"}
    assert set(dag.tags) == {"Système", "sales_correction", "central"}
    assert "Correction automatique des ventes" in dag.doc_md
    assert dag.timetable.expression == "40 1 * * *"
    assert dag.params.get_param("method").value == "transfers"


def test_a_dag_run_updates_the_days_and_reports_them(airflow_db, dossier_url,
                                                     comptoir_home: Path,
                                                     tasks_dir: Path) -> None:
    engine = worked_example(get_engine(dossier_url))
    definition = json.loads(json.dumps(PROJECT))
    definition["tasks"][0]["options"] = {
        "stores": ["MAGT1"], "method": "transfers", "transfer_stores": ["MAGT3", "MAGT2"],
        "misc_sub_family": "ZZZ/DIV", "fix_returns": True}
    (tasks_dir / "sales-correction.json").write_text(json.dumps(definition))
    run = bag().dags["sales-correction"].test()
    assert run.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id="sales-correction", run_id=run.run_id)
    assert report.level == "warning"
    assert report.body.splitlines()[-1] == (
        "5 journées traitées : 4 à jour, 1 toujours en erreur ; 1 mouvement de correction "
        "daté du 04/03/2025 (détail : journal « Mise à jour des ventes »)")
    assert stock(engine, TSC_A, MAGT1) == 0 and stock(engine, TSC_A, MAGT2) == 7
    assert sorted(v[0] for v in days(engine).values()) == ["error"] + ["updated"] * 4
