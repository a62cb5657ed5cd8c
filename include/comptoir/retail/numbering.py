"""Document numbers of the retail task types: `<PREFIX><year>-<6 digits>`.

One counter per prefix and year in `counters` (`numbers.<PREFIX>.<year>`), reserved in the
caller's transaction through `comptoir.imports.loader.reserve_numbers` (`SELECT … FOR
UPDATE` on PostgreSQL; SQLite has one writer at a time): a rolled-back run gives its
numbers back, two runs never get the same one.

Prefixes (contract "Numbers"): `VT` sale movement of a sales day, `AV` sales adjustment,
`TR` transfer, `EC` kit split, `BDD` destruction of defectives, `RFD` return of defectives
to the supplier, `INV` inventory, `CF` purchase order. `CF` continues after the highest
`CF<year>-NNNNNN` already in `purchase_orders` (orders keyed by hand or imported before
the counter existed), so a draft never collides with them.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, func, select

from comptoir.backoffice.schema import counters, purchase_orders
from comptoir.imports.loader import reserve_numbers

__all__ = ["DIGITS", "counter_name", "format_number", "reserve"]

DIGITS = 6
_PREFIX = re.compile(r"[A-Z]{1,10}")
#: prefix → (table, column) whose existing `<PREFIX><year>-` numbers the counter continues
_CONTINUES: dict = {"CF": (purchase_orders, "number")}


def counter_name(prefix: str, year: int) -> str:
    """The `counters` row of a prefix and year: `numbers.<PREFIX>.<year>`."""
    return f"numbers.{prefix}.{year}"


def format_number(prefix: str, year: int, sequence: int) -> str:
    """`<PREFIX><year>-<6 digits>`, e.g. `TR2025-000001`."""
    if not 0 < sequence < 10**DIGITS:
        raise ValueError(f"the numbering {prefix}{year} is exhausted ({sequence} > "
                         f"{10**DIGITS - 1})")
    return f"{prefix}{year}-{sequence:0{DIGITS}d}"


def reserve(conn: Connection, prefix: str, year: int, count: int = 1) -> list[str]:
    """Reserve `count` consecutive numbers of `prefix` for `year` in `conn`'s transaction."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"a number prefix is 1 to 10 capital letters, not {prefix!r}")
    if not 1000 <= year <= 9999:
        raise ValueError(f"a number's year has four digits, not {year!r}")
    if count < 0:
        raise ValueError(f"cannot reserve {count} numbers")
    if count == 0:
        return []
    name = counter_name(prefix, year)
    if prefix in _CONTINUES:
        _continue_after_existing(conn, name, prefix, year)
    first = reserve_numbers(conn, name, count)
    return [format_number(prefix, year, first + i) for i in range(count)]


def _continue_after_existing(conn: Connection, name: str, prefix: str, year: int) -> None:
    """Raise the counter to the highest `<PREFIX><year>-` number already in the dossier."""
    current = reserve_numbers(conn, name, 0) - 1  # locks (or creates) the counter row
    table, column = _CONTINUES[prefix]
    col = table.c[column]
    head = f"{prefix}{year}-"
    pattern = head + "_" * DIGITS
    highest = conn.execute(select(func.max(col)).where(col.like(pattern))).scalar()
    if highest is not None and not highest[len(head):].isdigit():  # a non-numeric suffix
        highest = max((n for n in conn.execute(select(col).where(col.like(pattern))).scalars()
                       if n[len(head):].isdigit()), default=None)
    if highest is None:
        return
    existing = int(highest[len(head):])
    if existing > current:
        conn.execute(counters.update().where(counters.c.name == name).values(value=existing))
