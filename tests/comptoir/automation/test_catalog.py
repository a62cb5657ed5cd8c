from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

import comptoir
from comptoir.automation import catalog
from comptoir.automation.catalog import Category, TaskType

ECHO_TYPE = '''
"""A task type written by a test: one module, nothing else anywhere."""
from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.automation.task_inbox import InboxOptions


class Options(InboxOptions):
    """Options of `echo_inbox`."""


def run(ctx, options):
    return TaskOutput(summary=[p.name for p in ctx.inbox.waiting()])


TASK_TYPE = TaskType(
    name="echo_inbox", title="Echo", category=Category.AUTRES, description="Echoes its inbox.",
    options=Options, run=run, produces_files=False, template="inbox",
)
'''


@pytest.fixture
def extra_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder that is part of the `comptoir` package for the test (like a plugin's)."""
    monkeypatch.setattr(comptoir, "__path__", [*comptoir.__path__, str(tmp_path)])
    catalog.reload()
    yield tmp_path
    catalog.reload()


def test_every_type_explains_itself():
    types = catalog.all_types()
    assert {t.name for t in types} >= {"export_data", "db_maintenance", "db_backup", "imports"}
    for task_type in types:
        assert task_type.title and task_type.description and task_type.category in Category
        assert callable(task_type.run)
        assert task_type.template in catalog.TEMPLATES
        for name, spec in task_type.params_spec({}).items():
            assert spec.get("title") and spec.get("description"), (task_type.name, name)
            assert spec.get("section"), (task_type.name, name)


def test_params_come_from_the_options_schema_with_the_definition_values():
    spec = catalog.get("export_data").params_spec({"entity": "stock", "separator": "|"})
    assert spec["entity"]["default"] == "stock"
    assert spec["entity"]["enum"][:2] == ["customers", "customer_addresses"]
    assert spec["entity"]["values_display"]["stock"] == "Stock (stock)"
    assert spec["separator"]["values_display"]["\t"] == "Tab"
    assert spec["columns"] == {"type": ["array", "null"], "title": "Columns",
                               "items": {"type": "string"},
                               "description": spec["columns"]["description"],
                               "section": "Data"}
    assert spec["header"]["type"] == ["boolean", "null"]
    assert catalog.get("db_backup").params_spec({})["retention"]["minimum"] == 0


def test_the_steps_of_each_template():
    assert catalog.get("export_data").steps == ["run", "deliver"]
    assert catalog.get("db_maintenance").steps == ["run"]
    assert catalog.get("imports").steps == ["fetch", "import_files"]


def test_a_type_is_one_module_the_catalog_finds_without_a_list(extra_package: Path):
    (extra_package / "testtypes").mkdir()
    (extra_package / "testtypes" / "__init__.py").write_text("")
    (extra_package / "testtypes" / "echo.py").write_text(ECHO_TYPE)
    assert "comptoir.testtypes.echo" in list(catalog.declaring_modules())
    echo = catalog.get("echo_inbox")
    assert (echo.template, echo.steps) == ("inbox", ["fetch", "run"])
    assert echo.params_spec({})["source_kind"]["section"] == "Inbox"
    categories = [t.category for t in catalog.all_types()]
    autres = categories.index(Category.AUTRES)  # Autres comes last
    assert set(categories[autres:]) == {Category.AUTRES}
    assert "echo_inbox" in [t.name for t in catalog.all_types()[autres:]]


def test_a_name_declared_twice_is_refused_with_both_places(extra_package: Path):
    (extra_package / "twice.py").write_text(ECHO_TYPE)
    (extra_package / "again.py").write_text(ECHO_TYPE)
    with pytest.raises(catalog.DuplicateTaskType, match="declared twice"):
        catalog.get("echo_inbox")


def test_a_template_the_platform_does_not_have_is_refused():
    class Options(BaseModel):
        when: str | None = Field(default=None, title="When", description="d")

    with pytest.raises(ValueError, match="unknown template 'my_plugin.dags:build'"):
        TaskType(name="custom", title="T", category=Category.AUTRES, description="d",
                 options=Options, run=print, template="my_plugin.dags:build")
    with pytest.raises(ValueError, match="derive from .*InboxOptions"):
        TaskType(name="custom", title="T", category=Category.AUTRES, description="d",
                 options=Options, run=print, template="inbox")
