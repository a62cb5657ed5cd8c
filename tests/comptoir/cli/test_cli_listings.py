"""The listing commands for scripts: `--json`, and whole plain rows when stdout is a pipe."""

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from comptoir.automation.catalog import all_types
from comptoir.automation.messages import Report, record
from comptoir.backoffice import migrate
from comptoir.cli import app

LONG_ID = "nightly-export-of-every-sales-document-of-every-store-for-the-accountants-" + "x" * 30
LONG_NAME = "A name much longer than eighty columns, " * 3 + "[red]kept as typed[/red]"


QUIET = {"id": "quiet", "type": "db_backup", "enabled": False,
         "output": {"delivery": {"method": "local", "path": "backups"}}}


def run(*args: str, terminal: bool = False):
    env = {"COLUMNS": "80", "COMPTOIR_FORCE_TERMINAL": "1" if terminal else ""}
    return CliRunner().invoke(app, list(args), env=env)


def rows(stdout: str, width: int) -> list[list[str]]:
    """The plain rows, header first; every line has `width` tab-separated cells."""
    lines = stdout.splitlines()
    assert lines, "no header line"
    cells = [line.split("\t") for line in lines]
    assert all(len(row) == width for row in cells), stdout
    return cells


def write(folder: Path, *tasks: dict) -> None:
    for task in tasks:
        (folder / f"{task['id']}.json").write_text(
            json.dumps({"comptoir_tasks": 1, "tasks": [task]}))


def test_types_json_has_each_type_and_its_options():
    result = run("tasks", "types", "--json")
    assert result.exit_code == 0
    types = {t["type"]: t for t in json.loads(result.stdout)}
    assert set(types) == {t.name for t in all_types()}
    upkeep = types["db_maintenance"]
    assert upkeep["category"] == "Système" and upkeep["title"] and upkeep["description"]
    assert {"name": "vacuum", "required": False, "default": True} in upkeep["options"]
    assert {"name": "retention", "required": False, "default": 7} in types["db_backup"]["options"]
    assert {"name": "entity", "required": True, "default": None} in types["export_data"]["options"]


def test_types_piped_is_one_whole_line_per_type_even_at_80_columns():
    result = run("tasks", "types")
    assert result.exit_code == 0
    table = rows(result.stdout, 5)
    assert table[0] == ["type", "title", "category", "description", "options"]
    assert len(table) == 1 + len(all_types())
    (line,) = [line for line in result.stdout.splitlines() if "db_maintenance" in line]
    assert line.startswith("db_maintenance\tMaintenance de la base\tSystème\t")
    assert line.endswith("\treindex = True; vacuum = True")
    description = next(t.description for t in all_types() if t.name == "db_maintenance")
    assert f"\t{description}\t" in line


def test_types_in_a_terminal_is_the_table():
    result = run("tasks", "types", terminal=True)
    assert result.exit_code == 0
    assert "┃ type" in result.stdout and "\t" not in result.stdout


def test_a_real_pipe_gets_whole_lines(tasks_dir: Path):
    """As the issue put it: `comptoir tasks types | grep db_maintenance` at 80 columns."""
    write(tasks_dir, {"id": LONG_ID, "name": LONG_NAME, "type": "db_maintenance"})
    env = {**__import__("os").environ, "COLUMNS": "80"}
    env.pop("COMPTOIR_FORCE_TERMINAL", None)
    for args, wanted in ((("tasks", "types"), "db_maintenance\tMaintenance de la base"),
                         (("tasks", "list"), f"{LONG_ID}\tdb_maintenance\t")):
        piped = subprocess.run(
            [sys.executable, "-c", "from comptoir.cli import main; main()", *args],
            capture_output=True, text=True, env=env, timeout=120)
        assert piped.returncode == 0, piped.stderr
        assert any(line.startswith(wanted) for line in piped.stdout.splitlines()), piped.stdout


