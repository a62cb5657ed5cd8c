"""`customer_balance` through `runner.run_task`: the contract's worked example as CSV and as
PDF (read back with pypdf, its first page compared with the reference picture), totals
equal to an independent sum of the dossier, `include_zero`, `stores`, `{mag:code}`, several
customer accounts, the run date, an empty run and bad input (both databases)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, insert, select, update

from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice.schema import (
    accounts,
    customers,
    depots,
    journal_entries,
    journal_entry_lines,
    journals,
    settings,
)
from tests.comptoir.editions.looks import assert_looks_like, first_page_png, pages_text
from tests.comptoir.retail.file_runs import business, run

HEADER = "customer;name;account;debit;credit;balance"
AT = dt.date(2025, 6, 30)
LINE = ("Balance clients au 30/06/2025 : 2 clients, débit 120,00 €, crédit 130,00 €, "
        "solde -10,00 €")
EXPECTED = ["TBA1;Client balance 1;411000;120,00;100,00;20,00",
            "TBA2;Client balance 2;419700;0,00;30,00;-30,00"]


# --- seeding: plain functions writing the ledger -------------------------------------------

def chart(conn: Any) -> None:
    """Accounts and journals of the examples."""
    conn.execute(insert(accounts), [
        {"number": "411000", "name": "Clients", "kind": "customer", "lettrable": True},
        {"number": "419700", "name": "Clients - acomptes", "kind": "customer",
         "lettrable": True},
        {"number": "706000", "name": "Ventes", "kind": "revenue", "lettrable": False},
        {"number": "512000", "name": "Banque", "kind": "bank", "lettrable": False}])
    conn.execute(insert(journals), [{"code": "VT", "name": "Ventes", "kind": "sales"},
                                    {"code": "BQ", "name": "Banque", "kind": "bank"}])


def customer(conn: Any, code: str, name: str, store: str | None = None,
             account: str | None = None) -> int:
    store_id = (conn.execute(select(depots.c.id).where(depots.c.code == store)).scalar_one()
                if store else None)
    return conn.execute(insert(customers).values(
        code=code, name=name, store_id=store_id, account=account)
        .returning(customers.c.id)).scalar_one()


def entry(conn: Any, day: dt.date, journal: str, customer_code: str, account: str,
          amount: str, *, debit: bool, other: str) -> None:
    """A balanced entry: the customer's line (debit or credit) and its counterpart on the
    non-customer account `other`."""
    ids = dict(conn.execute(select(accounts.c.number, accounts.c.id)).all())
    journal_id = conn.execute(select(journals.c.id).where(journals.c.code == journal)
                              ).scalar_one()
    customer_id = conn.execute(select(customers.c.id).where(customers.c.code == customer_code)
                               ).scalar_one()
    count = conn.execute(select(func.count()).select_from(journal_entries)).scalar_one()
    entry_id = conn.execute(insert(journal_entries).values(
        journal_id=journal_id, number=f"{journal}{day.year}-{count + 1:08d}", date=day,
        label=f"Écriture {customer_code}", validated_on=day)
        .returning(journal_entries.c.id)).scalar_one()
    value = Decimal(amount)
    own = {"debit": value, "credit": Decimal(0)} if debit else {"debit": Decimal(0),
                                                                 "credit": value}
    counter = {"debit": own["credit"], "credit": own["debit"]}
    conn.execute(insert(journal_entry_lines), [
        {"entry_id": entry_id, "line_no": 1, "account_id": ids[account],
         "customer_id": customer_id, **own},
        {"entry_id": entry_id, "line_no": 2, "account_id": ids[other], "customer_id": None,
         **counter}])


def worked_example(engine: Engine) -> Engine:
    """The contract's worked example: TBA1 (store MAGB1) and TBA2 (no store)."""
    with engine.begin() as conn:
        chart(conn)
        conn.execute(insert(depots), [
            {"code": "MAGB1", "name": "Magasin balance 1", "is_store": True},
            {"code": "MAGB2", "name": "Magasin balance 2", "is_store": True}])
        customer(conn, "TBA1", "Client balance 1", "MAGB1", "411000")
        customer(conn, "TBA2", "Client balance 2")
        entry(conn, dt.date(2025, 5, 10), "VT", "TBA1", "411000", "120.00", debit=True,
              other="706000")
        entry(conn, dt.date(2025, 6, 15), "BQ", "TBA1", "411000", "100.00", debit=False,
              other="512000")
        entry(conn, dt.date(2025, 7, 10), "VT", "TBA1", "411000", "500.00", debit=True,
              other="706000")
        entry(conn, dt.date(2025, 6, 1), "BQ", "TBA2", "419700", "30.00", debit=False,
              other="512000")
    return engine


