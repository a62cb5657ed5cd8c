"""The codes a retail type's options name (stores, depots, suppliers), checked at once.

`spec/retail-tasks.md`, "Stores and depots": a code the dossier does not have fails the
run before anything is written, and the message names the codes:
`unknown store code(s) in option stores: NOPE`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, select

from comptoir.errors import ComptoirError

__all__ = ["UnknownCodes", "code_ids", "store_ids"]


class UnknownCodes(ComptoirError):
    """An option names codes the dossier does not have."""


def code_ids(conn: Connection, table: Any, codes: list[str], option: str, what: str,
             *where: ColumnElement[bool]) -> dict[str, int]:
    """Code → id of `codes` in `table` (every row matching `where` when `codes` is empty).

    `UnknownCodes` names the codes not found (`what`: store, depot, supplier).
    """
    query = select(table.c.code, table.c.id).where(*where)
    if codes:
        query = query.where(table.c.code.in_(codes))
    found = {row.code: row.id for row in conn.execute(query)}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise UnknownCodes(f"unknown {what} code(s) in option {option}: {', '.join(missing)}")
    return found


def store_ids(conn: Connection, codes: list[str], option: str = "stores") -> list[int]:
    """The ids of the stores `codes` (empty: every store); a code that is not a store fails."""
    from comptoir.backoffice.schema import depots

    return sorted(code_ids(conn, depots, codes, option, "store",
                           depots.c.is_store.is_(True)).values())
