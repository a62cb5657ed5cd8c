"""SQL that fills a benchmark's dossier set-based, on PostgreSQL and SQLite alike
(`make bench` skips `_` modules): the few expressions the two spell differently, and the
indexes of the big tables dropped while they load and built again once they are full."""

from __future__ import annotations

from sqlalchemy import Connection, text


class Sql:
    """The few expressions PostgreSQL and SQLite spell differently."""

    def __init__(self, conn: Connection, zone: str = "Europe/Paris") -> None:
        self.pg = conn.dialect.name == "postgresql"
        self.zone = zone

    def series(self, *names: str) -> str:
        """`WITH` CTEs `g(k)`, then `h(k)`…: k = 0 … n − 1, n the bound parameter named."""
        ctes = []
        for cte, n in zip("ghi", names, strict=False):
            if self.pg:
                ctes.append(f"{cte}(k) AS (SELECT generate_series(0, CAST(:{n} AS integer) "
                            "- 1))")
            else:
                ctes.append(f"{cte}(k) AS (SELECT 0 WHERE :{n} > 0 UNION ALL "
                            f"SELECT k + 1 FROM {cte} WHERE k + 1 < :{n})")
        return ("WITH " if self.pg else "WITH RECURSIVE ") + ", ".join(ctes)

    def day(self, offset: str) -> str:
        """The date `start` + offset days."""
        if self.pg:
            return f"(CAST(:start AS date) + CAST({offset} AS integer))"
        return f"date(:start, '+' || ({offset}) || ' days')"

    def moment(self, offset: str, seconds: str) -> str:
        """`start` + offset days, 09:00 + seconds, the dossier zone's wall time."""
        if self.pg:
            return (f"((CAST(:start AS date) + CAST({offset} AS integer)) + time '09:00' "
                    f"+ ({seconds}) * interval '1 second') AT TIME ZONE '{self.zone}'")
        return (f"datetime(:start, '+' || ({offset}) || ' days', '+9 hours', "
                f"'+' || ({seconds}) || ' seconds')")

    def at(self, date: str, seconds: str) -> str:
        """The date column `date`, 09:00 + seconds, the dossier zone's wall time."""
        if self.pg:
            return (f"({date} + time '09:00' + ({seconds}) * interval '1 second') "
                    f"AT TIME ZONE '{self.zone}'")
        return f"datetime({date}, '+9 hours', '+' || ({seconds}) || ' seconds')"

    def true(self) -> str:
        return "true" if self.pg else "1"

    def false(self) -> str:
        return "false" if self.pg else "0"


def drop_indexes(conn: Connection, tables: list[str]) -> list[str]:
    """Drop the secondary indexes and unique constraints of `tables` (primary keys stay);
    the statements that build them again, for `build_indexes` once the tables are full."""
    again = []
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'u' "
            "AND c.conrelid::regclass::text = ANY(:tables) ORDER BY 1, 2"),
            {"tables": tables}).all()
        for table, name, definition in rows:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        rows = conn.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = to_regclass(quote_ident(i.indexname))) ORDER BY 1"),
            {"tables": tables}).all()
    else:
        rows = conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join(repr(t) for t in tables)}) ORDER BY name")).all()
    for name, definition in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
        again.append(definition)
    return again


def build_indexes(conn: Connection, statements: list[str]) -> None:
    """Build again what `drop_indexes` dropped."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    for statement in statements:
        conn.execute(text(statement))
