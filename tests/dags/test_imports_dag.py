"""The `imports` DAG template run through Airflow (`dag.test()`): files of a local folder or of
an SFTP server imported, filed with their reports, a task report, one asset event per entity."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.imports.naming import ENTITY_ORDER
from tests.comptoir.imports.conftest import rows
from tests.plugins.conftest import set_connection, sshd  # noqa: F401  (fixtures)
from tests.servers.sshd import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
SQLITE = pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)

VAT = "CODE;DESIG;TAUX\nN;Normale;20\n"
ARTICLES = "CODE;DESIG;TVA_CODE\nA1;Tee-shirt;N\nA2;Mug;X9\n"  # X9: unknown_vat
CUSTOMERS = "CODE;DESIG;REGIME_CODE\nC1;Dupont;FR\n"


def write(folder: Path, task: dict) -> None:
    (folder / f"{task['id']}.json").write_text(json.dumps({"comptoir_tasks": 1,
                                                           "tasks": [task]}))


def dag_of(task_id: str):
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[task_id]


def imports_task(source: dict, **options) -> dict:
    return {"id": "imports", "type": "imports", "site": "central", "retries": 0,
            "options": {"source": source, **options}}


def reports(url: str, run_id: str):
    with get_engine(url).connect() as conn:
        return list_messages(conn, task_id="imports", run_id=run_id)


def asset_events(run) -> dict[str, dict]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        found = session.execute(
            select(AssetModel.uri, AssetEvent.extra).join(AssetEvent.asset)
            .where(AssetEvent.source_dag_id == run.dag_id,
                   AssetEvent.source_run_id == run.run_id)).all()
    return {uri: extra for uri, extra in found}


def filed(folder: Path) -> list[str]:
    return sorted(p.name for day in folder.iterdir() for p in day.iterdir())


def test_the_params_are_the_options_as_a_self_explaining_form(tasks_dir, tmp_path):
    write(tasks_dir, imports_task({"kind": "local", "path": str(tmp_path / "in")},
                                  entities=["articles"], dry_run=True))
    dag = dag_of("imports")
    assert [t.task_id for t in dag.tasks] == ["fetch", "import_files", "report"]
    assert dag.task_dict["report"].trigger_rule == "all_done"
    assert {t.queue for t in dag.tasks} == {"central"}
    assert set(dag.tags) == {"Import-Export", "imports", "central"}
    assert "Importations" in dag.doc_md
    assert 'untick "Unpause on trigger"' in dag.doc_md  # or a dry run races the scheduled one
    assert dag.params.get_param("fail_on_rejections").value is False
    assert [o.name for o in dag.task_dict["import_files"].outlets] == ["comptoir-imports"]
    params = dag.params
    entities = params.get_param("entities")
    assert entities.value == ["articles"]
    assert entities.schema["examples"] == list(ENTITY_ORDER)  # a multi-select in the UI
    assert entities.schema["items"]["enum"] == list(ENTITY_ORDER)
    assert params.get_param("mode").schema["enum"] == ["create", "modify", None]
    assert params.get_param("dry_run").value is True
    assert params.get_param("auto_create_regimes").schema["type"] == ["boolean", "null"]
    assert params.get_param("auto_create_vat").schema["section"] == "Import"
    assert params.get_param("source_path").value == str(tmp_path / "in")
    assert params.validate()["separator"] == ";"


@SQLITE
def test_a_local_inbox_is_imported_filed_reported_and_its_entities_updated(
        airflow_db, dossier_url, comptoir_home, tasks_dir, tmp_path):
    folder = tmp_path / "drop"
    write(tasks_dir, imports_task({"kind": "local", "path": str(folder),
                                   "min_age_seconds": 0}))
    incoming = folder / "incoming"
    incoming.mkdir(parents=True)
    for name, text in (("articles.csv", ARTICLES), ("vat.csv", VAT),
                       ("customers.csv", CUSTOMERS)):
        (incoming / name).write_text(text)

    dry = dag_of("imports").test(run_conf={"dry_run": True})
    assert dry.state == "success"
    assert rows(get_engine(dossier_url), "SELECT COUNT(*) FROM vat_codes") == [(0,)]
    assert sorted(p.name for p in incoming.iterdir()) == ["articles.csv", "customers.csv",
                                                          "vat.csv"]
    assert asset_events(dry) == {}

    run = dag_of("imports").test(run_conf={"entities": ["vat", "articles"]})
    assert run.state == "success"
    assert rows(get_engine(dossier_url), "SELECT code FROM articles") == [("A1",)]
    assert [p.name for p in incoming.iterdir()] == ["customers.csv"]  # not in this run's entities
    assert filed(folder / "done") == ["articles.csv", "articles.csv.report.json", "vat.csv",
                                      "vat.csv.report.json"]
    (report,) = reports(dossier_url, run.run_id)
    assert (report.level, report.title) == (  # rejections show: a warning with the counts
        "warning", "imports: succeeded with warnings — 1 of 3 records rejected "
        "(articles.csv): see the import reports")
    assert "articles.csv — articles: 2 records, 1 accepted, 1 rejected → done" in report.body
    assert "Left waiting (not in the entities of this run): customers.csv" in report.body
    events = asset_events(run)
    assert set(events) == {"comptoir://dossier/vat", "comptoir://dossier/articles"}
    assert events["comptoir://dossier/articles"]["accepted"] == 1
    assert events["comptoir://dossier/articles"]["files"] == ["articles.csv"]

    (incoming / "price-list.csv").write_text("CODE;PRIX\nA1;10\n")
    failed = dag_of("imports").test(run_conf={"auto_create_regimes": True})
    assert failed.state == "failed"
    assert rows(get_engine(dossier_url), "SELECT code FROM customers") == [("C1",)]
    assert filed(folder / "failed") == ["price-list.csv", "price-list.csv.report.json"]
    (error,) = reports(dossier_url, failed.run_id)
    assert error.level == "error"
    assert error.title.startswith("imports: failed — import_files: 1 file could not be "
                                  "imported: price-list.csv: the file name says no entity")
    assert set(asset_events(failed)) == {"comptoir://dossier/customers"}

    (incoming / "articles_2.csv").write_text("CODE;DESIG;TVA_CODE\nA3;Bol;N\nA4;Verre;X9\n")
    strict = dag_of("imports").test(run_conf={"fail_on_rejections": True})
    assert strict.state == "failed"  # red in the grid, what was accepted is written
    assert rows(get_engine(dossier_url), "SELECT code FROM articles ORDER BY code") == [
        ("A1",), ("A3",)]
    (error,) = reports(dossier_url, strict.run_id)
    assert error.title == ("imports: failed — import_files: fail_on_rejections: 1 of 2 "
                           "records rejected (articles_2.csv): see the import reports")


@SQLITE
@pytest.mark.servers
def test_an_sftp_folder_is_fetched_then_imported(
        airflow_db, dossier_url, comptoir_home, tasks_dir, sshd, set_connection):  # noqa: F811
    set_connection("sftp_erp", sshd.connection(password=TEST_PASSWORD))
    remote = sshd.user_folder("out")
    (remote / "vat.csv").write_text(VAT)
    write(tasks_dir, imports_task({"kind": "sftp", "conn_id": "sftp_erp",
                                   "directory": str(remote), "pattern": "*.csv"}))

    run = dag_of("imports").test()
    assert run.state == "success"
    assert rows(get_engine(dossier_url), "SELECT code FROM vat_codes") == [("N",)]
    assert sorted(p.name for p in remote.iterdir()) == ["processed"]
    inbox = comptoir_home / "inbox" / "imports"
    assert filed(inbox / "done") == ["vat.csv", "vat.csv.origin.json", "vat.csv.report.json"]
    (report,) = reports(dossier_url, run.run_id)
    assert "Fetched from SFTP connection 'sftp_erp'" in report.body
    assert set(asset_events(run)) == {"comptoir://dossier/vat"}
