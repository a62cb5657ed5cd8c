"""`inventory_preparation` through `runner.run_task`: the contract's worked example, the
refresh on a second run, lots, filters, the PDF count sheet read back from its bytes, one
file per depot, bad input (both databases)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select, update

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice.schema import (
    articles,
    depots,
    families,
    inventories,
    inventory_lines,
    lots,
    settings,
    stock_records,
)
from comptoir.exchange.transports import LocalTransport

YEAR = dt.datetime.now(ZoneInfo("Europe/Paris")).year
INV1, INV2 = f"INV{YEAR}-000001", f"INV{YEAR}-000002"
HEADER = ("inventory;depot;family;sub_family;article;name;unit;lot;expected_quantity;"
          "counted_quantity")


def task(filename: str | None = None, **options: Any) -> TaskDefinition:
    output: dict[str, Any] = {"delivery": {"method": "local", "path": "inventaires"}}
    if filename:
        output["filename"] = filename
    return TaskDefinition.model_validate({
        "id": "inventaire", "type": "inventory_preparation", "site": "central",
        "options": options, "output": output})


def run(engine: Engine, definition: TaskDefinition, folder: Path) -> Report:
    return runner.run_task(definition, "manual-1", LocalTransport(folder / "inventaires"),
                           engine=engine, log=lambda _: None)


def business(report: Report) -> list[str]:
    return [line for line in report.body.splitlines()[2:] if not line.startswith(
        ("Produced ", "Delivered ", "delivered ", "Sent ", "Nothing to deliver"))]


def files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((home / "inventaires").glob("*"))}


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> Engine:
    """The contract's worked example: depot MAGI1 with TRS-1 3, TSC-A 7, TSC-B 0."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAGI1", "name": "Dépôt inventaire", "is_store": False},
            {"id": 2, "code": "MAGI2", "name": "Magasin inventaire", "is_store": True}])
        conn.execute(articles.insert(), [
            {"id": i, "code": code, "name": f"Article {code}", "unit": "U"}
            for i, code in enumerate(("TSC-B", "TRS-1", "TSC-A"), start=1)])
        conn.execute(stock_records.insert(), [
            {"article_id": 2, "depot_id": 1, "quantity": Decimal(3), "wac": Decimal("1.5")},
            {"article_id": 3, "depot_id": 1, "quantity": Decimal(7), "wac": Decimal("2")},
            {"article_id": 1, "depot_id": 1, "quantity": Decimal(0), "wac": Decimal(0)}])
    return engine


def frozen(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(inventories.c.number, inventories.c.status, inventory_lines.c.line_no,
                   articles.c.code, inventory_lines.c.lot_number,
                   inventory_lines.c.expected_quantity, inventory_lines.c.wac)
            .join(inventory_lines, inventory_lines.c.inventory_id == inventories.c.id)
            .join(articles, articles.c.id == inventory_lines.c.article_id)
            .order_by(inventories.c.number, inventory_lines.c.line_no))]


def test_the_worked_example_and_a_second_run(dossier: Engine, comptoir_home: Path) -> None:
    definition = task("inventaire-{y}{m}{d}.csv", depots=["MAGI1"], blind=False,
                      format="csv")
    report = run(dossier, definition, comptoir_home)
    assert report.level == "info", report.body
    assert business(report) == [
        f"Inventaire {INV1} préparé : dépôt MAGI1 Dépôt inventaire, 3 lignes"]
    [(name, content)] = files(comptoir_home).items()
    assert name.endswith(".csv")
    assert content.decode().splitlines() == [
        HEADER,
        f"{INV1};MAGI1;;;TRS-1;Article TRS-1;U;;3;",
        f"{INV1};MAGI1;;;TSC-A;Article TSC-A;U;;7;",
        f"{INV1};MAGI1;;;TSC-B;Article TSC-B;U;;0;"]
    expected = [(INV1, "prepared", 1, "TRS-1", None, Decimal(3), Decimal("1.5")),
                (INV1, "prepared", 2, "TSC-A", None, Decimal(7), Decimal(2)),
                (INV1, "prepared", 3, "TSC-B", None, Decimal(0), Decimal(0))]
    assert frozen(dossier) == expected

    with dossier.begin() as conn:  # the stock moves before the second run
        conn.execute(update(stock_records).where(stock_records.c.article_id == 3)
                     .values(quantity=Decimal(5)))
    again = run(dossier, definition, comptoir_home)
    assert business(again) == [
        f"Inventaire {INV1} mis à jour : dépôt MAGI1 Dépôt inventaire, 3 lignes"]
    expected[1] = (INV1, "prepared", 2, "TSC-A", None, Decimal(5), Decimal(2))
    assert frozen(dossier) == expected
    with dossier.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inventories)).scalar() == 1


