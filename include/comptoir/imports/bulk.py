"""Big writes on PostgreSQL: what a bulk load takes off a table, and puts back before commit.

From `BULK_BYTES` of input, the tables an import fills in slices are loaded the way
pg_restore loads them:

- their foreign keys are dropped before the first COPY and re-added `NOT VALID`, then
  `VALIDATE`d: one set-based check per key instead of a trigger per row;
- when the table holds less than the file brings (its heap is smaller than the input),
  its secondary indexes and unique constraints (not the primary key, nor an index a
  foreign key relies on) are dropped too and built again at the end, by one sort each,
  instead of being updated row by row. A duplicate the controls missed fails the
  rebuild, and the whole import.

DDL is transactional: a violation or a crash rolls everything back, keys and indexes
included. The tables are locked for the import's duration, which is why small files
keep row-by-row checks. On SQLite nothing is taken off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, inspect, text

from comptoir.imports.loader import is_postgres

#: From this many bytes of input, PostgreSQL checks the foreign keys once at the end.
BULK_BYTES = 16 * 1024 * 1024

_INDEXES = text("""
    SELECT ic.relname AS name, con.conname AS constraint_name,
           pg_get_constraintdef(con.oid) AS constraint_definition,
           pg_get_indexdef(i.indexrelid) AS index_definition
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
    WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                      WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
    ORDER BY ic.relname
""")


def is_big(input_bytes: int) -> bool:
    return input_bytes >= BULK_BYTES


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key taken off a table for a bulk write."""

    table: str
    name: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    """A secondary index (or the unique constraint it backs) taken off a table."""

    table: str
    name: str
    constraint: str | None      # the constraint's name when the index backs one
    definition: str             # the constraint's definition, or CREATE INDEX ...


@dataclass
class Relaxed:
    """What a bulk write took off its tables."""

    keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)


def relax_foreign_keys(conn: Connection, tables: Sequence[Table]) -> list[ForeignKey]:
    """PostgreSQL: drop the foreign keys of `tables` until `restore_foreign_keys`."""
    if not is_postgres(conn):
        return []
    quote = conn.dialect.identifier_preparer.quote
    inspector = inspect(conn)
    dropped: list[ForeignKey] = []
    for table in tables:
        for fk in inspector.get_foreign_keys(table.name):
            if fk.get("options"):
                continue  # ON DELETE/UPDATE rules: keep the key as it is
            key = ForeignKey(table.name, fk["name"], tuple(fk["constrained_columns"]),
                             fk["referred_table"], tuple(fk["referred_columns"]))
            conn.exec_driver_sql(f"ALTER TABLE {quote(key.table)} DROP CONSTRAINT "
                                 f"{quote(key.name)}")
            dropped.append(key)
    return dropped


def restore_foreign_keys(conn: Connection, keys: Sequence[ForeignKey]) -> None:
    """Put the keys back and check every row against them in one pass each."""
    quote = conn.dialect.identifier_preparer.quote
    for key in keys:
        columns = ", ".join(quote(c) for c in key.columns)
        referred = ", ".join(quote(c) for c in key.referred_columns)
        conn.exec_driver_sql(
            f"ALTER TABLE {quote(key.table)} ADD CONSTRAINT {quote(key.name)} FOREIGN KEY "
            f"({columns}) REFERENCES {quote(key.referred_table)} ({referred}) NOT VALID")
    for key in keys:
        conn.exec_driver_sql(f"ALTER TABLE {quote(key.table)} VALIDATE CONSTRAINT "
                             f"{quote(key.name)}")


def relax_indexes(conn: Connection, table: Table) -> list[Index]:
    """PostgreSQL: drop the secondary indexes of `table` until `restore_indexes`."""
    if not is_postgres(conn):
        return []
    quote = conn.dialect.identifier_preparer.quote
    dropped = [Index(table.name, row.name, row.constraint_name,
                     row.constraint_definition if row.constraint_name else row.index_definition)
               for row in conn.execute(_INDEXES, {"table": quote(table.name)})]
    for index in dropped:
        if index.constraint:
            conn.exec_driver_sql(f"ALTER TABLE {quote(index.table)} DROP CONSTRAINT "
                                 f"{quote(index.constraint)}")
        else:
            conn.exec_driver_sql(f"DROP INDEX {quote(index.name)}")
    return dropped


def restore_indexes(conn: Connection, indexes: Sequence[Index]) -> None:
    """Build the indexes again (a unique one fails on a duplicate)."""
    quote = conn.dialect.identifier_preparer.quote
    for index in indexes:
        if index.constraint:
            conn.exec_driver_sql(f"ALTER TABLE {quote(index.table)} ADD CONSTRAINT "
                                 f"{quote(index.constraint)} {index.definition}")
        else:
            conn.exec_driver_sql(index.definition)


def _heap_bytes(conn: Connection, table: Table) -> int:
    quote = conn.dialect.identifier_preparer.quote
    return int(conn.execute(text("SELECT pg_relation_size(CAST(:table AS regclass))"),
                            {"table": quote(table.name)}).scalar_one())


def relax(conn: Connection, tables: Sequence[Table], input_bytes: int) -> Relaxed:
    """Take off what a bulk write of `input_bytes` of input is faster without."""
    relaxed = Relaxed(keys=relax_foreign_keys(conn, tables))
    if is_postgres(conn):
        for table in tables:
            if _heap_bytes(conn, table) < input_bytes:
                relaxed.indexes += relax_indexes(conn, table)
    return relaxed


def restore(conn: Connection, relaxed: Relaxed) -> None:
    """Put back what `relax` took off, checking every row once."""
    restore_indexes(conn, relaxed.indexes)
    restore_foreign_keys(conn, relaxed.keys)
