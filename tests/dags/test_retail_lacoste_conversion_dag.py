"""`lacoste_conversion` through Airflow: the project's definition parsed into a `fetch >> run
>> deliver >> report` DAG in Import-Export, and a `dag.test()` run converting a pair
(both databases)."""

from __future__ import annotations

from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import (
    article_correspondences,
    articles,
    depots,
    payment_modes,
    registers,
)
from tests.comptoir.retail.test_lacoste_conversion import (
    DT42_HEADER,
    DT43_HEADER,
    HEADER,
    WORKED_LINES,
    WORKED_PAYMENTS,
)

ROOT = Path(__file__).resolve().parents[2]
TASK = "lacoste-conversion"


def project_dag(tasks_dir: Path):  # type: ignore[no-untyped-def]
    (tasks_dir / f"{TASK}.json").write_text((ROOT / "tasks" / f"{TASK}.json").read_text())
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[TASK]


def test_the_project_definition_is_an_inbox_dag_in_import_export(tasks_dir: Path) -> None:
    dag = project_dag(tasks_dir)
    assert [t.task_id for t in dag.tasks] == ["fetch", "run", "deliver", "report"]
    assert dag.task_dict["fetch"].downstream_task_ids == {"run"}
    assert set(dag.tags) == {"Import-Export", "lacoste_conversion", "central"}
    assert "Conversion Lacoste" in dag.doc_md
    assert dag.params.get_param("store_map").value == {"0042": "MAG01"}
    assert dag.params.get_param("ticket_numbering").schema["section"] == "Conversion"


def test_a_dag_run_converts_the_pair(airflow_db, dossier_url: str, comptoir_home: Path,
                                     tasks_dir: Path) -> None:
    engine = get_engine(dossier_url)
    with engine.begin() as conn:
        conn.execute(depots.insert(), [{"id": 1, "code": "MAG01", "name": "Magasin 1",
                                        "is_store": True}])
        conn.execute(registers.insert(), [{"id": 1, "depot_id": 1, "code": "C1",
                                           "name": "Caisse 1"}])
        conn.execute(payment_modes.insert(), [{"id": 1, "code": "CB", "name": "Carte"},
                                              {"id": 2, "code": "ESP", "name": "Espèces"}])
        conn.execute(articles.insert(), [{"id": 1, "code": "TLC-POLO-B", "name": "Polo"}])
        conn.execute(article_correspondences.insert(), [
            {"connector": "LACOSTE", "external_code": "L1212-001", "article_id": 1}])
    incoming = comptoir_home / "inbox" / TASK / "incoming"
    incoming.mkdir(parents=True)
    for name, header, rows in (("DT42 Tickets 20250319 2100 00001.txt", DT42_HEADER,
                                WORKED_LINES),
                               ("DT43 Reglements 20250319 2100 00001.txt", DT43_HEADER,
                                WORKED_PAYMENTS)):
        (incoming / name).write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
    dag = project_dag(tasks_dir)
    dag.params["source"] = {"kind": "local", "path": TASK, "pattern": "DT4*.txt",
                            "min_age_seconds": 0}
    run = dag.test()
    assert run.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id=TASK, run_id=run.run_id)
    assert report.level == "warning"
    assert ("DT42 Tickets 20250319 2100 00001.txt + DT43 Reglements 20250319 2100 00001.txt "
            ": 2 tickets convertis, 1 rejeté") in report.body.splitlines()
    [produced] = (comptoir_home / "outbox" / "demo" / "lacoste").glob("Lacoste-Vente-*.csv")
    lines = produced.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER and len(lines) == 7
    assert list(incoming.iterdir()) == []
