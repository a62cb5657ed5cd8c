"""Extraction of a register's tickets into a ticket file (`comptoir pos extract`).

On a register dossier: the register's tickets not yet extracted (`--include-extracted`:
all of them, to resend a lost file) — the degraded ones for `degraded`, every ticket of a
sales day up to `until` for `untransferred` — written in ticket then line order into a
ticket file (`.NAME.part`, flushed, renamed). Only then are the tickets marked
(`extracted_at`, `extract_file`), in one transaction: a crash in between resends them,
and the server skips what it already has. Nothing to extract: no file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, Engine, and_, bindparam, select, update

from comptoir.backoffice.dossier_time import dossier_zone
from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    payment_modes,
    pos_ticket_lines,
    pos_ticket_payments,
    pos_tickets,
    registers,
    sales_days,
)
from comptoir.backoffice.settings import get_setting
from comptoir.errors import ComptoirError
from comptoir.pos.report import RunReport
from comptoir.pos.ticket_file import KINDS, write_ticket_file


class ExtractionError(ComptoirError):
    """The extraction cannot run (which register, which kind): nothing written."""


def extract_tickets(engine: Engine, out: Path, *, kind: str = "degraded",
                    store: str | None = None, register: str | None = None,
                    until: dt.date | None = None, include_extracted: bool = False,
                    report: RunReport | None = None, now: dt.datetime | None = None
                    ) -> RunReport:
    """Write the register's tickets to extract into a ticket file in `out` (see above)."""
    report = report or RunReport("pos extract")
    if kind not in KINDS:
        raise ExtractionError(f"--kind {kind!r}: one of {', '.join(sorted(KINDS))}")
    with engine.connect() as conn:
        store = store or get_setting(conn, "pos_store")
        register = register or get_setting(conn, "pos_register")
        if not store or not register:
            raise ExtractionError("which register? give --store and --register, or set "
                                  "pos_store and pos_register (base-files load does)")
        zone = dossier_zone(conn)
        found = conn.execute(select(depots.c.id, registers.c.id).select_from(
            registers.join(depots)).where(depots.c.code == store,
                                          registers.c.code == register)).first()
        if found is None:
            raise ExtractionError(f"register {register} of store {store} is not in this "
                                  "dossier")
        depot_id, register_id = found
        now = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
        until = until or now.date()
        tickets = _tickets(conn, depot_id, register_id, kind, until, include_extracted, zone)
    report.body.update({"file": None, "kind": kind, "store": store, "register": register,
                        "tickets": len(tickets), "first_ticket": None, "last_ticket": None})
    if tickets.empty:
        return report
    ids = [int(i) for i in tickets["id"]]
    with engine.connect() as conn:
        lines, payments = _lines(conn, ids), _payments(conn, ids)
    out.mkdir(parents=True, exist_ok=True)
    rows = tickets[["number", "issued_at", "day", "customer", "total_incl_tax"]].astype(object)
    path = write_ticket_file(out, kind, store, register, rows.where(rows.notna(), None),
                             lines, payments, now)
    with engine.begin() as conn:
        conn.execute(update(pos_tickets).where(pos_tickets.c.id.in_(
            bindparam("ids", expanding=True))).values(
                extracted_at=dt.datetime.now(dt.UTC), extract_file=path.name), {"ids": ids})
    report.body.update({"file": str(path), "first_ticket": int(tickets["number"].min()),
                        "last_ticket": int(tickets["number"].max())})
    return report


def _tickets(conn: Connection, depot_id: int, register_id: int, kind: str, until: dt.date,
             include_extracted: bool, zone: ZoneInfo) -> pd.DataFrame:
    """The tickets to extract, in ticket order, with their file values."""
    query = (select(pos_tickets.c.id, pos_tickets.c.number, pos_tickets.c.issued_at,
                    sales_days.c.date.label("day"), customers.c.code.label("customer"),
                    pos_tickets.c.total_incl_tax)
             .select_from(pos_tickets.outerjoin(sales_days)
                          .outerjoin(customers, customers.c.id == pos_tickets.c.customer_id))
             .where(pos_tickets.c.depot_id == depot_id,
                    pos_tickets.c.register_id == register_id)
             .order_by(pos_tickets.c.number))
    if not include_extracted:
        query = query.where(pos_tickets.c.extracted_at.is_(None))
    if kind == "degraded":
        query = query.where(pos_tickets.c.degraded.is_(True))
    else:
        query = query.where(and_(sales_days.c.date.is_not(None), sales_days.c.date <= until))
    frame = pd.DataFrame(conn.execute(query).all(),
                         columns=["id", "number", "issued_at", "day", "customer",
                                  "total_incl_tax"])
    if frame.empty:
        return frame
    instants = pd.to_datetime(frame["issued_at"], utc=True).dt.tz_convert(zone)
    frame["day"] = frame["day"].where(frame["day"].notna(), instants.dt.date)
    frame["issued_at"] = [moment.isoformat() for moment in instants]
    return frame


def _lines(conn: Connection, ids: list[int]) -> list[tuple[Any, ...]]:
    """The tickets' lines in ticket then line order, as the file writes them."""
    query = (select(pos_tickets.c.number, pos_ticket_lines.c.line_no, pos_ticket_lines.c.kind,
                    articles.c.code, pos_ticket_lines.c.article_code,
                    pos_ticket_lines.c.quantity, pos_ticket_lines.c.unit_price_incl_tax,
                    pos_ticket_lines.c.discount, pos_ticket_lines.c.vat_rate,
                    pos_ticket_lines.c.total_incl_tax, pos_ticket_lines.c.document_ref)
             .select_from(pos_ticket_lines.join(pos_tickets)
                          .outerjoin(articles, articles.c.id == pos_ticket_lines.c.article_id))
             .where(pos_tickets.c.id.in_(bindparam("ids", expanding=True)))
             .order_by(pos_tickets.c.number, pos_ticket_lines.c.line_no))
    return [(number, line, kind, code or typed, qty, unit, disc, rate, total, document)
            for number, line, kind, code, typed, qty, unit, disc, rate, total, document
            in conn.execute(query, {"ids": ids}).all()]


def _payments(conn: Connection, ids: list[int]) -> list[tuple[Any, ...]]:
    """The tickets' payments in ticket then line order, as the file writes them."""
    query = (select(pos_tickets.c.number, pos_ticket_payments.c.line_no, payment_modes.c.code,
                    pos_ticket_payments.c.amount, pos_ticket_payments.c.due_date,
                    pos_ticket_payments.c.reference)
             .select_from(pos_ticket_payments.join(pos_tickets).join(payment_modes))
             .where(pos_tickets.c.id.in_(bindparam("ids", expanding=True)))
             .order_by(pos_tickets.c.number, pos_ticket_payments.c.line_no))
    return [tuple(row) for row in conn.execute(query, {"ids": ids}).all()]
