"""`comptoir connector create|set|show|list|delete` and the `at_start` warning."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.cli import app
from comptoir.econnector.sync_report import SyncReport, finish_run, now, start_run
from comptoir.errors import ComptoirError
from tests.comptoir.econnector.partner import connector, drop, reference

CREATE = ["--link", "facilitime", "--document-type", "orders", "--depot", "DEP1",
          "--customer-family", "CLIFAC", "--supplier-family", "FOUFAC"]
CLIENTS = ("CODE", "NOM")


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["connector", *args], env={"COMPTOIR_FORCE_TERMINAL": ""})


def settings_rows(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        table = s.connector_settings
        return [tuple(row) for row in conn.execute(
            select(table.c.connector, table.c.key, table.c.value)
            .order_by(table.c.connector, table.c.key))]


def shown(code: str = "FACILI") -> dict[str, Any]:
    result = run("show", code, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Any, *words: str) -> None:
    """Exit 1 with a ComptoirError whose one line names `words`."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, ComptoirError), result.exception
    message = str(result.exception)
    assert "\n" not in message
    for word in words:
        assert word in message, message


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home) -> Engine:  # type: ignore[no-untyped-def]
    reference(engine)
    return engine


# --- create and show ---------------------------------------------------------------------

def test_create_stores_the_code_upper_case_and_show_fills_every_default(dossier,
                                                                        comptoir_home) -> None:
    result = run("create", "faciLi", *CREATE)
    assert result.exit_code == 0, result.output
    assert "connector FACILI created" in result.stdout
    assert {row[0] for row in settings_rows(dossier)} == {"FACILI"}
    connectors = (comptoir_home / "connectors").resolve()
    assert shown("facili") == {
        "code": "FACILI", "link": "facilitime",
        "import_path": str(connectors / "FACILI" / "in"),
        "export_path": str(connectors / "FACILI" / "out"),
        "min_age_seconds": 10, "document_type": "orders", "depot": "DEP1",
        "customer_family": "CLIFAC", "supplier_family": "FOUFAC", "reception_mode": "manual",
        "send_articles": "none", "article_filter": None, "price_category": "sale_excl_tax",
        "unit": "article", "send_depot": "DEP1", "send_customers": "none",
        "customer_filter": None, "send_contacts": False, "separator": ";",
        "encoding": "cp1252", "decimal_separator": ",",
    }


def test_create_takes_folders_and_the_reception_mode(dossier, comptoir_home,
                                                     tmp_path) -> None:
    result = run("create", "FACILI", *CREATE, "--import-path", str(tmp_path / "drop"),
                 "--export-path", "partner/out", "--reception-mode", "at_start",
                 "--document-type", "delivery_notes")
    assert result.exit_code == 0, result.output
    settings = shown()
    assert settings["import_path"] == str(tmp_path / "drop")
    assert settings["export_path"] == str((comptoir_home / "connectors").resolve()
                                          / "partner" / "out")
    assert (settings["reception_mode"], settings["document_type"]) == (
        "at_start", "delivery_notes")


def test_show_prints_a_key_value_table(dossier) -> None:
    connector(dossier)
    result = run("show", "FACILI")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "key\tvalue"
    assert {"code\tFACILI", "depot\tDEP1", "min_age_seconds\t0", "article_filter\t",
            "send_contacts\toff", "separator\t;"} <= set(lines)
    assert len(lines) == 1 + 21  # the code and every key


@pytest.mark.parametrize(("change", "words"), [
    ({"--link": "prestashop"}, ("link", "facilitime")),
    ({"--document-type": "invoices"}, ("document_type", "orders")),
    ({"--depot": "NOPE"}, ("depot", "NOPE")),
    ({"--customer-family": "F" * 41}, ("customer_family", "40")),
    ({"--supplier-family": ""}, ("supplier_family",)),
    ({"--reception-mode": "auto"}, ("reception_mode", "at_start")),
    ({"--import-path": "../x"}, ("import_path", "inside")),
    ({"--import-path": "a/../../x"}, ("import_path", "inside")),
    ({"--export-path": "partner\\out"}, ("export_path", "'/'")),
    ({"--import-path": "in\x01box"}, ("import_path", "control character")),
])
def test_create_refuses_a_value_naming_its_key_and_writes_nothing(dossier, change,
                                                                  words) -> None:
    args = list(CREATE)
    for option, value in change.items():
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    refused(run("create", "FACILI", *args), *words)
    assert settings_rows(dossier) == []


