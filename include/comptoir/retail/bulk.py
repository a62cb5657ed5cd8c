"""Bulk reads and updates whose statements do not grow with the rows.

PostgreSQL: rows and keys travel by `COPY … FROM STDIN` (binary-safe, no SQL text built
from values) — inserts straight into their table, keys and updates into a temporary table
that one `SELECT … JOIN` or `UPDATE … FROM` then uses. SQLite (in process, no round trip):
`IN (…)` lists of `CHUNK` pairs, executemany inserts and updates. Table and column names
come from the schema, never from input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, count, islice
from typing import Any

from sqlalchemy import Connection, Table, select, text, tuple_

__all__ = ["CHUNK", "insert_rows", "insert_tuples", "rows_of_pairs", "update_by_id"]

CHUNK = 5000  # pairs per IN (...) on SQLite: 10,000 binds, far below its 32,766
ROWS = 100_000  # rows held at a time from a generator of rows to insert
_scratch = count(1)


def _copy(conn: Connection, table: str, columns: Sequence[str],
          rows: Iterable[Sequence[Any]]) -> None:
    """`COPY table (columns) FROM STDIN` of `rows` (tuples), in the caller's transaction."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _scratch_table(conn: Connection, table: Table, columns: Sequence[str]) -> str:
    """A temporary table with `columns` typed as in `table`, dropped at commit."""
    name = f"bulk_scratch_{next(_scratch)}"
    typed = ", ".join(f"{c} {table.c[c].type.compile(dialect=conn.dialect)}" for c in columns)
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} ({typed}) ON COMMIT DROP"))
    return name


def rows_of_pairs(conn: Connection, table: Table, columns: Sequence[str],
                  keys: tuple[str, str], pairs: Sequence[tuple[int, int]]) -> Iterator[Any]:
    """The rows of `table` (`columns`) whose two `keys` columns match one of `pairs`."""
    if not pairs:
        return
    first, second = keys
    if conn.dialect.name == "postgresql":
        keys_table = _scratch_table(conn, table, keys)
        _copy(conn, keys_table, keys, pairs)
        wanted = ", ".join(f"t.{c}" for c in columns)
        yield from conn.execute(text(
            f"SELECT {wanted} FROM {table.name} t JOIN {keys_table} p "
            f"ON t.{first} = p.{first} AND t.{second} = p.{second}"
        ).execution_options(stream_results=True, yield_per=ROWS))
        return
    cols = [table.c[c] for c in columns]
    for start in range(0, len(pairs), CHUNK):
        chunk = list(pairs[start:start + CHUNK])
        yield from conn.execute(select(*cols).where(
            tuple_(table.c[first], table.c[second]).in_(chunk))).all()


def update_by_id(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Set the columns of each row (a dict with `id` and the columns) on `table`'s row `id`.

    Every row carries the same columns; a generator is consumed as it goes (PostgreSQL) or
    `ROWS` at a time (SQLite), never held whole.
    """
    source = iter(rows)
    first = next(source, None)
    if first is None:
        return
    columns = [c for c in first if c != "id"]
    source = chain([first], source)
    if conn.dialect.name == "postgresql":
        names = ["id", *columns]
        values = _scratch_table(conn, table, names)
        _copy(conn, values, names, ([row[c] for c in names] for row in source))
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        conn.execute(text(f"UPDATE {table.name} SET {sets} FROM {values} v "
                          f"WHERE {table.name}.id = v.id"))
        return
    from sqlalchemy import bindparam

    statement = (table.update().where(table.c.id == bindparam("_id"))
                 .values({c: bindparam(f"_{c}") for c in columns}))
    while chunk := list(islice(source, ROWS)):
        conn.execute(statement, [{f"_{k}": v for k, v in row.items()} for row in chunk])


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`; streamed as `insert_tuples`."""
    source = iter(rows)
    first = next(source, None)
    if first is None:
        return
    columns = list(first)
    insert_tuples(conn, table, columns,
                  ([row[c] for c in columns] for row in chain([first], source)))


def insert_tuples(conn: Connection, table: Table, columns: Sequence[str],
                  rows: Iterable[Sequence[Any]]) -> None:
    """Insert `rows` (values in the order of `columns`) into `table`; a generator is
    consumed as it goes, never held whole.

    PostgreSQL: one `COPY`; SQLite: one executemany per `ROWS` rows.
    """
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, columns, rows)
        return
    source = iter(rows)
    while chunk := list(islice(source, ROWS)):
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in chunk])
