"""Bulk look-ups of a file's codes in the dossier: a few statements, never one per row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, select

__all__ = ["CHUNK", "lookup"]

#: Values per `IN (...)` statement (under every driver's parameter limit).
CHUNK = 2000


def lookup(conn: Connection, key: Any, value: Any, wanted: Iterable[Any],
           *where: ColumnElement[bool]) -> dict[Any, Any]:
    """`key → value` of the rows whose `key` is among `wanted` (and `where`)."""
    distinct = sorted({w.item() if hasattr(w, "item") else w
                       for w in wanted if w is not None and not pd.isna(w)})
    found: dict[Any, Any] = {}
    for start in range(0, len(distinct), CHUNK):
        chunk = distinct[start:start + CHUNK]
        rows = conn.execute(select(key, value).where(key.in_(chunk), *where))
        found.update({row[0]: row[1] for row in rows})
    return found
