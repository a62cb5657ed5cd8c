"""The accounting listings: balance, lettering, receivables (`spec/pos.md`, commands table).

One grouped or joined query each; amounts are summed as integer cents in SQL (exact on
SQLite and PostgreSQL) and come back as `Decimal`. The CLI prints the records as CSV or
JSON (`comptoir.cli.csv_listing`); the `*_AMOUNTS` columns are written with 2 decimals.

- **balance** `account;name;debit;credit;balance`: per account with lines in the period
  (entry dates), Σ debits, Σ credits, debit − credit; by account number; then a `TOTAL`
  record (empty name). Balanced when Σ debit = Σ credit.
- **lettering** `account;customer;document_ref;journal;entry;line;date;debit;credit;
  lettering_code;lettered_on`: every line of a lettrable account, lettered or not, with the
  document reference lettering groups by (the line's, else its entry's, else the entry
  number), by account, customer, reference, date, entry and line.
- **receivables** `customer;document;kind;state_code;position;state;amount;paid_amount;
  remaining;due_date;payment_mode;reference`: `position` is the last two characters of the
  state code, `remaining` = amount − paid amount; by customer, document, due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from comptoir.backoffice.schema import (
    accounts,
    customers,
    journal_entries,
    journal_entry_lines,
    journals,
    payment_modes,
    receivables,
    sales_documents,
)
from comptoir.pos.exact_sql import MONEY, code_order, to_units

__all__ = [
    "BALANCE_AMOUNTS", "BALANCE_COLUMNS", "LETTERING_AMOUNTS", "LETTERING_COLUMNS",
    "RECEIVABLE_AMOUNTS", "RECEIVABLE_COLUMNS", "Balance", "balance", "lettering_rows",
    "receivable_rows",
]

BALANCE_COLUMNS = ("account", "name", "debit", "credit", "balance")
BALANCE_AMOUNTS = ("debit", "credit", "balance")
LETTERING_COLUMNS = ("account", "customer", "document_ref", "journal", "entry", "line", "date",
                     "debit", "credit", "lettering_code", "lettered_on")
LETTERING_AMOUNTS = ("debit", "credit")
RECEIVABLE_COLUMNS = ("customer", "document", "kind", "state_code", "position", "state",
                      "amount", "paid_amount", "remaining", "due_date", "payment_mode",
                      "reference")
RECEIVABLE_AMOUNTS = ("amount", "paid_amount", "remaining")
CLOSED_STATES = ("paid", "cancelled")
_CHUNK = 10_000


def _euros(cents: Any) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-MONEY)


@dataclass
class Balance:
    """The balance's records (accounts, then `TOTAL`) and whether it balances."""

    records: list[dict[str, Any]]
    balanced: bool


def balance(conn: Connection, *, start: dt.date | None = None, until: dt.date | None = None
            ) -> Balance:
    """Σ debit, Σ credit and their difference per account, entries dated start..until."""
    e, ln, a = journal_entries, journal_entry_lines, accounts
    debit = func.sum(to_units(ln.c.debit, MONEY))
    credit = func.sum(to_units(ln.c.credit, MONEY))
    query = (select(a.c.number, a.c.name, debit, credit)
             .select_from(ln.join(e, e.c.id == ln.c.entry_id)
                          .join(a, a.c.id == ln.c.account_id))
             .group_by(a.c.number, a.c.name)
             .order_by(code_order(conn, a.c.number)))
    if start is not None:
        query = query.where(e.c.date >= start)
    if until is not None:
        query = query.where(e.c.date <= until)
    records, total_debit, total_credit = [], 0, 0
    for number, name, debits, credits in conn.execute(query):
        debits, credits = int(debits or 0), int(credits or 0)
        total_debit += debits
        total_credit += credits
        records.append({"account": number, "name": name, "debit": _euros(debits),
                        "credit": _euros(credits), "balance": _euros(debits - credits)})
    records.append({"account": "TOTAL", "name": "", "debit": _euros(total_debit),
                    "credit": _euros(total_credit),
                    "balance": _euros(total_debit - total_credit)})
    return Balance(records, total_debit == total_credit)


def lettering_rows(conn: Connection, *, account: str | None = None,
                   customer: str | None = None) -> Iterator[dict[str, Any]]:
    """The lines of lettrable accounts with their lettering; streamed."""
    e, ln, a, c, j = journal_entries, journal_entry_lines, accounts, customers, journals
    reference = func.coalesce(ln.c.document_ref, e.c.document_ref, e.c.number)
    query = (
        select(a.c.number.label("account"), c.c.code.label("customer"),
               reference.label("document_ref"), j.c.code.label("journal"),
               e.c.number.label("entry"), ln.c.line_no.label("line"), e.c.date,
               to_units(ln.c.debit, MONEY).label("debit"),
               to_units(ln.c.credit, MONEY).label("credit"), ln.c.lettering_code,
               ln.c.lettered_on)
        .select_from(ln.join(e, e.c.id == ln.c.entry_id).join(j, j.c.id == e.c.journal_id)
                     .join(a, a.c.id == ln.c.account_id)
                     .outerjoin(c, c.c.id == ln.c.customer_id))
        .where(a.c.lettrable.is_(True))
        .order_by(code_order(conn, a.c.number), code_order(conn, func.coalesce(c.c.code, "")),
                  code_order(conn, reference), e.c.date, code_order(conn, e.c.number),
                  ln.c.line_no))
    if account is not None:
        query = query.where(a.c.number == account)
    if customer is not None:
        query = query.where(c.c.code == customer)
    for row in conn.execution_options(yield_per=_CHUNK).execute(query):
        values = row._asdict()
        values["debit"], values["credit"] = _euros(row.debit), _euros(row.credit)
        yield values


def receivable_rows(conn: Connection, *, customer: str | None = None,
                    document: str | None = None, open_only: bool = False
                    ) -> Iterator[dict[str, Any]]:
    """The receivables with what is left to pay; streamed."""
    r, c, d, m = receivables, customers, sales_documents, payment_modes
    amount, paid = to_units(r.c.amount, MONEY), to_units(r.c.paid_amount, MONEY)
    query = (
        select(c.c.code.label("customer"), d.c.number.label("document"), r.c.kind,
               r.c.state_code, r.c.state, amount.label("amount"), paid.label("paid_amount"),
               r.c.due_date, m.c.code.label("payment_mode"), r.c.reference)
        .select_from(r.join(c, c.c.id == r.c.customer_id)
                     .outerjoin(d, d.c.id == r.c.document_id)
                     .outerjoin(m, m.c.id == r.c.payment_mode_id))
        .order_by(code_order(conn, c.c.code), code_order(conn, func.coalesce(d.c.number, "")),
                  r.c.due_date, r.c.id))
    if customer is not None:
        query = query.where(c.c.code == customer)
    if document is not None:
        query = query.where(d.c.number == document)
    if open_only:
        query = query.where(r.c.state.not_in(CLOSED_STATES))
    for row in conn.execution_options(yield_per=_CHUNK).execute(query):
        yield {"customer": row.customer, "document": row.document, "kind": row.kind,
               "state_code": row.state_code, "position": row.state_code[-2:],
               "state": row.state, "amount": _euros(row.amount),
               "paid_amount": _euros(row.paid_amount),
               "remaining": _euros(int(row.amount) - int(row.paid_amount)),
               "due_date": row.due_date, "payment_mode": row.payment_mode,
               "reference": row.reference}
