"""Sales documents: headers + lines CSV or one XML file; every rule, whole documents,
WEB_IDENT as origin (a re-import creates nothing twice)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from comptoir.backoffice.schema import sales_document_lines, sales_documents
from tests.comptoir.imports.conftest import count, fetch, found

HEAD = "IDENT;CLIENT_CODE;TYPE;DATE;WEB_IDENT;REFERENCE;DEPOT_CODE;INDICE_CODE;PERIODICITE\n"
LINES = "ENTETE_IDENT;ART_CODE;DESIG;QTE;PU_HT;REMISE;TVA_CODE\n"


def test_csv_rules(dossier, files, imp) -> None:
    head = files("sales_documents.csv", HEAD +
                 "H1;C1;F;02/11/2026;WEB-1;Ref;D1;;\n"      # 2 ok
                 "H2;C9;F;;;;;;\n"                          # 3 unknown_customer
                 "H3;C1;X;;;;;;\n"                          # 4 doc_type
                 "H4;C1;O;;;;;;\n"                          # 5 periodicity (empty for O)
                 "H5;C1;O;;;;;NOPE;M\n"                     # 6 unknown_index
                 "H1;C1;F;;;;;;\n"                          # 7 duplicate_in_file (IDENT)
                 "H6;C1;F;;WEB-1;;;;\n"                     # 8 duplicate_in_file (WEB_IDENT)
                 "H7;C1;F;;;;;;\n"                          # 9 document_incomplete
                 "H8;C1;C;31/02/2026;;;;;\n"                # 10 invalid_value (date)
                 "H9;;F;;;;;;\n"                            # 11 required
                 "H10;C1;O;;;;;SYNTEC;X\n")                 # 12 periodicity
    lines = files("sales_documents_lines.csv", LINES +
                  "H1;A1;Line one;2;10,00;10;\n"           # 2 ok
                  "H1;;Comment;;;;\n"                      # 3 ok
                  "H7;A9;Unknown;1;1;;\n"                  # 4 unknown_article
                  "H7;A1;Fine;1;1;;\n"                     # 5 document_incomplete
                  "H99;A1;Orphan;1;1;;\n"                  # 6 orphan_line
                  "H3;A1;Of a rejected doc;1;1;;\n"        # 7 document_incomplete
                  "H1X;A1;;1;1;;\n"                        # 8 orphan_line
                  ";A1;;1;1;;\n")                          # 9 required
    report = imp("sales_documents", head, lines_file=lines)
    head_rules = {(r.line, r.rule) for r in report.rejections if r.file == head.name}
    line_rules = {(r.line, r.rule) for r in report.rejections if r.file == lines.name}
    assert head_rules == {(3, "unknown_customer"), (4, "doc_type"), (5, "periodicity"),
                          (6, "unknown_index"), (7, "duplicate_in_file"),
                          (8, "duplicate_in_file"), (9, "document_incomplete"),
                          (10, "invalid_value"), (11, "required"), (12, "periodicity")}
    assert line_rules == {(4, "unknown_article"), (5, "document_incomplete"), (6, "orphan_line"),
                          (7, "document_incomplete"), (8, "orphan_line"), (9, "required")}
    assert report.files == ["sales_documents.csv", "sales_documents_lines.csv"]
    assert report.written == {"sales_document_lines": 2, "sales_documents": 1}
    d = sales_documents.c
    assert fetch(dossier, select(d.type, d.origin, d.reference, d.source, d.total_excl_tax,
                                 d.total_tax, d.total_incl_tax)) == [
        ("F", "WEB-1", "Ref", "import", Decimal("18.00"), Decimal("3.60"), Decimal("21.60"))]
    line = sales_document_lines.c
    assert fetch(dossier, select(line.line_no, line.description, line.quantity, line.discount,
                                 line.total_excl_tax).order_by(line.line_no)) == [
        (1, "Line one", Decimal(2), Decimal(10), Decimal("18.00")),
        (2, "Comment", None, None, None)]


XML = """<?xml version="1.0" encoding="UTF-8"?>
<PIECES>
  <PIECE>
    <CLIENT_CODE>C1</CLIENT_CODE>
    <TYPE>F</TYPE>
    <DATE>2026-11-02</DATE>
    <WEB_IDENT>SHOP-1001</WEB_IDENT>
    <LIGNES>
      <LIGNE><ART_CODE>A1</ART_CODE><QTE>2</QTE><PU_HT>10,00</PU_HT></LIGNE>
    </LIGNES>
  </PIECE>
  <PIECE>
    <IDENT>P2</IDENT>
    <CLIENT_CODE>C2</CLIENT_CODE>
    <TYPE>O</TYPE>
    <PERIODICITE>M</PERIODICITE>
    <INDICE_CODE>SYNTEC</INDICE_CODE>
    <DATE_DEBUT>01/01/2027</DATE_DEBUT>
    <DATE_FIN>31/12/2027</DATE_FIN>
    <LIGNES>
      <LIGNE><ART_CODE>A9</ART_CODE><QTE>1</QTE></LIGNE>
      <LIGNE><DESIG>Comment</DESIG></LIGNE>
    </LIGNES>
  </PIECE>
</PIECES>
"""


def test_xml_documents_and_reimport_by_web_ident(dossier, files, imp) -> None:
    path = files("sales_documents.xml", XML)
    report = imp("sales_documents", path)
    assert {(r.line, r.key, r.rule) for r in report.rejections} == {
        (12, "P2", "document_incomplete"), (21, "P2", "unknown_article"),
        (22, "P2", "document_incomplete")}
    d = sales_documents.c
    assert fetch(dossier, select(d.origin, d.date, d.total_excl_tax)) == [
        ("SHOP-1001", __import__("datetime").date(2026, 11, 2), Decimal("20.00"))]
    again = imp("sales_documents", path)
    assert (3, "already_imported") in found(again)
    assert count(dossier, "sales_documents") == 1 and count(dossier, "sales_document_lines") == 1


def test_lines_file_is_found_from_the_headers_name(dossier, files, imp) -> None:
    head = files("sales_documents_web.csv", HEAD + "H1;C1;D;;;;;;\n")
    files("sales_documents_lines_web.csv", LINES + "H1;A1;;1;5;;R\n")
    report = imp("sales_documents", head)
    assert report.exit_code == 0, report.error
    assert report.written == {"sales_document_lines": 1, "sales_documents": 1}


def test_csv_headers_without_lines_file_is_a_file_level_error(dossier, files, imp) -> None:
    report = imp("sales_documents", files("sales_documents.csv", HEAD + "H1;C1;D;;;;;;\n"))
    assert report.exit_code == 1 and "--lines" in report.error
