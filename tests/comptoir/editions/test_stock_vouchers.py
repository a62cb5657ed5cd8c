"""`stock_vouchers` through `runner.run_task`: the contract's worked example as CSV parsed
back, the kinds (default: every kind but sale and initial), a depot matched as target,
validated only, one file per depot, nothing to print, bad input, and the PDF read back —
bookmarks, one page per voucher at least, figures and total, a long voucher flowing over
pages, and its look (both databases)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice.schema import (
    articles,
    depots,
    settings,
    stock_movement_lines,
    stock_movements,
    suppliers,
)
from tests.comptoir.editions.looks import (
    assert_looks_like,
    bookmarks,
    first_page_png,
    pages_text,
)
from tests.comptoir.retail import file_runs
from tests.comptoir.retail.file_runs import business

HEADER = ("number;kind;date;depot;target_depot;supplier;reference;validated;line_no;article;"
          "article_name;lot;quantity;unit_cost;value")
FEBRUARY = {"period": "custom", "date_from": "2025-02-01", "date_to": "2025-02-28"}
PERIOD = "Période : du 01/02/2025 au 28/02/2025"


def task(filename: str | None = None, **options: Any) -> TaskDefinition:
    output: dict[str, Any] = {"delivery": {"method": "local", "path": "bons"}}
    if filename:
        output["filename"] = filename
    return TaskDefinition.model_validate({
        "id": "bons", "type": "stock_vouchers", "site": "central",
        "options": {**FEBRUARY, **options}, "output": output})


def run(engine: Engine, definition: TaskDefinition, home: Path) -> Report:
    """One run, its files delivered into `<home>/bons`."""
    return file_runs.run(engine, definition, home / "bons")


def files(home: Path) -> dict[str, bytes]:
    folder = home / "bons"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.exists() else {}


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode()), delimiter=";"))


# --- plain functions seeding the dossier ----------------------------------------------------

def place(engine: Engine) -> None:
    """Depots MAGV1 (the worked example's), MAGV2, DEPV; articles TSC-A, TSC-B; a supplier."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAGV1", "name": "Magasin bons", "is_store": True},
            {"id": 2, "code": "MAGV2", "name": "Magasin voisin", "is_store": True},
            {"id": 3, "code": "DEPV", "name": "Dépôt central", "is_store": False}])
        conn.execute(articles.insert(), [
            {"id": 1, "code": "TSC-A", "name": "Article TSC-A", "unit": "U"},
            {"id": 2, "code": "TSC-B", "name": "Article TSC-B", "unit": "U"}])
        conn.execute(suppliers.insert().values(id=1, code="FRV1", name="Fournisseur bons"))


def movement(engine: Engine, number: str, kind: str, day: dt.date, depot: int,
             lines: list[tuple[int, str, str, str | None]], *, target: int | None = None,
             supplier: int | None = None, validated: bool = True,
             reference: str | None = None) -> None:
    """A stock movement and its lines (article id, quantity, unit cost, lot), as posted:
    value = quantity × unit cost."""
    with engine.begin() as conn:
        movement_id = conn.execute(stock_movements.insert().values(
            number=number, kind=kind, date=day, depot_id=depot, target_depot_id=target,
            supplier_id=supplier, reference=reference, validated=validated)
            .returning(stock_movements.c.id)).scalar_one()
        if not lines:
            return
        conn.execute(stock_movement_lines.insert(), [
            {"movement_id": movement_id, "line_no": no, "article_id": article,
             "quantity": Decimal(q), "unit_cost": Decimal(cost),
             "value": (Decimal(q) * Decimal(cost)).quantize(Decimal("0.01")), "lot_number": lot}
            for no, (article, q, cost, lot) in enumerate(lines, start=1)])


def worked_example(engine: Engine) -> Engine:
    """The contract's example: in MAGV1, TESTMV-1 (adjustment, 10/02/2025: TSC-A +2 at
    4,00; TSC-B −1 at 3,00) and TESTMV-2 (10/01/2025)."""
    place(engine)
    movement(engine, "TESTMV-1", "adjustment", dt.date(2025, 2, 10), 1,
             [(1, "2", "4", None), (2, "-1", "3", None)])
    movement(engine, "TESTMV-2", "adjustment", dt.date(2025, 1, 10), 1,
             [(1, "5", "4", None)])
    return engine


