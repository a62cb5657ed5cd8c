"""Files dropped twice: nothing is written twice, and a report says why.

Sales documents have no natural key: the same bytes again are a repeat (one file-level
`already_imported`), and a document's IDENT is its origin when the file gives no
WEB_IDENT, so a file sent again after a correction creates only what is new."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from comptoir.demo.files import Request, write_files
from comptoir.exchange.inbox import Inbox
from comptoir.imports.naming import ENTITY_ORDER, entity_for_file, lines_file_for
from comptoir.imports.service import run_import
from tests.comptoir.imports.conftest import count, rows

TABLES = ("tax_regimes", "vat_codes", "depots", "suppliers", "customers", "articles",
          "stock_records", "stock_movements", "sales_documents", "sales_document_lines")
REFERENCE = {
    "regimes.csv": "CODE;DESIG\nFR;France\n",
    "customers.csv": "CODE;DESIG;REGIME_CODE\nC1;Dupont;FR\n",
}
HEADERS = "IDENT;CLIENT_CODE;TYPE;DATE;WEB_IDENT\nD1;C1;F;2026-11-02;\nD2;C2;F;2026-11-02;\n"
LINES = "ENTETE_IDENT;DESIG;QTE;PU_HT\nD1;Tee-shirt;2;10\nD2;Mug;1;5\n"


def import_all(folder: Path, url: str, reports: Path) -> dict[str, object]:
    """Every file of the demo set, in dependency order, as `comptoir import` would."""
    by_entity = {entity_for_file(p.name): p for p in folder.iterdir()
                 if entity_for_file(p.name)}
    done = {}
    for entity in ENTITY_ORDER:
        if entity in by_entity:
            path = by_entity[entity]
            lines = lines_file_for(str(path)) if entity == "sales_documents" else None
            done[entity] = run_import(entity, path, lines_file=lines, url=url,
                                      report_dir=reports / entity, data_docs=False)
    return done


def counts(engine) -> dict[str, int]:
    return {table: count(engine, table) for table in TABLES}


def test_the_demo_files_dropped_twice_write_nothing_the_second_time(
        dossier_url, engine, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    write_files(folder, Request(customers=40, articles=30, suppliers=8, documents=10,
                                stocks=30, errors=0.1, seed=11))
    first = import_all(folder, dossier_url, tmp_path / "first")
    assert first["sales_documents"].accepted > 0
    before = counts(engine)
    assert before["sales_documents"] > 0

    second = import_all(folder, dossier_url, tmp_path / "second")
    assert counts(engine) == before
    documents = second["sales_documents"]
    assert documents.accepted == 0 and documents.exit_code == 3
    assert {r.rule for r in documents.rejections} <= {"already_imported",
                                                      "document_incomplete",
                                                      "unknown_customer", "unknown_article",
                                                      "doc_type", "duplicate_in_file",
                                                      "required", "invalid_value",
                                                      "orphan_line", "periodicity",
                                                      "unknown_vat", "unknown_depot",
                                                      "unknown_index"}


def test_the_same_bytes_again_are_a_repeat_nothing_controlled_nothing_written(
        dossier_url, engine, files, imp) -> None:
    for name in ("regimes.csv", "customers.csv"):
        imp(name.removesuffix(".csv"), files(name, REFERENCE[name]))
    imp("customers", files("more.csv", "CODE;DESIG;REGIME_CODE\nC2;Martin;FR\n"))
    headers = files("sales_documents.csv", HEADERS)
    lines = files("sales_documents_lines.csv", LINES)

    first = imp("sales_documents", headers, lines_file=lines)
    assert (first.accepted, first.exit_code) == (4, 0)
    assert rows(engine, "SELECT origin FROM sales_documents ORDER BY origin") == [("D1",),
                                                                                  ("D2",)]
    again = imp("sales_documents", headers, lines_file=lines)
    assert (again.records, again.accepted, again.exit_code) == (0, 0, 3)
    (repeat,) = again.rejections
    assert (repeat.rule, repeat.line, repeat.file) == ("already_imported", None,
                                                       "sales_documents.csv")
    assert first.batch_id in repeat.message and "nothing was written" in repeat.message
    assert again.rejections_by_rule == {"already_imported": 1}
    assert count(engine, "sales_documents") == 2 and count(engine, "sales_document_lines") == 2


def test_a_file_sent_again_after_a_correction_creates_only_what_is_new(
        dossier_url, engine, files, imp) -> None:
    for name in ("regimes.csv", "customers.csv"):
        imp(name.removesuffix(".csv"), files(name, REFERENCE[name]))
    headers = files("sales_documents.csv", HEADERS)  # D2's customer C2 is not known yet
    lines = files("sales_documents_lines.csv", LINES)
    first = imp("sales_documents", headers, lines_file=lines)
    assert first.accepted == 2 and {(r.line, r.rule) for r in first.rejections} >= {
        (3, "unknown_customer")}

    imp("customers", files("more.csv", "CODE;DESIG;REGIME_CODE\nC2;Martin;FR\n"))
    again = imp("sales_documents", headers, lines_file=lines)  # the same bytes, not whole
    assert again.accepted == 2  # D2 and its line
    assert {(r.line, r.rule, r.field) for r in again.rejections} >= {
        (2, "already_imported", "IDENT")}
    assert count(engine, "sales_documents") == 2 and count(engine, "sales_document_lines") == 2


def test_a_repeat_through_an_inbox_goes_to_done_saying_so(
        dossier_url, engine, files, imp, tmp_path: Path) -> None:
    from comptoir.automation.types.imports import Options, import_inbox

    for name in ("regimes.csv", "customers.csv"):
        imp(name.removesuffix(".csv"), files(name, REFERENCE[name]))
    inbox = Inbox(tmp_path / "inbox")
    options = Options(entities=["sales_documents"])
    for _ in range(2):
        inbox.receive("sales_documents.csv", HEADERS.replace("D2;C2", "D2;C1").encode())
        inbox.receive("sales_documents_lines.csv", LINES.encode())
        run = import_inbox(inbox, options, url=dossier_url, data_docs=False,
                           log=lambda _line: None)
    (result,) = run.results
    assert result.outcome == "done" and result.repeat is not None
    assert run.error() is None
    assert "a repeat: this file was imported whole before" in result.line()
    assert count(engine, "sales_documents") == 2
    filed = sorted(p.name for p in (inbox.root / "done").rglob("*.csv"))
    assert filed == ["sales_documents-2.csv", "sales_documents.csv",
                     "sales_documents_lines-2.csv", "sales_documents_lines.csv"]
    report = json.loads(next((inbox.root / "done").rglob(
        "sales_documents-2.csv.report.json")).read_text())
    assert report["rejections"][0]["rule"] == "already_imported"


def test_the_batch_remembers_the_bytes_it_imported(dossier_url, engine, files, imp) -> None:
    report = imp("regimes", files("regimes.csv", REFERENCE["regimes.csv"]))
    import hashlib

    digest = hashlib.sha256(REFERENCE["regimes.csv"].encode()).hexdigest()
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT content_sha256 FROM import_batches WHERE id = :id"),
                              {"id": report.batch_id}).scalar_one()
    assert stored == digest
