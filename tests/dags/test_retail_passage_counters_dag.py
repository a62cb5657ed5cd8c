"""`passage_counters` through Airflow: the project's definition parsed into a `fetch >> run
>> deliver >> report` DAG in Autres, and a `dag.test()` run importing a counter file of
yesterday and writing its rate (both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from airflow.dag_processing.dagbag import DagBag
from sqlalchemy import func, select

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import depots, pos_tickets, registers, sales_days, store_traffic

ROOT = Path(__file__).resolve().parents[2]
TASK = "passage-counters"


def project_dag(tasks_dir: Path):  # type: ignore[no-untyped-def]
    (tasks_dir / f"{TASK}.json").write_text((ROOT / "tasks" / f"{TASK}.json").read_text())
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[TASK]


def test_the_project_definition_is_an_inbox_dag_in_autres(tasks_dir: Path) -> None:
    dag = project_dag(tasks_dir)
    assert [t.task_id for t in dag.tasks] == ["fetch", "run", "deliver", "report"]
    assert set(dag.tags) == {"Autres", "passage_counters", "central"}
    assert "Compteurs de passages" in dag.doc_md
    assert dag.params.get_param("period").value == "last_7_days"
    assert dag.params.get_param("period").schema["section"] == "Period"


def test_a_dag_run_imports_the_counts_and_writes_the_rate(
        airflow_db, dossier_url: str, comptoir_home: Path, tasks_dir: Path) -> None:
    engine = get_engine(dossier_url)
    yesterday = dt.datetime.now(ZoneInfo("Europe/Paris")).date() - dt.timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(depots.insert(), [{"id": 1, "code": "MAG01", "name": "Magasin 1",
                                        "is_store": True}])
        conn.execute(registers.insert(), [{"id": 1, "depot_id": 1, "code": "C1",
                                           "name": "Caisse 1"}])
        conn.execute(sales_days.insert(), [{"id": 1, "depot_id": 1, "register_id": 1,
                                            "date": yesterday}])
        conn.execute(pos_tickets.insert(), [
            {"depot_id": 1, "register_id": 1, "number": n, "sales_day_id": 1,
             "issued_at": dt.datetime.combine(yesterday, dt.time(10), dt.UTC),
             "total_incl_tax": Decimal("20.00")} for n in (1, 2, 3)])
    incoming = comptoir_home / "inbox" / TASK / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "comptages.csv").write_text(
        f"MAGASIN;DATE;HEURE;ENTREES\nMAG01;{yesterday:%d/%m/%Y};10;10\n"
        f"MAG01;{yesterday:%d/%m/%Y};11;30\nMAG99;{yesterday:%d/%m/%Y};11;30\n")
    dag = project_dag(tasks_dir)
    dag.params["source"] = {"kind": "local", "path": TASK, "pattern": "*.csv",
                            "min_age_seconds": 0}
    run = dag.test()
    assert run.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
        assert conn.execute(select(func.sum(store_traffic.c.visitors))).scalar_one() == 40
    assert report.level == "warning"
    body = report.body.splitlines()
    assert "comptages.csv : 2 lignes importées, 1 rejetée" in body
    assert "ligne 4 : magasin inconnu MAG99" in body
    assert "Taux de transformation : 1 journée, moyenne 7,50 %" in body
    [produced] = (comptoir_home / "outbox" / "demo" / "traffic").glob("taux-*.csv")
    assert produced.read_text(encoding="utf-8-sig").splitlines()[1] == (
        f"{yesterday:%Y-%m-%d};MAG01;Magasin 1;40;3;7,5;60,00;20,00")