def dossier_totals(engine: Engine, until: dt.date) -> tuple[Decimal, Decimal]:
    """Σ debit, Σ credit of the customers' lines on customer accounts up to `until`,
    summed here independently of the edition."""
    ln, e, a = journal_entry_lines, journal_entries, accounts
    with engine.connect() as conn:
        debit, credit = conn.execute(
            select(func.sum(ln.c.debit), func.sum(ln.c.credit))
            .select_from(ln.join(e, e.c.id == ln.c.entry_id).join(a, a.c.id == ln.c.account_id))
            .where(a.c.kind == "customer", ln.c.customer_id.is_not(None), e.c.date <= until)
        ).one()
    cent = Decimal("0.01")
    return Decimal(debit).quantize(cent), Decimal(credit).quantize(cent)


# --- running -------------------------------------------------------------------------------

def task(filename: str | None = None, **options: Any) -> TaskDefinition:
    output: dict[str, Any] = {"delivery": {"method": "local", "path": "balance"}}
    if filename:
        output["filename"] = filename
    return TaskDefinition.model_validate({
        "id": "balance", "type": "customer_balance", "site": "central", "options": options,
        "output": output})


def files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((home / "balance").glob("*"))}


def lines_of(content: bytes) -> list[str]:
    return content.decode().splitlines()


def parsed(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode()), delimiter=";"))


def words(page: str) -> str:
    """A page's text on one line, words separated by one space (pypdf puts each cell on a
    line of its own; no-break spaces become spaces)."""
    return " ".join(page.split())


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


# --- tests ---------------------------------------------------------------------------------

def test_the_worked_example_as_csv(engine: Engine, comptoir_home: Path) -> None:
    worked_example(engine)
    report = run(engine, task("balance.csv", date="2025-06-30", format="csv"),
                 comptoir_home / "balance")
    assert report.level == "info", report.body
    assert business(report) == [LINE]
    content = files(comptoir_home)["balance.csv"]
    assert lines_of(content) == [HEADER, *EXPECTED]
    records = parsed(content)
    debit = sum(amount(r["debit"]) for r in records)
    credit = sum(amount(r["credit"]) for r in records)
    assert (debit, credit) == dossier_totals(engine, AT) == (Decimal("120.00"),
                                                              Decimal("130.00"))
    assert all(amount(r["balance"]) == amount(r["debit"]) - amount(r["credit"])
               for r in records)


