"""The `imports` task type without Airflow: an inbox's files imported in dependency order,
sales documents paired with their lines, each file filed in done/ or failed/ with its report."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from comptoir.automation import catalog, runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import list_messages
from comptoir.automation.types.imports import (
    NAMING_RULE,
    Options,
    asset_uri,
    import_inbox,
)
from comptoir.exchange.inbox import Inbox
from comptoir.imports.naming import ENTITY_ORDER
from tests.comptoir.imports.conftest import count, rows

VAT = "CODE;DESIG;TAUX\nN;Normale;20\n"
CUSTOMERS = ("CODE;DESIG;REGIME_CODE;IBAN\n"
             "C1;Dupont;EU;FR7630006000011234567890189\n"
             "C2;Martin;EU;FR7630006000011234567890188\n")  # wrong check digits
ARTICLES = "CODE;DESIG;TVA_CODE;PRIX_VENTE\nA1;Tee-shirt;N;12,50\nA2;Mug;N;8\n"
HEADERS = "IDENT;CLIENT_CODE;TYPE;DATE;WEB_IDENT\nH1;C1;F;02/11/2026;WEB-1\n"
LINES = "ENTETE_IDENT;ART_CODE;DESIG;QTE;PU_HT\nH1;A1;Tee-shirt;2;12,50\n"


def drop(inbox: Inbox, **files: str) -> None:
    """Files into the inbox's incoming/ (keyword `x__csv` is the name `x.csv`)."""
    for key, text in files.items():
        inbox.receive(key.replace("__", "."), text.encode("utf-8"))


def filed(folder: Path) -> list[str]:
    days = list(folder.iterdir()) if folder.exists() else []
    return sorted(p.name for day in days for p in day.iterdir())


def report_of(folder: Path, name: str) -> dict:
    (day,) = folder.iterdir()
    return json.loads((day / f"{name}.report.json").read_text(encoding="utf-8"))


@pytest.fixture
def inbox(tmp_path: Path, comptoir_home: Path) -> Inbox:
    return Inbox(tmp_path / "inbox")


def test_files_are_imported_in_dependency_order_and_filed_with_their_reports(
        engine: Engine, dossier_url: str, inbox: Inbox) -> None:
    # by name, articles.csv comes before vat_2026.csv and customers.csv: the order is the entities'
    drop(inbox, articles__csv=ARTICLES, readme__txt="see the wiki", vat_2026__csv=VAT,
         customers__csv=CUSTOMERS, sales_documents_web__csv=HEADERS,
         sales_documents_lines_web__csv=LINES)
    logged: list[str] = []
    run = import_inbox(inbox, Options(auto_create_regimes=True), url=dossier_url,
                       data_docs=False, log=logged.append)

    assert [(r.entity, r.files) for r in run.results] == [
        (None, ["readme.txt"]), ("vat", ["vat_2026.csv"]), ("customers", ["customers.csv"]),
        ("articles", ["articles.csv"]),
        ("sales_documents", ["sales_documents_web.csv", "sales_documents_lines_web.csv"])]
    assert [(r.outcome, r.accepted, r.rejected) for r in run.results] == [  # a document: 2 records
        ("failed", 0, 0), ("done", 1, 0), ("done", 1, 1), ("done", 2, 0), ("done", 2, 0)]
    assert rows(engine, "SELECT a.code, v.code FROM articles a JOIN vat_codes v "
                        "ON v.id = a.vat_code_id ORDER BY a.code") == [("A1", "N"), ("A2", "N")]
    assert rows(engine, "SELECT code FROM customers") == [("C1",)]
    assert rows(engine, "SELECT code FROM tax_regimes") == [("EU",)]  # auto_create_regimes
    assert rows(engine, "SELECT origin FROM sales_documents") == [("WEB-1",)]
    assert inbox.waiting() == []
    assert filed(inbox.root / "done") == sorted(
        f"{name}{extra}" for name in ("vat_2026.csv", "customers.csv", "articles.csv",
                                      "sales_documents_web.csv", "sales_documents_lines_web.csv")
        for extra in ("", ".report.json"))
    assert filed(inbox.root / "failed") == ["readme.txt", "readme.txt.report.json"]

    customers = report_of(inbox.root / "done", "customers.csv")
    assert (customers["entity"], customers["accepted"], customers["rejected"]) == (
        "customers", 1, 1)
    assert [(r["line"], r["rule"]) for r in customers["rejections"]] == [(3, "bank_details")]
    pair = report_of(inbox.root / "done", "sales_documents_lines_web.csv")
    assert pair == report_of(inbox.root / "done", "sales_documents_web.csv")
    assert pair["files"] == ["sales_documents_web.csv", "sales_documents_lines_web.csv"]
    unknown = report_of(inbox.root / "failed", "readme.txt")
    assert unknown["error"].startswith("the file name says no entity") and NAMING_RULE in (
        unknown["error"])
    assert Path(run.results[2].report or "").name == "report.html"

    assert list(run.imported()) == ["vat", "customers", "articles", "sales_documents"]
    assert run.imported()["customers"] == {
        "files": ["customers.csv"], "records": 2, "accepted": 1, "rejected": 1,
        "batch_ids": [customers["batch_id"]]}
    assert run.error() == f"1 file could not be imported: readme.txt: {unknown['error']}"
    assert logged == [r.line() for r in run.results]
    assert "customers.csv — customers: 2 records, 1 accepted, 1 rejected → done" in (
        "\n".join(run.lines()))


