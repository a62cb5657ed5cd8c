"""`sales_analysis` through `runner.run_task` (both databases): the contract's worked
example on demo seed 1 checked against an independent Decimal computation of its ticket
lines, the chart and the PDF looked at; then small hand-seeded dossiers for the rules —
per-line rounding, families (article, sub-family, unknown code), invoice signs and
depots, archived months from `sales_history`, grouping, stores, bad input, nothing to
write."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pydantic import ValidationError
from sqlalchemy import Engine, insert, select

from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    families,
    history_months,
    pos_ticket_lines,
    pos_tickets,
    registers,
    sales_days,
    sales_document_lines,
    sales_documents,
    sales_history,
    settings,
    sub_families,
)
from comptoir.editions.sales_analysis import Figure
from comptoir.editions.sales_chart import write_chart
from tests.comptoir.editions.looks import (
    artefacts,
    assert_looks_like,
    first_page_png,
    pages_text,
)
from tests.comptoir.retail.file_runs import business, run

PARIS = ZoneInfo("Europe/Paris")
CENT = Decimal("0.01")
PNG = b"\x89PNG\r\n\x1a\n"
HEADER = ["month", "store", "store_name", "family", "family_name", "quantity",
          "revenue_excl_tax", "cost", "margin"]


def task(filename: str | None = None, **options: Any) -> TaskDefinition:
    output: dict[str, Any] = {"delivery": {"method": "local", "path": "."}}
    if filename:
        output["filename"] = filename
    return TaskDefinition.model_validate({
        "id": "analyse", "type": "sales_analysis", "site": "central", "options": options,
        "output": output})


def march(**options: Any) -> TaskDefinition:
    fmt = options.setdefault("format", "csv")
    return task(f"analyse.{fmt}", period="custom", date_from="2026-03-01",
                date_to="2026-03-31", **options)


def produced(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()}


def table(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode()), delimiter=";"))


def number(cell: str) -> Decimal:
    return Decimal(cell.replace(",", ".")) if cell else Decimal(0)


def excl(ttc: Decimal, rate: Decimal) -> Decimal:
    """The contract's per-line amount, computed here independently."""
    return (ttc * 100 / (100 + rate)).quantize(CENT, ROUND_HALF_UP)


# -- the worked example ------------------------------------------------------------------

def test_the_worked_example_on_demo_seed_1(engine: Engine, comptoir_home: Path) -> None:
    from comptoir.demo.dossier import fill_dossier

    fill_dossier(engine, seed=1)
    with engine.connect() as conn:
        lines = conn.execute(
            select(depots.c.code, pos_ticket_lines.c.kind, pos_ticket_lines.c.quantity,
                   pos_ticket_lines.c.total_incl_tax, pos_ticket_lines.c.vat_rate)
            .select_from(pos_ticket_lines.join(pos_tickets,
                                               pos_tickets.c.id == pos_ticket_lines.c.ticket_id)
                         .join(sales_days, sales_days.c.id == pos_tickets.c.sales_day_id)
                         .join(depots, depots.c.id == pos_tickets.c.depot_id))
            .where(sales_days.c.date.between(dt.date(2026, 1, 5), dt.date(2026, 1, 10)))
        ).all()
        unassigned = conn.execute(select(pos_tickets.c.id).where(
            pos_tickets.c.sales_day_id.is_(None))).first()
    assert unassigned is None  # every ticket of the demo has its sales day
    assert {line.kind for line in lines} <= {"sale", "return", "defective"}
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    quantity: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        revenue[line.code] += excl(Decimal(line.total_incl_tax), Decimal(line.vat_rate))
        quantity[line.code] += Decimal(line.quantity)
    assert len(revenue) == 6

    options = {"period": "custom", "date_from": "2026-01-05", "date_to": "2026-01-10",
               "sources": ["pos"]}
    folder = comptoir_home / "out"
    report = run(engine, task("analyse.csv", format="csv", **options), folder)
    rows = table(produced(folder)["analyse.csv"])
    assert list(rows[0]) == HEADER
    found_revenue: dict[str, Decimal] = defaultdict(Decimal)
    found_quantity: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert row["month"] == "2026-01"
        found_revenue[row["store"]] += number(row["revenue_excl_tax"])
        found_quantity[row["store"]] += number(row["quantity"])
        assert number(row["margin"]) == number(row["revenue_excl_tax"]) - number(row["cost"])
    assert found_revenue == revenue
    assert found_quantity == quantity
    total = sum(revenue.values(), Decimal(0))
    from comptoir.retail.report_text import euros

    assert business(report) == [
        "Période : du 05/01/2026 au 10/01/2026",
        f"Analyse des ventes du 05/01/2026 au 10/01/2026 : CA HT {euros(total)}, "
        f"{len(rows)} lignes"]

    png_folder = comptoir_home / "png"
    run(engine, task("analyse.png", format="png", **options), png_folder)
    chart = png_folder / "analyse.png"
    assert chart.read_bytes().startswith(PNG)
    with Image.open(chart) as picture:
        assert picture.size == (2200, 1000)
        small = artefacts() / "sales_analysis_chart.png"
        picture.convert("RGB").resize((550, 250), Image.Resampling.LANCZOS).save(small)
    assert_looks_like(small, "sales_analysis_chart")

    with engine.begin() as conn:
        conn.execute(settings.delete().where(settings.c.key == "company_name"))
        conn.execute(settings.insert().values(key="company_name", value="Comptoir Test SA"))
    pdf_folder = comptoir_home / "pdf"
    run(engine, task(**options), pdf_folder)
    [pdf] = pdf_folder.glob("analyse-ventes-*.pdf")
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF") and b"/ObjStm" not in content
    text = "\n".join(pages_text(pdf)).replace("\u00a0", " ")
    assert "Comptoir Test SA" in text and "Analyse des ventes" in text
    assert "Période : du 05/01/2026 au 10/01/2026" in text
    assert f"CA HT {euros(total)}".replace("\u00a0", " ") in text and "Total" in text
    for code in revenue:
        assert code in text
    assert_looks_like(first_page_png(pdf, "sales_analysis"), "sales_analysis")


