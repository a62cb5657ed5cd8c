"""The `season_end` DAG from the project's task definition: `run >> deliver >> report` in
Historiques, and a `dag.test()` run archiving the worked example's January (both
databases)."""

import gzip
import json
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from tests.comptoir.retail.test_season_end import JANUARY, Dossier, at, tickets

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = json.loads((ROOT / "tasks" / "season-end.json").read_text())


def dag(tasks_dir: Path):  # type: ignore[no-untyped-def]
    (tasks_dir / "season-end.json").write_text(json.dumps(DEFINITION))
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["season-end"]


def test_the_dag_runs_delivers_and_reports_in_historiques(tasks_dir: Path) -> None:
    built = dag(tasks_dir)
    assert [t.task_id for t in built.tasks] == ["run", "deliver", "report"]
    assert set(built.tags) == {"Historiques", "season_end", "central"}
    assert "Travaux de fin de saison / historiques" in built.doc_md
    assert built.params.validate()["keep_months"] == 24


def test_a_dag_run_archives_and_delivers_the_old_tickets(airflow_db, engine,
                                                         comptoir_home: Path,
                                                         tasks_dir: Path) -> None:
    import datetime as dt

    dossier = Dossier(engine)
    january = dossier.day(dt.date(2020, 1, 15))
    dossier.ticket(january, at(15, 1), 2)
    dossier.ticket(january, at(15, 1, 11), 1, mode=2)
    run = dag(tasks_dir).test()
    assert run.state == "success"
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id="season-end", run_id=run.run_id)
    assert report.level == "info", report.body
    assert "Historique : 2 tickets (2 lignes) de 1 magasin archivés avant le " in report.body
    [path] = list(comptoir_home.rglob("ventes-historique-*.csv.gz"))
    assert gzip.decompress(path.read_bytes()).decode().splitlines() == JANUARY
    assert tickets(engine) == []
