import json

import pytest

from comptoir.automation import portability
from comptoir.automation.definitions import InvalidDefinition, find, load_folder


def maintenance(task_id, **extra):
    return {"id": task_id, "type": "db_maintenance", "schedule": "@weekly", **extra}


def test_duplicate_copies_under_a_new_id(write_task, tasks_dir):
    write_task(maintenance("weekly", name="Weekly upkeep"))
    path = portability.duplicate("weekly", "weekly-2")
    assert path == tasks_dir / "weekly-2.json"
    copy = find("weekly-2")
    assert (copy.name, copy.schedule) == ("Weekly upkeep (copy)", "@weekly")
    with pytest.raises(portability.TaskExists, match="'weekly' already exists"):
        portability.duplicate("weekly-2", "weekly")


def test_export_then_import_elsewhere(write_task, tasks_dir, tmp_path, monkeypatch):
    write_task(maintenance("m1"))
    write_task(maintenance("m2"))
    out = tmp_path / "export tache auto.json"
    assert portability.export([], out) == ["m1", "m2"]
    assert portability.export(["m2"], tmp_path / "one.json") == ["m2"]
    data = json.loads(out.read_text())
    assert data["comptoir_tasks"] == 1 and len(data["tasks"]) == 2

    other = tmp_path / "elsewhere"
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(other))
    assert portability.import_file(out) == ["m1", "m2"]
    assert sorted(p.name for p in other.iterdir()) == ["m1.json", "m2.json"]
    with pytest.raises(portability.TaskExists, match="already exist: m1, m2 .*--replace"):
        portability.import_file(out)
    assert portability.import_file(out, replace=True) == ["m1", "m2"]


def test_an_import_with_one_invalid_task_imports_nothing(tasks_dir, tmp_path):
    source = tmp_path / "in.json"
    source.write_text(json.dumps({"comptoir_tasks": 1, "tasks": [
        maintenance("good"), maintenance("bad", schedule="sometimes")]}))
    with pytest.raises(InvalidDefinition, match="nothing imported: in.json: task 'bad': "
                                                "schedule"):
        portability.import_file(source)
    assert load_folder().definitions == []


def test_remove_rewrites_a_file_of_several_tasks(tasks_dir):
    (tasks_dir / "all.json").write_text(json.dumps(
        {"comptoir_tasks": 1, "tasks": [maintenance("a"), maintenance("b")]}))
    portability.remove("a")
    assert [d.id for d in load_folder().definitions] == ["b"]
    portability.remove("b")
    assert not (tasks_dir / "all.json").exists()
