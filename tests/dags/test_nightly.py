"""`comptoir nightly`, what `make demo` runs: every enabled task's DAG through Airflow, in order."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from comptoir.cli.nightly import SPOOL_RETRY_DAG, batch_order, gist


def definition(task_id: str, category: str, enabled: bool = True,
               type_: str = "export_data") -> SimpleNamespace:
    kind = SimpleNamespace(category=SimpleNamespace(value=category))
    return SimpleNamespace(id=task_id, enabled=enabled, task_type=kind, type=type_)


def test_batch_runs_imports_first_upkeep_last_and_skips_disabled_tasks() -> None:
    order = batch_order([
        definition("backup", "Système"),
        definition("export", "Import-Export"),
        definition("statement", "Editions"),
        definition("off", "Editions", enabled=False),
        definition("imports", "Import-Export", type_="imports"),
    ])
    assert order == ["imports", "export", "statement", "backup", SPOOL_RETRY_DAG]


def test_batch_invoices_then_posts_the_pos_day_then_exports_the_fec() -> None:
    order = batch_order([
        definition("fec", "Import-Export", type_="accounting_fec"),
        definition("accounting", "Autres", type_="pos_accounting"),
        definition("invoicing", "Autres", type_="pos_invoicing"),
        definition("backup", "Système"),
        definition("tickets", "Import-Export", type_="pos_tickets"),
        definition("imports", "Import-Export", type_="imports"),
    ])
    assert order == ["imports", "tickets", "invoicing", "accounting", "fec", "backup",
                     SPOOL_RETRY_DAG]


def test_batch_prints_the_editions_after_everything_that_writes() -> None:
    order = batch_order([
        definition("balance", "Editions", type_="customer_balance"),
        definition("journal", "Editions", type_="daily_journal"),
        definition("fec", "Import-Export", type_="accounting_fec"),
        definition("accounting", "Autres", type_="pos_accounting"),
        definition("season", "Historiques", type_="season_end"),
        definition("backup", "Système"),
    ])
    assert order == ["season", "accounting", "fec", "balance", "journal", "backup",
                     SPOOL_RETRY_DAG]


def test_batch_applies_the_sales_days_to_the_stock_right_after_the_tickets() -> None:
    order = batch_order([
        definition("restock", "Autres", type_="restock_alert"),
        definition("stock-export", "Import-Export"),
        definition("sales-correction", "Système", type_="sales_correction"),
        definition("backup", "Système"),
        definition("tickets", "Import-Export", type_="pos_tickets"),
    ])
    assert order == ["tickets", "sales-correction", "stock-export", "restock", "backup",
                     SPOOL_RETRY_DAG]


@pytest.mark.slow
@pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)
def test_nightly_demo_fills_the_dossier_runs_every_dag_and_says_what_it_produced(
        airflow_db, dossier_url, comptoir_home, tasks_dir):
    (tasks_dir / "stock.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "stock-per-store", "type": "export_data", "retries": 0,
        "options": {"entity": "stock"},
        "output": {"filename": "stock-{mag:code}.csv",
                   "delivery": {"method": "local", "path": "nightly"}}}]}))
    (tasks_dir / "broken.json").write_text("{not json")

    result = subprocess.run(
        [sys.executable, "-c", "from comptoir.cli import main; main()", "nightly", "--demo"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped an invalid definition" in result.stdout and "broken.json" in result.stdout
    assert re.search(r"stock-per-store\s+│ success\s+│ Delivered to local folder", result.stdout)
    assert re.search(rf"{SPOOL_RETRY_DAG}\s+│ success", result.stdout)
    stores = sorted(p.name for p in (comptoir_home / "outbox" / "nightly").iterdir())
    assert stores == [f"stock-MAG0{n}.csv" for n in range(1, 7)]
    assert "Files produced (6)" in result.stdout
    # each task's log where the UI reads it ([logging] base_log_folder: $AIRFLOW_HOME/logs)
    logs = Path(os.environ["AIRFLOW_HOME"]) / "logs" / "dag_id=stock-per-store"
    assert {p.parent.name for p in logs.glob("run_id=*/task_id=*/attempt=*.log")} >= {
        "task_id=deliver", "task_id=report"}
    assert re.search(r"outbox/nightly \(6\): stock-MAG01.csv, stock-MAG02.csv, .*stock-MAG06.csv",
                     result.stdout)


def test_the_summary_shows_what_the_type_did_not_where_its_file_went() -> None:
    journal = ("Task: daily-journal (Brouillard / feuille de journée)\nRun: manual-1\n"
               "Période : du 19/10/2026 au 25/10/2026\n"
               "Brouillard : 36 journées (magasin × jour), total net 117 658,64 €\n"
               "Produced brouillard-MAG01-20261203.pdf (6 rows)\n"
               "Delivered to local folder /srv/out: brouillard-MAG01-20261203.pdf")
    assert gist(journal) == "Brouillard : 36 journées (magasin × jour), total net 117 658,64 €"
    export = ("Task: stock (Exportation de données)\nRun: manual-1\n"
              "Produced stock.csv (5 rows)\nDelivered to local folder /srv/out: stock.csv")
    assert gist(export) == "Delivered to local folder /srv/out: stock.csv"
