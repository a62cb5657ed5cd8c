"""`customer_balance` through Airflow: the project's definition parsed into a `run >> deliver
>> report` DAG of the Editions category, a `dag.test()` run of the contract's worked example
delivering its CSV, and `comptoir tasks run` printing its report line (both databases)."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir import paths
from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from tests.comptoir.editions.test_customer_balance import EXPECTED, HEADER, LINE, worked_example

ROOT = Path(__file__).resolve().parents[2]
TASK = "customer-balance"
EXAMPLE = "balance-exemple"


def dag(task_id: str = TASK):  # type: ignore[no-untyped-def]
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[task_id]


def install_example(tasks_dir: Path) -> None:
    """The worked example's definition: at 30/06/2025, as CSV."""
    (tasks_dir / f"{EXAMPLE}.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": EXAMPLE, "type": "customer_balance", "site": "central", "retries": 0,
        "options": {"date": "2025-06-30", "format": "csv"},
        "output": {"filename": "balance-{y}{m}{d}.csv",
                   "delivery": {"method": "local", "path": "balance"}}}]}))


def test_the_project_dag_is_run_deliver_report_in_editions(tasks_dir: Path) -> None:
    (tasks_dir / f"{TASK}.json").write_text((ROOT / "tasks" / f"{TASK}.json").read_text())
    bag = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py"))
    assert bag.import_errors == {}
    parsed = bag.dags[TASK]
    assert [t.task_id for t in parsed.tasks] == ["run", "deliver", "report"]
    assert set(parsed.tags) == {"Editions", "customer_balance", "central"}
    assert parsed.params.get_param("date").value is None
    assert parsed.params.get_param("format").value == "pdf"
    assert parsed.params.get_param("include_zero").value is False


@pytest.mark.slow
def test_a_dag_run_delivers_the_worked_example(airflow_db, dossier_url, comptoir_home: Path,
                                               tasks_dir: Path) -> None:
    worked_example(get_engine(dossier_url))
    install_example(tasks_dir)
    run = dag(EXAMPLE).test()
    assert run.state == "success"
    with get_engine(dossier_url).connect() as conn:
        (report,) = list_messages(conn, task_id=EXAMPLE, run_id=run.run_id)
    assert report.level == "info"
    assert LINE in report.body.splitlines()
    (delivered,) = paths.outbox_dir().joinpath("balance").glob("balance-*.csv")
    assert delivered.read_text(encoding="utf-8").splitlines() == [HEADER, *EXPECTED]


@pytest.mark.slow
def test_comptoir_tasks_run_prints_the_worked_example(airflow_db, dossier_url, comptoir_home,
                                                      tasks_dir) -> None:
    """As a user runs it: `comptoir tasks run` (Airflow in a subprocess)."""
    from tests.dags.test_cli_run import comptoir

    worked_example(get_engine(dossier_url))
    install_example(tasks_dir)
    result = comptoir("tasks", "run", EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{EXAMPLE}: succeeded" in result.stdout
    assert LINE in result.stdout
    (delivered,) = paths.outbox_dir().joinpath("balance").glob("balance-*.csv")
    assert delivered.read_text(encoding="utf-8").splitlines() == [HEADER, *EXPECTED]
