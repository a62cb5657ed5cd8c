"""Reception of `ImportDocuments*` files (core level, SQLite and PostgreSQL).

Every state and rule of the contract's documents table, in its order, and the document a
reception creates, field by field (`spec/econnector.md`, "Received files").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from comptoir.backoffice import schema as s
from comptoir.econnector.reception import receive
from comptoir.econnector.sync_report import SyncReport
from tests.comptoir.econnector.partner import (
    DOCUMENT_COLUMNS,
    connector,
    document_rows,
    drop,
    reference,
)


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> dict[str, Any]:
    """The reference dossier, connector FACILI (orders), X1 → ART1 and X2 → ART2."""
    ids = reference(engine)
    folder = connector(engine).import_folder
    with engine.begin() as conn:
        conn.execute(insert(s.article_correspondences), [
            {"connector": "FACILI", "external_code": "X1", "article_id": ids["article"]["ART1"]},
            {"connector": "FACILI", "external_code": "X2", "article_id": ids["article"]["ART2"]},
        ])
    return {"ids": ids, "folder": folder}


def _row(doc: str = "D1", date: str | None = "15/01/2026", client: str | None = "CLI1",
         client_name: str | None = None, ref: str | None = None, payment: str | None = None,
         total: str | None = None, line_no: str | None = None, ext: str | None = "X1",
         desig: str | None = None, qty: str | None = "1", price: str | None = None,
         discount: str | None = None) -> list[Any]:
    return [doc, date, client, client_name, ref, payment, total, line_no, ext, desig, qty,
            price, discount]


def _receive(engine: Engine, folder: Path, rows: list[list[Any]],
             name: str = "ImportDocuments_1.csv") -> SyncReport:
    drop(folder, name, DOCUMENT_COLUMNS, rows)
    return receive(engine, "FACILI")


def _docs(report: SyncReport) -> dict[str, Any]:
    """Document items by DOC_ID."""
    return {i.identifier.split(" / ")[0]: i for i in report.items if i.type == "document"}


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


# --------------------------------------------------------------------- the document created

def test_created_document_has_every_field_of_the_contract(engine: Engine,
                                                          dossier: dict[str, Any]) -> None:
    ids = dossier["ids"]
    rows = [
        # LIGNE_NO out of file order; X1 → ART1 (20 %), X2 → ART2 (5.5 %, sale price 2.50)
        _row(line_no="2", ext="X1", desig="Prestation", qty="1", price="0,125",
             payment="Chèques", total="15.39"),
        _row(line_no="3", ext="X1", desig="Remisée", qty="2", price="10.05", discount="50",
             payment="Chèques", total="15.39"),
        _row(line_no="1", ext="X2", desig=None, qty="1,2", price=None,
             payment="Chèques", total="15.39"),
    ]
    report = _receive(engine, dossier["folder"], rows)

    item = _docs(report)["D1"]
    assert (item.state, item.rule, item.messages) == ("synchronised", None, ["Synchronisé"])
    assert item.identifier == "D1 / EC-C-000001"
    assert item.line == 2
    assert item.label == "D1 - CLI1 - 15.39€ - Chèques"
    assert report.exit_code == 0
    with engine.connect() as conn:
        doc = conn.execute(select(s.sales_documents)).one()
        lines = conn.execute(select(s.sales_document_lines)
                             .order_by(s.sales_document_lines.c.line_no)).all()
        taxes = conn.execute(select(s.sales_document_taxes)
                             .order_by(s.sales_document_taxes.c.rate)).all()
        counter = conn.execute(select(s.counters.c.value)
                               .where(s.counters.c.name == "econnector.C")).scalar_one()
    assert doc.number == "EC-C-000001" and doc.type == "C"
    assert doc.date == dt.date(2026, 1, 15)
    assert doc.customer_id == ids["customer"]["CLI1"]
    assert doc.depot_id == ids["depot"]["DEP1"]
    assert doc.reference == "D1"  # default: DOC_ID
    assert doc.origin == "FACILI:D1" and doc.source == "econnector"
    assert counter == 1
    # lines in LIGNE_NO order; description ART_DESIG else the article's name; default price
    # = the article's sale price; line total half-up (0.125 → 0.13, not 0.12)
    assert [(ln.line_no, ln.article_id, ln.description, ln.quantity, ln.unit_price,
             ln.discount, ln.vat_code_id, ln.total_excl_tax) for ln in lines] == [
        (1, ids["article"]["ART2"], "Article deux", Decimal("1.200"), Decimal("2.5000"),
         None, ids["vat"]["T3"], Decimal("3.00")),
        (2, ids["article"]["ART1"], "Prestation", Decimal("1.000"), Decimal("0.1250"),
         None, ids["vat"]["T1"], Decimal("0.13")),
        (3, ids["article"]["ART1"], "Remisée", Decimal("2.000"), Decimal("10.0500"),
         Decimal("50.000"), ids["vat"]["T1"], Decimal("10.05")),
    ]
    # VAT per rate on the base, half-up: 3.00 × 5.5 % = 0.165 → 0.17; 10.18 × 20 % → 2.04
    assert [(t.vat_code_id, t.rate, t.base_excl_tax, t.tax, t.total_incl_tax)
            for t in taxes] == [
        (ids["vat"]["T3"], Decimal("5.500"), Decimal("3.00"), Decimal("0.17"), Decimal("3.17")),
        (ids["vat"]["T1"], Decimal("20.000"), Decimal("10.18"), Decimal("2.04"),
         Decimal("12.22")),
    ]
    assert (doc.total_excl_tax, doc.total_tax, doc.total_incl_tax) == (
        Decimal("13.18"), Decimal("2.21"), Decimal("15.39"))
    assert report.written["sales_documents"] == 1


def test_vat_is_rounded_per_rate_not_per_line(engine: Engine, dossier: dict[str, Any]) -> None:
    # three lines of 0.05 at 5.5 %: per line 0.00275 → 0.00 each; per rate 0.15 → 0.00825 → 0.01
    rows = [_row(line_no=str(n), ext="X2", qty="1", price="0.05") for n in (1, 2, 3)]
    _receive(engine, dossier["folder"], rows)
    with engine.connect() as conn:
        doc = conn.execute(select(s.sales_documents)).one()
    assert (doc.total_excl_tax, doc.total_tax, doc.total_incl_tax) == (
        Decimal("0.15"), Decimal("0.01"), Decimal("0.16"))


def test_lines_without_line_number_keep_file_order(engine: Engine,
                                                   dossier: dict[str, Any]) -> None:
    rows = [_row(ext="X2", desig="premier"), _row(ext="X1", desig="second"),
            _row(ext="X2", desig="troisième")]
    _receive(engine, dossier["folder"], rows)
    with engine.connect() as conn:
        lines = conn.execute(select(s.sales_document_lines.c.line_no,
                                    s.sales_document_lines.c.description)
                             .order_by(s.sales_document_lines.c.line_no)).all()
    assert [tuple(ln) for ln in lines] == [(1, "premier"), (2, "second"), (3, "troisième")]


def test_delivery_notes_are_numbered_in_the_ec_b_series(engine: Engine,
                                                        comptoir_home: Path) -> None:
    ids = reference(engine)
    folder = connector(engine, "FACB", document_type="delivery_notes").import_folder
    with engine.begin() as conn:
        conn.execute(insert(s.article_correspondences).values(
            connector="FACB", external_code="X1", article_id=ids["article"]["ART1"]))
    drop(folder, "ImportDocuments.csv", DOCUMENT_COLUMNS,
         [_row(doc="B1", ref="BL client 7"), _row(doc="B2")])
    report = receive(engine, "FACB")
    assert [i.identifier for i in report.items] == ["B1 / EC-B-000001", "B2 / EC-B-000002"]
    with engine.connect() as conn:
        docs = conn.execute(select(s.sales_documents.c.number, s.sales_documents.c.type,
                                   s.sales_documents.c.reference, s.sales_documents.c.origin)
                            .order_by(s.sales_documents.c.number)).all()
        counters = dict(conn.execute(select(s.counters.c.name, s.counters.c.value)
                                     .where(s.counters.c.name.in_(
                                         ["econnector.B", "econnector.C"]))).all())
    assert [tuple(d) for d in docs] == [("EC-B-000001", "B", "BL client 7", "FACB:B1"),
                                        ("EC-B-000002", "B", "B2", "FACB:B2")]
    assert counters == {"econnector.B": 2}


def test_numbers_continue_from_one_reception_to_the_next(engine: Engine,
                                                          dossier: dict[str, Any]) -> None:
    _receive(engine, dossier["folder"], [_row(doc="D1")], "ImportDocuments_1.csv")
    report = _receive(engine, dossier["folder"], [_row(doc="D2"), _row(doc="D3")],
                      "ImportDocuments_2.csv")
    assert [i.identifier for i in report.items] == ["D2 / EC-C-000002", "D3 / EC-C-000003"]


def test_reception_makes_no_stock_movement(engine: Engine, dossier: dict[str, Any]) -> None:
    report = _receive(engine, dossier["folder"], [_row(qty="5"), _row(ext="X2", qty="3")])
    assert report.counts()["synchronised"] == 1
    assert _count(engine, s.stock_movements) == 0
    assert _count(engine, s.stock_movement_lines) == 0
    assert _count(engine, s.stock_records) == 0


# ------------------------------------------------------------ a customer from CLIENT_NOM

def test_unknown_customer_with_a_name_is_created_as_its_own_item(
        engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [_row(doc="D1", client="NEWC", client_name="Nouveau client"),
            _row(doc="D2", client="NEWC", client_name="Nouveau client")]
    report = _receive(engine, dossier["folder"], rows)
    customers = [i for i in report.items if i.type == "customer"]
    assert [(i.identifier, i.state, i.line) for i in customers] == [
        ("NEWC", "synchronised", 2)]
    assert report.counts() == {"synchronised": 3, "already_received": 0, "waiting": 0,
                               "error": 0}
    assert report.written["customers_created"] == 1
    with engine.connect() as conn:
        new = conn.execute(select(s.customers).where(s.customers.c.code == "NEWC")).one()
        owners = conn.execute(select(s.sales_documents.c.customer_id)).scalars().all()
    assert (new.name, new.family, new.regime_id) == (
        "Nouveau client", "CLIFAC", dossier["ids"]["regime"]["FR"])
    assert owners == [new.id, new.id]


def test_no_customer_is_created_for_a_document_that_is_not(engine: Engine,
                                                           dossier: dict[str, Any]) -> None:
    rows = [_row(doc="D1", client="NEWC", client_name="Nouveau", ext="NOPE")]
    report = _receive(engine, dossier["folder"], rows)
    assert [i.type for i in report.items] == ["document"]
    with engine.connect() as conn:
        assert conn.execute(select(s.customers).where(s.customers.c.code == "NEWC")
                            ).first() is None


# --------------------------------------------------------------------------- the states

def test_already_received_comes_first_whatever_else_is_wrong(engine: Engine,
                                                             dossier: dict[str, Any]) -> None:
    _receive(engine, dossier["folder"], [_row(doc="D1")], "ImportDocuments_1.csv")
    # the same DOC_ID again, now with an empty QTE, an unknown customer and an unmapped code
    again = [_row(doc="D1", client="GHOST", qty=None, ext="NOPE")]
    report = _receive(engine, dossier["folder"], again, "ImportDocuments_2.csv")
    item = _docs(report)["D1"]
    assert (item.state, item.rule) == ("already_received", None)
    assert item.messages == ["already received as EC-C-000001"]
    assert report.unmapped == {}
    assert _count(engine, s.sales_documents) == 1
    assert report.exit_code == 0


@pytest.mark.parametrize("column", ["DOC_DATE", "CLIENT_CODE", "ART_EXT", "QTE"])
def test_required_value_empty_on_a_line(engine: Engine, dossier: dict[str, Any],
                                        column: str) -> None:
    second = _row(line_no="2")
    second[DOCUMENT_COLUMNS.index(column)] = None
    report = _receive(engine, dossier["folder"], [_row(line_no="1"), second])
    item = _docs(report)["D1"]
    assert (item.state, item.rule) == ("error", "required")
    assert f"line 3: {column} is empty" in item.messages
    assert _count(engine, s.sales_documents) == 0


def test_empty_doc_id_is_an_error_of_its_line(engine: Engine, dossier: dict[str, Any]) -> None:
    report = _receive(engine, dossier["folder"], [_row(doc=None), _row(doc="D2")])
    assert [(i.identifier, i.line, i.state, i.rule) for i in report.items] == [
        ("(no DOC_ID)", 2, "error", "required"), ("D2 / EC-C-000001", 3, "synchronised", None)]
    assert report.items[0].messages == ["line 2: DOC_ID is empty"]


@pytest.mark.parametrize(("column", "value"), [
    ("DOC_DATE", "31/02/2026"), ("DOC_DATE", "demain"), ("QTE", "beaucoup"), ("QTE", "0"),
    ("QTE", "0,000"), ("PU_HT", "-1"), ("PU_HT", "dix"), ("REMISE", "101"), ("REMISE", "-5"),
    ("TOTAL_TTC", "douze"),
])
def test_invalid_value(engine: Engine, dossier: dict[str, Any], column: str,
                       value: str) -> None:
    row = _row()
    row[DOCUMENT_COLUMNS.index(column)] = value
    report = _receive(engine, dossier["folder"], [row])
    item = _docs(report)["D1"]
    assert (item.state, item.rule) == ("error", "invalid_value")
    assert any(m.startswith(f"line 2: {column} {value!r}") for m in item.messages)
    assert _count(engine, s.sales_documents) == 0


def test_limits_of_valid_values_are_accepted(engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [_row(qty="-1", price="0", discount="100"), _row(qty="0,001", discount="0")]
    report = _receive(engine, dossier["folder"], rows)
    assert _docs(report)["D1"].state == "synchronised"


@pytest.mark.parametrize("column", ["DOC_DATE", "CLIENT_CODE", "CLIENT_NOM", "REFERENCE",
                                    "REGLEMENT", "TOTAL_TTC"])
def test_inconsistent_header(engine: Engine, dossier: dict[str, Any], column: str) -> None:
    values = {"DOC_DATE": ("15/01/2026", "16/01/2026"), "CLIENT_CODE": ("CLI1", "CLI2"),
              "CLIENT_NOM": ("Un", "Deux"), "REFERENCE": ("R1", "R2"),
              "REGLEMENT": ("Chèques", "Espèces"), "TOTAL_TTC": ("12", "13")}[column]
    first, second = _row(line_no="1"), _row(line_no="2")
    first[DOCUMENT_COLUMNS.index(column)] = values[0]
    second[DOCUMENT_COLUMNS.index(column)] = values[1]
    report = _receive(engine, dossier["folder"], [first, second])
    item = _docs(report)["D1"]
    assert (item.state, item.rule) == ("error", "inconsistent_header")
    assert item.messages == [f"its lines disagree on {column}"]


def test_same_date_written_two_ways_is_not_inconsistent(engine: Engine,
                                                        dossier: dict[str, Any]) -> None:
    rows = [_row(date="15/01/2026", total="24"), _row(date="2026-01-15", total="24,00")]
    report = _receive(engine, dossier["folder"], rows)
    assert _docs(report)["D1"].state == "synchronised"


def test_unknown_customer_without_a_name(engine: Engine, dossier: dict[str, Any]) -> None:
    report = _receive(engine, dossier["folder"], [_row(client="GHOST")])
    item = _docs(report)["D1"]
    assert (item.state, item.rule) == ("error", "unknown_customer")
    assert "GHOST" in item.messages[0]
    assert _count(engine, s.sales_documents) == 0


def test_first_broken_rule_names_the_error_and_messages_list_every_problem(
        engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [_row(line_no="1", client="GHOST", qty="abc", ext="NOPE", desig="Notaire",
                 ref="R1"),
            _row(line_no="2", client="GHOST", ext=None, ref="R2")]
    report = _receive(engine, dossier["folder"], rows)
    item = _docs(report)["D1"]
    assert (item.state, item.rule) == ("error", "required")
    text = "\n".join(item.messages)
    assert "line 3: ART_EXT is empty" in text
    assert "line 2: QTE 'abc'" in text
    assert "disagree on REFERENCE" in text
    assert "customer GHOST is unknown" in text
    assert "NOPE (Notaire) has no correspondence" in text  # error wins over waiting


@pytest.mark.parametrize(("broken", "rule"), [
    ({"qty": "0"}, "invalid_value"), ({"date": None}, "required"),
    ({"client": "GHOST"}, "unknown_customer")])
def test_an_error_wins_over_waiting(engine: Engine, dossier: dict[str, Any],
                                    broken: dict[str, Any], rule: str) -> None:
    report = _receive(engine, dossier["folder"], [_row(ext="NOPE", **broken)])
    item = _docs(report)["D1"]
    assert (item.state, item.rule) == ("error", rule)
    assert "NOPE (no label) has no correspondence" in item.messages
    # a file whose documents are in error but none waiting is filed in done/
    assert report.files[0]["outcome"] == "done"


def test_waiting_lists_every_unmapped_code_with_its_label_and_documents(
        engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [
        *document_rows("W1", "CLI1", ("NOTAIRE", "1", "5"), ("X1", "1", None),
                       ("GEOM", "1", "7")),
        *document_rows("W2", "CLI2", ("NOTAIRE", "2", "5")),
        *document_rows("OK", "CLI2", ("X1", "2", None)),
    ]
    rows[0][DOCUMENT_COLUMNS.index("ART_DESIG")] = "Notaire"
    report = _receive(engine, dossier["folder"], rows)
    items = _docs(report)
    assert (items["W1"].state, items["W1"].rule) == ("waiting", "unmapped_article")
    assert items["W1"].messages == ["NOTAIRE (Notaire) has no correspondence",
                                    "GEOM (Désig GEOM) has no correspondence"]
    assert (items["W2"].state, items["W2"].rule) == ("waiting", "unmapped_article")
    assert items["OK"].state == "synchronised"
    assert report.as_json()["unmapped"] == [
        {"external_code": "GEOM", "label": "Désig GEOM", "documents": ["W1"]},
        {"external_code": "NOTAIRE", "label": "Notaire", "documents": ["W1", "W2"]}]
    assert report.exit_code == 3
    with engine.connect() as conn:
        origins = conn.execute(select(s.sales_documents.c.origin)).scalars().all()
    assert origins == ["FACILI:OK"]  # nothing of a waiting document, not even its mapped line


def test_total_ttc_mismatch_is_created_and_said(engine: Engine,
                                                dossier: dict[str, Any]) -> None:
    rows = [_row(doc="FAR", total="20.00"),          # computed 12.00
            _row(doc="NEAR", total="12,01"),          # within 0.01
            _row(doc="NONE", total=None)]
    report = _receive(engine, dossier["folder"], rows)
    items = _docs(report)
    assert items["FAR"].state == "synchronised"
    assert items["FAR"].messages == [
        "Synchronisé", "TOTAL_TTC 20.00 differs from the computed total 12.00"]
    assert items["FAR"].label == "FAR - CLI1 - 20.00€"
    assert items["NEAR"].messages == ["Synchronisé"]
    assert items["NONE"].messages == ["Synchronisé"]
    assert items["NONE"].label == "NONE - CLI1 - 12.00€"
    assert report.exit_code == 0
    assert _count(engine, s.sales_documents) == 3


def test_a_document_is_created_whole_or_not_at_all(engine: Engine,
                                                   dossier: dict[str, Any]) -> None:
    rows = [*document_rows("D1", "CLI1", ("X1", "1", None), ("X2", "0", None)),
            *document_rows("D2", "CLI1", ("X1", "1", None), ("X2", "2", None))]
    report = _receive(engine, dossier["folder"], rows)
    assert _docs(report)["D1"].state == "error"
    with engine.connect() as conn:
        docs = conn.execute(select(s.sales_documents.c.id, s.sales_documents.c.origin)).all()
        lines = conn.execute(select(s.sales_document_lines.c.document_id)).scalars().all()
    assert [d.origin for d in docs] == ["FACILI:D2"]
    assert lines == [docs[0].id, docs[0].id]


def test_no_unit_price_and_an_article_without_sale_price_is_an_invalid_value(
        engine: Engine, dossier: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(s.article_correspondences).values(
            connector="FACILI", external_code="X3",
            article_id=dossier["ids"]["article"]["ART3"]))
    report = _receive(engine, dossier["folder"], [_row(doc="D1", ext="X3"),
                                                  _row(doc="D2", ext="X3", price="4")])
    items = _docs(report)
    assert (items["D1"].state, items["D1"].rule) == ("error", "invalid_value")
    assert items["D1"].messages == ["line 2: PU_HT is empty and article ART3 has no sale price"]
    assert items["D2"].state == "synchronised"


@pytest.mark.parametrize(("column", "limit"), [("DOC_ID", 60), ("CLIENT_NOM", 120),
                                               ("REFERENCE", 120), ("ART_DESIG", 200)])
def test_a_value_longer_than_the_dossier_keeps_is_an_invalid_value(
        engine: Engine, dossier: dict[str, Any], column: str, limit: int) -> None:
    row = _row(client="NEWC", client_name="Nouveau")
    row[DOCUMENT_COLUMNS.index(column)] = "é" * (limit + 1)
    report = _receive(engine, dossier["folder"], [row])
    item = next(i for i in report.items if i.type == "document")
    assert (item.state, item.rule) == ("error", "invalid_value")
    assert f"line 2: {column} is longer than {limit} characters" in item.messages
    assert _count(engine, s.sales_documents) == 0
    assert _count(engine, s.customers) == 2  # no customer created for it
