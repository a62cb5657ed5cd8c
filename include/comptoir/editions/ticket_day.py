"""The day a POS ticket belongs to, in SQL (spec/retail-tasks.md, "Run date"): the date of
its sales day, else the local date of `issued_at` in the dossier's time zone.

PostgreSQL keeps `issued_at` with its zone and converts it; SQLite keeps the dossier's
wall time (`comptoir.backoffice.dossier_time`), whose date is the local date. One
expression, so an edition aggregates by day in the database whatever the ticket.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Date, cast, func, type_coerce

__all__ = ["ticket_day"]


def ticket_day(conn: Connection, tickets: Any, sales_days: Any) -> Any:
    """`COALESCE(sales_day.date, local date of issued_at)` for `tickets` outer-joined to
    `sales_days` (table or alias objects)."""
    from comptoir.backoffice.dossier_time import dossier_zone

    if conn.dialect.name == "postgresql":
        local = cast(func.timezone(str(dossier_zone(conn)), tickets.c.issued_at), Date)
    else:
        local = type_coerce(func.date(tickets.c.issued_at), Date)
    return func.coalesce(sales_days.c.date, local)
