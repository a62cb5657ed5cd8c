"""Automated tasks run through Airflow (`dag.test()`): delivery, reports, spool, run once."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.automation.modes import set_mode
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import articles, depots, stock_records
from comptoir.exchange import spool

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("dossier_url", ["sqlite"],
                                                        indirect=True)]


def write(folder: Path, task: dict) -> None:
    (folder / f"{task['id']}.json").write_text(json.dumps({"comptoir_tasks": 1,
                                                           "tasks": [task]}))


def dag_of(task_id: str):
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[task_id]


def seed(url: str) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAG01", "name": "Lyon", "is_store": True, "site": "mag-01"},
            {"id": 2, "code": "MAG02", "name": "Paris", "is_store": True, "site": "mag-02"}])
        conn.execute(articles.insert(), [{"id": 1, "code": "A1", "name": "Tee-shirt"}])
        conn.execute(stock_records.insert(), [
            {"article_id": 1, "depot_id": 1, "quantity": 3, "value": 30, "wac": 10}])


def reports(url: str, **filters):
    with get_engine(url).connect() as conn:
        return list_messages(conn, **filters)


def export_task(out: Path) -> dict:
    return {"id": "stock-per-store", "type": "export_data", "retries": 0,
            "options": {"entity": "stock", "columns": ["depot", "article", "quantity"]},
            "output": {"filename": "stock-{mag:code}.csv",
                       "delivery": {"method": "local", "path": str(out)}}}


def test_a_manual_run_delivers_the_files_and_reports_even_in_isolated_mode(
        airflow_db, dossier_url, comptoir_home, tasks_dir, tmp_path):
    seed(dossier_url)
    with get_engine(dossier_url).begin() as conn:
        set_mode(conn, "isolated", True)  # a run started by hand still executes
    out = tmp_path / "out"
    write(tasks_dir, export_task(out))
    run = dag_of("stock-per-store").test(run_conf={"separator": "|"})
    assert run.state == "success"
    assert sorted(p.name for p in out.iterdir()) == ["stock-MAG01.csv", "stock-MAG02.csv"]
    assert (out / "stock-MAG01.csv").read_text().splitlines() == ["depot|article|quantity",
                                                                 "MAG01|A1|3,000"]
    (report,) = reports(dossier_url)
    assert (report.level, report.run_id, report.title) == ("info", run.run_id,
                                                           "stock-per-store: succeeded")
    assert "Delivered to local folder" in report.body


def test_a_failed_delivery_stays_in_the_spool_until_the_next_run(
        airflow_db, dossier_url, comptoir_home, tasks_dir, tmp_path):
    seed(dossier_url)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    write(tasks_dir, export_task(blocker / "out"))
    failed = dag_of("stock-per-store").test()
    assert failed.state == "failed"
    assert sorted(p.name for p in spool.pending("stock-per-store")) == [
        "stock-MAG01.csv", "stock-MAG02.csv"]
    (error,) = reports(dossier_url, errors_only=True)
    assert error.run_id == failed.run_id
    assert "the folder cannot be created" in error.title
    assert "Still in the spool, retried at the next run" in error.body

    out = tmp_path / "fixed"
    write(tasks_dir, export_task(out))
    assert dag_of("stock-per-store").test().state == "success"
    assert sorted(p.name for p in out.iterdir()) == ["stock-MAG01.csv", "stock-MAG02.csv"]
    assert spool.pending("stock-per-store") == []


def test_a_run_once_task_removes_its_definition_after_success(
        airflow_db, dossier_url, comptoir_home, tasks_dir):
    write(tasks_dir, {"id": "upkeep-once", "type": "db_maintenance", "run_once": True,
                      "options": {"vacuum": False}})
    assert dag_of("upkeep-once").test().state == "success"
    assert not (tasks_dir / "upkeep-once.json").exists()
    assert reports(dossier_url)[0].title == "upkeep-once: succeeded"


def test_an_emptied_columns_field_exports_every_column(
        airflow_db, dossier_url, comptoir_home, tasks_dir, tmp_path):
    seed(dossier_url)
    out = tmp_path / "out"
    write(tasks_dir, export_task(out))
    run = dag_of("stock-per-store").test(run_conf={"columns": None, "stores": None,
                                                   "header": None})
    assert run.state == "success"
    header = (out / "stock-MAG01.csv").read_text().splitlines()[0].split(";")
    assert len(header) > 3 and {"depot", "article", "quantity"} <= set(header)
