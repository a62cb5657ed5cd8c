"""`pos tickets`: the dossier's tickets, one row each, with the document that invoiced them.

Columns (`spec/pos.md`, commands table): `store;register;ticket;day;customer;degraded;
total_incl_tax;received_at;document;document_type;posted`. `customer` is empty for an
anonymous ticket; `document` is empty until the ticket is invoiced (and stays empty for a
ticket without sales part); `posted` says whether its sales and payments were posted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select

from comptoir.backoffice.schema import (
    customers,
    depots,
    pos_tickets,
    registers,
    sales_days,
    sales_documents,
)
from comptoir.pos.exact_sql import code_order
from comptoir.pos.filters import Range

TICKET_COLUMNS = ("store", "register", "ticket", "day", "customer", "degraded",
                  "total_incl_tax", "received_at", "document", "document_type", "posted")


def ticket_rows(conn: Connection, *, store: str | None = None, register: str | None = None,
                tickets: Range | None = None) -> Iterator[dict[str, Any]]:
    """The tickets, by store, register and number; streamed, values as the database has them."""
    t, tickets = pos_tickets, tickets or Range()
    query = (
        select(depots.c.code.label("store"), registers.c.code.label("register"),
               t.c.number.label("ticket"), sales_days.c.date.label("day"),
               customers.c.code.label("customer"), t.c.degraded, t.c.total_incl_tax,
               t.c.received_at, sales_documents.c.number.label("document"),
               sales_documents.c.type.label("document_type"),
               t.c.posted_at.is_not(None).label("posted"))
        .select_from(t.join(depots, depots.c.id == t.c.depot_id)
                     .join(registers, registers.c.id == t.c.register_id)
                     .outerjoin(sales_days, sales_days.c.id == t.c.sales_day_id)
                     .outerjoin(customers, customers.c.id == t.c.customer_id)
                     .outerjoin(sales_documents,
                                sales_documents.c.id == t.c.integrated_document_id))
        .order_by(code_order(conn, depots.c.code), code_order(conn, registers.c.code),
                  t.c.number))
    if store is not None:
        query = query.where(depots.c.code == store)
    if register is not None:
        query = query.where(registers.c.code == register)
    if tickets.low is not None:
        query = query.where(t.c.number >= tickets.low)
    if tickets.high is not None:
        query = query.where(t.c.number <= tickets.high)
    for row in conn.execution_options(yield_per=10_000).execute(query):
        values = row._asdict()
        values["degraded"], values["posted"] = bool(values["degraded"]), bool(values["posted"])
        yield values