def every_kind(engine: Engine) -> Engine:
    """The worked example and a movement of each other kind in February 2025."""
    worked_example(engine)
    day = dt.date(2025, 2, 12)
    movement(engine, "TR-1", "transfer", day, 3, [(1, "3", "4", None)], target=1)
    movement(engine, "TR-2", "transfer", day, 1, [(2, "1", "3", None)], target=2)
    movement(engine, "BDD-1", "defective_destruction", day, 2, [(1, "-1", "4", None)])
    movement(engine, "RFD-1", "supplier_return", day, 2, [(2, "-2", "3", "L7")], supplier=1)
    movement(engine, "AV-1", "sales_adjustment", day, 2, [(1, "1", "4", None)])
    movement(engine, "EC-1", "kit_split", day, 2, [(2, "4", "0.7525", None)])
    movement(engine, "RET-1", "return", day, 2, [(2, "1", "3", None)])
    movement(engine, "VT-1", "sale", day, 1, [(1, "-6", "4", None)])
    movement(engine, "INI-1", "initial", dt.date(2025, 2, 1), 1, [(1, "20", "4", None)])
    movement(engine, "DRAFT-1", "adjustment", day, 2, [(1, "9", "4", None)], validated=False)
    movement(engine, "NOLINE-1", "adjustment", day, 2, [])  # moves nothing: no voucher
    return engine


# --- the worked example and the options -----------------------------------------------------

def test_the_worked_example(engine: Engine, comptoir_home: Path) -> None:
    worked_example(engine)
    report = run(engine, task("bons.csv", depots=["MAGV1"], format="csv"), comptoir_home)
    assert report.level == "info", report.body
    assert business(report) == [PERIOD, "1 bon de mouvement : 1 ajustement"]
    content = files(comptoir_home)["bons.csv"]
    assert content.decode().splitlines() == [
        HEADER,
        "TESTMV-1;adjustment;2025-02-10;MAGV1;;;;1;1;TSC-A;Article TSC-A;;2;4,0000;8,00",
        "TESTMV-1;adjustment;2025-02-10;MAGV1;;;;1;2;TSC-B;Article TSC-B;;-1;3,0000;-3,00"]
    parsed = rows(content)
    assert [r["number"] for r in parsed] == ["TESTMV-1", "TESTMV-1"]
    assert [Decimal(r["quantity"].replace(",", ".")) for r in parsed] == [2, -1]
    assert sum(Decimal(r["value"].replace(",", ".")) for r in parsed) == Decimal("5.00")


def test_kinds_by_default_and_named(engine: Engine, comptoir_home: Path) -> None:
    every_kind(engine)
    report = run(engine, task("bons.csv", format="csv"), comptoir_home)
    assert business(report) == [PERIOD, (
        "8 bons de mouvement : 2 transferts, 1 ajustement, 1 ajustement de ventes, "
        "1 éclatement de kit, 1 destruction de défectueux, 1 retour fournisseur, "
        "1 retour client")]
    parsed = rows(files(comptoir_home)["bons.csv"])
    assert [r["number"] for r in parsed] == [  # by date, number, line
        "TESTMV-1", "TESTMV-1", "AV-1", "BDD-1", "EC-1", "RET-1", "RFD-1", "TR-1", "TR-2"]
    by_number = {r["number"]: r for r in parsed}
    assert (by_number["TR-1"]["depot"], by_number["TR-1"]["target_depot"]) == ("DEPV", "MAGV1")
    assert (by_number["RFD-1"]["supplier"], by_number["RFD-1"]["lot"]) == ("FRV1", "L7")
    assert by_number["EC-1"]["unit_cost"] == "0,7525"
    assert by_number["EC-1"]["value"] == "3,01"

    report = run(engine, task("bons.csv", format="csv", kinds=["sale", "initial"]),
                 comptoir_home)
    assert business(report) == [PERIOD, "2 bons de mouvement : 1 vente, 1 stock initial"]
    assert [r["number"] for r in rows(files(comptoir_home)["bons.csv"])] == ["INI-1", "VT-1"]


