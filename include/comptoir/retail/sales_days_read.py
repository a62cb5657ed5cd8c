"""What `sales_correction` reads, set-based: the days to update, their lines, the stock.

The statements do not grow with the days or the lines: the days are selected by one
subquery, their clean lines aggregated per (day, article) by one query, the few lines
that need a look (no article nor sub-family, a return keyed positive) read by another,
and the stock of the (article, store) pairs involved in one more. What the remedies need
(kits, the giving depots' stock and the quantities their own pending days will take) is
read for the short articles only, in chunks of `CHUNK` ids.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, not_, select

from comptoir.backoffice.schema import (
    articles,
    bom_lines,
    pos_ticket_lines,
    pos_tickets,
    registers,
    sales_days,
    stock_records,
)

__all__ = ["CHUNK", "Day", "Issue", "Remedies", "Sales", "article_codes", "chunks",
           "read_remedies", "read_sales"]

CHUNK = 5000  # ids per IN (...) list: far below SQLite's (32,766) and PostgreSQL's bind limits
STOCK_KINDS = ("sale", "return", "defective")
RETURN_KINDS = ("return", "defective")
TO_UPDATE = ("pending", "error")
ZERO = Decimal(0)

Pair = tuple[int, int]  # (article id, depot id)


@dataclass(frozen=True, slots=True)
class Day:
    """A sales day to update."""

    id: int
    depot_id: int
    store: str
    store_name: str
    register: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class Issue:
    """A line that needs a look: no article nor sub-family, or a return keyed positive."""

    line_id: int
    ticket_id: int
    ticket_number: int
    line_no: int
    kind: str
    article_id: int | None
    sub_family_id: int | None
    code: str
    quantity: Decimal
    total: Decimal

    @property
    def unknown(self) -> bool:
        return self.article_id is None and self.sub_family_id is None

    @property
    def positive_return(self) -> bool:
        return self.kind in RETURN_KINDS and self.quantity > 0


@dataclass(slots=True)
class Sales:
    """The days to update (store code, date, register code order) and what they hold."""

    days: list[Day]
    net: dict[int, dict[int, Decimal]]  # day → article → net quantity sold (clean lines)
    issues: dict[int, list[Issue]]  # day → its lines that need a look
    found: dict[str, int]  # unknown code → the article that has it now
    stock: dict[Pair, Decimal]


@dataclass(slots=True)
class Remedies:
    """What the remedies of the short articles need."""

    loaded: set[int] = field(default_factory=set)  # the articles read
    kits: dict[int, list[tuple[int, Decimal]]] = field(default_factory=dict)
    bom: dict[int, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)
    stock: dict[Pair, Decimal] = field(default_factory=dict)
    reserved: dict[Pair, Decimal] = field(default_factory=dict)
    """The net quantity the depot's own days still to update (before the run date) take."""


