"""Receivables ("effets"): what customers owe and what they paid, with their state codes.

`spec/pos.md`: a state code has 3 characters, the last two being the position — `10` due,
`PV` settled at the point of sale (`APV` deposits, `BPV` cards, `CPV` cheques, `EPV` cash),
`30` collected (classic integration). A mode without state code counts as `XPV` (credit
modes `X10`). Kinds: `due` (owed), `payment` (a settled part), `deposit` (a deposit on an
order, open until an invoice uses it).

A posting run works on a `ReceivableBook`: the existing receivables it may change (read
once: the due receivables of the invoices paid at a register, the open deposits of the
orders used) and the ones it adds, all in memory; `save` writes the additions in one bulk
insert and the changes in one executemany.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, bindparam, func, or_, select

from comptoir.backoffice.schema import receivables
from comptoir.imports import loader
from comptoir.pos.exact_sql import MONEY, to_units

OPEN_STATES = ("open", "partially_paid")


def state_of(code: str | None, *, credit: bool) -> str:
    """The state code a mode gives its receivables (`XPV` / `X10` without one)."""
    if code:
        return code[:3]
    return "X10" if credit else "XPV"


def collected_state(code: str | None, *, credit: bool) -> str:
    """Classic integration: a settled part takes `<first letter>30` (`EPV` → `E30`)."""
    return state_of(code, credit=credit)[0] + "30"


@dataclass
class Receivable:
    """One receivable, as it will be written (`id` None: a new one)."""

    customer_id: int
    kind: str
    state_code: str
    cents: int
    due_date: dt.date
    state: str = "open"
    paid_cents: int = 0
    document_id: int | None = None
    payment_mode_id: int | None = None
    reference: str | None = None
    entry_line_id: int | None = None
    id: int | None = None
    changed: bool = False

    @property
    def remaining(self) -> int:
        return self.cents - self.paid_cents


@dataclass
class ReceivableBook:
    """The receivables a run reads, changes and adds."""

    dues: dict[int, list[Receivable]] = field(default_factory=dict)      # by document id
    deposits: dict[str, list[Receivable]] = field(default_factory=dict)  # by order number
    added: list[Receivable] = field(default_factory=list)

    @classmethod
    def load(cls, conn: Connection, document_ids: set[int], orders: set[str], *,
             run_documents: Any = None) -> ReceivableBook:
        """The open due receivables (position 10) of `document_ids` — and of the
        documents `run_documents` selects (a subquery: the run's own, however many) —
        and the open deposits of `orders`, earliest due first."""
        book = cls()
        r = receivables.c
        columns = (r.id, r.customer_id, r.kind, r.state_code, to_units(r.amount, MONEY),
                   to_units(r.paid_amount, MONEY), r.due_date, r.state, r.document_id,
                   r.payment_mode_id, r.reference, r.entry_line_id)
        sources = [r.document_id.in_(sorted(document_ids))] if document_ids else []
        if run_documents is not None:
            sources.append(r.document_id.in_(run_documents))
        if sources:
            rows = conn.execute(
                select(*columns)
                .where(or_(*sources), r.kind == "due",
                       func.substr(r.state_code, 2, 2) == "10", r.state.in_(OPEN_STATES))
                .order_by(r.due_date, r.id))
            for row in rows:
                book.dues.setdefault(row.document_id, []).append(_read(row))
        if orders:
            rows = conn.execute(
                select(*columns)
                .where(r.reference.in_(sorted(orders)), r.kind == "deposit",
                       r.state.in_(OPEN_STATES))
                .order_by(r.due_date, r.id))
            for row in rows:
                book.deposits.setdefault(row.reference, []).append(_read(row))
        return book

    def add(self, receivable: Receivable) -> Receivable:
        self.added.append(receivable)
        if receivable.kind == "due" and receivable.document_id is not None \
                and receivable.state_code[1:] == "10" and receivable.state in OPEN_STATES:
            self.dues.setdefault(receivable.document_id, []).append(receivable)
        if receivable.kind == "deposit" and receivable.reference:
            self.deposits.setdefault(receivable.reference, []).append(receivable)
        return receivable

    def split_due(self, document_id: int, cents: int) -> int:
        """Take `cents` off the document's open due receivables, earliest first: each is
        reduced by what it takes (at 0.00 it is `paid`). Returns what none took."""
        rest = cents
        for due in self.dues.get(document_id, []):
            if rest <= 0:
                break
            if due.state not in OPEN_STATES or due.remaining <= 0:
                continue
            taken = min(due.remaining, rest)
            due.cents -= taken
            rest -= taken
            due.changed = True
            if due.remaining == 0:
                due.state = "paid"
        return rest

    def consume_deposit(self, order: str, cents: int) -> int:
        """A deposit-mode payment uses the order's open deposits; returns what is beyond."""
        rest = cents
        for deposit in self.deposits.get(order, []):
            if rest <= 0:
                break
            if deposit.state not in OPEN_STATES or deposit.remaining <= 0:
                continue
            taken = min(deposit.remaining, rest)
            deposit.paid_cents += taken
            rest -= taken
            deposit.changed = True
            deposit.state = "paid" if deposit.remaining == 0 else "partially_paid"
        return rest

    def save(self, conn: Connection) -> int:
        """Write the changes and the additions; the number of receivables created."""
        changed = [r for group in (*self.dues.values(), *self.deposits.values())
                   for r in group if r.changed and r.id is not None]
        if changed:
            statement = (receivables.update()
                         .where(receivables.c.id == bindparam("_id"))
                         .values(amount=bindparam("_amount"), paid_amount=bindparam("_paid"),
                                 state=bindparam("_state")))
            conn.execute(statement, [{"_id": r.id, "_amount": _decimal(r.cents),
                                      "_paid": _decimal(r.paid_cents), "_state": r.state}
                                     for r in {id(r): r for r in changed}.values()])
        if self.added:
            new = self.added
            loader.insert(conn, receivables, pd.DataFrame({
                "customer_id": [r.customer_id for r in new],
                "document_id": pd.array([r.document_id for r in new], dtype="Int64"),
                "payment_mode_id": pd.array([r.payment_mode_id for r in new], dtype="Int64"),
                "kind": [r.kind for r in new],
                "state_code": [r.state_code for r in new],
                "amount": pd.array([r.cents for r in new], dtype="Int64"),
                "paid_amount": pd.array([r.paid_cents for r in new], dtype="Int64"),
                "due_date": pd.to_datetime([r.due_date for r in new]),
                "state": [r.state for r in new],
                "reference": pd.Series([r.reference for r in new], dtype="object"),
                "entry_line_id": pd.array([r.entry_line_id for r in new], dtype="Int64"),
            }), {"amount": MONEY, "paid_amount": MONEY})
        return len(self.added)


def _read(row) -> Receivable:  # type: ignore[no-untyped-def]
    return Receivable(customer_id=row.customer_id, kind=row.kind, state_code=row.state_code,
                      cents=int(row[4]), paid_cents=int(row[5]), due_date=row.due_date,
                      state=row.state, document_id=row.document_id,
                      payment_mode_id=row.payment_mode_id, reference=row.reference,
                      entry_line_id=row.entry_line_id, id=row.id)


def _decimal(cents: int):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    return Decimal(cents).scaleb(-MONEY)