def test_the_worked_example_as_pdf(engine: Engine, comptoir_home: Path) -> None:
    worked_example(engine)
    with engine.begin() as conn:
        conn.execute(insert(settings).values(key="company_name", value="Comptoir Test SA"))
    report = run(engine, task(date="2025-06-30"), comptoir_home / "balance")
    assert business(report) == [LINE]
    [(name, content)] = files(comptoir_home).items()
    assert re.fullmatch(r"balance-clients-\d{8}\.pdf", name)
    assert content.startswith(b"%PDF") and b"/ObjStm" not in content
    pdf = comptoir_home / "balance" / name
    [page] = pages_text(pdf)
    flat = words(page)
    assert "Comptoir Test SA" in flat and "Balance clients au 30/06/2025" in flat
    assert "page 1 / 1" in flat
    for figure in ("TBA1 Client balance 1 411000 120,00 € 100,00 € 20,00 €",
                   "TBA2 Client balance 2 419700 0,00 € 30,00 € -30,00 €",
                   "Total 2 clients 120,00 € 130,00 € -10,00 €"):
        assert figure in flat, flat
    assert "500,00" not in flat  # dated after the balance date
    assert_looks_like(first_page_png(pdf, "customer_balance"), "customer_balance")
    run(engine, task(date="2025-06-30"), comptoir_home / "balance")  # the same bytes again
    assert files(comptoir_home)[name] == content


def test_a_long_balance_repeats_the_header_on_every_page(engine: Engine,
                                                         comptoir_home: Path) -> None:
    with engine.begin() as conn:
        chart(conn)
        for n in range(1, 91):
            customer(conn, f"TL{n:03d}", f"Client long {n}")
            entry(conn, dt.date(2025, 6, 1), "VT", f"TL{n:03d}", "411000", f"{n}.50",
                  debit=True, other="706000")
    run(engine, task("long.pdf", date="2025-06-30"), comptoir_home / "balance")
    pages = [words(p) for p in pages_text(comptoir_home / "balance" / "long.pdf")]
    assert len(pages) >= 2
    assert all("Client Nom Compte Débit Crédit Solde" in p for p in pages)
    assert "Total 90 clients" in pages[-1]
    assert "TL090" in pages[-1] and "TL001" in pages[0]


def test_include_zero_and_the_customers_own_account(engine: Engine,
                                                    comptoir_home: Path) -> None:
    worked_example(engine)
    with engine.begin() as conn:
        customer(conn, "TBA0", "Client sans ligne", account="411TBA0")
        customer(conn, "TBA3", "Client sans compte")
    run(engine, task("zero.csv", date="2025-06-30", format="csv", include_zero=True),
        comptoir_home / "balance")
    assert lines_of(files(comptoir_home)["zero.csv"]) == [
        HEADER, "TBA0;Client sans ligne;411TBA0;0,00;0,00;0,00", *EXPECTED,
        "TBA3;Client sans compte;;0,00;0,00;0,00"]
    # before any line: nobody without include_zero, everybody at zero with it
    report = run(engine, task("early.csv", date="2025-05-01", format="csv"),
                 comptoir_home / "balance")
    assert business(report) == ["Aucun client à éditer au 01/05/2025 : pas de fichier"]
    assert "early.csv" not in files(comptoir_home)
    report = run(engine, task("early.csv", date="2025-05-01", format="csv",
                              include_zero=True), comptoir_home / "balance")
    assert business(report) == ["Balance clients au 01/05/2025 : 4 clients, débit 0,00 €, "
                                "crédit 0,00 €, solde 0,00 €"]


def test_a_customer_on_several_accounts_and_the_run_date(engine: Engine,
                                                         comptoir_home: Path) -> None:
    worked_example(engine)
    with engine.begin() as conn:
        entry(conn, dt.date(2025, 6, 20), "BQ", "TBA1", "419700", "15.00", debit=False,
              other="512000")
    run(engine, task("both.csv", date="2025-06-30", format="csv"), comptoir_home / "balance")
    assert lines_of(files(comptoir_home)["both.csv"])[1] == (
        "TBA1;Client balance 1;411000/419700;120,00;115,00;5,00")
    report = run(engine, task("today.csv", format="csv"), comptoir_home / "balance")
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y")  # every line
    assert business(report) == [f"Balance clients au {today} : 2 clients, débit 620,00 €, "
                                "crédit 145,00 €, solde 475,00 €"]


