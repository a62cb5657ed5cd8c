"""`stock_vouchers` through Airflow: the project's definition parsed into a `run >> deliver
>> report` DAG of the Editions category, a `dag.test()` run that delivers one PDF of
vouchers per depot, and the contract's worked example through `comptoir tasks run`, as a
user runs it (both databases)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from tests.comptoir.editions.looks import bookmarks, pages_text
from tests.comptoir.editions.test_stock_vouchers import movement, place, worked_example

ROOT = Path(__file__).resolve().parents[2]
TASK = "stock-vouchers"


@pytest.fixture
def project_definition(tasks_dir: Path) -> Path:
    (tasks_dir / f"{TASK}.json").write_text((ROOT / "tasks" / f"{TASK}.json").read_text())
    return tasks_dir


def dag():  # type: ignore[no-untyped-def]
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[TASK]


def test_the_dag_is_run_deliver_report_in_editions(project_definition: Path) -> None:
    parsed = dag()
    assert [t.task_id for t in parsed.tasks] == ["run", "deliver", "report"]
    assert set(parsed.tags) == {"Editions", "stock_vouchers", "central"}
    assert parsed.params.get_param("format").value == "pdf"
    assert parsed.params.get_param("validated_only").value is True
    assert parsed.params.get_param("kinds").value == []


@pytest.mark.slow
def test_a_dag_run_delivers_the_vouchers(airflow_db, dossier_url, comptoir_home: Path,
                                         project_definition: Path) -> None:
    engine = get_engine(dossier_url)
    place(engine)  # in the demo definition's week
    movement(engine, "TR-DEMO", "transfer", dt.date(2026, 10, 20), 3, [(1, "3", "4", None)],
             target=1)
    movement(engine, "AJ-DEMO", "adjustment", dt.date(2026, 10, 21), 1,
             [(1, "2", "4", None), (2, "-1", "3", None)])
    movement(engine, "VT-DEMO", "sale", dt.date(2026, 10, 21), 1, [(1, "-1", "4", None)])
    run = dag().test()
    assert run.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
    assert report.level == "info"
    lines = report.body.splitlines()
    assert "Période : du 19/10/2026 au 25/10/2026" in lines
    assert "2 bons de mouvement : 1 transfert, 1 ajustement" in lines
    folder = comptoir_home / "outbox" / "demo" / "editions"
    [depv] = folder.glob("bons-mouvement-DEPV-*.pdf")
    [magv1] = folder.glob("bons-mouvement-MAGV1-*.pdf")
    assert [t for t, _ in bookmarks(depv)] == ["TR-DEMO"]
    assert [t for t, _ in bookmarks(magv1)] == ["AJ-DEMO"]
    text = pages_text(magv1)[0].replace("\u00a0", " ")
    assert "8,00 €" in text and "-3,00 €" in text and "5,00 €" in text


@pytest.mark.slow
def test_comptoir_tasks_run_prints_the_worked_example(airflow_db, dossier_url, comptoir_home,
                                                      tasks_dir):
    """`comptoir tasks run` with the worked example's definition (Airflow in a subprocess)."""
    from tests.dags.test_cli_run import comptoir

    worked_example(get_engine(dossier_url))
    (tasks_dir / "bons.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "bons", "type": "stock_vouchers", "site": "central", "retries": 0,
        "options": {"period": "custom", "date_from": "2025-02-01", "date_to": "2025-02-28",
                    "depots": ["MAGV1"], "format": "csv"},
        "output": {"filename": "bons.csv", "delivery": {"method": "local", "path": "bons"}}}]}))
    result = comptoir("tasks", "run", "bons")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bons: succeeded" in result.stdout
    assert "Période : du 01/02/2025 au 28/02/2025" in result.stdout
    assert "1 bon de mouvement : 1 ajustement" in result.stdout
    [delivered] = (comptoir_home / "outbox" / "bons").glob("bons.csv")
    assert delivered.read_text().splitlines()[1:] == [
        "TESTMV-1;adjustment;2025-02-10;MAGV1;;;;1;1;TSC-A;Article TSC-A;;2;4,0000;8,00",
        "TESTMV-1;adjustment;2025-02-10;MAGV1;;;;1;2;TSC-B;Article TSC-B;;-1;3,0000;-3,00"]
