"""Whole runs: one transaction per file, re-import, dry run, a crash in the middle, big
files in slices, the import batch, the reports."""

from __future__ import annotations

import json

from tests.comptoir.imports.conftest import count, execute, found, rows

CUSTOMERS = ("CODE;DESIG;REGIME_CODE;IBAN\n"
             "N1;One;FR;FR7630006000011234567890189\n"
             "N2;<b>Two</b>;FR;FR7630006000011234567890188\n"
             "N3;Three;FR;\n")


def test_every_accepted_record_is_stamped_with_the_batch(dossier, files, imp) -> None:
    report = imp("customers", files("customers.csv", CUSTOMERS))
    assert report.exit_code == 3
    assert rows(dossier, "SELECT code, import_batch_id FROM customers WHERE code LIKE 'N%' "
                "ORDER BY code") == [("N1", report.batch_id), ("N3", report.batch_id)]
    batch = rows(dossier, "SELECT entity, mode, records, accepted, rejected, report, files "
                 "FROM import_batches")
    assert batch[0][:5] == ("customers", "create", 3, 2, 1)
    assert json.loads(batch[0][5])["rejections"][0]["line"] == 3
    assert json.loads(batch[0][6]) == ["customers.csv"]


def test_reimporting_the_same_file_creates_nothing_twice(dossier, files, imp) -> None:
    path = files("customers.csv", CUSTOMERS)
    imp("customers", path)
    again = imp("customers", path)
    assert found(again) == {(2, "already_exists"), (3, "bank_details"), (4, "already_exists")}
    assert again.accepted == 0 and again.written == {}
    assert count(dossier, "customers") == 4


def test_dry_run_reports_what_the_real_run_would_do_and_writes_nothing(dossier, files,
                                                                       imp) -> None:
    path = files("articles.csv", "CODE;DESIG;TVA_CODE\nN1;One;Z0\nN2;Two;ZZ\n")
    dry = imp("articles", path, dry_run=True, auto_create_vat=True)
    assert count(dossier, "articles") == 4 and count(dossier, "import_batches") == 0
    assert count(dossier, "vat_codes") == 2 and count(dossier, "stock_records") == 8
    real = imp("articles", path, auto_create_vat=True)
    assert dry.dry_run and not real.dry_run
    assert (dry.records, dry.accepted, dry.written) == (real.records, real.accepted,
                                                       real.written)
    assert real.written == {"articles": 2, "stock_records": 4, "vat_codes": 2}


def test_a_failure_in_the_middle_writes_nothing(dossier, files, imp) -> None:
    if dossier.dialect.name == "sqlite":
        execute(dossier, "CREATE TRIGGER boom BEFORE INSERT ON customers WHEN NEW.code = 'N3' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END")
    else:
        execute(dossier, "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.code = 'N3' "
                "THEN RAISE EXCEPTION 'refused by the database'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql",
                "CREATE TRIGGER boom BEFORE INSERT ON customers FOR EACH ROW EXECUTE "
                "FUNCTION boom()")
    report = imp("customers", files("customers.csv", CUSTOMERS), auto_create_regimes=True)
    assert report.exit_code == 1
    assert "refused by the database" in report.error
    assert report.accepted == 0 and report.written == {}
    assert count(dossier, "customers") == 2 and count(dossier, "import_batches") == 0


def test_a_big_file_is_controlled_in_slices_with_duplicates_across_them(dossier, files,
                                                                        imp) -> None:
    body = "CODE;DESIG\n" + "".join(f"K{i};Name {i}\n" for i in range(7)) + "K1;Again\nK6;Dup\n"
    report = imp("customers", files("customers.csv", body), chunk_rows=3)
    assert found(report) == {(9, "duplicate_in_file"), (10, "duplicate_in_file")}
    assert count(dossier, "customers") == 2 + 7


def test_values_are_read_the_same_in_every_slice(dossier, files, imp) -> None:
    body = "CODE;DESIG;PRIX_VENTE;GERE_LOTS\n" + "".join(f"P{i};Name;{i},50;N\n" for i in range(5))
    report = imp("articles", files("articles.csv", body + "P9;Bad;-1;N\n"), chunk_rows=2)
    assert found(report) == {(7, "invalid_value")}
    assert rows(dossier, "SELECT COUNT(*) FROM articles WHERE code LIKE 'P%'") == [(5,)]


def test_reports_json_html_and_data_docs(dossier, files, imp, tmp_path) -> None:
    report = imp("customers", files("customers.csv", CUSTOMERS), data_docs=True)
    folder = report.folder
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert set(data) == {"entity", "mode", "dry_run", "files", "batch_id", "records",
                         "accepted", "rejected", "error", "rejections", "warnings", "written",
                         "rejections_by_rule", "rejections_complete", "rejections_file"}
    assert data["rejections"] == [{"file": "customers.csv", "line": 3, "key": "N2",
                                   "rule": "bank_details", "field": "IBAN", "message":
                                   "IBAN FR7630006000011234567890188: the check digits "
                                   "are wrong"}]
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;Two&lt;/b&gt;" in page and "<b>Two</b>" not in page
    assert "bank_details" in page and "data_docs/validation-1.html" in page
    assert "expect_column_values_to_be_in_codes" in (
        folder / "data_docs" / "validation-1.html").read_text(encoding="utf-8")


def test_malformed_records_and_unknown_columns_are_reported(dossier, files, imp) -> None:
    report = imp("regimes", files("regimes.csv", "CODE;DESIG;NOTE\nR1;One;x\nR2;Two\n"))
    assert found(report) == {(3, "invalid_value")}
    assert report.warnings[0].message == "unknown column NOTE ignored"
    assert (report.records, report.accepted, report.rejected) == (2, 1, 1)


def test_an_unreadable_file_is_an_error_with_nothing_written(dossier, files, imp) -> None:
    report = imp("regimes", files("regimes.csv", b"CODE;DESIG\nR1;\x81\x8d\n"))
    assert report.exit_code == 1 and "neither UTF-8 nor Windows-1252" in report.error
    assert count(dossier, "tax_regimes") == 2


def test_progress_is_reported_after_each_slice(engine, tmp_path) -> None:
    from comptoir.imports.service import run_import

    rows = "\n".join(f"R{n};Régime {n}" for n in range(25))
    (tmp_path / "regimes.csv").write_text(f"CODE;DESIG\n{rows}\n", encoding="utf-8")
    seen: list[int] = []
    report = run_import("regimes", tmp_path / "regimes.csv", chunk_rows=10,
                        report_dir=tmp_path / "r", data_docs=False, on_progress=seen.append)
    assert report.accepted == 25
    assert seen == [10, 20, 25]