def test_a_counted_inventory_is_left_and_a_new_one_is_numbered(
        dossier: Engine, comptoir_home: Path) -> None:
    definition = task("inv.csv", depots=["MAGI1"], format="csv", include_zero=False)
    assert business(run(dossier, definition, comptoir_home)) == [
        f"Inventaire {INV1} préparé : dépôt MAGI1 Dépôt inventaire, 2 lignes"]
    with dossier.begin() as conn:
        conn.execute(update(inventories).values(status="counted"))
    assert business(run(dossier, definition, comptoir_home)) == [
        f"Inventaire {INV2} préparé : dépôt MAGI1 Dépôt inventaire, 2 lignes"]
    assert [r[0] for r in frozen(dossier)] == [INV1, INV1, INV2, INV2]


def test_blind_csv_hides_the_expected_quantities(dossier: Engine, comptoir_home: Path) -> None:
    run(dossier, task("inv.csv", depots=["MAGI1"], format="csv", separator=",",
                         decimal_separator="."),
        comptoir_home)
    lines = files(comptoir_home)["inv.csv"].decode().splitlines()
    assert lines[1] == f"{INV1},MAGI1,,,TRS-1,Article TRS-1,U,,,"
    assert frozen(dossier)[0][5] == Decimal(3)  # frozen all the same


def test_lots_families_and_inactive_articles(engine: Engine, comptoir_home: Path) -> None:
    with engine.begin() as conn:
        conn.execute(depots.insert().values(id=1, code="MAGL", name="Dépôt lots"))
        conn.execute(families.insert(), [{"id": 1, "code": "FA", "name": "A"},
                                         {"id": 2, "code": "FB", "name": "B"}])
        conn.execute(articles.insert(), [
            {"id": 1, "code": "LOT-A", "name": "Lot A", "family_id": 1, "lot_managed": True,
             "active": True},
            {"id": 2, "code": "OLD", "name": "Ancien", "family_id": 1, "lot_managed": False,
             "active": False},
            {"id": 3, "code": "AAA", "name": "Autre famille", "family_id": 2,
             "lot_managed": False, "active": True}])
        conn.execute(stock_records.insert(), [
            {"article_id": a, "depot_id": 1, "quantity": Decimal(q), "wac": Decimal(1)}
            for a, q in ((1, 5), (2, 4), (3, 1))])
        conn.execute(lots.insert(), [
            {"article_id": 1, "depot_id": 1, "number": n, "quantity": Decimal(q)}
            for n, q in (("L2", 3), ("L1", 2), ("L0", 0))])
    report = run(engine, task("inv.csv", format="csv", blind=False), comptoir_home)
    assert business(report) == [f"Inventaire {INV1} préparé : dépôt MAGL Dépôt lots, 3 lignes"]
    assert [(r[3], r[4], r[5]) for r in frozen(engine)] == [
        ("LOT-A", "L1", Decimal(2)), ("LOT-A", "L2", Decimal(3)), ("AAA", None, Decimal(1))]
    report = run(engine, task("inv.csv", format="csv", families=["FB"]), comptoir_home)
    assert business(report) == [
        f"Inventaire {INV1} mis à jour : dépôt MAGL Dépôt lots, 1 ligne"]


