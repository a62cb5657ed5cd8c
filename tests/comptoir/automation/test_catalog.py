from pydantic import BaseModel, Field

from comptoir.automation import catalog
from comptoir.automation.catalog import Category, TaskType


def test_every_type_explains_itself():
    types = catalog.all_types()
    assert {t.name for t in types} >= {"export_data", "db_maintenance", "db_backup"}
    for task_type in types:
        assert task_type.title and task_type.description and task_type.category in Category
        task_type.run_function()  # the dotted path resolves
        for name, spec in task_type.params_spec({}).items():
            assert spec.get("title") and spec.get("description"), (task_type.name, name)
            assert spec.get("section"), (task_type.name, name)


def test_params_come_from_the_options_schema_with_the_definition_values():
    spec = catalog.get("export_data").params_spec({"entity": "stock", "separator": "|"})
    assert spec["entity"]["default"] == "stock"
    assert spec["entity"]["enum"][:2] == ["customers", "customer_addresses"]
    assert spec["entity"]["values_display"]["stock"] == "Stock (stock)"
    assert spec["separator"]["values_display"]["\t"] == "Tab"
    assert spec["columns"] == {"type": "array", "title": "Columns", "items": {"type": "string"},
                               "description": spec["columns"]["description"],
                               "section": "Data"}
    assert spec["header"]["type"] == "boolean"
    assert catalog.get("db_backup").params_spec({})["retention"]["minimum"] == 0


def test_a_new_type_with_its_own_template_plugs_in(monkeypatch):
    catalog.all_types()
    monkeypatch.setattr(catalog, "_REGISTRY", dict(catalog._REGISTRY))
    class Options(BaseModel):
        when: str | None = Field(default=None, title="When", description="d")

    catalog.register(TaskType(
        name="custom_demo", title="Démo", category=Category.AUTRES, description="A demo.",
        options=Options, run="builtins:print", produces_files=False,
        template="my_plugin.dags:build"))
    task_type = catalog.get("custom_demo")
    assert task_type.template == "my_plugin.dags:build"
    assert task_type.params_spec({})["when"]["type"] == ["string", "null"]
    assert catalog.all_types()[-1].name == "custom_demo"  # Autres comes last