def test_the_stores_option(engine: Engine, comptoir_home: Path) -> None:
    worked_example(engine)
    with engine.begin() as conn:
        conn.execute(update(customers).where(customers.c.code == "TBA2").values(
            store_id=select(depots.c.id).where(depots.c.code == "MAGB2").scalar_subquery()))
    report = run(engine, task("mag2.csv", date="2025-06-30", format="csv", stores=["MAGB2"]),
                 comptoir_home / "balance")
    assert business(report) == ["Balance clients au 30/06/2025 : 1 client, débit 0,00 €, "
                                "crédit 30,00 €, solde -30,00 €"]
    assert lines_of(files(comptoir_home)["mag2.csv"]) == [HEADER, EXPECTED[1]]


def test_one_file_per_linked_store(engine: Engine, comptoir_home: Path) -> None:
    worked_example(engine)
    with engine.begin() as conn:
        customer(conn, "TBA4", "Client magasin 2", "MAGB2")
    report = run(engine, task("balance-{mag:code}.csv", date="2025-06-30", format="csv",
                              include_zero=True), comptoir_home / "balance")
    assert business(report) == ["Balance clients au 30/06/2025 : 3 clients, débit 120,00 €, "
                                "crédit 130,00 €, solde -10,00 €"]
    produced = files(comptoir_home)
    assert sorted(produced) == ["balance-MAGB1.csv", "balance-MAGB2.csv",
                                "balance-SANS-MAGASIN.csv"]
    assert lines_of(produced["balance-MAGB1.csv"]) == [HEADER, EXPECTED[0]]
    assert lines_of(produced["balance-MAGB2.csv"]) == [
        HEADER, "TBA4;Client magasin 2;;0,00;0,00;0,00"]
    assert lines_of(produced["balance-SANS-MAGASIN.csv"]) == [HEADER, EXPECTED[1]]
    # with stores, only those stores' files
    run(engine, task("only-{mag:code}.pdf", date="2025-06-30", stores=["MAGB1"]),
        comptoir_home / "balance")
    assert sorted(n for n in files(comptoir_home) if n.startswith("only-")) == [
        "only-MAGB1.pdf"]
    text = words(pages_text(comptoir_home / "balance" / "only-MAGB1.pdf")[0])
    assert "Magasin MAGB1 Magasin balance 1" in text and "TBA2" not in text


def test_other_lines_are_not_the_customers_ledger(engine: Engine, comptoir_home: Path) -> None:
    """Lines without a customer, or a customer's line on a non-customer account, are left
    out."""
    worked_example(engine)
    with engine.begin() as conn:
        entry(conn, dt.date(2025, 6, 2), "VT", "TBA2", "706000", "40.00", debit=False,
              other="411000")  # the 411000 counterpart has no customer
    run(engine, task("b.csv", date="2025-06-30", format="csv"), comptoir_home / "balance")
    assert lines_of(files(comptoir_home)["b.csv"]) == [HEADER, *EXPECTED]


def test_an_empty_dossier_writes_no_file(engine: Engine, comptoir_home: Path) -> None:
    report = run(engine, task(date="2025-06-30"), comptoir_home / "balance")
    assert report.level == "info"
    assert business(report) == ["Aucun client à éditer au 30/06/2025 : pas de fichier"]
    assert not (comptoir_home / "balance").exists() or not files(comptoir_home)


def test_bad_input(engine: Engine, comptoir_home: Path) -> None:
    with pytest.raises(ValidationError, match="format csv writes a .csv file"):
        task(format="csv")  # the default name is the PDF's
    with pytest.raises(ValidationError, match="format pdf writes a .pdf file"):
        task("balance.csv")
    with pytest.raises(ValidationError, match="date"):
        task(date="30/06/2025")
    worked_example(engine)
    report = run(engine, task(date="2025-06-30", stores=["MAGB1", "NOPE"]),
                 comptoir_home / "balance")
    assert report.level == "error"
    assert "unknown store code(s) in option stores: NOPE" in report.body
    assert not (comptoir_home / "balance").exists() or not files(comptoir_home)