def pdf_text(content: bytes) -> bytes:
    """The page content streams of a PDF, decoded (ReportLab writes ASCII85 + Flate)."""
    streams = re.findall(rb"stream\r?\n(.*?)~>endstream", content, re.S)
    assert streams
    return b"".join(zlib.decompress(base64.a85decode(s.strip())) for s in streams)


def test_the_pdf_count_sheet(dossier: Engine, comptoir_home: Path) -> None:
    with dossier.begin() as conn:
        conn.execute(settings.insert().values(key="company_name", value="Comptoir Test SA"))
        conn.execute(stock_records.insert().values(article_id=2, depot_id=2,
                                                   quantity=Decimal("1.5")))
    report = run(dossier, task(), comptoir_home)
    assert business(report) == [
        f"Inventaire {INV1} préparé : dépôt MAGI1 Dépôt inventaire, 3 lignes",
        f"Inventaire {INV2} préparé : dépôt MAGI2 Magasin inventaire, 1 ligne"]
    [(name, content)] = files(comptoir_home).items()
    assert re.fullmatch(r"inventaire-\d{8}\.pdf", name)
    assert content.startswith(b"%PDF-1.4") and b"/ObjStm" not in content
    assert b"\nxref\n0 " in content  # a classic cross-reference table
    outline = re.findall(rb"/Dest \[ (\d+) 0 R /Fit \][^\n]*/Title \(([^)]*)\)", content)
    assert [title for _, title in outline] == [f"{INV1} MAGI1".encode(),
                                               f"{INV2} MAGI2".encode()]
    assert len({page for page, _ in outline}) == 2  # each depot on its own page
    assert b"/PageMode /UseOutlines" in content
    assert content.count(b"/Type /Page\n") == 2  # one depot per page
    text = pdf_text(content)
    assert b"(Comptoir Test SA)" in text and b"(page 1 / )" in text
    assert b"(page 2 / )" in text and b"(TRS-1)" in text
    assert b"/FormXob.pageTotal Do" in text and b"(2) Tj" in text  # N, drawn by one form
    assert b"(Sign" in text  # the signature footer
    assert b"(3)" not in text  # blind: no expected quantity
    run(dossier, task(), comptoir_home)  # refreshed the same day: the same bytes
    assert files(comptoir_home)[name] == content


def test_one_file_per_depot(dossier: Engine, comptoir_home: Path) -> None:
    with dossier.begin() as conn:
        conn.execute(stock_records.insert().values(article_id=2, depot_id=2,
                                                   quantity=Decimal(1)))
    run(dossier, task("inv-{mag:code}.csv", format="csv", blind=False), comptoir_home)
    produced = files(comptoir_home)
    assert sorted(produced) == ["inv-MAGI1.csv", "inv-MAGI2.csv"]
    assert produced["inv-MAGI2.csv"].decode().splitlines()[1:] == [
        f"{INV2};MAGI2;;;TRS-1;Article TRS-1;U;;1;"]


def test_nothing_to_count_writes_no_file(engine: Engine, comptoir_home: Path) -> None:
    with engine.begin() as conn:
        conn.execute(depots.insert().values(code="VIDE", name="Vide"))
    report = run(engine, task(), comptoir_home)
    assert business(report) == ["Aucun article à inventorier : pas de fichier"]
    assert not (comptoir_home / "inventaires").exists() or not files(comptoir_home)


def test_bad_input(dossier: Engine, comptoir_home: Path) -> None:
    with pytest.raises(ValidationError, match="format csv writes a .csv file"):
        task(format="csv")  # the default name is the PDF's
    with pytest.raises(ValidationError, match="format pdf writes a .pdf file"):
        task("inv.csv")
    report = run(dossier, task(depots=["MAGI1", "NOPE"]), comptoir_home)
    assert report.level == "error"
    assert "unknown depot code(s) in option depots: NOPE" in report.body
    report = run(dossier, task(families=["NOFAM"]), comptoir_home)
    assert "unknown family code(s) in option families: NOFAM" in report.body
    with dossier.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inventories)).scalar() == 0