def test_the_data_docs_of_a_pass_are_built_once_and_linked_from_every_report(
        dossier_url: str, inbox: Inbox, comptoir_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from comptoir.imports.outputs import DataDocs

    builds: list[Path] = []
    build = DataDocs.build

    def counted(self: DataDocs) -> list[Path]:
        builds.append(self.folder)
        return build(self)

    monkeypatch.setattr(DataDocs, "build", counted)
    drop(inbox, vat__csv=VAT, customers_a__csv=CUSTOMERS,
         customers_b__csv=CUSTOMERS.replace("C1", "C3").replace("C2", "C4"))
    run = import_inbox(inbox, Options(auto_create_regimes=True), url=dossier_url)

    assert [r.outcome for r in run.results] == ["done"] * 3
    (folder,) = builds  # one build for the three files
    assert run.data_docs == str(folder / "index.html")
    assert folder.is_relative_to(comptoir_home / "reports" / "imports" / "data_docs")
    assert f"Great Expectations Data Docs: {run.data_docs}" in run.lines()
    index = (folder / "index.html").read_text(encoding="utf-8")
    pages = []
    for result in run.results:
        html = Path(result.report or "")
        link = html.read_text(encoding="utf-8").split('<a href="', 1)[1].split('"', 1)[0]
        page = (html.parent / link).resolve()
        assert page.parent == folder.resolve() and page.name == f"{result.batch_id}-1.html"
        assert f"comptoir.imports.{result.entity}.create" in page.read_text(encoding="utf-8")
        assert page.name in index
        pages.append(page)
    assert len(set(pages)) == 3


def test_unpaired_sales_documents_and_unreadable_files_fail_and_write_nothing(
        engine: Engine, dossier_url: str, inbox: Inbox) -> None:
    drop(inbox, sales_documents_a__csv=HEADERS, sales_documents_lines_b__csv=LINES,
         customers_broken__csv="CODE;NAME\nC1;Dupont\n")
    run = import_inbox(inbox, Options(), url=dossier_url, data_docs=False)

    assert {r.files[0]: r.outcome for r in run.results} == {
        "customers_broken.csv": "failed", "sales_documents_a.csv": "failed",
        "sales_documents_lines_b.csv": "failed"}
    failed = inbox.root / "failed"
    assert "DESIG" in report_of(failed, "customers_broken.csv")["error"]
    assert report_of(failed, "sales_documents_a.csv")["error"] == (
        "its lines file sales_documents_lines_a.csv is missing: send the headers and their "
        "lines together")
    assert report_of(failed, "sales_documents_lines_b.csv")["error"] == (
        "a lines file without its headers file (sales_documents_b.csv): send them together")
    assert count(engine, "customers") == 0 and count(engine, "sales_documents") == 0
    assert run.imported() == {}
    assert (run.error() or "").startswith("3 files could not be imported: ")


def test_the_entity_filter_leaves_other_files_waiting_and_a_dry_run_writes_nothing(
        engine: Engine, dossier_url: str, inbox: Inbox) -> None:
    drop(inbox, customers__csv=CUSTOMERS, articles__csv=ARTICLES)
    dry = import_inbox(inbox, Options(entities=["customers"], dry_run=True,
                                      auto_create_regimes=True),
                       url=dossier_url, data_docs=False)
    (result,) = dry.results
    assert (result.outcome, result.accepted, result.rejected, result.filed) == (
        "dry run", 1, 1, None)
    assert count(engine, "customers") == 0 and count(engine, "tax_regimes") == 0
    assert sorted(p.name for p in inbox.waiting()) == ["articles.csv", "customers.csv"]
    assert dry.left == ["articles.csv"] and dry.imported() == {}
    assert not (inbox.root / "done").exists()
    assert "Dry run: nothing was written in the dossier; the files stay waiting" in dry.lines()

    real = import_inbox(inbox, Options(entities=["customers"], auto_create_regimes=True),
                        url=dossier_url, data_docs=False)
    assert [r.outcome for r in real.results] == ["done"]
    assert count(engine, "customers") == 1 and count(engine, "articles") == 0
    assert [p.name for p in inbox.waiting()] == ["articles.csv"]


def test_files_modified_moments_ago_wait_for_the_next_run(
        dossier_url: str, inbox: Inbox) -> None:
    drop(inbox, sales_documents__csv=HEADERS, sales_documents_lines__csv=LINES,
         customers__csv=CUSTOMERS)
    an_hour_ago = time.time() - 3600
    os.utime(inbox.incoming / "sales_documents.csv", (an_hour_ago, an_hour_ago))
    run = import_inbox(inbox, Options(), min_age=60, url=dossier_url, data_docs=False)
    assert run.results == []  # the headers wait for their lines file, still being copied
    assert run.recent == ["customers.csv", "sales_documents.csv", "sales_documents_lines.csv"]
    assert len(inbox.waiting()) == 3
    assert any(line.startswith("Left for the next run") for line in run.lines())


def test_the_type_is_in_the_catalog_with_a_self_explaining_form() -> None:
    task_type = catalog.get("imports")
    assert (task_type.title, task_type.category, task_type.produces_files) == (
        "Importations", catalog.Category.IMPORT_EXPORT, False)
    spec = task_type.params_spec({"entities": ["customers"]})
    entities = spec["entities"]
    assert entities["type"] == ["array", "null"] and entities["default"] == ["customers"]
    assert entities["items"]["enum"] == list(ENTITY_ORDER)
    assert entities["examples"] == list(ENTITY_ORDER)  # Airflow's multi-select
    assert entities["values_display"]["stocks"] == "Stocks initiaux (stocks)"
    assert spec["mode"]["enum"] == ["create", "modify", None]  # None: the default
    assert spec["source_kind"]["section"] == spec["source_conn_id"]["section"] == "Inbox"
    assert {name: spec[name]["type"] for name in ("dry_run", "auto_create_regimes",
                                                  "auto_create_vat")} == dict.fromkeys(
        ("dry_run", "auto_create_regimes", "auto_create_vat"), ["boolean", "null"])
    assert all(item.get("title") and item.get("description") and item.get("section")
               for item in spec.values())
    assert asset_uri("articles") == "comptoir://dossier/articles"

    with pytest.raises(ValueError, match="options.entities.0"):
        TaskDefinition.model_validate({"id": "x", "type": "imports",
                                       "options": {"entities": ["planets"]}})
    with pytest.raises(ValueError, match="options.source"):
        TaskDefinition.model_validate({"id": "x", "type": "imports",
                                       "options": {"source": {"kind": "nfs"}}})
    with pytest.raises(ValueError, match="writes no file"):
        TaskDefinition.model_validate({"id": "x", "type": "imports", "output": {
            "delivery": {"method": "local", "path": "x"}}})


def test_run_through_the_runner_reports_what_it_imported_and_failed(
        engine: Engine, comptoir_home: Path) -> None:
    definition = TaskDefinition.model_validate({"id": "imports-test", "type": "imports",
                                                "options": {"source": {
                                                    "kind": "local", "path": "drop",
                                                    "min_age_seconds": 0}}})
    inbox = Inbox(comptoir_home / "inbox" / "drop")  # relative paths are under the data home
    drop(inbox, vat__csv=VAT)
    report = runner.run_task(definition, "manual-1", None, engine=engine, log=lambda _: None)
    assert (report.level, report.title) == ("info", "imports-test: succeeded")
    assert "vat.csv — vat: 1 records, 1 accepted, 0 rejected → done" in report.body
    assert "Records written: vat 1" in report.body

    drop(inbox, notes__csv="x")
    failed = runner.run_task(definition, "manual-2", None, engine=engine, log=lambda _: None)
    assert failed.level == "error"
    assert failed.title.startswith("imports-test: failed — import_files: 1 file could not be "
                                   "imported: "
                                   "notes.csv: the file name says no entity")
    with engine.connect() as conn:
        assert [m.run_id for m in list_messages(conn, task_id="imports-test")] == [
            "manual-2", "manual-1"]
    assert filed(inbox.root / "failed") == ["notes.csv", "notes.csv.report.json"]
    assert filed(inbox.root / "done") == ["vat.csv", "vat.csv.report.json"]


def test_a_skipped_first_step_makes_a_skipped_report() -> None:
    definition = TaskDefinition.model_validate({"id": "imp", "type": "imports"})
    report = runner.compose_report(
        definition, "scheduled-1",
        [runner.StepOutcome("fetch", True, skipped="isolated mode is on"), None],
        ["fetch", "import_files"])
    assert (report.level, report.title) == ("info", "imp: skipped")
    assert report.body.endswith("isolated mode is on")
