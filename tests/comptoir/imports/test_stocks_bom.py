"""Initial stock (quantities, values, PAMP, movements, lots) and bills of materials."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from comptoir.backoffice.schema import (
    articles,
    bom_lines,
    depots,
    lots,
    stock_movement_lines,
    stock_movements,
    stock_records,
)
from tests.comptoir.imports.conftest import count, execute, fetch, found

STOCK = "ART_CODE;DEPOT_CODE;QINITIALE;VINITIALE;LOT1;QLOT1;LOT2;QLOT2\n"


def test_stock_rules(dossier, files, imp) -> None:
    path = files("stocks.csv", STOCK +
                 "A1;D1;10;25;;;;\n"            # 2 ok
                 "A9;D1;1;1;;;;\n"              # 3 unknown_article
                 "A1;D9;1;1;;;;\n"              # 4 unknown_depot
                 "A2;D1;;1;;;;\n"               # 5 initial_qty (empty)
                 "A2;D2;0;1;;;;\n"              # 6 initial_qty (<= 0)
                 "A1;D2;1;-1;;;;\n"             # 7 initial_value (< 0)
                 "A-LOT;D1;5;10;;;;\n"          # 8 lot_required
                 "A-KIT;D1;5;10;L1;5;;\n"       # 9 lot_not_managed
                 "A-LOT;D2;5;10;L1;;L2;5\n"     # 10 lot_qty (and not lot_sum)
                 "A1;D1;1;1;;;;\n"              # 11 duplicate_in_file
                 "A-KIT;D2;4;;;;;\n")           # 12 initial_value (empty)
    report = imp("stocks", path)
    assert found(report) == {(3, "unknown_article"), (4, "unknown_depot"), (5, "initial_qty"),
                             (6, "initial_qty"), (7, "initial_value"), (8, "lot_required"),
                             (9, "lot_not_managed"), (10, "lot_qty"), (11, "duplicate_in_file"),
                             (12, "initial_value")}
    assert report.accepted == 1
    assert report.rejections[0].key == "A9/D1"


def test_lot_sum_and_duplicate_lot_numbers(dossier, files, imp) -> None:
    path = files("stocks.csv", STOCK + "A-LOT;D1;10;20;L1;4;L2;5\nA-LOT;D2;10;20;L1;5;L1;5\n")
    report = imp("stocks", path)
    assert found(report) == {(2, "lot_sum"), (3, "invalid_value")}


def test_initial_stock_sets_quantity_value_and_pamp_with_a_movement(dossier, files, imp) -> None:
    report = imp("stocks", files("stocks.csv", STOCK + "A1;D1;3;10;;;;\n"))
    assert report.exit_code == 0
    s, a, d = stock_records.c, articles.c, depots.c
    record = fetch(dossier, select(s.quantity, s.value, s.wac, s.import_batch_id)
                   .join(articles).join(depots).where(a.code == "A1", d.code == "D1"))
    assert record == [(Decimal("3"), Decimal("10"), Decimal("3.3333"), report.batch_id)]
    m, line = stock_movements.c, stock_movement_lines.c
    assert fetch(dossier, select(m.kind, m.validated, line.quantity, line.value, line.lot_number)
                 .join(stock_movement_lines)) == [("initial", True, Decimal(3), Decimal(10),
                                                   None)]
    assert report.written == {"stock_movement_lines": 1, "stock_movements": 1,
                              "stock_records": 1}


def test_lots_are_created_and_cannot_be_imported_twice(dossier, files, imp) -> None:
    body = STOCK + "A-LOT;D1;10;40;L1;4;L2;6\n"
    report = imp("stocks", files("stocks.csv", body))
    assert report.exit_code == 0
    assert fetch(dossier, select(lots.c.number, lots.c.quantity).order_by(lots.c.number)) == [
        ("L1", Decimal(4)), ("L2", Decimal(6))]
    assert fetch(dossier, select(stock_movement_lines.c.lot_number, stock_movement_lines.c.value)
                 .order_by(stock_movement_lines.c.line_no)) == [("L1", Decimal(16)),
                                                                 ("L2", Decimal(24))]
    again = imp("stocks", files("stocks.csv", body))
    assert found(again) == {(2, "lot_initial_exists")}
    assert count(dossier, "lots") == 2 and count(dossier, "stock_movements") == 1


def test_reimporting_stock_without_lots_replaces_the_initial_movement(dossier, files,
                                                                      imp) -> None:
    imp("stocks", files("stocks.csv", STOCK + "A1;D1;3;10;;;;\n"))
    again = imp("stocks", files("stocks.csv", STOCK + "A1;D1;4;12;;;;\n"))
    assert again.exit_code == 0
    assert count(dossier, "stock_movements") == 1
    assert fetch(dossier, select(stock_movement_lines.c.quantity)) == [(Decimal(4),)]


BOM = "GCPARTIC_CODE;ART_CODE;DESIG;QTE;PRIX\n"


def test_bom_rules(dossier, files, imp) -> None:
    path = files("bom.csv", BOM +
                 "A-KIT;A1;Part one;2;1,50\n"      # 2 ok
                 "A-KIT;;Comment line;;\n"         # 3 ok (comment)
                 "A9;A1;;1;\n"                     # 4 unknown_article (parent)
                 "A1;A9;;1;\n"                     # 5 unknown_article (component)
                 "A2;A1;;0;\n"                     # 6 bom_qty
                 "A2;A2;;1;\n"                     # 7 bom_incomplete
                 "A-LOT;A1;;1;-2\n"                # 8 bom_price
                 ";A1;;1;\n")                      # 9 required
    report = imp("bom", path)
    assert found(report) == {(4, "unknown_article"), (5, "unknown_article"), (6, "bom_qty"),
                             (7, "bom_incomplete"), (8, "bom_price"), (9, "required")}
    b = bom_lines.c
    assert fetch(dossier, select(b.line_no, b.description, b.quantity, b.price, b.kind)
                 .order_by(b.line_no)) == [
        (1, "Part one", Decimal(2), Decimal("1.5"), "assembly"),
        (2, "Comment line", None, None, "assembly")]


def test_bom_replaces_the_composition_and_keeps_the_article_kind(dossier, files, imp) -> None:
    imp("bom", files("bom.csv", BOM + "A1;A2;;1;\nA1;A-KIT;;2;\n"))
    report = imp("bom", files("bom.csv", BOM + "A1;A-LOT;;3;\n"))
    assert report.written == {"bom_lines": 1}
    b = bom_lines.c
    assert fetch(dossier, select(b.quantity, b.kind)) == [(Decimal(3), "manufacturing")]
    assert fetch(dossier, select(articles.c.assembled).where(articles.c.code == "A1")) == [
        (False,)]
    execute(dossier, "UPDATE articles SET assembled = true WHERE code = 'A1'")
    imp("bom", files("bom.csv", BOM + "A1;A-LOT;;3;\n"))
    assert fetch(dossier, select(b.kind)) == [("assembly",)]