def test_a_depot_matches_as_depot_or_target(engine: Engine, comptoir_home: Path) -> None:
    every_kind(engine)
    report = run(engine, task("bons.csv", format="csv", depots=["MAGV1"],
                              kinds=["transfer", "adjustment"]), comptoir_home)
    assert business(report) == [PERIOD, "3 bons de mouvement : 2 transferts, 1 ajustement"]
    assert [r["number"] for r in rows(files(comptoir_home)["bons.csv"])] == [
        "TESTMV-1", "TESTMV-1", "TR-1", "TR-2"]  # TR-1 enters MAGV1 from DEPV


def test_validated_only(engine: Engine, comptoir_home: Path) -> None:
    every_kind(engine)
    report = run(engine, task("bons.csv", format="csv", depots=["MAGV2"],
                              kinds=["adjustment"]), comptoir_home)
    assert business(report)[1].startswith("Aucun mouvement de stock")
    assert files(comptoir_home) == {}
    report = run(engine, task("bons.csv", format="csv", depots=["MAGV2"],
                              kinds=["adjustment"], validated_only=False), comptoir_home)
    assert business(report) == [PERIOD, "1 bon de mouvement : 1 ajustement"]
    [draft] = rows(files(comptoir_home)["bons.csv"])
    assert (draft["number"], draft["validated"], draft["quantity"]) == ("DRAFT-1", "0", "9")


def test_one_file_per_movement_depot(engine: Engine, comptoir_home: Path) -> None:
    every_kind(engine)
    report = run(engine, task("bons-{mag:code}.csv", format="csv", kinds=["transfer"]),
                 comptoir_home)
    assert business(report) == [PERIOD, "2 bons de mouvement : 2 transferts"]
    produced = files(comptoir_home)
    assert sorted(produced) == ["bons-DEPV.csv", "bons-MAGV1.csv"]
    assert [r["number"] for r in rows(produced["bons-DEPV.csv"])] == ["TR-1"]
    assert [r["number"] for r in rows(produced["bons-MAGV1.csv"])] == ["TR-2"]


def test_csv_options(engine: Engine, comptoir_home: Path) -> None:
    every_kind(engine)
    run(engine, task("bons.csv", format="csv", kinds=["kit_split"], separator=",",
                     decimal_separator=".", encoding="cp1252"), comptoir_home)
    lines = files(comptoir_home)["bons.csv"].decode("cp1252").splitlines()
    assert lines[1] == "EC-1,kit_split,2025-02-12,MAGV2,,,,1,1,TSC-B,Article TSC-B,,4,0.7525,3.01"


def test_nothing_to_print_writes_no_file(engine: Engine, comptoir_home: Path) -> None:
    worked_example(engine)
    report = run(engine, task(period="custom", date_from="2025-03-01", date_to="2025-03-31"),
                 comptoir_home)
    assert report.level == "info"
    assert business(report) == ["Période : du 01/03/2025 au 31/03/2025",
                                "Aucun mouvement de stock à imprimer sur la période : pas de "
                                "fichier"]
    assert files(comptoir_home) == {}


def test_bad_input(engine: Engine, comptoir_home: Path) -> None:
    worked_example(engine)
    with pytest.raises(ValidationError, match="format csv writes a .csv file"):
        task(format="csv")  # the default name is the PDF's
    with pytest.raises(ValidationError, match="format pdf writes a .pdf file"):
        task("bons.csv")
    with pytest.raises(ValidationError, match="kinds"):
        task(kinds=["transfer", "theft"])
    with pytest.raises(ValidationError, match="date_from"):
        task(period="yesterday", date_from="2025-02-01")
    report = run(engine, task(depots=["MAGV1", "NOPE"]), comptoir_home)
    assert report.level == "error"
    assert "unknown depot code(s) in option depots: NOPE" in report.body
    assert files(comptoir_home) == {}


