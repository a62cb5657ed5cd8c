"""`customer_balance` ("Générer la balance clients"): per customer, at a date, the debit,
credit and balance of its ledger (spec/retail-tasks.md).

The ledger is `journal_entry_lines` with a customer, on an account of kind `customer`
(411…, 419…), whose entry is dated on or before the balance date. One aggregate query
(per customer and account, customers outer-joined for `include_zero`), folded into one row
per customer: `account` is the customer account its lines are on, or the accounts joined
by `/` in number order when it has lines on several (`411000/419700`); a customer without
lines shows its own `customers.account`. Sorted by customer code. With `{mag:...}`, one
file per customer's linked store (`customers.store_id`); the customers linked to none go
to the file of the pseudo-store `SANS-MAGASIN` ("Sans magasin"). Writes nothing in the
dossier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import Store
from comptoir.editions.formats import check_extension, per_store
from comptoir.retail.csv_options import CsvOptions, write_csv

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

    from pydantic import BaseModel
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext

__all__ = ["COLUMNS", "NO_STORE", "TASK_TYPE", "Options", "Row", "balance_rows", "run"]

COLUMNS = ("customer", "name", "account", "debit", "credit", "balance")
NO_STORE = Store("SANS-MAGASIN", "Sans magasin")
"""The `{mag:...}` file of the customers linked to no store."""
TITLE = "Balance clients"
ACCOUNTS_JOIN = "/"


class Options(CsvOptions):
    """Options of `customer_balance`."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = Field(
        default=None, title="Balance date",
        description="The lines of the entries dated on or before this day. Empty: the run "
        "date.",
        json_schema_extra={"section": "Scope"})
    include_zero: bool = Field(
        default=False, title="Customers without lines",
        description="Also list the customers with no ledger line (0,00 everywhere).",
        json_schema_extra={"section": "Scope"})
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Only the customers linked to these stores (codes, one per line). "
        "Empty: every customer, linked to a store or not.",
        json_schema_extra={"section": "Scope"})
    format: Literal["pdf", "csv"] = Field(
        default="pdf", title="Format",
        description="pdf: the printable balance with its totals; csv: one row per "
        "customer. The file name's extension must match.",
        json_schema_extra={"section": "File"})


def check(options: BaseModel, filename: str | None) -> None:
    """The file name's extension follows the format."""
    assert isinstance(options, Options)
    check_extension(options.format, filename)


@dataclass
class Row:
    """One customer of the balance; amounts in cents."""

    customer: str
    name: str
    accounts: list[str]
    debit: int
    credit: int
    store: Store | None

    @property
    def balance(self) -> int:
        return self.debit - self.credit

    @property
    def account(self) -> str:
        return ACCOUNTS_JOIN.join(self.accounts)


def euros_of(cents: int) -> Decimal:
    """Cents as an amount with two decimals (`-3000` → `-30.00`)."""
    return Decimal(cents).scaleb(-2)


def balance_rows(conn: Connection, until: dt.date, store_ids: list[int] | None,
                 include_zero: bool, by_store: bool = False) -> Iterator[Row]:
    """The balance's rows: one aggregate query (per customer and account), folded per
    customer; by customer code (by store code first when `by_store`)."""
    from sqlalchemy import case, func, select

    from comptoir.backoffice.schema import accounts as a
    from comptoir.backoffice.schema import customers as c
    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import journal_entries as e
    from comptoir.backoffice.schema import journal_entry_lines as ln
    from comptoir.pos.exact_sql import MONEY, code_order, to_units

    ledger = (select(ln.c.customer_id, a.c.number.label("account"),
                     func.sum(to_units(ln.c.debit, MONEY)).label("debit"),
                     func.sum(to_units(ln.c.credit, MONEY)).label("credit"))
              .select_from(ln.join(e, e.c.id == ln.c.entry_id)
                           .join(a, a.c.id == ln.c.account_id))
              .where(a.c.kind == "customer", ln.c.customer_id.is_not(None), e.c.date <= until)
              .group_by(ln.c.customer_id, a.c.number)
              .subquery("ledger"))
    query = (select(c.c.code, c.c.name, c.c.account.label("own_account"),
                    ledger.c.account, ledger.c.debit, ledger.c.credit,
                    d.c.code.label("store_code"), d.c.name.label("store_name"))
             .select_from(c.outerjoin(ledger, ledger.c.customer_id == c.c.id)
                          .outerjoin(d, d.c.id == c.c.store_id)))
    if store_ids is not None:
        query = query.where(c.c.store_id.in_(store_ids))
    if not include_zero:
        query = query.where(ledger.c.customer_id.is_not(None))
    order: list[Any] = []
    if by_store:  # the customers linked to no store last, as their file's name sorts
        order += [case((d.c.code.is_(None), 1), else_=0), code_order(conn, d.c.code)]
    query = query.order_by(*order, code_order(conn, c.c.code),
                           code_order(conn, func.coalesce(ledger.c.account, "")))
    current: Row | None = None
    for r in conn.execution_options(yield_per=10_000).execute(query):
        if current is None or current.customer != r.code:
            if current is not None:
                yield current
            store = Store(r.store_code, r.store_name) if r.store_code is not None else None
            current = Row(r.code, r.name, [], 0, 0, store)
        if r.account is None:  # no line: the customer's own account
            current.accounts = [r.own_account] if r.own_account else []
            continue
        current.accounts.append(r.account)
        current.debit += int(r.debit or 0)
        current.credit += int(r.credit or 0)
    if current is not None:
        yield current


