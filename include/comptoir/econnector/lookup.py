"""Bulk look-ups of a file's codes in the dossier: a few statements, never one per row.

Up to `BULK` distinct values, `IN (...)` lists of `CHUNK` values; above, the values go into
a temporary table (COPY on PostgreSQL) joined once: a re-run of a file of 100,000
documents looks its 100,000 origins up in one statement instead of 50.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    select,
    text,
)

from comptoir.imports import loader

__all__ = ["BULK", "CHUNK", "lookup"]

#: Values per `IN (...)` statement (under every driver's parameter limit).
CHUNK = 2000
#: Above this many distinct values, a temporary table joined once.
BULK = 20_000

_names = itertools.count(1)


def lookup(conn: Connection, key: Any, value: Any, wanted: Iterable[Any],
           *where: ColumnElement[bool]) -> dict[Any, Any]:
    """`key → value` of the rows whose `key` is among `wanted` (and `where`)."""
    if isinstance(wanted, pd.Series):  # a column: its distinct values, nulls left out
        wanted = wanted.dropna().unique().tolist()
    distinct = sorted({w.item() if hasattr(w, "item") else w
                       for w in wanted if w is not None and not pd.isna(w)})
    if len(distinct) > BULK:
        return _joined(conn, key, value, distinct, where)
    found: dict[Any, Any] = {}
    for start in range(0, len(distinct), CHUNK):
        chunk = distinct[start:start + CHUNK]
        rows = conn.execute(select(key, value).where(key.in_(chunk), *where))
        found.update({row[0]: row[1] for row in rows})
    return found


def _joined(conn: Connection, key: Any, value: Any, distinct: list[Any],
            where: tuple[ColumnElement[bool], ...]) -> dict[Any, Any]:
    """The look-up through a temporary table of the wanted values, dropped afterwards."""
    kind = Text() if isinstance(key.type, String) else key.type  # values may be too long
    wanted = Table(f"econnector_wanted_{next(_names)}", MetaData(), Column("value", kind),
                   prefixes=["TEMPORARY"])
    wanted.create(conn)
    try:
        loader.insert(conn, wanted, pd.DataFrame({"value": distinct}))
        if loader.is_postgres(conn):
            conn.execute(text(f'ANALYZE "{wanted.name}"'))
        rows = conn.execute(select(key, value)
                            .select_from(key.table.join(wanted, key == wanted.c.value))
                            .where(*where))
        return {row[0]: row[1] for row in rows}
    finally:
        wanted.drop(conn)