@pytest.mark.parametrize("code", ["bad code", "x" * 21, "FAC/ILI", "é"])
def test_create_refuses_an_invalid_code(dossier, code) -> None:
    refused(run("create", code, *CREATE), "invalid connector code")
    assert settings_rows(dossier) == []


def test_create_refuses_an_existing_code_whatever_its_case(dossier) -> None:
    assert run("create", "FACILI", *CREATE).exit_code == 0
    before = settings_rows(dossier)
    refused(run("create", "facili", *CREATE[:5], "MAG01", *CREATE[6:]), "FACILI",
            "already exists")
    assert settings_rows(dossier) == before


def test_supplier_family_is_required_only_while_purchases_module_is_on(dossier) -> None:
    without = CREATE[:-2]
    refused(run("create", "FACILI", *without), "supplier_family", "purchases_module")
    assert settings_rows(dossier) == []
    with dossier.begin() as conn:
        set_setting(conn, "purchases_module", "off")
    assert run("create", "FACILI", *without).exit_code == 0
    assert shown()["supplier_family"] == ""


def test_create_needs_its_required_options(dossier) -> None:
    result = run("create", "FACILI", "--link", "facilitime")
    assert result.exit_code == 2
    assert settings_rows(dossier) == []


# --- set ---------------------------------------------------------------------------------

def test_set_changes_one_key_and_show_types_it(dossier, tmp_path) -> None:
    connector(dossier)
    for key, value in (("min_age_seconds", "30"), ("separator", "tab"),
                       ("send_contacts", "on"), ("import_path", str(tmp_path / "in")),
                       ("send_depot", "MAG01"), ("reception_mode", "at_start")):
        result = run("set", "facili", key, value)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"connector FACILI: {key} = ")
    settings = shown()
    assert (settings["min_age_seconds"], settings["separator"], settings["send_contacts"],
            settings["import_path"], settings["send_depot"], settings["reception_mode"]) == (
        30, "\t", True, str(tmp_path / "in"), "MAG01", "at_start")


def test_set_an_empty_filter_removes_it(dossier) -> None:
    connector(dossier, article_filter='{"family": ["VET"]}')
    result = run("set", "FACILI", "article_filter", "")
    assert result.exit_code == 0, result.output
    assert shown()["article_filter"] is None
    assert "article_filter" not in {row[1] for row in settings_rows(dossier)}


def test_filters_are_checked_and_shown_as_objects(dossier) -> None:
    connector(dossier)
    article_filter = '{"family": ["VET", "ALI"], "active": true, "code": ["art*"]}'
    assert run("set", "FACILI", "article_filter", article_filter).exit_code == 0
    assert run("set", "FACILI", "send_articles", "filter").exit_code == 0
    assert run("set", "FACILI", "customer_filter",
               '{"store": ["MAG01"], "country": ["FR"]}').exit_code == 0
    settings = shown()
    assert settings["article_filter"] == {"family": ["VET", "ALI"], "active": True,
                                          "code": ["art*"]}
    assert settings["customer_filter"] == {"store": ["MAG01"], "country": ["FR"]}
    assert settings["send_articles"] == "filter"