def chunks(ids: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def _selected_days(store_ids: list[int], register_codes: list[str], run_date: dt.date) -> Any:
    sd, r = sales_days.c, registers.c
    query = (select(sd.id).join(registers, r.id == sd.register_id)
             .where(sd.depot_id.in_(store_ids), sd.date < run_date,
                    sd.stock_state.in_(TO_UPDATE)))
    if register_codes:
        query = query.where(r.code.in_(register_codes))
    return query


def _positive_return() -> Any:
    ln = pos_ticket_lines.c
    return and_(ln.kind.in_(RETURN_KINDS), ln.quantity > 0)


def read_sales(conn: Connection, store_ids: list[int], register_codes: list[str],
               run_date: dt.date, store_names: dict[int, tuple[str, str]]) -> Sales:
    """The days to update of the stores (and registers) before `run_date`, and their lines."""
    sd, r, t, ln, a = (sales_days.c, registers.c, pos_tickets.c, pos_ticket_lines.c,
                       articles.c)
    selected = _selected_days(store_ids, register_codes, run_date)
    rows = conn.execute(select(sd.id, sd.depot_id, sd.date, r.code)
                        .join(registers, r.id == sd.register_id)
                        .where(sd.id.in_(selected))).all()
    days = sorted((Day(row.id, row.depot_id, *store_names[row.depot_id], row.code, row.date)
                   for row in rows), key=lambda d: (d.store, d.date, d.register))
    if not days:
        return Sales([], {}, {}, {}, {})
    lines = pos_ticket_lines.join(pos_tickets, t.id == ln.ticket_id)
    net: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for day, article, quantity in conn.execute(
            select(t.sales_day_id, ln.article_id, func.sum(ln.quantity))
            .select_from(lines)
            .where(t.sales_day_id.in_(selected), ln.article_id.is_not(None),
                   ln.kind.in_(STOCK_KINDS), not_(_positive_return()))
            .group_by(t.sales_day_id, ln.article_id)).all():
        net[day][article] = Decimal(quantity)
    issues: dict[int, list[Issue]] = defaultdict(list)
    for row in conn.execute(
            select(t.sales_day_id, ln.id, ln.ticket_id, t.number, ln.line_no, ln.kind,
                   ln.article_id, ln.sub_family_id,
                   func.coalesce(a.code, ln.article_code, "").label("code"), ln.quantity,
                   ln.total_incl_tax)
            .select_from(lines.outerjoin(articles, a.id == ln.article_id))
            .where(t.sales_day_id.in_(selected), ln.kind.in_(STOCK_KINDS),
                   (ln.article_id.is_(None) & ln.sub_family_id.is_(None))
                   | _positive_return())
            .order_by(t.number, ln.line_no)):
        issues[row.sales_day_id].append(Issue(
            row.id, row.ticket_id, row.number, row.line_no, row.kind, row.article_id,
            row.sub_family_id, row.code, Decimal(row.quantity), Decimal(row.total_incl_tax)))
    unknown = {i.code for found in issues.values() for i in found if i.unknown and i.code}
    found: dict[str, int] = {}
    for chunk in chunks(unknown):
        found.update(conn.execute(select(a.code, a.id).where(a.code.in_(chunk))).all())
    s = stock_records.c
    sold = (select(ln.article_id, t.depot_id).join(pos_tickets, t.id == ln.ticket_id)
            .where(t.sales_day_id.in_(selected), ln.article_id.is_not(None))
            .distinct().subquery("sold"))
    stock = {(row.article_id, row.depot_id): Decimal(row.quantity) for row in conn.execute(
        select(s.article_id, s.depot_id, s.quantity)
        .join(sold, (sold.c.article_id == s.article_id) & (sold.c.depot_id == s.depot_id))
    ).all()}
    for chunk in chunks(found.values()):
        stock.update({(row.article_id, row.depot_id): Decimal(row.quantity)
                      for row in conn.execute(
                          select(s.article_id, s.depot_id, s.quantity)
                          .where(s.depot_id.in_(store_ids), s.article_id.in_(chunk))).all()})
    return Sales(days, dict(net), dict(issues), found, stock)


def read_remedies(conn: Connection, remedies: Remedies, short: set[int], store_ids: list[int],
                  givers: list[int], split_kits: bool, run_date: dt.date) -> None:
    """Add to `remedies` what the articles `short` need (their kits, the givers' stock)."""
    new = short - remedies.loaded
    if not new:
        return
    remedies.loaded |= new
    b = bom_lines.c
    kits: set[int] = set()
    if split_kits:
        for chunk in chunks(new):
            for parent, component, quantity in conn.execute(
                    select(b.parent_article_id, b.component_article_id, func.sum(b.quantity))
                    .where(b.kind == "assembly", b.component_article_id.in_(chunk),
                           b.quantity > 0)
                    .group_by(b.parent_article_id, b.component_article_id)):
                remedies.kits.setdefault(component, []).append((parent, Decimal(quantity)))
                kits.add(parent)
        for found in remedies.kits.values():  # the fewest kits: the richest in the article first
            found.sort(key=lambda kit: (-kit[1], kit[0]))
        kits -= set(remedies.bom)
        for chunk in chunks(kits):
            for parent, component, quantity, price in conn.execute(
                    select(b.parent_article_id, b.component_article_id, b.quantity, b.price)
                    .where(b.kind == "assembly", b.parent_article_id.in_(chunk),
                           b.component_article_id.is_not(None), b.quantity > 0)
                    .order_by(b.parent_article_id, b.line_no)):
                remedies.bom.setdefault(parent, []).append(
                    (component, Decimal(quantity), Decimal(price or 0)))
    parts = {c for k in kits for c, _, _ in remedies.bom.get(k, [])}
    # the givers' stock of the short articles; the stores' stock of the kits and parts
    for ids, depots in ((new, givers), (kits | parts, store_ids)):
        if ids and depots:
            _stock(conn, remedies, ids, depots)
    sd, t, ln = sales_days.c, pos_tickets.c, pos_ticket_lines.c
    signed = case((_positive_return(), -ln.quantity), else_=ln.quantity)
    for ids, depots in ((new, givers), (kits, store_ids)):
        if not (ids and depots):
            continue
        for chunk in chunks(ids):
            for depot, article, quantity in conn.execute(
                    select(sd.depot_id, ln.article_id, func.sum(signed))
                    .select_from(pos_ticket_lines.join(pos_tickets, t.id == ln.ticket_id)
                                 .join(sales_days, sd.id == t.sales_day_id))
                    .where(sd.depot_id.in_(depots), sd.date < run_date,
                           sd.stock_state.in_(TO_UPDATE), ln.kind.in_(STOCK_KINDS),
                           ln.article_id.in_(chunk))
                    .group_by(sd.depot_id, ln.article_id)).all():
                remedies.reserved[(article, depot)] = Decimal(quantity)


def _stock(conn: Connection, remedies: Remedies, ids: set[int], depots: list[int]) -> None:
    s = stock_records.c
    for chunk in chunks(ids):
        for article, depot, quantity in conn.execute(
                select(s.article_id, s.depot_id, s.quantity)
                .where(s.depot_id.in_(depots), s.article_id.in_(chunk))).all():
            remedies.stock[(article, depot)] = Decimal(quantity)


def article_codes(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """Article id → code."""
    a = articles.c
    codes: dict[int, str] = {}
    for chunk in chunks(ids):
        codes.update(conn.execute(select(a.id, a.code).where(a.id.in_(chunk))).all())
    return codes
