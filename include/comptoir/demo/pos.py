"""Point-of-sale demo data: the counter customer, the registers' journals, and the degraded
tickets a register dossier holds until they are extracted (spec/pos.md).

`write_degraded_tickets` reads everything it needs from the dossier it writes to (store,
register, articles with their VAT codes, customers, payment modes), so it fills the server's
demo dossier and a register dossier loaded from base files alike.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection, and_, func, select

from comptoir.backoffice import schema as s
from comptoir.backoffice.dossier_time import dossier_zone
from comptoir.demo.reference import DEFAULT_SEED
from comptoir.errors import ComptoirError

#: The customer of anonymous tickets ("client comptoir"), named by `pos_counter_customer`.
COUNTER_CUSTOMER = {"code": "COMPTOIR", "name": "Client comptoir"}
#: Payment modes the degraded tickets use (codes of `reference.PAYMENT_MODES`).
CASH, CARD, CHEQUE, CREDIT, DELIVERY_NOTE = "ESP", "CB", "CHQ", "CRED", "BLC"
MODES = (CASH, CARD, CHEQUE, CREDIT, DELIVERY_NOTE)
#: The first tickets of every call, in this order, so each case is always there.
SCRIPTED = ("cash", "delivery_note", "return", "credit", "split")
CENT = Decimal("0.01")
OPENING, OPEN_SECONDS = time(9, 0), 10 * 3600
T = TypeVar("T")


class DemoPosError(ComptoirError):
    """The dossier lacks what the demo's degraded tickets need."""


@dataclass(frozen=True)
class DegradedTickets:
    """What `write_degraded_tickets` wrote."""

    store: str
    register: str
    day: date
    first: int
    last: int
    count: int
    total_incl_tax: Decimal


def register_rows(depot_id: int, store: str, city: str, registers: int) -> list[dict[str, Any]]:
    """The registers of a store: `C<k>`, number k, treasury journal store + register."""
    return [{"depot_id": depot_id, "code": f"C{k}", "name": f"Caisse {k} {city}", "number": k,
             "journal_code": f"{store}C{k}"} for k in range(1, registers + 1)]


def journal_rows(registers: list[dict[str, Any]], store_names: dict[int, str]
                 ) -> list[dict[str, Any]]:
    """One cash journal per register's `journal_code`."""
    return [{"code": r["journal_code"], "kind": "cash",
             "name": f"Caisse {r['number']} {store_names[r['depot_id']]}"} for r in registers]