@pytest.mark.parametrize(("key", "value", "words"), [
    ("colour", "blue", ("colour", "unknown setting")),
    ("min_age_seconds", "soon", ("min_age_seconds", "whole number")),
    ("depot", "NOPE", ("depot", "NOPE")),
    ("link", "", ("link",)),
    ("customer_family", "", ("customer_family",)),
    ("supplier_family", "", ("supplier_family", "purchases_module")),
    ("supplier_family", "x" * 41, ("supplier_family", "1 to 40")),
    ("import_path", "../x", ("import_path", "inside")),
    ("export_path", "C:\\partner", ("export_path", "'/'")),
    ("import_path", "in\nbox", ("import_path", "control character")),
    ("encoding", "latin-9", ("encoding", "cp1252")),
    ("article_filter", '{"family": ["NOPE"]}', ("article_filter", "NOPE")),
    ("article_filter", '{"colour": ["red"]}', ("article_filter", "colour")),
    ("article_filter", '{"active": "yes"}', ("article_filter", "active")),
    ("article_filter", '["VET"]', ("article_filter", "object")),
    ("article_filter", "{family", ("article_filter", "JSON")),
    ("customer_filter", '{"store": ["NOPE"]}', ("customer_filter", "NOPE")),
    ("customer_filter", '{"country": ["France"]}', ("customer_filter", "country")),
    ("send_articles", "filter", ("send_articles", "article_filter")),
    ("send_customers", "filter", ("send_customers", "customer_filter")),
    ("send_articles", "all", ("send_articles", "exportable")),
])
def test_set_refuses_naming_the_key_and_changes_nothing(dossier, key, value, words) -> None:
    connector(dossier)
    before = settings_rows(dossier)
    refused(run("set", "FACILI", key, value), *words)
    assert settings_rows(dossier) == before


def test_a_filter_cannot_be_emptied_while_it_is_used(dossier) -> None:
    connector(dossier, article_filter='{"family": ["VET"]}', send_articles="filter")
    before = settings_rows(dossier)
    refused(run("set", "FACILI", "article_filter", ""), "article_filter")
    assert settings_rows(dossier) == before


@pytest.mark.parametrize("args", [("show", "NOPE"), ("show", "NOPE", "--json"),
                                  ("set", "NOPE", "depot", "DEP1"), ("delete", "NOPE")])
def test_an_unknown_connector_is_exit_1(dossier, args) -> None:
    connector(dossier)
    before = settings_rows(dossier)
    refused(run(*args), "unknown connector NOPE", "FACILI")
    assert settings_rows(dossier) == before


# --- list --------------------------------------------------------------------------------

def test_list_prints_every_connector(dossier) -> None:
    connector(dossier, "FACILI")
    connector(dossier, "ETA2", document_type="delivery_notes", reception_mode="at_start")
    listed = run("list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [
        {"code": "ETA2", "link": "facilitime", "document_type": "delivery_notes",
         "reception_mode": "at_start", "pending_files": 0},
        {"code": "FACILI", "link": "facilitime", "document_type": "orders",
         "reception_mode": "manual", "pending_files": 0},
    ]
    table = run("list")
    assert table.stdout.splitlines() == [
        "code\tlink\tdocument_type\treception_mode\tpending_files",
        "ETA2\tfacilitime\tdelivery_notes\tat_start\t0",
        "FACILI\tfacilitime\torders\tmanual\t0"]


