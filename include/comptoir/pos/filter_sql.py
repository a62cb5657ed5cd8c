"""The ticket filters of `pos invoice`, `pos post`, `pos payments` as SQL conditions
(`spec/pos.md`: codes compared as text, ticket numbers as integers), one place for every
step that selects tickets or documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, literal

from comptoir.pos.exact_sql import code_order
from comptoir.pos.filters import Range, TicketFilters


def code_range(conn: Connection, code: Any, bounds: Range) -> list[Any]:
    """Conditions of an inclusive text range on a code column (empty: no condition)."""
    ordered = code_order(conn, code)
    found = []
    if bounds.low is not None:
        found.append(ordered >= code_order(conn, literal(bounds.low, String)))
    if bounds.high is not None:
        found.append(ordered <= code_order(conn, literal(bounds.high, String)))
    return found


def ticket_conditions(conn: Connection, filters: TicketFilters, *, store: Any,
                      register: Any, customer: Any, number: Any) -> list[Any]:
    """The stores, register, customer and ticket-number conditions of `filters` on the
    given columns (`--until` is the caller's: a sales day's date)."""
    found = [store.in_(filters.stores)] if filters.stores else []
    found += code_range(conn, register, filters.registers)
    found += code_range(conn, customer, filters.customers)
    if filters.tickets.low is not None:
        found.append(number >= filters.tickets.low)
    if filters.tickets.high is not None:
        found.append(number <= filters.tickets.high)
    return found