def line_total(quantity: Decimal, unit: Decimal, discount: Decimal) -> Decimal:
    """quantity x unit price x (1 - discount %), to the cent, half away from zero."""
    return (quantity * unit * (100 - discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def write_degraded_tickets(conn: Connection, store: str, register: str, count: int, day: date,
                           *, seed: int = DEFAULT_SEED) -> DegradedTickets:
    """Write `count` degraded tickets of `day` on a register, numbered after its last ticket.

    Deterministic for (seed, store, register, day). The first five are, in order: anonymous
    paid in cash, a named customer on the delivery-note mode, a return refunded in cash, a
    credit sale, a cash + card split; the others are drawn (a quarter with a named customer).
    Lines carry the article's VAT code and rate; lines and payments add up to each total.
    """
    if count < 1:
        raise DemoPosError(f"count must be 1 or more, not {count}")
    depot_id, register_id = _register(conn, store, register)
    articles = _articles(conn)
    customers = conn.execute(
        select(s.customers.c.id).where(s.customers.c.code != COUNTER_CUSTOMER["code"])
        .order_by(s.customers.c.code).limit(200)).scalars().all()
    if not customers:
        raise DemoPosError("the dossier has no customer to name on tickets")
    modes = _modes(conn)
    zone = dossier_zone(conn)
    sales_day = _sales_day(conn, depot_id, register_id, day)
    first = 1 + (conn.execute(
        select(func.max(s.pos_tickets.c.number))
        .where(s.pos_tickets.c.depot_id == depot_id, s.pos_tickets.c.register_id == register_id)
    ).scalar_one() or 0)
    rng = np.random.default_rng([seed, zlib.crc32(f"{store}/{register}".encode()),
                                 day.toordinal()])
    opening = datetime.combine(day, OPENING, tzinfo=zone)
    seconds = np.sort(rng.integers(0, OPEN_SECONDS, count)).tolist()
    tickets, lines, payments = [], [], []
    for i in range(count):
        role = SCRIPTED[i] if i < len(SCRIPTED) else _drawn_role(rng)
        named = role in ("delivery_note", "credit") or (
            role in ("card", "cheque") and rng.random() < 0.25)
        ticket_lines = _lines(rng, articles, role)
        total = sum((line["total_incl_tax"] for line in ticket_lines), Decimal(0))
        tickets.append({
            "depot_id": depot_id, "register_id": register_id, "number": first + i,
            "issued_at": (opening + timedelta(seconds=seconds[i])).astimezone(UTC),
            "sales_day_id": sales_day,
            "customer_id": _pick(rng, customers) if named else None, "degraded": True,
            "total_incl_tax": total})
        lines.append(ticket_lines)
        payments.append(_payments(rng, role, total, day))
    conn.execute(s.pos_tickets.insert(), tickets)
    ids = dict(conn.execute(
        select(s.pos_tickets.c.number, s.pos_tickets.c.id).where(
            s.pos_tickets.c.depot_id == depot_id, s.pos_tickets.c.register_id == register_id,
            s.pos_tickets.c.number.between(first, first + count - 1))).all())
    conn.execute(s.pos_ticket_lines.insert(), [
        line | {"ticket_id": ids[t["number"]], "line_no": no}
        for t, ticket_lines in zip(tickets, lines, strict=True)
        for no, line in enumerate(ticket_lines, 1)])
    conn.execute(s.pos_ticket_payments.insert(), [
        {"ticket_id": ids[t["number"]], "line_no": no, "payment_mode_id": modes[mode],
         "amount": amount, "due_date": due, "reference": None}
        for t, parts in zip(tickets, payments, strict=True)
        for no, (mode, amount, due) in enumerate(parts, 1)])
    return DegradedTickets(store, register, day, first, first + count - 1, count,
                           sum((t["total_incl_tax"] for t in tickets), Decimal(0)))


def _register(conn: Connection, store: str, register: str) -> tuple[int, int]:
    found = conn.execute(
        select(s.depots.c.id, s.registers.c.id)
        .join(s.registers, s.registers.c.depot_id == s.depots.c.id)
        .where(s.depots.c.code == store, s.registers.c.code == register)).first()
    if found is None:
        raise DemoPosError(f"no register {register} in store {store}")
    return found[0], found[1]


def _articles(conn: Connection) -> list[tuple[int, str, Decimal, int, Decimal]]:
    """(id, code, unit price incl. VAT, VAT code id, rate) of the sellable articles."""
    rows = conn.execute(
        select(s.articles.c.id, s.articles.c.code, s.articles.c.sale_price,
               s.vat_codes.c.id, s.vat_codes.c.rate)
        .join(s.vat_codes, s.vat_codes.c.id == s.articles.c.vat_code_id)
        .where(s.articles.c.active.is_(True), s.articles.c.sale_price > 0)
        .order_by(s.articles.c.code).limit(500)).all()
    if not rows:
        raise DemoPosError("the dossier has no active article with a price and a VAT code")
    return [(a, code, (price * (100 + rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP),
             vat, rate) for a, code, price, vat, rate in rows]


def _modes(conn: Connection) -> dict[str, int]:
    modes = dict(conn.execute(select(s.payment_modes.c.code, s.payment_modes.c.id)
                              .where(s.payment_modes.c.code.in_(MODES))).all())
    missing = [m for m in MODES if m not in modes]
    if missing:
        raise DemoPosError(f"payment modes missing from the dossier: {', '.join(missing)}")
    return modes


def _sales_day(conn: Connection, depot_id: int, register_id: int, day: date) -> int:
    where = and_(s.sales_days.c.register_id == register_id, s.sales_days.c.date == day)
    found = conn.execute(select(s.sales_days.c.id).where(where)).scalar_one_or_none()
    if found is not None:
        return found
    return conn.execute(s.sales_days.insert().values(
        depot_id=depot_id, register_id=register_id, date=day, status="open",
    )).inserted_primary_key[0]


def _pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def _drawn_role(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.03:
        return "return"
    if r < 0.08:
        return "split"
    if r < 0.15:
        return "cheque"
    return "cash" if r < 0.45 else "card"


def _lines(rng: np.random.Generator, articles: list[tuple[int, str, Decimal, int, Decimal]],
           role: str) -> list[dict[str, Any]]:
    picked = [_pick(rng, articles)
              for _ in range(1 if role == "return" else int(rng.integers(1, 5)))]
    lines = []
    for article_id, code, unit, vat_id, rate in picked:
        if role == "return":
            kind, quantity, discount = "return", Decimal(-1), Decimal(0)
        else:
            kind = "sale"
            quantity = Decimal(1 if rng.random() < 0.75 else int(rng.integers(2, 5)))
            discount = Decimal(_pick(rng, (10, 20)) if rng.random() < 0.08 else 0)
        lines.append({
            "kind": kind, "article_id": article_id, "article_code": code, "quantity": quantity,
            "unit_price_incl_tax": unit, "discount": discount or None, "vat_rate": rate,
            "vat_code_id": vat_id, "total_incl_tax": line_total(quantity, unit, discount),
            "sub_family_id": None, "document_ref": None})
    return lines


def _payments(rng: np.random.Generator, role: str, total: Decimal, day: date
              ) -> list[tuple[str, Decimal, date | None]]:
    """(mode, amount, due date) parts that add up to `total` exactly."""
    if role == "delivery_note":
        return [(DELIVERY_NOTE, total, None)]
    if role == "credit":
        return [(CREDIT, total, day + timedelta(days=30))]
    if role == "split" and total >= 2:
        cash = min(Decimal(int(rng.integers(1, 5)) * 5), (total / 2).quantize(CENT))
        return [(CASH, cash, None), (CARD, total - cash, None)]
    if role == "cheque":
        return [(CHEQUE, total, None)]
    return [(CARD if role == "card" else CASH, total, None)]