def test_list_without_connector_is_empty(dossier) -> None:
    result = run("list", "--json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_pending_files_counts_only_what_a_reception_would_take(dossier, tmp_path) -> None:
    folder = connector(dossier, min_age_seconds="10").import_folder
    drop(folder, "ImportClients_001.csv", CLIENTS, [["C9", "Neuf"]])
    drop(folder, "importdocuments_002.TXT", CLIENTS, [])
    drop(folder, "notes.csv", CLIENTS, [])  # not a connector file: a reception files it
    for name in (".ImportClients_h.csv", "ImportClients_p.csv.part", "ImportClients.tmp",
                 "ImportClients_x.csv~", "~$ImportClients.csv"):
        drop(folder, name, CLIENTS, [])
    drop(folder, "ImportClients_young.csv", CLIENTS, [], age=0)
    target = drop(tmp_path, "ImportClients_target.csv", CLIENTS, [])
    os.symlink(target, folder / "ImportClients_link.csv")
    (folder / "ImportClients_dir.csv").mkdir()
    (folder / "done").mkdir()
    drop(folder / "done", "ImportClients_old.csv", CLIENTS, [])
    listed = json.loads(run("list", "--json").stdout)
    assert listed[0]["pending_files"] == 3


# --- delete ------------------------------------------------------------------------------

def test_delete_removes_settings_and_correspondences_but_keeps_the_history(dossier) -> None:
    ids = reference_ids(dossier)
    connector(dossier)
    connector(dossier, "OTHER")
    with dossier.begin() as conn:
        conn.execute(s.article_correspondences.insert(), [
            {"connector": code, "external_code": "NOTAIRE", "article_id": ids}
            for code in ("FACILI", "OTHER")])
        report = SyncReport("FACILI", "in", now(conn))
        start_run(conn, report)
        report.finished_at = report.started_at
        finish_run(conn, report)
    result = run("delete", "facili")
    assert result.exit_code == 0, result.output
    assert "connector FACILI deleted" in result.stdout
    assert {row[0] for row in settings_rows(dossier)} == {"OTHER"}
    with dossier.connect() as conn:
        assert list(conn.execute(select(s.article_correspondences.c.connector))
                    .scalars()) == ["OTHER"]
        assert conn.execute(select(func.count()).select_from(s.sync_runs)).scalar() == 1
    refused(run("show", "FACILI"), "unknown connector FACILI")


def reference_ids(engine: Engine) -> int:
    """The id of article ART1."""
    with engine.connect() as conn:
        return conn.execute(select(s.articles.c.id).where(s.articles.c.code == "ART1")
                            ).scalar_one()


# --- the at_start warning ----------------------------------------------------------------

WARNING = "warning: connector FACILI: data waiting for reception ({} files)"


def test_at_start_warns_before_every_connector_command(dossier) -> None:
    folder = connector(dossier, reception_mode="at_start").import_folder
    drop(folder, "ImportClients_001.csv", CLIENTS, [["C9", "Neuf"]])
    drop(folder, "ImportDocuments_001.csv", CLIENTS, [])
    drop(folder, ".hidden.csv", CLIENTS, [])
    for args in (("list",), ("show", "FACILI"), ("history", "FACILI"),
                 ("set", "FACILI", "unit", "U")):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines() == [WARNING.format(2)], args
        assert "warning" not in result.stdout


def test_at_start_warns_per_connector_with_its_count(dossier, tmp_path) -> None:
    connector(dossier, reception_mode="at_start")
    other = connector(dossier, "ETA2", reception_mode="at_start",
                      import_path=str(tmp_path / "eta2"))
    drop(other.import_folder, "ImportClients_001.csv", CLIENTS, [])
    result = run("list")
    assert result.stderr.splitlines() == [
        "warning: connector ETA2: data waiting for reception (1 files)"]


def test_no_warning_in_manual_mode(dossier) -> None:
    folder = connector(dossier).import_folder
    drop(folder, "ImportClients_001.csv", CLIENTS, [["C9", "Neuf"]])
    result = run("list", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)[0]["pending_files"] == 1


def test_no_warning_when_nothing_waits(dossier) -> None:
    folder = connector(dossier, reception_mode="at_start").import_folder
    drop(folder, ".ImportClients_001.csv", CLIENTS, [])
    assert not run("list").stderr
    assert not run("set", "FACILI", "import_path", "elsewhere/in").stderr  # no folder yet


def test_an_unreadable_import_folder_gives_no_warning_and_no_failure(dossier,
                                                                    monkeypatch) -> None:
    folder = connector(dossier, reception_mode="at_start").import_folder
    drop(folder, "ImportClients_001.csv", CLIENTS, [])

    def unreadable(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr("comptoir.econnector.files.waiting_files", unreadable)
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert json.loads(result.stdout)[0]["pending_files"] is None


def test_help_works_without_a_dossier_and_creates_none(comptoir_home, monkeypatch) -> None:
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    for args in (("create", "--help"), ("history", "--help"), ("--help",)):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "Usage" in result.stdout and "warning" not in result.stderr
    assert "--document-type" in run("create", "--help").stdout
    assert not (comptoir_home / "comptoir.db").exists()


def test_a_dossier_not_created_yet_is_the_commands_error_not_the_warnings(
        comptoir_home, monkeypatch) -> None:
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    result = run("list")
    refused(result, "comptoir db init")
    assert "warning" not in result.stderr



def test_an_optional_key_set_empty_goes_back_to_its_default(dossier) -> None:
    assert run("create", "FACILI", *CREATE).exit_code == 0
    assert run("set", "FACILI", "send_depot", "MAG01").exit_code == 0
    assert shown()["send_depot"] == "MAG01"
    assert run("set", "FACILI", "send_depot", "").exit_code == 0
    assert shown()["send_depot"] == "DEP1"  # the connector's depot again
    assert run("set", "FACILI", "separator", "tab").exit_code == 0
    assert shown()["separator"] == "\t"
