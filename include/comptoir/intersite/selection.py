"""Which purchase orders go to the central base (the seed's "Afficher"), with their totals.

Default: orders `confirmed`, never sent (`sent_at` empty); `include_all`: every order
(drafts and orders already sent too). Dates are inclusive bounds on the order date;
`follow_up` keeps the orders a user follows; `suppliers` names the suppliers, else every
supplier with an order address. Line total = quantity × unit price half-up to the cent;
VAT per rate of the articles' VAT codes, half-up, on each rate's sum.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, and_, select, true

from comptoir.backoffice.dossier_time import aware, dossier_zone
from comptoir.backoffice.schema import (
    articles,
    depots,
    purchase_order_lines,
    purchase_orders,
    suppliers,
    vat_codes,
)
from comptoir.backoffice.totals import line_total_cents, tax_cents
from comptoir.errors import ComptoirError
from comptoir.intersite.suppliers import supplier_id

__all__ = ["OrderLine", "SelectedOrder", "Selection", "SelectionError", "parse_day",
           "select_orders"]

CENTS = Decimal("0.01")


class SelectionError(ComptoirError):
    """A selection that cannot be made: a bad date."""


def parse_day(text: str, option: str) -> dt.date:
    """`DD/MM/YYYY` or `YYYY-MM-DD` as a date; `SelectionError` naming `option` otherwise."""
    import pandas as pd

    from comptoir.imports.values import parse_date

    parsed = parse_date(pd.Series([text.strip()], dtype="object")).iloc[0]
    if pd.isna(parsed):
        raise SelectionError(f"{option}: {text!r} is not a date (DD/MM/YYYY or YYYY-MM-DD)")
    return parsed.date()


@dataclass(frozen=True)
class Selection:
    """The selection options of `comptoir intersite orders` and `send`."""

    suppliers: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    follow_up: str | None = None
    include_all: bool = False


@dataclass(frozen=True)
class OrderLine:
    """One line of a selected order (amounts as stored: quantity 3 decimals, price 4)."""

    line_no: int
    article: str | None
    description: str | None
    quantity: Decimal
    unit_price: Decimal | None


@dataclass
class SelectedOrder:
    """One purchase order of the selection, its lines and totals."""

    id: int
    number: str
    date: dt.date
    supplier: str
    supplier_name: str
    status: str
    sent_at: dt.datetime | None
    follow_up_user: str | None
    reference: str | None
    depot: str | None
    lines: list[OrderLine] = field(default_factory=list)
    total_excl_tax: Decimal = Decimal("0.00")
    total_incl_tax: Decimal = Decimal("0.00")

    def listing(self) -> dict[str, Any]:
        """The order as `comptoir intersite orders --json` prints it."""
        return {"number": self.number, "date": self.date.isoformat(),
                "supplier": self.supplier, "status": self.status,
                "sent_at": None if self.sent_at is None else self.sent_at.isoformat(),
                "follow_up_user": self.follow_up_user, "reference": self.reference,
                "lines": len(self.lines), "total_excl_tax": str(self.total_excl_tax),
                "total_incl_tax": str(self.total_incl_tax)}


def _conditions(conn: Connection, selection: Selection) -> ColumnElement[bool]:
    po = purchase_orders.c
    where: list[ColumnElement[bool]] = []
    if not selection.include_all:
        where += [po.status == "confirmed", po.sent_at.is_(None)]
    if selection.date_from is not None:
        where.append(po.date >= selection.date_from)
    if selection.date_to is not None:
        where.append(po.date <= selection.date_to)
    if selection.follow_up is not None:
        where.append(po.follow_up_user == selection.follow_up)
    if selection.suppliers:
        ids = sorted({supplier_id(conn, code) for code in selection.suppliers})
        where.append(po.supplier_id.in_(ids))
    else:
        where += [suppliers.c.intersite_email.is_not(None), suppliers.c.intersite_email != ""]
    return and_(true(), *where)


def select_orders(conn: Connection, selection: Selection) -> list[SelectedOrder]:
    """The selected orders by supplier, date, number, with their lines and totals.

    `SupplierError` when a supplier named is unknown.
    """
    po = purchase_orders.c
    condition = _conditions(conn, selection)
    heads = conn.execute(
        select(po.id, po.number, po.date, suppliers.c.code, suppliers.c.name, po.status,
               po.sent_at, po.follow_up_user, po.reference, depots.c.code)
        .join(suppliers, suppliers.c.id == po.supplier_id)
        .outerjoin(depots, depots.c.id == po.depot_id)
        .where(condition)
        .order_by(suppliers.c.code, po.date, po.number)).all()
    zone = dossier_zone(conn)  # SQLite keeps no offset: a naive moment is the dossier's
    orders = {row[0]: SelectedOrder(*row[:6], aware(row[6], zone), *row[7:]) for row in heads}
    if not orders:
        return []
    lines = purchase_order_lines.c
    rows = conn.execute(
        select(lines.order_id, lines.line_no, articles.c.code, lines.description,
               lines.quantity, lines.unit_price, vat_codes.c.rate)
        .select_from(purchase_order_lines)
        .join(purchase_orders, purchase_orders.c.id == lines.order_id)
        .join(suppliers, suppliers.c.id == po.supplier_id)
        .outerjoin(articles, articles.c.id == lines.article_id)
        .outerjoin(vat_codes, vat_codes.c.id == articles.c.vat_code_id)
        .where(condition)
        .order_by(lines.order_id, lines.line_no, lines.id)).all()
    for order_id, line_no, article, description, quantity, price, _rate in rows:
        orders[order_id].lines.append(OrderLine(line_no, article, description,
                                                Decimal(quantity), price))
    _totals(orders, rows)
    return list(orders.values())


def _scaled(values: Sequence[Decimal | None], scale: int) -> np.ndarray:
    return np.array([0 if v is None else int(Decimal(v).scaleb(scale).to_integral_value())
                     for v in values], dtype=object)


def _totals(orders: dict[int, SelectedOrder], rows: Sequence[Any]) -> None:
    """Set each order's totals (integer cents; quantity 10³, price 10⁴, rate 10³)."""
    if not rows:
        return
    _, _, _, _, quantities, prices, rates = zip(*rows, strict=True)
    line_cents = line_total_cents(_scaled(quantities, 3), _scaled(prices, 4))
    bases: dict[tuple[int, int], int] = defaultdict(int)
    for row, cents, rate in zip(rows, line_cents, _scaled(rates, 3), strict=True):
        bases[(row[0], rate)] += int(cents)
    excl: dict[int, int] = defaultdict(int)
    tax: dict[int, int] = defaultdict(int)
    keys = list(bases)
    base_cents = np.array([bases[key] for key in keys], dtype=object)
    taxes = tax_cents(base_cents, np.array([rate for _, rate in keys], dtype=object))
    for (order_id, _), base, amount in zip(keys, base_cents, taxes, strict=True):
        excl[order_id] += int(base)
        tax[order_id] += int(amount)
    for order_id, order in orders.items():
        order.total_excl_tax = Decimal(excl[order_id]).scaleb(-2).quantize(CENTS)
        order.total_incl_tax = Decimal(excl[order_id] + tax[order_id]).scaleb(-2).quantize(CENTS)
