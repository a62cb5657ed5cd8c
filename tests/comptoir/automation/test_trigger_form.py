"""The trigger form of a type: which fields Airflow's form requires, labels, the plain source
fields, and the values a run gets back from the form."""

from comptoir.automation import catalog, trigger_form
from comptoir.automation.types.export_data import Options as ExportOptions
from comptoir.automation.types.imports import Options as ImportOptions
from comptoir.automation.types.intersite_receive import Options as IntersiteOptions


def required_by_airflow(spec: dict) -> bool:
    """Airflow 3.3's form: a field is required when its type is given and excludes null."""
    kind = spec.get("type")
    return bool(kind) and (not isinstance(kind, list) or "null" not in kind)


def test_only_options_without_a_default_are_required():
    for task_type in catalog.all_types():
        fields = task_type.options.model_fields
        by_alias = {info.alias or name: info for name, info in fields.items()}
        for name, spec in task_type.params_spec({}).items():
            if name.startswith(trigger_form.SOURCE_PREFIX):
                continue
            assert required_by_airflow(spec) == by_alias[name].is_required(), (
                task_type.name, name)
    spec = catalog.get("export_data").params_spec({})
    assert spec["columns"]["type"] == ["array", "null"]  # emptied "Columns": every column
    assert spec["header"]["type"] == ["boolean", "null"]  # a switch is never required
    assert required_by_airflow(spec["entity"])


def test_every_choice_has_a_label_and_an_optional_choice_offers_the_default():
    for task_type in catalog.all_types():
        for name, spec in task_type.params_spec({}).items():
            for value in spec.get("enum", []):
                key = "null" if value is None else str(value)
                assert spec["values_display"].get(key, "").strip(), (task_type.name, name, key)
    decimal = catalog.get("export_data").params_spec({})["decimal_separator"]
    assert decimal["enum"] == [",", ".", None]
    assert decimal["values_display"] == {",": "Comma (12,50)", ".": "Point (12.50)",
                                         "null": "Default: Comma (12,50)"}
    types = catalog.get("invoice_edition").params_spec({})["types"]
    assert types["examples"] == ["F", "A"]  # a list of choices is a multi-select
    assert types["values_display"]["A"] == "Credit notes (A)"


def test_an_emptied_field_runs_with_the_types_default():
    params = {"entity": "stock", "columns": None, "stores": ["MAG01", ""],
              "separator": None, "header": None, "unrelated": 1}
    found = trigger_form.overrides(ExportOptions, params, {"entity": "stock",
                                                           "columns": ["depot"]})
    assert found == {"entity": "stock", "columns": [], "stores": ["MAG01"],
                     "separator": ";", "header": True}
    daily = catalog.get("daily_journal")
    assert daily.form_overrides({"date_from": None}, {})["date_from"] is None  # null is meant


def test_the_inbox_source_is_plain_fields_with_the_definition_values():
    source = {"kind": "sftp", "conn_id": "sftp_erp", "directory": "/out", "pattern": "*.csv"}
    options = ImportOptions.model_validate({"source": source}).model_dump(mode="json")
    spec = trigger_form.params_spec(ImportOptions, options)
    assert "source" not in spec
    kind = spec["source_kind"]
    assert (kind["default"], kind["section"], kind["title"]) == ("sftp", "Inbox", "Inbox")
    assert kind["values_display"]["sftp"] == "SFTP server" and None in kind["enum"]
    assert "{" not in kind["description"]  # no JSON cheat-sheet
    assert {name: spec[f"source_{name}"]["default"] for name in
            ("conn_id", "directory", "pattern")} == {"conn_id": "sftp_erp",
                                                     "directory": "/out", "pattern": "*.csv"}
    assert "SFTP server" in spec["source_conn_id"]["description"]
    assert not any(required_by_airflow(spec[name]) for name in spec)
    for fields in trigger_form.source_kinds().values():  # every field of every kind is shown
        assert set(fields) <= set(trigger_form.SOURCE_FIELDS)


def test_the_run_rebuilds_the_nested_source_from_the_plain_fields():
    written = {"kind": "local", "path": "drop", "pattern": "*.csv"}
    options = {"source": written}
    shown = trigger_form.params_spec(
        ImportOptions, ImportOptions.model_validate(options).model_dump(mode="json"))
    form = {name: spec["default"] for name, spec in shown.items()}

    def run_with(**changes):
        return trigger_form.overrides(ImportOptions, {**form, **changes}, options)["source"]

    assert run_with() == written  # unchanged: the definition's own, as written
    assert run_with(source_pattern="*.txt") == {**written, "pattern": "*.txt"}
    assert run_with(source_pattern=None) == {"kind": "local", "path": "drop"}  # its default
    assert run_with(source_kind="ftp", source_conn_id="ftp_erp", source_directory="/out") == {
        "kind": "ftp", "conn_id": "ftp_erp", "directory": "/out", "pattern": "*.csv"}
    assert run_with(source_kind=None) is None  # the task's own inbox
    given = {"kind": "pop3", "conn_id": "pop"}
    assert run_with(source=given) == given  # a nested source in the run's conf wins


def test_an_explicit_null_of_the_definition_survives_an_unchanged_form():
    written = {"kind": "imap", "conn_id": "imap_orders", "processed_mailbox": None}
    options = {"source": written}
    shown = trigger_form.params_spec(
        IntersiteOptions, IntersiteOptions.model_validate(options).model_dump(mode="json"))
    assert shown["source_kind"]["enum"] == ["imap", "pop3", "mail_folder"]
    assert "source_directory" not in shown  # no kind of this type has it
    form = {name: spec["default"] for name, spec in shown.items()}
    found = trigger_form.overrides(IntersiteOptions, form, options)["source"]
    assert found == written
    assert IntersiteOptions.model_validate({"source": found}).source.processed_mailbox is None