def test_the_default_period_is_yesterday(engine: Engine, comptoir_home: Path) -> None:
    from zoneinfo import ZoneInfo

    place(engine)
    yesterday = dt.datetime.now(ZoneInfo("Europe/Paris")).date() - dt.timedelta(days=1)
    movement(engine, "ADJ-Y", "adjustment", yesterday, 1, [(1, "1", "4", None)])
    definition = TaskDefinition.model_validate({
        "id": "bons", "type": "stock_vouchers", "site": "central",
        "options": {"format": "csv"},
        "output": {"filename": "bons.csv", "delivery": {"method": "local", "path": "bons"}}})
    report = run(engine, definition, comptoir_home)
    assert business(report) == [f"Période : du {yesterday:%d/%m/%Y} au {yesterday:%d/%m/%Y}",
                                "1 bon de mouvement : 1 ajustement"]


# --- the PDF --------------------------------------------------------------------------------

def test_the_pdf_vouchers(engine: Engine, comptoir_home: Path) -> None:
    every_kind(engine)
    with engine.begin() as conn:
        conn.execute(settings.insert().values(key="company_name", value="Comptoir Test SA"))
    long_one = [(1 + i % 2, str(i + 1), "1.25", None) for i in range(70)]
    movement(engine, "TR-LONG", "transfer", dt.date(2025, 2, 20), 3, long_one, target=2,
             reference="Réassort du magasin voisin")
    report = run(engine, task(kinds=["adjustment", "transfer", "supplier_return"]),
                 comptoir_home)
    assert business(report) == [
        PERIOD, "5 bons de mouvement : 3 transferts, 1 ajustement, 1 retour fournisseur"]
    [(name, content)] = files(comptoir_home).items()
    assert name.startswith("bons-mouvement-") and name.endswith(".pdf")
    pdf = comptoir_home / "bons" / name
    marks = bookmarks(pdf)
    assert [title for title, _ in marks] == ["TESTMV-1", "RFD-1", "TR-1", "TR-2", "TR-LONG"]
    starts = [page for _, page in marks]
    assert starts == sorted(set(starts)) and starts[0] == 0  # each on a page of its own
    pages = pages_text(pdf)
    assert len(pages) >= 6 and len(pages) > starts[-1] + 1  # TR-LONG flows over pages
    first = pages[0]
    for figure in ("Comptoir Test SA", "Bons de mouvement de stock", "page 1 / ",
                   "Bon de mouvement TESTMV-1", "Ajustement", "10/02/2025",
                   "MAGV1 — Magasin bons", "TSC-A", "Article TSC-A", "4,0000", "8,00",
                   "-1", "3,0000", "-3,00", "Total", "2 lignes", "5,00", "Établi par"):
        assert figure in first.replace("\u00a0", " "), figure
    rfd = pages[starts[1]]
    assert "Fournisseur" in rfd and "FRV1 — Fournisseur bons" in rfd and "L7" in rfd
    assert "Reçu par le fournisseur" in rfd
    tr1 = pages[starts[2]]
    assert "Dépôt destinataire" in tr1 and "MAGV1 — Magasin bons" in tr1
    assert "Expédié par" in tr1 and "Reçu par" in tr1
    long_pages = pages[starts[4]:]
    assert len(long_pages) >= 2
    assert all("Coût unitaire" in page for page in long_pages)  # the header repeats
    total = sum(Decimal(i + 1) * Decimal("1.25") for i in range(70))
    assert total == Decimal("3106.25") and "3 106,25" in long_pages[-1].replace("\u00a0", " ")
    assert "70 lignes" in long_pages[-1]
    assert_looks_like(first_page_png(pdf, "stock_vouchers"), "stock_vouchers")


def test_one_pdf_per_depot(engine: Engine, comptoir_home: Path) -> None:
    every_kind(engine)
    run(engine, task("bons-{mag:code}.pdf"), comptoir_home)
    produced = files(comptoir_home)
    assert sorted(produced) == ["bons-DEPV.pdf", "bons-MAGV1.pdf", "bons-MAGV2.pdf"]
    assert [t for t, _ in bookmarks(comptoir_home / "bons" / "bons-MAGV2.pdf")] == [
        "AV-1", "BDD-1", "EC-1", "RET-1", "RFD-1"]
    assert [t for t, _ in bookmarks(comptoir_home / "bons" / "bons-MAGV1.pdf")] == [
        "TESTMV-1", "TR-2"]
