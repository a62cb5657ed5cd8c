import json
from datetime import timedelta
from pathlib import Path

import pytest
from airflow.serialization.serialized_objects import DagSerialization

from comptoir.automation.definitions import load_folder
from comptoir_airflow.dag_factory import INVALID_TAG, build_all

EXPORT = {
    "id": "export-stock", "name": "Stock per store", "type": "export_data", "site": "mag-01",
    "schedule": "30 1 * * *", "owner": "back-office", "retries": 3,
    "options": {"entity": "stock", "separator": "|"},
    "output": {"filename": "stock-{mag:code}.csv",
               "delivery": {"method": "sftp", "conn_id": "sftp_hq", "directory": "/in"}},
}



def write(folder, task, name=None):
    (folder / (name or f"{task['id']}.json")).write_text(
        json.dumps({"comptoir_tasks": 1, "tasks": [task]}), encoding="utf-8")


def test_one_dag_per_definition_with_tags_queue_owner_retries_and_docs(tasks_dir):
    write(tasks_dir, EXPORT)
    write(tasks_dir, {"id": "upkeep", "type": "db_maintenance", "schedule": "@weekly"})
    dags = build_all()
    dag = dags["export-stock"]
    assert set(dag.tags) == {"Import-Export", "export_data", "mag-01"}
    assert [t.task_id for t in dag.tasks] == ["run", "deliver", "report"]
    assert dag.task_dict["report"].upstream_task_ids == {"deliver"}
    assert dag.task_dict["report"].trigger_rule == "all_done"
    for task in dag.tasks:
        assert task.queue == "mag-01" and task.owner == "back-office"
    assert dag.task_dict["run"].retries == 3 and dag.task_dict["report"].retries == 0
    assert dag.task_dict["deliver"].retry_delay == timedelta(minutes=5)
    assert dag.timetable.expression == "30 1 * * *"
    assert str(dag.timetable.timezone) == "Europe/Paris"  # the schedule is local time
    assert not dag.catchup and dag.max_active_runs == 1
    assert "Exportation de données" in dag.doc_md and "sftp_hq" in dag.doc_md
    assert "Exports one entity" in dag.doc_md
    upkeep = dags["upkeep"]
    assert [t.task_id for t in upkeep.tasks] == ["run", "report"]
    assert "Système" in upkeep.tags


def test_the_options_are_a_self_explaining_trigger_form(tasks_dir):
    write(tasks_dir, EXPORT)
    params = build_all()["export-stock"].params
    entity = params.get_param("entity")
    assert entity.value == "stock"
    assert entity.schema["title"] == "Entity" and entity.schema["section"] == "Data"
    assert entity.description == "What to export."
    assert "stock" in entity.schema["enum"]
    assert params.get_param("separator").value == "|"
    assert params.validate()["columns"] == []  # every default is valid for the form


def test_an_invalid_definition_is_a_marked_dag_and_the_others_load(tasks_dir):
    write(tasks_dir, EXPORT)
    write(tasks_dir, {**EXPORT, "id": "broken", "options": {"entity": "planets"}})
    (tasks_dir / "garbage.json").write_text("{", encoding="utf-8")
    dags = build_all()
    assert "export-stock" in dags
    broken = dags["broken"]
    assert set(broken.tags) == {INVALID_TAG}
    assert "broken.json: task 'broken': options.entity" in broken.doc_md
    assert broken.timetable.can_be_scheduled is False
    assert [t.task_id for t in broken.tasks] == ["definition_invalid"]
    garbage = dags["invalid.garbage"]
    assert "not valid JSON" in garbage.doc_md


def test_a_disabled_task_has_no_schedule(tasks_dir):
    write(tasks_dir, {**EXPORT, "enabled": False})
    dag = build_all()["export-stock"]
    assert "disabled" in dag.tags and dag.timetable.can_be_scheduled is False


def test_running_a_task_builds_only_its_dag(tasks_dir, monkeypatch):
    write(tasks_dir, EXPORT)
    write(tasks_dir, {"id": "upkeep", "type": "db_maintenance"})
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "upkeep")
    assert list(build_all()) == ["upkeep"]
    write(tasks_dir, {"id": "elsewhere", "type": "db_maintenance"}, name="zz-other-name.json")
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "elsewhere")
    assert list(build_all()) == ["elsewhere"]


def test_templates_are_registered_by_name():
    from comptoir.automation.catalog import TEMPLATES
    from comptoir_airflow.templates import builder

    for name in TEMPLATES:
        assert callable(builder(name))
    with pytest.raises(LookupError, match="no DAG template 'nope'; registered: default, inbox"):
        builder("nope")


def test_the_imports_type_is_built_on_the_inbox_template(tasks_dir):
    write(tasks_dir, {"id": "imports", "type": "imports"})
    dag = build_all()["imports"]
    assert [t.task_id for t in dag.tasks] == ["fetch", "import_files", "report"]
    assert dag.task_dict["fetch"].first and not dag.task_dict["import_files"].first
    assert "fetch >> import_files >> report" in dag.doc_md


def test_the_form_requires_only_options_without_a_default_and_takes_null_for_the_others(
        monkeypatch):
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(Path(__file__).resolve().parents[2] / "tasks"))
    definitions = {d.id: d for d in load_folder().definitions}
    dags = build_all()
    assert len(dags) == len(definitions) > 20
    for dag_id, dag in dags.items():
        options = definitions[dag_id].task_type.options.model_fields
        fields = {info.alias or name: info for name, info in options.items()}
        emptied = {}
        for name in dag.params:
            schema = dag.params.get_param(name).schema
            kind = schema.get("type")
            required = bool(kind) and (not isinstance(kind, list) or "null" not in kind)
            expected = name in fields and fields[name].is_required() or (
                name == "source_kind" and fields["source"].is_required())
            assert required == expected, (dag_id, name)
            if not required:
                emptied[name] = None
        served = DagSerialization.from_dict(DagSerialization.to_dict(dag))  # as the API has it
        served.params.deep_merge(emptied).validate()  # what it checks when a run is triggered


def test_the_docs_show_the_options_as_a_table_and_warn_about_unpausing(tasks_dir):
    write(tasks_dir, {**EXPORT, "options": {"entity": "stock", "separator": "|",
                                            "decimal_separator": ".", "columns": ["depot"]}})
    write(tasks_dir, {"id": "imports", "type": "imports",
                      "options": {"source": {"kind": "local", "path": "drop"}}})
    dags = build_all()
    export = dags["export-stock"].doc_md
    assert "| Option | Value |" in export
    assert "| Separator (`separator`) | \\| (pipe) (`\\|`) |" in export
    assert "| Decimal separator (`decimal_separator`) | Point (12.50) (`.`) |" in export
    assert "| Columns (`columns`) | `depot` |" in export
    assert "Unpause on trigger" not in export
    imports = dags["imports"].doc_md
    assert "| Inbox (`source`) | kind: `local`, path: `drop` |" in imports
    assert "{'" not in imports and "'kind'" not in imports  # no Python repr
    assert "untick *Unpause on trigger*" in imports