def test_list_piped_keeps_long_names_whole_and_invalid_definitions_on_stderr(tasks_dir: Path):
    write(tasks_dir,
          {"id": LONG_ID, "name": LONG_NAME, "type": "db_maintenance", "schedule": "@weekly"},
          QUIET,
          {"id": "broken", "type": "db_maintenance", "schedule": "whenever"})
    result = run("tasks", "list")
    assert result.exit_code == 0
    table = rows(result.stdout, 6)
    assert table[0] == ["id", "type", "site", "schedule", "delivery", "name"]
    assert [LONG_ID, "db_maintenance", "central", "@weekly", "", LONG_NAME] in table
    (quiet,) = [row for row in table if row[0] == "quiet"]
    assert quiet[1:4] == ["db_backup", "central", "manual (disabled)"]
    assert quiet[4].startswith("local folder /") and quiet[4].endswith("backups")
    assert len(table) == 3
    assert "broken" not in result.stdout
    assert "invalid: broken.json: task 'broken': schedule" in result.stderr


def test_list_json_has_valid_and_invalid_entries(tasks_dir: Path):
    write(tasks_dir,
          {"id": LONG_ID, "name": LONG_NAME, "type": "db_maintenance", "schedule": "@weekly"},
          QUIET,
          {"id": "broken", "type": "db_maintenance", "schedule": "whenever"})
    result = run("tasks", "list", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    tasks = {t["id"]: t for t in json.loads(result.stdout)}
    assert tasks[LONG_ID] == {
        "id": LONG_ID, "type": "db_maintenance", "site": "central", "schedule": "@weekly",
        "enabled": True, "delivery": None, "name": LONG_NAME,
        "file": str(tasks_dir / f"{LONG_ID}.json"), "invalid": None}
    assert tasks["quiet"]["schedule"] is None and tasks["quiet"]["enabled"] is False
    assert tasks["quiet"]["delivery"].startswith("local folder /")
    broken = tasks["broken"]
    assert broken["file"] == str(tasks_dir / "broken.json")
    assert broken["invalid"].startswith("schedule") and broken["type"] is None


def test_list_in_a_terminal_shows_names_as_typed(tasks_dir: Path):
    write(tasks_dir, {"id": "upkeep", "name": "[red]red[/red]",
                      "type": "db_maintenance"},
          {"id": "broken", "type": "db_maintenance", "schedule": "whenever"})
    result = run("tasks", "list", terminal=True)
    assert "┃ id" in result.stdout
    assert "[red]red[/red]" in result.stdout
    assert "1 task(s) in" in result.stdout
    assert "invalid: broken.json" in result.stdout


def test_messages_json_and_plain_rows(engine):
    with engine.begin() as conn:
        record(conn, Report("a", "r1", "error", "a: failed [bold]— é[/bold]",
                            "line one\nline\ttwo"))
        record(conn, Report("b", "r2", "info", "b: succeeded", "fine"))
    result = run("messages", "--json")
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert {m["task_id"] for m in found} == {"a", "b"}
    failed = next(m for m in found if m["task_id"] == "a")
    assert set(failed) == {"task_id", "run_id", "created_at", "level", "title", "body"}
    assert failed["run_id"] == "r1" and failed["level"] == "error"
    assert failed["title"] == "a: failed [bold]— é[/bold]"
    assert failed["body"] == "line one\nline\ttwo"
    assert isinstance(datetime.fromisoformat(failed["created_at"]), datetime)

    errors = json.loads(run("messages", "--json", "--errors", "--brief").stdout)
    assert [set(m) for m in errors] == [{"task_id", "run_id", "created_at", "level", "title"}]
    assert len(json.loads(run("messages", "--json", "-n", "1").stdout)) == 1
    assert json.loads(run("messages", "--json", "--task", "nobody").stdout) == []

    table = rows(run("messages", "--task", "a").stdout, 6)
    assert table[0] == ["created_at", "level", "task_id", "run_id", "title", "body"]
    assert table[1][1:] == ["error", "a", "r1", "a: failed [bold]— é[/bold]",
                            "line one\\nline\\ttwo"]
    brief = rows(run("messages", "--brief").stdout, 5)
    assert len(brief) == 3 and brief[0][-1] == "title"
    nobody = run("messages", "--task", "nobody")
    assert nobody.stdout.splitlines() == ["created_at\tlevel\ttask_id\trun_id\ttitle\tbody"]
    assert "no task report for nobody" in nobody.stderr


def test_messages_in_a_terminal_show_titles_as_typed(engine):
    with engine.begin() as conn:
        record(conn, Report("a", "r1", "error", "a: [bold]failed[/bold]", "why\nand how"))
    shown = run("messages", terminal=True)
    assert "a: [bold]failed[/bold]" in shown.stdout
    assert "        why\n        and how" in shown.stdout


def test_settings_list_json_and_plain(dossier_url: str):
    assert run("settings", "set", "default_regime", "FR").exit_code == 0
    result = run("settings", "list", "--json")
    assert result.exit_code == 0
    settings = {s["setting"]: s for s in json.loads(result.stdout)}
    assert settings["default_regime"]["value"] == "FR"
    assert settings["default_supplier"]["value"] is None
    assert settings["timezone"] == {"setting": "timezone", "value": "Europe/Paris",
                                    "meaning": "Time zone of the dossier (file-name tags)"}
    table = rows(run("settings", "list").stdout, 3)
    assert table[0] == ["setting", "value", "meaning"]
    assert ["default_supplier", "", settings["default_supplier"]["meaning"]] in table
    assert len(table) == 1 + len(settings)


def test_db_status_json_keeps_its_exit_status(tmp_path: Path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'later.db'}"
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", url)
    missing = run("db", "status", "--json")
    assert missing.exit_code == 4
    assert json.loads(missing.stdout) == {"dossier": url, "revision": None,
                                          "newest": migrate.head_revision(),
                                          "state": "not created"}
    assert "comptoir db init" in missing.stderr
    plain = run("db", "status")
    assert plain.exit_code == 4
    assert rows(plain.stdout, 4) == [["dossier", "revision", "newest", "state"],
                                     [url, "", migrate.head_revision(), "not created"]]
    migrate.upgrade(url)
    ready = run("db", "status", "--json")
    assert ready.exit_code == 0 and ready.stderr == ""
    assert json.loads(ready.stdout)["state"] == "current"
    assert json.loads(ready.stdout)["revision"] == migrate.head_revision()
    terminal = run("db", "status", terminal=True)
    assert terminal.exit_code == 0 and "\t" not in terminal.stdout
    assert f"schema:  {migrate.head_revision()} (newest: " in terminal.stdout


RETAIL = {  # the contract's catalog (spec/retail-tasks.md)
    "sales_correction": ("Correction automatique des ventes", "Système", "default"),
    "defective_goods": ("Gestion des défectueux", "Système", "default"),
    "last_purchases_store": ("Magasin des 10 derniers achats", "Import-Export", "default"),
    "customer_duplicates": ("Contrôle des clients en doublon", "Import-Export", "default"),
    "lacoste_conversion": ("Conversion Lacoste", "Import-Export", "inbox"),
    "season_end": ("Travaux de fin de saison / historiques", "Historiques", "default"),
    "restock_alert": ("Réapprovisionnement par stock d'alerte", "Autres", "default"),
    "inventory_preparation": ("Préparation d'inventaires", "Autres", "default"),
    "city_localisation": ("Localisation de villes", "Autres", "default"),
    "passage_counters": ("Compteurs de passages", "Autres", "inbox"),
    "live_message": ("Envoyer un live message", "Autres", "default"),
    "daily_journal": ("Brouillard / feuille de journée", "Editions", "default"),
    "invoice_edition": ("Edition de factures", "Editions", "default"),
    "customer_balance": ("Générer la balance clients", "Editions", "default"),
    "stock_vouchers": ("Générer des bons de mouvement de stock", "Editions", "default"),
    "sales_analysis": ("Générer une analyse", "Editions", "default"),
}


def test_types_lists_every_retail_type_in_its_category():
    result = run("tasks", "types", "--json")
    assert result.exit_code == 0
    types = {t["type"]: t for t in json.loads(result.stdout)}
    assert {name: (types[name]["title"], types[name]["category"])
            for name in RETAIL if name in types} == {
        name: (title, category) for name, (title, category, _) in RETAIL.items()}
    templates = {t.name: t.template for t in all_types()}
    assert {name: templates[name] for name in RETAIL} == {
        name: template for name, (_, _, template) in RETAIL.items()}
