"""Bulk reads and updates whose statements do not grow with the rows.

PostgreSQL: the keys or rows travel as arrays in one statement (`unnest`), so 100,000
pairs are one query and 100,000 updated rows one `UPDATE … FROM unnest(…)`. SQLite (in
process, no round trip): `IN (…)` lists of `CHUNK` pairs and executemany updates.
Table and column names come from the schema, never from input; values are parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, select, text, tuple_

__all__ = ["CHUNK", "insert_rows", "rows_of_pairs", "update_by_id"]

CHUNK = 5000  # pairs per IN (...) on SQLite: 10,000 binds, far below its 32,766
ARRAY_ROWS = 100_000  # rows per PostgreSQL statement: bounds the memory of one statement
_PG_TYPES = {"INTEGER": "integer", "NUMERIC": "numeric", "VARCHAR": "text", "TEXT": "text",
             "BOOLEAN": "boolean", "DATE": "date", "DATETIME": "timestamptz"}


def _pg_type(table: Table, column: str) -> str:
    kind = table.c[column].type.compile().split("(")[0].upper()
    if kind.startswith("TIMESTAMP"):
        return "timestamptz"
    return _PG_TYPES.get(kind, "text")


def rows_of_pairs(conn: Connection, table: Table, columns: Sequence[str],
                  keys: tuple[str, str], pairs: Sequence[tuple[int, int]]) -> Iterator[Any]:
    """The rows of `table` (`columns`) whose two `keys` columns match one of `pairs`."""
    if not pairs:
        return
    first, second = keys
    if conn.dialect.name == "postgresql":
        wanted = ", ".join(f"t.{c}" for c in columns)
        yield from conn.execute(text(
            f"SELECT {wanted} FROM {table.name} t JOIN unnest(CAST(:a AS integer[]), "
            f"CAST(:b AS integer[])) AS p(a, b) ON t.{first} = p.a AND t.{second} = p.b"),
            {"a": [p[0] for p in pairs], "b": [p[1] for p in pairs]}).all()
        return
    cols = [table.c[c] for c in columns]
    for start in range(0, len(pairs), CHUNK):
        chunk = list(pairs[start:start + CHUNK])
        yield from conn.execute(select(*cols).where(
            tuple_(table.c[first], table.c[second]).in_(chunk))).all()


def update_by_id(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Set the columns of each row (a dict with `id` and the columns) on `table`'s row `id`.

    Every row carries the same columns.
    """
    if not rows:
        return
    columns = [c for c in rows[0] if c != "id"]
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"CAST(:{c} AS {_pg_type(table, c)}[])" for c in ["id", *columns])
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        conn.execute(text(
            f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) "
            f"AS v(id, {', '.join(columns)}) WHERE {table.name}.id = v.id"),
            {c: [row[c] for row in rows] for c in ["id", *columns]})
        return
    from sqlalchemy import bindparam

    conn.execute(table.update().where(table.c.id == bindparam("_id"))
                 .values({c: bindparam(f"_{c}") for c in columns}),
                 [{f"_{k}": v for k, v in row.items()} for row in rows])


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, `ARRAY_ROWS` at a time (a
    generator is consumed chunk by chunk, never held whole).

    PostgreSQL: one `INSERT … SELECT FROM unnest(…)` per chunk; SQLite: one executemany.
    """
    source = iter(rows)
    while chunk := list(islice(source, ARRAY_ROWS)):
        if conn.dialect.name != "postgresql":
            conn.execute(table.insert(), chunk)
            continue
        columns = list(chunk[0])
        arrays = ", ".join(f"CAST(:{c} AS {_pg_type(table, c)}[])" for c in columns)
        conn.execute(text(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                          f"SELECT * FROM unnest({arrays})"),
                     {c: [row[c] for row in chunk] for c in columns})
