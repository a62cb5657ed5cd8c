"""One verdict for a field or line too long to read, whichever parser reads the file: the
record is rejected (`invalid_value`, its line), the others are imported. A quote never
closed is a file-level error naming the line it was opened on, not one record
swallowing the rest of the file."""

from __future__ import annotations

import pytest

from comptoir.imports.csv_scan import FIELD_LIMIT, LINE_LIMIT
from tests.comptoir.imports.conftest import count, found, rows

HEAD = "CODE;DESIG\n"


def regimes(oversized: str, *, quoted: bool = False) -> str:
    """Five regimes; line 4 has the oversized DESIG (line 2 a quoted one if `quoted`)."""
    first = '"Regime one"' if quoted else "Regime one"
    return (f"{HEAD}R1;{first}\nR2;Regime two\nR3;{oversized}\nR4;Regime four\n"
            "R5;Regime five\n")


def assert_only_line_4_rejected(report, engine, size: str) -> None:
    assert (report.records, report.accepted, report.rejected, report.exit_code) == (5, 4, 1, 3)
    assert found(report) == {(4, "invalid_value")}
    (rejection,) = report.rejections
    assert rejection.key == "R3"
    assert f"longer than {size}" in rejection.message
    assert rejection.quote.startswith("R3;") and "… [cut: " in rejection.quote
    assert [r[0] for r in rows(engine, "SELECT code FROM tax_regimes ORDER BY code")] == [
        "R1", "R2", "R4", "R5"]


@pytest.mark.parametrize("where", ["no quote in the file", "a quote elsewhere",
                                   "the field quoted", "quoted over many lines"])
def test_a_field_over_the_limit_rejects_its_record_only(engine, files, imp, where) -> None:
    big = "X" * (FIELD_LIMIT + 1)
    oversized = {"no quote in the file": big, "a quote elsewhere": big,
                 "the field quoted": f'"{big}"',
                 "quoted over many lines": '"' + "X\n" * (FIELD_LIMIT // 2 + 1) + '"'}[where]
    text = regimes(oversized, quoted=where == "a quote elsewhere")
    report = imp("regimes", files("regimes.csv", text))
    assert_only_line_4_rejected(report, engine, f"{FIELD_LIMIT:,} characters")


@pytest.mark.parametrize("quotes", [False, True])
def test_a_line_over_16_mib_rejects_its_record_only(engine, files, imp, quotes) -> None:
    text = regimes("Z" * (LINE_LIMIT + 1024), quoted=quotes)
    report = imp("regimes", files("regimes.csv", text))
    assert report.error is None
    assert_only_line_4_rejected(report, engine, f"{FIELD_LIMIT:,} characters")


def test_a_line_over_16_mib_of_short_fields_rejects_its_record_only(engine, files,
                                                                     imp) -> None:
    report = imp("regimes", files("regimes.csv", regimes("Z;" * (LINE_LIMIT // 2 + 1))))
    assert report.error is None
    assert_only_line_4_rejected(report, engine, f"{LINE_LIMIT:,} bytes")


def test_an_oversized_line_of_a_sales_documents_lines_file_is_rejected(
        dossier, files, imp) -> None:
    head = files("sales_documents.csv", "IDENT;CLIENT_CODE;TYPE\nH1;C1;F\nH2;C1;F\n")
    lines = files("sales_documents_lines.csv",
                  "ENTETE_IDENT;ART_CODE;DESIG;QTE;PU_HT\n"
                  "H1;A1;One;1;10\n"
                  f"H2;A1;{'Y' * (LINE_LIMIT + 1)};1;10\n"
                  "H1;A1;Two;1;10\n")
    report = imp("sales_documents", head, lines_file=lines)
    assert report.error is None
    assert {(r.file, r.line, r.key, r.rule) for r in report.rejections} == {
        (lines.name, 3, "H2", "invalid_value"), (head.name, 3, "H2", "document_incomplete")}
    # a document is written whole or not at all: H2 lost a line, so H2 is not written
    assert rows(dossier, "SELECT origin FROM sales_documents ORDER BY origin") == [("H1",)]
    assert rows(dossier, "SELECT l.description FROM sales_document_lines l JOIN "
                "sales_documents d ON d.id = l.document_id WHERE d.origin = 'H1' "
                "ORDER BY l.line_no") == [("One",), ("Two",)]


@pytest.mark.parametrize("size", [49, 5_000])
def test_a_quote_never_closed_is_a_file_level_error(engine, files, imp, size) -> None:
    text = HEAD + 'R1;"Regime one\n' + "".join(f"R{n};Regime {n}\n" for n in range(2, size))
    assert text.count("\n") == size
    report = imp("regimes", files("regimes.csv", text))
    assert report.exit_code == 1
    assert report.error == "regimes.csv: quote opened on line 2 is never closed"
    assert count(engine, "tax_regimes") == 0


def test_the_line_named_is_the_quote_s_own_in_a_multi_line_record(engine, files, imp) -> None:
    text = HEAD + 'R1;"one\nstill one"\nR2;two\r\nR3;"three\r\nR4;four\r\n'
    report = imp("regimes", files("regimes.csv", text))
    assert report.error == "regimes.csv: quote opened on line 5 is never closed"


def test_a_quote_inside_a_field_is_plain_text_not_an_open_quote(engine, files, imp) -> None:
    report = imp("regimes", files("regimes.csv", HEAD + 'R1;Screen 24"\nR2;Two\n'))
    assert (report.error, report.accepted) == (None, 2)


def test_a_lines_file_line_with_too_many_fields_leaves_its_document_out(
        dossier, files, imp) -> None:
    head = files("sales_documents.csv", "IDENT;CLIENT_CODE;TYPE\nH1;C1;F\nH2;C1;F\n")
    lines = files("sales_documents_lines.csv",
                  "ENTETE_IDENT;ART_CODE;DESIG;QTE;PU_HT\n"
                  "H1;A1;One;1;10\n"
                  "H2;A1;Two;1;10;extra\n"
                  "H2;A1;Three;1;10\n")
    report = imp("sales_documents", head, lines_file=lines)
    assert {(r.file, r.line, r.rule) for r in report.rejections} == {
        (lines.name, 3, "invalid_value"), (head.name, 3, "document_incomplete"),
        (lines.name, 4, "document_incomplete")}
    assert rows(dossier, "SELECT origin FROM sales_documents ORDER BY origin") == [("H1",)]