# -- a small hand-seeded dossier ---------------------------------------------------------

def stored(engine: Engine, moment: dt.datetime) -> dt.datetime:
    return moment if engine.dialect.name == "postgresql" else moment.replace(tzinfo=None)


def shop(engine: Engine, year: int = 2026, month: int = 3) -> Engine:
    """Stores MAGA1, MAGA2 and the central depot; families FAM1, FAM2 (sub-family SF2);
    ART1 (FAM1, cost 4,1234), ART2 (no family of its own, sub-family SF2, cost 7,50).

    In the month: MAGA1's sales day (the 10th) sells 2 ART1 for 12,35 at 20 %, one SF2
    sub-family sale 10,00 at 5,5 %, an unknown code 6,00 at 20 %, takes back one ART1
    (−6,18), and a 50,00 invoice payment; MAGA2 sells one ART2 24,00 at 20 % on the last
    evening of the month (no sales day) and one more just after midnight (next month).
    Invoices: MAGA1 F 3 ART1 30,00 and A 1 ART1 10,00; central F 1 ART2 20,00; an F the
    POS invoicing made (left out), a delivery note, an F of the next month.
    """
    first = dt.date(year, month, 1)
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    last = after - dt.timedelta(days=1)
    with engine.begin() as conn:
        def add(table: Any, **values: Any) -> int:
            return conn.execute(insert(table).values(**values).returning(table.c.id)
                                ).scalar_one()

        maga1 = add(depots, code="MAGA1", name="Magasin Analyse 1", is_store=True)
        maga2 = add(depots, code="MAGA2", name="Magasin Analyse 2", is_store=True)
        central = add(depots, code="CENTRALA", name="Dépôt central", is_store=False)
        fam1 = add(families, code="FAM1", name="Famille un")
        fam2 = add(families, code="FAM2", name="Famille deux")
        sf2 = add(sub_families, family_id=fam2, code="SF2", name="Sous-famille deux")
        art1 = add(articles, code="ART1", name="Article un", family_id=fam1,
                   purchase_price=Decimal("4.1234"))
        art2 = add(articles, code="ART2", name="Article deux", sub_family_id=sf2,
                   purchase_price=Decimal("7.5"))
        c1 = add(registers, code="C1", name="Caisse 1", depot_id=maga1)
        c2 = add(registers, code="C1", name="Caisse 1", depot_id=maga2)
        day = add(sales_days, depot_id=maga1, register_id=c1, date=first.replace(day=10))
        ticket = add(pos_tickets, depot_id=maga1, register_id=c1, number=1, sales_day_id=day,
                     issued_at=stored(engine, dt.datetime(year, month, 10, 10, tzinfo=PARIS)))
        conn.execute(insert(pos_ticket_lines), [
            line(ticket, 1, "sale", "2", "12.35", "20", article_id=art1),
            line(ticket, 2, "sale", "1", "10.00", "5.5", sub_family_id=sf2),
            line(ticket, 3, "sale", "1", "6.00", "20", article_code="ZZZ-INCONNU"),
            line(ticket, 4, "return", "-1", "-6.18", "20", article_id=art1),
            line(ticket, 5, "invoice_payment", "1", "50.00", "0", document_ref="FA1")])
        for number, moment in ((1, dt.datetime(year, month, last.day, 23, 30)),
                               (2, dt.datetime(after.year, after.month, 1, 0, 30))):
            t = add(pos_tickets, depot_id=maga2, register_id=c2, number=number,
                    issued_at=stored(engine, moment.replace(tzinfo=PARIS)))
            conn.execute(insert(pos_ticket_lines).values(
                line(t, 1, "sale", "1", "24.00", "20", article_id=art2)))
        customer = add(customers, code="CLA1", name="Client analyse")
        for no, (kind, depot, when, source, article, qty, total) in enumerate((
                ("F", maga1, first.replace(day=15), "manual", art1, "3", "30.00"),
                ("A", maga1, first.replace(day=20), "manual", art1, "1", "10.00"),
                ("F", central, first.replace(day=5), "import", art2, "1", "20.00"),
                ("F", maga1, first.replace(day=10), "pos", art1, "2", "12.00"),
                ("B", maga1, first.replace(day=11), "manual", art1, "5", "50.00"),
                ("F", maga1, after.replace(day=2), "manual", art1, "7", "70.00"))):
            doc = add(sales_documents, number=f"DOC{no}", type=kind, customer_id=customer,
                      date=when, depot_id=depot, source=source)
            conn.execute(insert(sales_document_lines).values(
                document_id=doc, line_no=1, article_id=article, quantity=Decimal(qty),
                unit_price=Decimal(total) / Decimal(qty), total_excl_tax=Decimal(total)))
    return engine


