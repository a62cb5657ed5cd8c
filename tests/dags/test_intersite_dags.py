"""The inter-site reception's DAG: `fetch >> receive >> report` on the inbox template, in
Import-Export, announcing through its asset alias, with a titled and sectioned trigger
form."""

import json
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

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
    source = params.get_param("source").value
    assert (source["kind"], source["conn_id"], source["mailbox"]) == ("imap", "imap_appros",
                                                                      "INBOX")
    assert source["processed_mailbox"] == "Comptoir/Commandes inter-sites"  # not Traité
    assert params.get_param("source").schema["section"] == "Mailbox"
    assert "processed_mailbox" in params.get_param("source").description
    assert params.get_param("prices").schema["enum"] == ["order", "catalogue"]
    for name in params:
        param = params.get_param(name)
        assert param.schema.get("title") and param.description, name
        assert param.schema.get("section"), name
    assert params.validate() == {"source": source, "prices": "order", "acknowledge": False,
                                 "dry_run": False}
