import json

import pytest

from comptoir.automation.definitions import (
    InvalidDefinition,
    UnknownTask,
    document,
    find,
    load_folder,
)

EXPORT = {
    "id": "export-customers-nightly",
    "name": "Nightly customer export for the loyalty partner",
    "type": "export_data",
    "site": "central",
    "schedule": "0 2 * * *",
    "enabled": True,
    "run_once": False,
    "options": {"entity": "customers"},
    "output": {
        "filename": "clients-{y}{m}{d}-{h}{i}.csv",
        "delivery": {"method": "sftp", "conn_id": "sftp_loyalty", "directory": "/in"},
    },
    "report": {"on_success": True, "on_error": True, "email": None},
}


def with_(**changes):
    task = json.loads(json.dumps(EXPORT))
    for key, value in changes.items():
        task[key] = value
    return task


def only_error(tasks_dir):
    loaded = load_folder()
    assert len(loaded.errors) == 1, loaded.errors
    return str(loaded.errors[0])


def test_the_contract_example_is_valid(write_task):
    write_task(EXPORT)
    loaded = load_folder()
    assert loaded.errors == []
    (definition,) = loaded.definitions
    assert definition.id == "export-customers-nightly"
    assert definition.filename == "clients-{y}{m}{d}-{h}{i}.csv"
    assert definition.typed_options().separator == ";"
    assert "sftp_loyalty" in definition.summary()


@pytest.mark.parametrize("task, expected", [
    (with_(type="nope"), "task 'export-customers-nightly': type: unknown task type 'nope'"),
    (with_(options={"entity": "planets"}), "options.entity: Input should be"),
    (with_(options={"entity": "customers", "separator": "#"}), "options.separator"),
    (with_(options={"entity": "customers", "colour": "red"}), "options.colour: Extra inputs"),
    (with_(options={"entity": "customers", "columns": ["code", "shoe_size"]}),
     "unknown column(s) 'shoe_size' for customers"),
    (with_(output={"filename": "x-{zz}.csv", "delivery": {"method": "local", "path": "x"}}),
     "output.filename: file name 'x-{zz}.csv': unknown tag {zz}"),
    (with_(output={"filename": "../x.csv", "delivery": {"method": "local", "path": "x"}}),
     "output.filename"),
    (with_(output={"delivery": {"method": "carrier-pigeon"}}), "output.delivery"),
    (with_(output=None), "output: export_data writes files"),
    (with_(id="bad id!"), "task 'bad id!': id: task id 'bad id!' is not 1 to 200 letters"),
    (with_(schedule="every night"), "schedule: 'every night' is not a cron expression"),
    (with_(schedule="@nightly"), "unknown preset '@nightly'"),
    (with_(schedule="asset:https://elsewhere/x"), "an asset schedule names a Comptoir asset"),
    (with_(site="central queue"), "site: site (Celery queue name) 'central queue' is not"),
    (with_(report={"email": "not-an-address"}), "report.email"),
    (with_(options={"entity": "suppliers"},
           output={"filename": "f-{mag:code}.csv", "delivery": {"method": "local", "path": "x"}}),
     "suppliers does not belong to a store"),
])
def test_an_invalid_definition_names_file_task_and_field(write_task, tasks_dir, task, expected):
    write_task(task, "the-file.json")
    message = only_error(tasks_dir)
    assert message.startswith("the-file.json: task '")
    assert expected in message


def test_a_type_without_files_refuses_an_output(write_task, tasks_dir):
    write_task({"id": "m", "type": "db_maintenance",
                "output": {"delivery": {"method": "local", "path": "x"}}})
    assert "db_maintenance writes no file; remove output" in only_error(tasks_dir)


def test_a_broken_file_does_not_stop_the_others(write_task, tasks_dir):
    write_task(EXPORT)
    (tasks_dir / "broken.json").write_text("{not json", encoding="utf-8")
    (tasks_dir / "old.json").write_text('{"comptoir_tasks": 7, "tasks": []}', encoding="utf-8")
    loaded = load_folder()
    assert [d.id for d in loaded.definitions] == ["export-customers-nightly"]
    messages = sorted(str(e) for e in loaded.errors)
    assert messages[0].startswith("broken.json: not valid JSON")
    assert messages[1] == "old.json: comptoir_tasks: expected 1, found 7"


def test_an_id_defined_twice_is_an_error_in_the_later_file(write_task, tasks_dir):
    write_task(EXPORT, "a.json")
    write_task(EXPORT, "b.json")
    loaded = load_folder()
    assert len(loaded.definitions) == 1
    assert str(loaded.errors[0]) == (
        "b.json: task 'export-customers-nightly': id: 'export-customers-nightly' is "
        "already defined in a.json")


def test_a_bare_task_object_and_a_multi_task_document_are_read(tasks_dir):
    (tasks_dir / "bare.json").write_text(json.dumps({"id": "m1", "type": "db_maintenance"}))
    several = document([]) | {"tasks": [{"id": "m2", "type": "db_maintenance"},
                                         {"id": "m3", "type": "db_maintenance"}]}
    (tasks_dir / "several.json").write_text(json.dumps(several))
    assert sorted(d.id for d in load_folder().definitions) == ["m1", "m2", "m3"]


def test_find_reads_the_task_own_file_first(write_task, tasks_dir):
    write_task(EXPORT)
    assert find("export-customers-nightly").name.startswith("Nightly")
    with pytest.raises(UnknownTask, match="no task 'ghost'"):
        find("ghost")
    write_task(with_(id="broken", type="nope"))
    with pytest.raises(InvalidDefinition, match="broken.json: task 'broken': type"):
        find("broken")


def test_options_overrides_are_validated(write_task):
    write_task(EXPORT)
    definition = find("export-customers-nightly")
    assert definition.typed_options({"separator": "|"}).separator == "|"
    with pytest.raises(InvalidDefinition, match="options.separator"):
        definition.typed_options({"separator": "#"})
    with pytest.raises(InvalidDefinition, match="options.decimal_separator: it cannot be"):
        definition.typed_options({"separator": ","})


def test_the_json_round_trip_keeps_the_definition(write_task):
    write_task(with_(output={"filename": "x.csv", "delivery": {
        "method": "email", "to": "a@example.com", "subject": "S", "from": "b@example.com"}}))
    definition = find("export-customers-nightly")
    data = definition.to_json()
    assert data["output"]["delivery"]["from"] == "b@example.com"
    assert "conn_id" not in data["output"]["delivery"]