def line(ticket: int, no: int, kind: str, quantity: str, total: str, rate: str,
         **values: Any) -> dict[str, Any]:
    return {"ticket_id": ticket, "line_no": no, "kind": kind, "quantity": Decimal(quantity),
            "unit_price_incl_tax": abs(Decimal(total) / Decimal(quantity)),
            "total_incl_tax": Decimal(total), "vat_rate": Decimal(rate), "article_id": None,
            "sub_family_id": None, "article_code": None, "document_ref": None, **values}


def archived(engine: Engine) -> Engine:
    """MAGA2's February 2026, archived by season_end: ART1, SF2 and an unknown code."""
    with engine.begin() as conn:
        ids = dict(conn.execute(select(depots.c.code, depots.c.id)).all())
        art1 = conn.execute(select(articles.c.id).where(articles.c.code == "ART1")).scalar()
        sf2 = conn.execute(select(sub_families.c.id)).scalar()
        month = dt.date(2026, 2, 1)
        conn.execute(insert(sales_history), [
            {"month": month, "depot_id": ids["MAGA2"], "article_id": art1,
             "sub_family_id": None, "article_code": None, "tickets": 3,
             "quantity": Decimal(5), "amount_incl_tax": Decimal(60),
             "amount_excl_tax": Decimal(50), "cost": Decimal("20.62")},
            {"month": month, "depot_id": ids["MAGA2"], "article_id": None,
             "sub_family_id": sf2, "article_code": None, "tickets": 1,
             "quantity": Decimal(1), "amount_incl_tax": Decimal("7.39"),
             "amount_excl_tax": Decimal(7), "cost": Decimal(0)},
            {"month": month, "depot_id": ids["MAGA2"], "article_id": None,
             "sub_family_id": None, "article_code": "ZZZ", "tickets": 1,
             "quantity": Decimal(1), "amount_incl_tax": Decimal("3.6"),
             "amount_excl_tax": Decimal(3), "cost": Decimal(0)}])
        conn.execute(insert(history_months).values(
            depot_id=ids["MAGA2"], month=month, tickets=5, lines=5,
            archived_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    return engine


def rows_of(engine: Engine, definition: TaskDefinition, folder: Path) -> list[str]:
    run(engine, definition, folder)
    [content] = produced(folder).values()
    return content.decode().splitlines()


def test_pos_lines_rounded_per_line_with_their_family(engine: Engine,
                                                      comptoir_home: Path) -> None:
    shop(engine)
    found = rows_of(engine, march(sources=["pos"]), comptoir_home)
    assert found == [
        ";".join(HEADER),
        # 2 × ART1 12,35 → 10,29; return −6,18 → −5,15; cost 8,25 − 4,12
        "2026-03;MAGA1;Magasin Analyse 1;FAM1;Famille un;1;5,14;4,13;1,01",
        # the sub-family sale: 10,00 at 5,5 % → 9,48, no article so no cost
        "2026-03;MAGA1;Magasin Analyse 1;FAM2;Famille deux;1;9,48;0,00;9,48",
        "2026-03;MAGA1;Magasin Analyse 1;;;1;5,00;0,00;5,00",  # the unknown code
        # ART2's family is its sub-family's; the ticket after midnight is April's
        "2026-03;MAGA2;Magasin Analyse 2;FAM2;Famille deux;1;20,00;7,50;12,50"]


def test_a_half_cent_rounds_up_on_each_line(engine: Engine, comptoir_home: Path) -> None:
    """Two lines of 0,15 at 100 %: 0,075 each, so 0,08 + 0,08 — not round(0,30 / 2) =
    0,15 (rounding the sum), nor Python's float round(0.075, 2) = 0,07."""
    shop(engine)
    with engine.begin() as conn:
        ticket = conn.execute(select(pos_tickets.c.id).where(
            pos_tickets.c.sales_day_id.is_not(None))).scalar_one()
        conn.execute(pos_ticket_lines.delete())
        conn.execute(insert(pos_ticket_lines), [
            line(ticket, 1, "sale", "1", "0.15", "100", article_code="X"),
            line(ticket, 2, "sale", "1", "0.15", "100", article_code="Y")])
    found = rows_of(engine, march(sources=["pos"], group_by=["store"]), comptoir_home)
    assert found == ["store;store_name;quantity;revenue_excl_tax;cost;margin",
                     "MAGA1;Magasin Analyse 1;2;0,16;0,00;0,16"]


def test_invoices_count_credit_notes_negative_on_their_depot(engine: Engine,
                                                             comptoir_home: Path) -> None:
    shop(engine)
    found = rows_of(engine, march(sources=["invoices"], group_by=["store"]),
                    comptoir_home / "all")
    assert found == [
        "store;store_name;quantity;revenue_excl_tax;cost;margin",
        # F 3 × ART1 30,00 (cost 12,37), A 1 × ART1 −10,00 (−4,12); the POS-made F, the
        # delivery note and April's F are not counted
        "CENTRALA;Dépôt central;1;20,00;7,50;12,50",
        "MAGA1;Magasin Analyse 1;2;20,00;8,25;11,75"]
    found = rows_of(engine, march(stores=["MAGA1"], group_by=["store", "family"]),
                    comptoir_home / "one")
    assert found[1:] == [
        "MAGA1;Magasin Analyse 1;FAM1;Famille un;3;25,14;12,38;12,76",
        "MAGA1;Magasin Analyse 1;FAM2;Famille deux;1;9,48;0,00;9,48",
        "MAGA1;Magasin Analyse 1;;;1;5,00;0,00;5,00"]


def test_archived_months_come_from_the_sales_history(engine: Engine,
                                                     comptoir_home: Path) -> None:
    archived(shop(engine))
    february = task("f.csv", format="csv", period="custom", date_from="2026-02-01",
                    date_to="2026-03-31", sources=["pos"], group_by=["month", "store",
                                                                     "family"])
    report = run(engine, february, comptoir_home / "feb")
    rows = produced(comptoir_home / "feb")["f.csv"].decode().splitlines()
    assert rows[1:4] == [
        "2026-02;MAGA2;Magasin Analyse 2;FAM1;Famille un;5;50,00;20,62;29,38",
        "2026-02;MAGA2;Magasin Analyse 2;FAM2;Famille deux;1;7,00;0,00;7,00",
        "2026-02;MAGA2;Magasin Analyse 2;;;1;3,00;0,00;3,00"]
    assert all(row.startswith("2026-03;") for row in rows[4:])
    assert business(report)[1] == ("Analyse des ventes du 01/02/2026 au 31/03/2026 : "
                                   "CA HT 99,62 €, 7 lignes")
    # a period that covers the archived month only in part leaves its history out
    partial = task("p.csv", format="csv", period="custom", date_from="2026-02-10",
                   date_to="2026-03-31", sources=["pos"], group_by=["month"])
    report = run(engine, partial, comptoir_home / "part")
    assert produced(comptoir_home / "part")["p.csv"].decode().splitlines()[1:] == [
        "2026-03;4;39,62;11,63;27,99"]
    assert business(report)[1] == ("Mois archivés non comptés (période partielle) : "
                                   "MAGA2 02/2026")


def test_group_by_is_always_month_store_family(engine: Engine, comptoir_home: Path) -> None:
    shop(engine)
    found = rows_of(engine, march(group_by=["family", "month"]), comptoir_home / "a")
    assert found == ["month;family;family_name;quantity;revenue_excl_tax;cost;margin",
                     "2026-03;FAM1;Famille un;3;25,14;12,38;12,76",
                     "2026-03;FAM2;Famille deux;3;49,48;15,00;34,48",
                     "2026-03;;;1;5,00;0,00;5,00"]
    found = rows_of(engine, march(group_by=["month"], separator=",", decimal_separator="."),
                    comptoir_home / "b")
    assert found == ["month,quantity,revenue_excl_tax,cost,margin",
                     "2026-03,7,79.62,27.38,52.24"]


def test_the_chart_and_the_pdf_of_a_small_dossier(engine: Engine,
                                                   comptoir_home: Path) -> None:
    shop(engine)
    run(engine, march(format="png", group_by=["month", "family"]), comptoir_home / "png")
    chart = produced(comptoir_home / "png")["analyse.png"]
    assert chart.startswith(PNG)
    run(engine, march(format="png", group_by=["month", "family"]), comptoir_home / "again")
    assert produced(comptoir_home / "again")["analyse.png"] == chart  # the same bytes
    run(engine, march(format="pdf"), comptoir_home / "pdf")
    text = "\n".join(pages_text(comptoir_home / "pdf" / "analyse.pdf")).replace("\u00a0", " ")
    for expected in ("Analyse des ventes", "Période : du 01/03/2026 au 31/03/2026",
                     "Sources : caisses, factures et avoirs — magasins : tous",
                     "Famille un", "Magasin Analyse 2", "Dépôt central", "Total",
                     "79,62 €", "27,38 €", "52,24 €", "page 1 /"):
        assert expected in text, expected


def test_a_chart_with_many_stores_keeps_its_shape() -> None:
    """Twelve stores, three months, a month of returns: the ten largest series have their
    colour, the rest are `Autres`, negative amounts go below the axis."""
    rows = [Figure(f"2026-{m:02d}", f"MAG{s:02d}", f"Magasin {s}", None, None, Decimal(1),
                   Decimal(s * 100 * (-1 if (m, s) == (3, 12) else 1)), Decimal(0))
            for m in (1, 2, 3) for s in range(1, 13)]
    first = io.BytesIO()
    write_chart(first, rows, ["month", "store"], dt.date(2026, 1, 1), dt.date(2026, 3, 31),
                dpi=50)
    assert first.getvalue().startswith(PNG)
    with Image.open(first) as picture:
        assert picture.size == (550, 250)
        picture.save(artefacts() / "sales_analysis_many.png")
    assert_looks_like(artefacts() / "sales_analysis_many.png", "sales_analysis_many")


def test_bad_input_and_nothing_to_write(engine: Engine, comptoir_home: Path) -> None:
    with pytest.raises(ValidationError, match="format csv writes a .csv file"):
        task(format="csv")  # the default name is the PDF's
    with pytest.raises(ValidationError, match="format png writes a .png file"):
        task("a.pdf", format="png")
    with pytest.raises(ValidationError, match="remove"):
        task("analyse-{mag:code}.pdf")
    with pytest.raises(ValidationError, match="group_by: name at least one"):
        task(group_by=[])
    with pytest.raises(ValidationError, match="sources: name at least one"):
        task(sources=[])
    with pytest.raises(ValidationError):
        task(group_by=["week"])
    shop(engine)
    report = run(engine, march(stores=["MAGA1", "NOPE"]), comptoir_home / "bad")
    assert report.level == "error"
    assert "unknown store code(s) in option stores: NOPE" in report.body
    report = run(engine, march(stores=["CENTRALA"]), comptoir_home / "bad")
    assert "unknown store code(s) in option stores: CENTRALA" in report.body
    assert not (comptoir_home / "bad").exists() or not produced(comptoir_home / "bad")
    empty = task("e.csv", format="csv", period="custom", date_from="2025-01-01",
                 date_to="2025-01-31")
    report = run(engine, empty, comptoir_home / "empty")
    assert report.level == "info"
    assert business(report) == ["Période : du 01/01/2025 au 31/01/2025",
                                "Aucune vente sur la période : pas de fichier"]
    assert not (comptoir_home / "empty").exists() or not produced(comptoir_home / "empty")


def test_the_default_period_is_the_previous_month(engine: Engine, comptoir_home: Path) -> None:
    today = dt.datetime.now(PARIS).date()
    previous = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    shop(engine, previous.year, previous.month)
    report = run(engine, task("a.csv", format="csv"), comptoir_home)
    last = today.replace(day=1) - dt.timedelta(days=1)
    assert business(report)[0] == f"Période : du {previous:%d/%m/%Y} au {last:%d/%m/%Y}"
    assert "CA HT 79,62 €, 5 lignes" in business(report)[1]
