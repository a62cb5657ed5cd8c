"""`invoice_edition` through `runner.run_task`: the contract's worked example on demo seed 1
(the PDF read back: pages, numbers, bookmarks, stored totals, its picture; the ZIP; a
second run with only_new), then small hand-seeded dossiers for the options, the VAT and
receivables shown, bad input and a file that cannot be written (both databases)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select

from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    payment_modes,
    receivables,
    sales_document_lines,
    sales_document_taxes,
    sales_documents,
    vat_codes,
)
from comptoir.backoffice.settings import set_setting
from comptoir.editions.invoice_edition import numbers_line
from comptoir.editions.invoice_sheet import unit_price
from comptoir.retail.report_text import NBSP, money
from tests.comptoir.editions.looks import (
    assert_looks_like,
    bookmarks,
    first_page_png,
    pages_text,
)
from tests.comptoir.retail.file_runs import business, run

DAY = dt.date(2026, 3, 10)
COMPANY = {"company_address": "12 rue de la République", "company_postcode": "69002",
           "company_city": "Lyon", "company_siret": "73282932000074",
           "company_vat_number": "FR44732829320",
           "invoice_footer": "Paiement à 30 jours. Pénalités de retard : trois fois le taux "
                             "d'intérêt légal. Indemnité forfaitaire pour frais de "
                             "recouvrement : 40 €."}


def task(filename: str | None = None, **options: Any) -> TaskDefinition:
    output: dict[str, Any] = {"delivery": {"method": "local", "path": "factures"}}
    if filename:
        output["filename"] = filename
    return TaskDefinition.model_validate({
        "id": "factures", "type": "invoice_edition", "site": "central",
        "options": options, "output": output})


def period(first: dt.date, last: dt.date, **options: Any) -> dict[str, Any]:
    return {"period": "custom", "date_from": first.isoformat(), "date_to": last.isoformat(),
            **options}


def go(engine: Engine, definition: TaskDefinition, home: Path) -> Any:
    """One run, its files delivered into `home`/factures."""
    return run(engine, definition, home / "factures")


def delivered(home: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted((home / "factures").glob("*"))}


def flat(text: str) -> str:
    """The words of `text` separated by one space (a PDF reader puts each cell on a line)."""
    return " ".join(text.replace(NBSP, " ").split())


def printed(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(select(sales_documents.c.number,
                                        sales_documents.c.printed_at)).all())


def company(engine: Engine) -> None:
    with engine.begin() as conn:
        for key, value in COMPANY.items():
            set_setting(conn, key, value)


# --- the worked example -----------------------------------------------------------------------

@pytest.mark.slow
def test_the_worked_example_on_demo_seed_1(engine: Engine, comptoir_home: Path) -> None:
    from comptoir.demo.dossier import fill_dossier

    fill_dossier(engine, seed=1)
    company(engine)
    first, last = dt.date(2026, 1, 5), dt.date(2026, 1, 11)
    d = sales_documents
    with engine.connect() as conn:
        stored = conn.execute(
            select(d.c.number, d.c.total_excl_tax, d.c.total_tax, d.c.total_incl_tax)
            .where(d.c.type == "F", d.c.date >= first, d.c.date <= last)
            .order_by(d.c.number)).all()
    numbers = [row.number for row in stored]
    assert len(numbers) >= 5

    report = go(engine, task(**period(first, last)), comptoir_home)
    assert report.level == "info", report.body
    assert business(report) == ["Période : du 05/01/2026 au 11/01/2026",
                                f"{len(numbers)} factures éditées : {', '.join(numbers)}"]
    [(name, pdf)] = delivered(comptoir_home).items()
    assert name.startswith("factures-") and name.endswith(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = [flat(text) for text in pages_text(pdf)]
    assert len(pages) >= len(numbers)
    marks = bookmarks(pdf)
    assert [title for title, _ in marks] == numbers
    starts = [page for _, page in marks]
    assert starts[0] == 0 and starts == sorted(set(starts))
    for (number, excl, tax, incl), start, end in zip(stored, starts, [*starts[1:], None],
                                                      strict=True):
        text = "\n".join(pages[start:end])
        assert number in text and "FACTURE" in text
        assert f"Total HT {flat(money(excl))}" in text
        assert f"Total TVA {flat(money(tax))}" in text
        assert f"Total TTC {flat(money(incl))}" in text
    when = printed(engine)
    assert all(when[n] is not None for n in numbers)
    assert all(when[n] is None for n in when if n not in numbers)
    assert_looks_like(first_page_png(pdf, "invoice_edition"), "invoice_edition")

    pdf.unlink()  # the same period again, as one ZIP of one PDF per invoice
    again = go(engine, task("factures-{y}{m}{d}.zip", **period(first, last, layout="zip")),
                comptoir_home)
    assert business(again) == business(report)
    [(name, archive)] = delivered(comptoir_home).items()
    assert name.endswith(".zip")
    with zipfile.ZipFile(archive) as zipped:
        assert zipped.namelist() == [f"{n}.pdf" for n in numbers]
        for number in numbers:
            content = zipped.read(f"{number}.pdf")
            assert content.startswith(b"%PDF")
            assert number in flat("".join(pages_text(io.BytesIO(content))))  # type: ignore[arg-type]
    archive.unlink()

    new_only = go(engine, task(**period(first, last, only_new=True)), comptoir_home)
    assert new_only.level == "info", new_only.body
    assert business(new_only) == [
        "Période : du 05/01/2026 au 11/01/2026", "Aucune facture sur la période",
        f"{len(numbers)} factures de la période déjà éditées, non rééditées (only_new)"]
    assert delivered(comptoir_home) == {}


# --- small dossiers ---------------------------------------------------------------------------

def seed(engine: Engine, day: dt.date = DAY, lines: int = 0) -> Engine:
    """Three depots; on `day`: FT…01 (MAGA, VAT from its lines, a due date), FT…02 (MAGB,
    stored VAT, a discount), AT…01 (MAGA, credit note), FT…03 (CENTRAL, a web order); FT…04
    forty days later; a quote. `lines`: that many more lines on FT…01 (several pages)."""
    later = day + dt.timedelta(days=40)
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAGA", "name": "Magasin A", "is_store": True},
            {"id": 2, "code": "MAGB", "name": "Magasin B", "is_store": True},
            {"id": 3, "code": "CENTRAL", "name": "Dépôt central", "is_store": False}])
        conn.execute(customers.insert(), [
            {"id": 1, "code": "TCL1", "name": "Client Un", "address1": "1 rue Haute",
             "postcode": "69001", "city": "Lyon", "country": "FR"},
            {"id": 2, "code": "TCL2", "name": "Client Deux", "address1": "2 rue Basse",
             "postcode": "1000", "city": "Bruxelles", "country": "BE"}])
        conn.execute(vat_codes.insert(), [
            {"id": 1, "code": "N20", "name": "Normal", "rate": Decimal(20)},
            {"id": 2, "code": "R55", "name": "Réduit", "rate": Decimal("5.5")}])
        conn.execute(articles.insert(), [
            {"id": 1, "code": "ART-1", "name": "Article un"},
            {"id": 2, "code": "ART-2", "name": "Article deux"}])
        conn.execute(payment_modes.insert(), [{"id": 1, "code": "CHQ", "name": "Chèque"}])
        doc = {"reference": None, "depot_id": 1, "customer_id": 1, "date": day, "type": "F"}
        conn.execute(sales_documents.insert(), [
            {**doc, "id": 10, "number": "FT2026-000001", "total_excl_tax": Decimal("100.00"),
             "total_tax": Decimal("20.00"), "total_incl_tax": Decimal("120.00")},
            {**doc, "id": 11, "number": "FT2026-000002", "depot_id": 2, "customer_id": 2,
             "total_excl_tax": Decimal("60.00"), "total_tax": Decimal("8.09"),
             "total_incl_tax": Decimal("68.09")},
            {**doc, "id": 12, "number": "AT2026-000001", "type": "A",
             "reference": "Avoir sur facture FT2026-000001",
             "total_excl_tax": Decimal("50.00"), "total_tax": Decimal("10.00"),
             "total_incl_tax": Decimal("60.00")},
            {**doc, "id": 13, "number": "FT2026-000003", "depot_id": 3,
             "reference": "Commande web W1", "total_excl_tax": Decimal("10.00"),
             "total_tax": Decimal("2.00"), "total_incl_tax": Decimal("12.00")},
            {**doc, "id": 14, "number": "FT2026-000004", "date": later,
             "total_excl_tax": Decimal("10.00"), "total_tax": Decimal("2.00"),
             "total_incl_tax": Decimal("12.00")},
            {**doc, "id": 15, "number": "DT2026-000001", "type": "D",
             "total_excl_tax": Decimal("10.00"), "total_tax": Decimal("2.00"),
             "total_incl_tax": Decimal("12.00")}])
        line = {"article_id": 1, "description": None, "discount": None, "vat_code_id": 1}
        conn.execute(sales_document_lines.insert(), [
            {**line, "document_id": 10, "line_no": 1, "quantity": Decimal(2),
             "unit_price": Decimal("50"), "total_excl_tax": Decimal("100.00")},
            {**line, "document_id": 11, "line_no": 1, "article_id": 2, "vat_code_id": 2,
             "description": "Article deux, remisé", "quantity": Decimal(3),
             "unit_price": Decimal(10), "discount": Decimal(10),
             "total_excl_tax": Decimal("27.00")},
            {**line, "document_id": 11, "line_no": 2, "quantity": Decimal(1),
             "unit_price": Decimal("33.0049"), "total_excl_tax": Decimal("33.00")},
            {**line, "document_id": 12, "line_no": 1, "quantity": Decimal(1),
             "unit_price": Decimal(50), "total_excl_tax": Decimal("50.00")},
            *[{**line, "document_id": i, "line_no": 1, "quantity": Decimal(1),
               "unit_price": Decimal(10), "total_excl_tax": Decimal("10.00")}
              for i in (13, 14, 15)],
            *[{**line, "document_id": 10, "line_no": 2 + i, "quantity": Decimal(0),
               "unit_price": Decimal(0), "description": f"Ligne de détail {i + 1}",
               "total_excl_tax": Decimal(0)} for i in range(lines)]])
        conn.execute(sales_document_taxes.insert(), [
            {"document_id": 11, "vat_code_id": 2, "rate": Decimal("5.5"),
             "base_excl_tax": Decimal("27.00"), "tax": Decimal("1.49"),
             "total_incl_tax": Decimal("28.49")},
            {"document_id": 11, "vat_code_id": 1, "rate": Decimal(20),
             "base_excl_tax": Decimal("33.00"), "tax": Decimal("6.60"),
             "total_incl_tax": Decimal("39.60")}])
        conn.execute(receivables.insert(), [
            {"customer_id": 1, "document_id": 10, "payment_mode_id": 1, "kind": "due",
             "state_code": "D10", "amount": Decimal("120.00"),
             "due_date": day + dt.timedelta(days=30), "state": "open"}])
    return engine


def text_of(pdf: Path) -> str:
    return flat("\n".join(pages_text(pdf)))


def test_credit_notes_with_types_f_and_a(engine: Engine, comptoir_home: Path) -> None:
    seed(engine)
    report = go(engine, task(**period(DAY, DAY, types=["F", "A"])), comptoir_home)
    assert business(report) == [
        "Période : du 10/03/2026 au 10/03/2026",
        "4 factures éditées : AT2026-000001, FT2026-000001, FT2026-000002, FT2026-000003"]
    [pdf] = delivered(comptoir_home).values()
    assert [title for title, _ in bookmarks(pdf)] == [
        "AT2026-000001", "FT2026-000001", "FT2026-000002", "FT2026-000003"]
    first, *others = pages_text(pdf)
    assert "AVOIR" in first and "Avoir sur facture FT2026-000001" in first
    assert all("FACTURE" in page and "AVOIR" not in page for page in others)
    assert {n for n, at in printed(engine).items() if at is not None} == {
        "AT2026-000001", "FT2026-000001", "FT2026-000002", "FT2026-000003"}


def test_the_page_shows_the_document_as_stored(engine: Engine, comptoir_home: Path) -> None:
    seed(engine)
    company(engine)
    go(engine, task(**period(DAY, DAY)), comptoir_home)
    [pdf] = delivered(comptoir_home).values()
    pages = [flat(page) for page in pages_text(pdf)]
    one, two, web = pages
    for line in ("12 rue de la République", "69002 Lyon", "SIRET : 73282932000074",
                 "FR44732829320", "Paiement à 30 jours"):
        assert line in one
    assert "TCL1" in one and "Client Un" in one and "1 rue Haute" in one
    assert "ART-1 Article un 2 50,00 € 20 % 100,00 €" in one
    assert "20 % 100,00 € 20,00 €" in one  # VAT from the lines: no stored VAT rows
    assert "09/04/2026 Échéance Chèque 120,00 € à régler" in one
    assert "Client Deux" in two and "BE" in two  # a foreign address shows its country
    assert "Article deux, remisé 3 10,00 € 10 % 5,5 % 27,00 €" in two
    assert "33,0049 €" in two  # a unit price keeps the decimals it has
    assert "5,5 % 27,00 € 1,49 €" in two and "Total TVA 8,09 €" in two
    assert "Échéance" not in two
    assert "Commande web W1" in web and "CENTRAL Dépôt central" in web


def test_an_invoice_flows_over_pages_with_its_header(engine: Engine,
                                                     comptoir_home: Path) -> None:
    seed(engine, lines=80)
    go(engine, task(**period(DAY, DAY, depots=["MAGA"])), comptoir_home)
    [pdf] = delivered(comptoir_home).values()
    pages = pages_text(pdf)
    assert len(pages) >= 2
    assert bookmarks(pdf) == [("FT2026-000001", 0)]
    assert "Total TTC" in pages[-1]
    assert "(suite)" not in pages[0]
    assert all("Facture FT2026-000001 (suite)" in page for page in pages[1:])
    with_lines = [page for page in pages if "Ligne de détail" in page]
    assert len(with_lines) >= 2 and "Ligne de détail 80" in with_lines[-1]
    assert all("Désignation" in page for page in with_lines)  # the header on each page


def test_the_depots_option_and_one_file_per_depot(engine: Engine,
                                                  comptoir_home: Path) -> None:
    seed(engine)
    report = go(engine, task(**period(DAY, DAY, depots=["MAGB", "CENTRAL"])),
                 comptoir_home)
    assert business(report)[1] == "2 factures éditées : FT2026-000002, FT2026-000003"
    [pdf] = delivered(comptoir_home).values()
    pdf.unlink()
    go(engine, task("factures-{mag:code}-{y}{m}{d}.zip", **period(DAY, DAY, layout="zip")),
        comptoir_home)
    files = delivered(comptoir_home)
    assert [name.split("-")[1] for name in files] == ["CENTRAL", "MAGA", "MAGB"]
    held = [zipfile.ZipFile(path).namelist() for path in files.values()]
    assert held == [["FT2026-000003.pdf"], ["FT2026-000001.pdf"], ["FT2026-000002.pdf"]]


def test_only_new_prints_each_invoice_once(engine: Engine, comptoir_home: Path) -> None:
    seed(engine)
    first = go(engine, task(**period(DAY, DAY, only_new=True)), comptoir_home)
    assert business(first)[1].startswith("3 factures éditées")
    when = printed(engine)["FT2026-000001"]
    for pdf in delivered(comptoir_home).values():
        pdf.unlink()
    second = go(engine, task(**period(DAY, DAY, only_new=True)), comptoir_home)
    assert business(second)[1:] == [
        "Aucune facture sur la période",
        "3 factures de la période déjà éditées, non rééditées (only_new)"]
    assert delivered(comptoir_home) == {}
    assert printed(engine)["FT2026-000001"] == when


def test_an_empty_period_writes_no_file(engine: Engine, comptoir_home: Path) -> None:
    seed(engine)
    report = go(engine, task(**period(DAY + dt.timedelta(days=1), DAY
                                       + dt.timedelta(days=2))), comptoir_home)
    assert report.level == "info"
    assert business(report) == ["Période : du 11/03/2026 au 12/03/2026",
                                "Aucune facture sur la période"]
    assert delivered(comptoir_home) == {}


def test_an_unknown_depot_fails_before_anything_is_written(engine: Engine,
                                                           comptoir_home: Path) -> None:
    seed(engine)
    report = go(engine, task(**period(DAY, DAY, depots=["MAGA", "NOPE"])), comptoir_home)
    assert report.level == "error"
    assert "unknown depot code(s) in option depots: NOPE" in report.body
    assert delivered(comptoir_home) == {}
    assert all(at is None for at in printed(engine).values())


def test_a_file_not_written_leaves_the_invoices_unprinted(
        engine: Engine, comptoir_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from comptoir.editions import invoice_sheet

    def broken(*_: Any, **__: Any) -> int:
        raise OSError("disk full")

    seed(engine)
    monkeypatch.setattr(invoice_sheet, "write_invoices", broken)
    report = go(engine, task(**period(DAY, DAY)), comptoir_home)
    assert report.level == "error" and "disk full" in report.body
    assert all(at is None for at in printed(engine).values())


def test_a_number_that_cannot_name_a_file_is_refused_in_a_zip(
        engine: Engine, comptoir_home: Path) -> None:
    seed(engine)
    with engine.begin() as conn:
        conn.execute(sales_documents.update().where(sales_documents.c.id == 11)
                     .values(number="FT/2026/2"))
    report = go(engine, task("factures.zip", **period(DAY, DAY, layout="zip")),
                 comptoir_home)
    assert report.level == "error"
    assert "document number 'FT/2026/2' cannot name a file in the ZIP" in report.body
    assert delivered(comptoir_home) == {}
    assert all(at is None for at in printed(engine).values())


@pytest.mark.parametrize(("filename", "options", "message"), [
    (None, {"layout": "zip"}, "output.filename: layout zip writes a .zip file"),
    ("factures.pdf", {"layout": "zip"}, "output.filename: layout zip writes a .zip file"),
    ("factures.zip", {}, "output.filename: layout single writes a .pdf file"),
    (None, {"types": ["F", "B"]}, "types"),
    (None, {"types": []}, "types"),
    (None, {"date_from": "2026-01-01"}, "date_from: only with period custom"),
])
def test_bad_definitions_are_refused(filename: str | None, options: dict[str, Any],
                                     message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        task(filename, **options)


def test_the_defaults() -> None:
    definition = task()
    assert definition.filename == "factures-{y}{m}{d}.pdf"
    options = definition.typed_options()
    assert (options.period, options.types, options.depots, options.only_new,
            options.layout) == ("yesterday", ["F"], [], False, "single")
    assert task("factures-{y}{m}{d}.zip", layout="zip").filename.endswith(".zip")


def test_the_report_names_up_to_twenty_numbers() -> None:
    numbers = [f"FA2026-{n:06d}" for n in range(10, 32)]
    assert numbers_line(numbers[:1]) == "1 facture éditée : FA2026-000010"
    assert numbers_line(numbers[:20]) == f"20 factures éditées : {', '.join(numbers[:20])}"
    assert numbers_line(numbers) == "22 factures éditées : FA2026-000010 … FA2026-000031"


def test_unit_prices_keep_their_decimals() -> None:
    assert unit_price(Decimal("18.3250")) == f"18,325{NBSP}€"
    assert unit_price(Decimal("1200")) == f"1{NBSP}200,00{NBSP}€"
    assert unit_price(Decimal("-6.6583")) == f"-6,6583{NBSP}€"
    assert unit_price(None) == ""


def test_depots_of_one_name_share_their_file(engine: Engine, comptoir_home: Path) -> None:
    seed(engine)
    with engine.begin() as conn:
        conn.execute(depots.update().where(depots.c.code == "MAGB").values(name="Magasin A"))
    report = go(engine, task("factures-{mag:name}.pdf", **period(DAY, DAY)), comptoir_home)
    assert report.level == "info", report.body
    files = delivered(comptoir_home)
    assert list(files) == ["factures-Dépôt central.pdf", "factures-Magasin A.pdf"]
    assert [title for title, _ in bookmarks(files["factures-Magasin A.pdf"])] == [
        "FT2026-000001", "FT2026-000002"]