def csv_rows(rows: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
    """The CSV records of `COLUMNS`."""
    for row in rows:
        yield (row.customer, row.name, row.account, euros_of(row.debit),
               euros_of(row.credit), euros_of(row.balance))


def write_pdf_file(path: Path, company: str, until: dt.date, rows: list[Row],
                   store: Store | None, scope: str) -> int:
    """The printable balance: the table of customers with its totals row; the pages."""
    from comptoir.editions.layout import Unit, fit, heading, table, text, write_pdf
    from comptoir.retail.report_text import day, money, plural

    widths = (22, 55, 26, 24, 24, 24)  # 175 mm: the frame's width less its padding
    body: list[list[str]] = [
        [fit(r.customer, widths[0]), fit(r.name, widths[1]), fit(r.account, widths[2]),
         money(euros_of(r.debit)), money(euros_of(r.credit)), money(euros_of(r.balance))]
        for r in rows]
    debit, credit = sum(r.debit for r in rows), sum(r.credit for r in rows)
    body.append(["Total", plural(len(rows), "client", "clients"), "",
                 money(euros_of(debit)), money(euros_of(credit)),
                 money(euros_of(debit - credit))])
    title = f"{TITLE} au {day(until)}"
    where = (scope if store is None else "Clients rattachés à aucun magasin"
             if store == NO_STORE else f"Magasin {store.code} {store.name}")
    flowables = [heading(title), text(where), text(
        f"Comptes clients (411…, 419…), écritures datées au plus tard du {day(until)} ; "
        "solde = débit − crédit (négatif : créditeur).", size=8),
        table(["Client", "Nom", "Compte", "Débit", "Crédit", "Solde"], body, widths,
              right=(3, 4, 5), totals=1)]
    outline = title if store is None else f"{store.code} {day(until)}"
    return write_pdf(path, TITLE, company, [Unit(outline, flowables)])


def report_line(until: dt.date, rows: list[Row]) -> str:
    """`Balance clients au 30/06/2025 : 2 clients, débit 120,00 €, crédit 130,00 €, solde
    -10,00 €`."""
    from comptoir.retail.report_text import day, euros, plural

    debit, credit = sum(r.debit for r in rows), sum(r.credit for r in rows)
    return (f"{TITLE} au {day(until)} : {plural(len(rows), 'client', 'clients')}, "
            f"débit {euros(euros_of(debit))}, crédit {euros(euros_of(credit))}, "
            f"solde {euros(euros_of(debit - credit))}")


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Read the balance and write it (one file, or one per customer's linked store)."""
    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.settings import get_setting
    from comptoir.retail.report_text import day
    from comptoir.retail.scope import store_ids

    output = TaskOutput()
    by_store = per_store(ctx.filename)
    with ctx.engine.connect() as conn:
        until = options.date or ctx.moment.astimezone(dossier_zone(conn)).date()
        ids = store_ids(conn, options.stores) if options.stores else None
        rows = list(balance_rows(conn, until, ids, options.include_zero, by_store))
        company = get_setting(conn, "company_name") or ""
    if not rows:
        output.summary.append(f"Aucun client à éditer au {day(until)} : pas de fichier")
        return output
    output.summary.append(report_line(until, rows))
    groups: dict[Store | None, list[Row]] = {}
    for row in rows:
        groups.setdefault((row.store or NO_STORE) if by_store else None, []).append(row)
    scope = (f"Magasins : {', '.join(options.stores)}" if options.stores
             else "Tous les clients")
    for index, (store, part) in enumerate(groups.items()):
        path = ctx.work_dir / f"balance-{index}.{options.format}"
        if options.format == "csv":
            write_csv(path, COLUMNS, csv_rows(part), options)
        else:
            write_pdf_file(path, company, until, part, store, scope)
        output.files.append(ProducedFile(path, store, len(part)))
    ctx.log(f"customer balance at {until}: {len(rows)} customer(s), {len(groups)} file(s)")
    return output


TASK_TYPE = TaskType(
    name="customer_balance",
    title="Générer la balance clients",
    category=Category.EDITIONS,
    description=(
        "Per customer, at a date (default: the run date): debit, credit and balance of "
        "its lines on the customer accounts (411…, 419…) of the entries dated up to that "
        "day. PDF with totals, or CSV. With {mag:code} or {mag:name} in the file name, "
        "one file per customer's linked store (SANS-MAGASIN for the customers linked to "
        "none)."
    ),
    options=Options,
    run=run,
    default_filename="balance-clients-{y}{m}{d}.pdf",
    check=check,
)
