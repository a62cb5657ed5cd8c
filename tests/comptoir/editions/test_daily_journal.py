"""`daily_journal` through `runner.run_task`: the contract's worked example on demo seed 1
(CSV figures checked against independent SQL, the PDF read back and looked at), then
small hand-seeded chains for the difference warning, register blocks, one file per
store, the empty period, unknown stores, the format check and a ticket without sales day
(both databases)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, insert, select

from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice.schema import (
    depots,
    payment_modes,
    pos_ticket_lines,
    pos_ticket_payments,
    pos_tickets,
    registers,
    sales_days,
    settings,
)
from comptoir.editions.daily_journal import COLUMNS, journal_rows, write_journal
from comptoir.retail.report_text import NBSP, money
from tests.comptoir.editions.looks import assert_looks_like, bookmarks, first_page_png, pages_text
from tests.comptoir.retail.file_runs import business, run

PARIS = ZoneInfo("Europe/Paris")
DAY = dt.date(2026, 1, 6)
HEADER = ";".join(COLUMNS)


def task(filename: str | None = None, **options: Any) -> TaskDefinition:
    output: dict[str, Any] = {"delivery": {"method": "local", "path": "brouillards"}}
    if filename:
        output["filename"] = filename
    options.setdefault("period", "custom")
    if options["period"] == "custom":
        options.setdefault("date_from", DAY.isoformat())
        options.setdefault("date_to", DAY.isoformat())
    return TaskDefinition.model_validate({
        "id": "brouillard", "type": "daily_journal", "site": "central",
        "options": options, "output": output})


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.exists() else {}


def parsed(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode()), delimiter=";"))


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


# --- The worked example: demo seed 1, MAG01, 06/01/2026 -------------------------------------

def independent_figures(conn: Connection) -> tuple[dict, dict, Decimal, int]:
    """By SQL, without the edition: MAG01's tickets of 06/01/2026 (all have sales days in
    the demo): line totals per kind, payments per mode code, Σ ticket totals, tickets."""
    t, sd, li, pay, pm = (pos_tickets, sales_days, pos_ticket_lines, pos_ticket_payments,
                          payment_modes)
    mine = (select(t.c.id).join(sd, sd.c.id == t.c.sales_day_id).join(
        depots, depots.c.id == t.c.depot_id)
        .where(depots.c.code == "MAG01", sd.c.date == DAY))
    kinds = dict(conn.execute(select(li.c.kind, func.sum(li.c.total_incl_tax))
                              .where(li.c.ticket_id.in_(mine)).group_by(li.c.kind)).all())
    modes = dict(conn.execute(select(pm.c.code, func.sum(pay.c.amount))
                              .join(pm, pm.c.id == pay.c.payment_mode_id)
                              .where(pay.c.ticket_id.in_(mine)).group_by(pm.c.code)).all())
    total, count = conn.execute(select(func.sum(t.c.total_incl_tax), func.count())
                                .where(t.c.id.in_(mine))).one()
    cent = Decimal("0.01")
    return ({k: Decimal(v).quantize(cent) for k, v in kinds.items()},
            {k: Decimal(v).quantize(cent) for k, v in modes.items()},
            Decimal(total).quantize(cent), count)


def test_the_worked_example_on_demo_seed_1(engine: Engine, comptoir_home: Path) -> None:
    from comptoir.demo.dossier import fill_dossier

    fill_dossier(engine, seed=1)
    with engine.connect() as conn:
        kinds, modes, total, tickets = independent_figures(conn)
    assert kinds.get("sale") and modes and tickets
    folder = comptoir_home / "brouillards"
    report = run(engine, task("brouillard-{y}{m}{d}.csv", stores=["MAG01"], format="csv"),
                 folder)
    assert report.level == "info", report.body
    assert business(report) == [
        "Période : du 06/01/2026 au 06/01/2026",
        f"Brouillard : 1 journée (magasin × jour), total net {money(total)}".replace(
            f"{NBSP}€", " €")]
    [(name, content)] = files(folder).items()
    assert name.endswith(".csv")
    rows = parsed(content)
    assert list(rows[0]) == list(COLUMNS)
    assert {(r["date"], r["store"], r["register"]) for r in rows} == {
        ("2026-01-06", "MAG01", "")}
    by = {(r["section"], r["code"]): r for r in rows}
    for section, kind in (("sales", "sale"), ("returns", "return"),
                          ("defective", "defective")):
        assert amount(by[(section, "")]["amount"]) == kinds.get(kind, Decimal("0.00"))
    assert {code: amount(r["amount"]) for (section, code), r in by.items()
            if section == "payment"} == modes
    assert amount(by[("total", "net")]["amount"]) == total
    assert by[("total", "net")]["count"] == str(tickets)
    assert by[("check", "difference")]["amount"] == "0,00"
    vat = [r for r in rows if r["section"] == "vat"]
    assert sum(amount(r["amount"]) for r in vat) == total
    assert sum(amount(r["base"]) for r in vat) == amount(by[("total", "net")]["base"])
    assert sum(amount(r["tax"]) for r in vat) == amount(by[("total", "net")]["tax"])
    for r in vat:  # base = round(amount × 100 / (100 + rate), 2), tax = amount − base
        rate = amount(r["code"])
        base = (amount(r["amount"]) * 100 / (100 + rate)).quantize(Decimal("0.01"),
                                                                   "ROUND_HALF_UP")
        assert amount(r["base"]) == base
        assert amount(r["tax"]) == amount(r["amount"]) - base
    assert "5,5" in {r["code"] for r in vat} and "20" in {r["code"] for r in vat}

    # The PDF of every store that day: one store-day per page, bookmarked, figures printed.
    pdf_folder = comptoir_home / "pdf"
    report = run(engine, task(), pdf_folder)
    assert report.level == "info", report.body
    [pdf] = pdf_folder.glob("brouillard-*.pdf")
    with engine.connect() as conn:
        stores = sorted(conn.execute(
            select(depots.c.code).distinct().join(pos_tickets,
                                                  pos_tickets.c.depot_id == depots.c.id)
            .join(sales_days, sales_days.c.id == pos_tickets.c.sales_day_id)
            .where(sales_days.c.date == DAY)).scalars())
    marks = bookmarks(pdf)
    assert [title for title, _ in marks] == [f"{code} 06/01/2026" for code in stores]
    pages = [page for _, page in marks]
    assert pages[0] == 0 and pages == sorted(set(pages))
    text = pages_text(pdf)[0].replace(NBSP, " ")
    for figure in (money(total), money(kinds["sale"]), *map(money, modes.values())):
        assert figure.replace(NBSP, " ") in text
    assert "Brouillard du mardi 06/01/2026 : MAG01" in text
    assert "Écart de règlement (conforme)" in text
    assert_looks_like(first_page_png(pdf, "daily_journal"), "daily_journal")


# --- Small hand-seeded chains ---------------------------------------------------------------

def ticket(conn: Connection, depot: int, register: int, number: int, issued: dt.datetime,
           day: int | None, lines: list[tuple[str, str, str, str]],
           payments: list[tuple[int, str]]) -> None:
    """A ticket: lines (kind, quantity, total, VAT rate), payments (mode id, amount)."""
    stored = issued if conn.dialect.name == "postgresql" else issued.replace(tzinfo=None)
    total = sum(Decimal(line[2]) for line in lines)
    ticket_id = conn.execute(insert(pos_tickets).values(
        depot_id=depot, register_id=register, number=number, issued_at=stored,
        sales_day_id=day, total_incl_tax=total).returning(pos_tickets.c.id)).scalar_one()
    conn.execute(insert(pos_ticket_lines), [
        {"ticket_id": ticket_id, "line_no": n, "kind": kind, "article_code": "ART",
         "quantity": Decimal(qty), "unit_price_incl_tax": abs(Decimal(tot) / Decimal(qty)),
         "total_incl_tax": Decimal(tot), "vat_rate": Decimal(rate)}
        for n, (kind, qty, tot, rate) in enumerate(lines, start=1)])
    conn.execute(insert(pos_ticket_payments), [
        {"ticket_id": ticket_id, "line_no": n, "payment_mode_id": mode,
         "amount": Decimal(paid)} for n, (mode, paid) in enumerate(payments, start=1)])


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), PARIS)


@pytest.fixture
def chain(engine: Engine) -> Engine:
    return seed_chain(engine)


def seed_chain(engine: Engine, day: dt.date = DAY) -> Engine:
    """MAG01 (registers C1, C2) and MAG02 (C1) on `day` (06/01/2026); MAG02 is paid 2,00
    short; one MAG01 ticket without sales day at 00:30 the day after (23:30 UTC on `day`
    in winter)."""
    with engine.begin() as conn:
        conn.execute(insert(settings).values(key="company_name", value="Comptoir Test SA"))
        conn.execute(insert(depots), [
            {"id": 1, "code": "MAG01", "name": "Magasin Un", "is_store": True},
            {"id": 2, "code": "MAG02", "name": "Magasin Deux", "is_store": True},
            {"id": 3, "code": "CENTRAL", "name": "Entrepôt", "is_store": False}])
        conn.execute(insert(registers), [
            {"id": 1, "depot_id": 1, "code": "C1", "name": "Caisse 1"},
            {"id": 2, "depot_id": 1, "code": "C2", "name": "Caisse 2"},
            {"id": 3, "depot_id": 2, "code": "C1", "name": "Caisse 1"}])
        conn.execute(insert(payment_modes), [
            {"id": 1, "code": "CB", "name": "Carte bancaire"},
            {"id": 2, "code": "ESP", "name": "Espèces"}])
        conn.execute(insert(sales_days), [
            {"id": 1, "depot_id": 1, "register_id": 1, "date": day},
            {"id": 2, "depot_id": 1, "register_id": 2, "date": day},
            {"id": 3, "depot_id": 2, "register_id": 3, "date": day}])
        ticket(conn, 1, 1, 1, at(day, 10), 1,
               [("sale", "2", "20.00", "20"), ("sale", "1", "3.30", "5.5")], [(1, "23.30")])
        ticket(conn, 1, 2, 1, at(day, 11), 2,
               [("return", "-1", "-10.00", "20"), ("sale", "1", "15.00", "20")],
               [(2, "5.00")])
        ticket(conn, 1, 2, 2, at(day, 12), 2, [("defective", "-1", "-4.00", "20")],
               [(2, "-4.00")])
        ticket(conn, 2, 3, 1, at(day, 10), 3, [("sale", "1", "12.00", "20")], [(1, "10.00")])
        ticket(conn, 1, 1, 2, at(day + dt.timedelta(days=1), 0, 30), None,
               [("sale", "1", "8.00", "20")], [(2, "8.00")])
    return engine


MAG01 = "2026-01-06;MAG01;Magasin Un;"
MAG02 = "2026-01-06;MAG02;Magasin Deux;"
STORE_ROWS = [
    f"{MAG01};sales;;Ventes;3;4;38,30;;",
    f"{MAG01};returns;;Retours;1;-1;-10,00;;",
    f"{MAG01};defective;;Défectueux;1;-1;-4,00;;",
    f"{MAG01};vat;5,5;TVA 5,5 %;1;1;3,30;3,13;0,17",
    f"{MAG01};vat;20;TVA 20 %;4;1;21,00;17,50;3,50",
    f"{MAG01};total;net;Total net;3;2;24,30;20,63;3,67",
    f"{MAG01};payment;CB;Carte bancaire;1;;23,30;;",
    f"{MAG01};payment;ESP;Espèces;2;;1,00;;",
    f"{MAG01};check;difference;Écart de règlement;;;0,00;;",
]
MAG02_ROWS = [
    f"{MAG02};sales;;Ventes;1;1;12,00;;",
    f"{MAG02};returns;;Retours;0;0;0,00;;",
    f"{MAG02};defective;;Défectueux;0;0;0,00;;",
    f"{MAG02};vat;20;TVA 20 %;1;1;12,00;10,00;2,00",
    f"{MAG02};total;net;Total net;1;1;12,00;10,00;2,00",
    f"{MAG02};payment;CB;Carte bancaire;1;;10,00;;",
    f"{MAG02};check;difference;Écart de règlement;;;-2,00;;",
]


def test_a_payment_difference_is_a_warning(chain: Engine, comptoir_home: Path) -> None:
    folder = comptoir_home / "out"
    report = run(chain, task("brouillard.csv", format="csv"), folder)
    assert report.level == "warning", report.body
    assert business(report) == [
        "Période : du 06/01/2026 au 06/01/2026",
        "Brouillard : 2 journées (magasin × jour), total net 36,30 €",
        "Écart de règlement MAG02 06/01/2026 : -2,00 €"]
    content = files(folder)["brouillard.csv"].decode()
    assert content.splitlines() == [HEADER, *STORE_ROWS, *MAG02_ROWS]


def test_register_blocks_follow_the_store_block(chain: Engine, comptoir_home: Path) -> None:
    folder = comptoir_home / "out"
    run(chain, task("brouillard.csv", format="csv", stores=["MAG01"], by_register=True),
        folder)
    lines = files(folder)["brouillard.csv"].decode().splitlines()
    c1, c2 = "2026-01-06;MAG01;Magasin Un;C1", "2026-01-06;MAG01;Magasin Un;C2"
    assert lines[1:10] == STORE_ROWS
    assert lines[10:] == [
        f"{c1};sales;;Ventes;2;3;23,30;;",
        f"{c1};returns;;Retours;0;0;0,00;;",
        f"{c1};defective;;Défectueux;0;0;0,00;;",
        f"{c1};vat;5,5;TVA 5,5 %;1;1;3,30;3,13;0,17",
        f"{c1};vat;20;TVA 20 %;1;2;20,00;16,67;3,33",
        f"{c1};total;net;Total net;1;3;23,30;19,80;3,50",
        f"{c1};payment;CB;Carte bancaire;1;;23,30;;",
        f"{c1};check;difference;Écart de règlement;;;0,00;;",
        f"{c2};sales;;Ventes;1;1;15,00;;",
        f"{c2};returns;;Retours;1;-1;-10,00;;",
        f"{c2};defective;;Défectueux;1;-1;-4,00;;",
        f"{c2};vat;20;TVA 20 %;3;-1;1,00;0,83;0,17",
        f"{c2};total;net;Total net;2;-1;1,00;0,83;0,17",
        f"{c2};payment;ESP;Espèces;2;;1,00;;",
        f"{c2};check;difference;Écart de règlement;;;0,00;;"]


def test_one_file_per_store(chain: Engine, comptoir_home: Path) -> None:
    folder = comptoir_home / "out"
    report = run(chain, task("brouillard-{mag:code}.csv", format="csv", separator=",",
                             decimal_separator="."), folder)
    assert report.level == "warning", report.body
    produced = files(folder)
    assert sorted(produced) == ["brouillard-MAG01.csv", "brouillard-MAG02.csv"]
    mag02 = produced["brouillard-MAG02.csv"].decode().splitlines()
    assert mag02[0] == HEADER.replace(";", ",")
    assert mag02[-1] == ("2026-01-06,MAG02,Magasin Deux,,check,difference,"
                         "Écart de règlement,,,-2.00,,")
    pdf_folder = comptoir_home / "pdf"
    run(chain, task("brouillard-{mag:code}.pdf"), pdf_folder)
    pdfs = sorted(pdf_folder.glob("*.pdf"))
    assert [p.name for p in pdfs] == ["brouillard-MAG01.pdf", "brouillard-MAG02.pdf"]
    assert bookmarks(pdfs[1]) == [("MAG02 06/01/2026", 0)]
    text = pages_text(pdfs[1])[0].replace(NBSP, " ")
    assert "Comptoir Test SA" in text and "Écart de règlement (à justifier)" in text
    assert "-2,00 €" in text and "10,00 €" in text and "TVA" in text


def test_the_pdf_with_registers_and_several_days(chain: Engine, comptoir_home: Path) -> None:
    folder = comptoir_home / "out"
    run(chain, task(date_to="2026-01-07", by_register=True), folder)
    [pdf] = folder.glob("*.pdf")
    marks = bookmarks(pdf)
    assert [t for t, _ in marks] == ["MAG01 06/01/2026", "MAG01 07/01/2026",
                                     "MAG02 06/01/2026"]
    pages = [p for _, p in marks]
    assert pages == sorted(set(pages))
    text = " ".join(pages_text(pdf)[:pages[1]])
    assert "Caisse C1 : MAG01 06/01/2026" in text and "Caisse C2 : MAG01 06/01/2026" in text


def test_an_empty_period_writes_no_file(chain: Engine, comptoir_home: Path) -> None:
    folder = comptoir_home / "out"
    report = run(chain, task(date_from="2026-02-01", date_to="2026-02-28"), folder)
    assert report.level == "info"
    assert business(report) == ["Période : du 01/02/2026 au 28/02/2026",
                                "Aucun ticket sur la période : pas de fichier"]
    report = run(chain, task("b.csv", format="csv", date_from="2026-02-01",
                             date_to="2026-02-28"), folder)
    assert "Aucun ticket sur la période : pas de fichier" in business(report)
    assert files(folder) == {}


def test_unknown_stores_fail_before_writing(chain: Engine, comptoir_home: Path) -> None:
    folder = comptoir_home / "out"
    report = run(chain, task(stores=["MAG01", "NOPE", "CENTRAL"]), folder)
    assert report.level == "error"
    assert "unknown store code(s) in option stores: CENTRAL, NOPE" in report.body
    assert files(folder) == {}


def test_the_format_and_the_extension_agree() -> None:
    with pytest.raises(ValidationError, match="format csv writes a .csv file"):
        task(format="csv")  # the default name is the PDF's
    with pytest.raises(ValidationError, match="format pdf writes a .pdf file"):
        task("brouillard.csv")
    with pytest.raises(ValidationError, match="only with period custom"):
        task(period="yesterday", date_from="2026-01-06")
    assert task("b-{mag:name}.csv", format="csv").options["format"] == "csv"


def test_a_ticket_without_sales_day_takes_its_local_date(chain: Engine, tmp_path: Path) -> None:
    next_day = dt.date(2026, 1, 7)
    with chain.connect() as conn:
        rows = list(journal_rows(conn, next_day, next_day, [1, 2]))
        assert [r[4:10] for r in rows if r[4] in ("sales", "total", "payment")] == [
            ("sales", None, "Ventes", 1, Decimal(1), Decimal("8.00")),
            ("total", "net", "Total net", 1, Decimal(1), Decimal("8.00")),
            ("payment", "ESP", "Espèces", 1, None, Decimal("8.00"))]
        assert {r[0] for r in rows} == {next_day}
        assert {r[0] for r in journal_rows(conn, DAY, DAY, [1])} == {DAY}
    # across a month's end, month by month: the same figures as day by day
    written = write_journal(chain, tmp_path / "all.csv", dt.date(2025, 12, 1), next_day)
    assert (written.store_days, written.net) == (3, Decimal("44.30"))
    assert written.differences[0][1:] == (DAY, Decimal("-2.00"))
