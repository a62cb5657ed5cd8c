"""The inter-site reception's DAG: `fetch >> receive >> report` on the inbox template, in
Import-Export, announcing through its asset alias, with a titled and sectioned trigger
form."""

import json
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from tests.comptoir.imports.conftest import rows
from tests.comptoir.intersite.central import attachment, central, drop, mail, order
from tests.dags.test_imports_dag import asset_events

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = {"id": "appros-releve", "type": "intersite_receive", "site": "central",
              "schedule": "*/10 * * * *",
              "options": {"source": {"kind": "imap", "conn_id": "imap_appros"}},
              "output": None}


def dag(tasks_dir: Path):  # type: ignore[no-untyped-def]
    (tasks_dir / "appros-releve.json").write_text(json.dumps(DEFINITION))
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["appros-releve"]


def test_the_reception_dag_is_fetch_receive_report_in_import_export(tasks_dir: Path) -> None:
    built = dag(tasks_dir)
    assert [t.task_id for t in built.tasks] == ["fetch", "receive", "report"]
    assert built.task_dict["fetch"].downstream_task_ids == {"receive"}
    assert built.task_dict["receive"].downstream_task_ids == {"report"}
    assert built.task_dict["report"].trigger_rule == "all_done"
    assert set(built.tags) == {"Import-Export", "intersite_receive", "central"}
    assert "Réception des commandes inter-sites" in built.doc_md
    assert [o.name for o in built.task_dict["receive"].outlets] == ["comptoir-intersite"]
    assert built.timetable.expression == "*/10 * * * *"


def test_the_trigger_form_explains_every_option(tasks_dir: Path) -> None:
    params = dag(tasks_dir).params
    source = {name: params.get_param(f"source_{name}").value
              for name in ("kind", "conn_id", "mailbox", "processed_mailbox")}
    assert source == {"kind": "imap", "conn_id": "imap_appros", "mailbox": "INBOX",
                      "processed_mailbox": "Comptoir/Commandes inter-sites"}  # not Traité
    kind = params.get_param("source_kind").schema
    assert kind["section"] == "Mailbox" and kind["enum"] == ["imap", "pop3", "mail_folder"]
    assert kind["type"] == "string"  # the mailbox is required
    assert "processed mailbox" in params.get_param("source_kind").description
    assert params.get_param("prices").schema["enum"] == ["order", "catalogue", None]
    for name in params:
        param = params.get_param(name)
        assert param.schema.get("title") and param.description, name
        assert param.schema.get("section"), name
    values = params.validate()
    assert {name: values[name] for name in ("prices", "acknowledge", "dry_run")} == {
        "prices": "order", "acknowledge": False, "dry_run": False}
    assert {name: values[f"source_{name}"] for name in source} == source


@pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)
def test_a_reception_dag_run_creates_the_orders_once_and_announces_them(
        airflow_db, dossier_url, comptoir_home: Path, tasks_dir: Path) -> None:
    engine = get_engine(dossier_url)
    central(engine)
    folder = comptoir_home / "mail" / "incoming"
    drop(folder, "a.eml", mail(attachment(order("CF1"), order("CF2"))))
    definition = {**DEFINITION, "options": {"source": {"kind": "mail_folder",
                                                       "path": "incoming"}}}
    (tasks_dir / "appros-releve.json").write_text(json.dumps(definition))

    def run():  # type: ignore[no-untyped-def]
        parsed = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py"))
        return parsed.dags["appros-releve"].test()

    first = run()
    assert first.state == "success"
    assert rows(engine, "SELECT origin FROM sales_documents ORDER BY origin") == [
        ("DIST-CALVI:CF1",), ("DIST-CALVI:CF2",)]
    assert asset_events(first)["comptoir://dossier/sales_documents"]["documents"] == 2
    with engine.connect() as conn:
        (report,) = list_messages(conn, task_id="appros-releve", run_id=first.run_id)
    assert report.level == "info"
    assert report.body.splitlines()[-1] == (
        "1 messages: 1 processed, 0 rejected; 2 orders created, 0 already received, "
        "0 rejected")
    drop(folder, "copy.eml", mail(attachment(order("CF1")), subject="Fwd: copie"))
    second = run()
    assert second.state == "success"  # exit 0: an order already received is no rejection
    assert rows(engine, "SELECT COUNT(*) FROM sales_documents") == [(2,)]
    assert asset_events(second) == {}


@pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)
def test_a_sending_dag_run_mails_the_orders(airflow_db, dossier_url, comptoir_home: Path,
                                             tasks_dir: Path, monkeypatch) -> None:
    from tests.comptoir.intersite import distributor

    monkeypatch.delenv("COMPTOIR_MAIL_BACKEND", raising=False)
    engine = get_engine(dossier_url)
    distributor.reference(engine)
    distributor.order(engine, "CF2026-000001")
    (tasks_dir / "intersite-send.json").write_text((ROOT / "tasks" / "intersite-send.json")
                                                   .read_text())
    built = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["intersite-send"]
    assert [t.task_id for t in built.tasks] == ["run", "report"]
    assert set(built.tags) == {"Import-Export", "intersite_send", "central"}
    run = built.test()
    assert run.state == "success"
    assert len(list((comptoir_home / "mail").glob("*.eml"))) == 1
    assert distributor.orders_state(engine)["CF2026-000001"][:2] == ("pending", True)
