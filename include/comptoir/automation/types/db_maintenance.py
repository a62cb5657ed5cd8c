"""`db_maintenance` ("Maintenance de la base"): REINDEX, then VACUUM (ANALYZE), every table.

One log line per table and step, then the total time, as the original service logged:

    REINDEX «customers»
    ...
    VACUUM «customers»
    ...
    Database maintenance finished without error in 5 s

PostgreSQL: `REINDEX TABLE CONCURRENTLY` (writers are not blocked) after dropping the
invalid `*_ccnew*` indexes an interrupted concurrent reindex leaves behind, then
`VACUUM (ANALYZE)` per table. SQLite: `REINDEX` and `ANALYZE` per table, then one
`VACUUM` of the whole file (SQLite cannot vacuum a single table).

Table and index names come from the database's own catalogue (SQLAlchemy's inspector)
and are quoted by the dialect's identifier preparer: nothing from a definition reaches
the SQL text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from comptoir.automation.catalog import RunContext


class Options(BaseModel):
    """Options of `db_maintenance`."""

    model_config = ConfigDict(extra="forbid")

    reindex: bool = Field(
        default=True, title="Rebuild indexes (REINDEX)",
        description="Rebuild every index of every table.",
        json_schema_extra={"section": "Steps"},
    )
    vacuum: bool = Field(
        default=True, title="VACUUM (ANALYZE)",
        description="Reclaim the space of deleted rows and refresh the planner's statistics.",
        json_schema_extra={"section": "Steps"},
    )


def _invalid_ccnew_indexes(conn: Connection) -> list[str]:
    from sqlalchemy import text

    rows = conn.execute(text(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT i.indisvalid AND n.nspname = current_schema() "
        "AND c.relname LIKE :pattern ORDER BY c.relname"
    ), {"pattern": "%\\_ccnew%"})
    return [row[0] for row in rows]


def maintain(engine: Engine, options: Options, log: Callable[[str], None]) -> list[str]:
    """Run the maintenance on `engine`; log and return one line per operation."""
    from sqlalchemy import inspect, text

    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        log(line)

    started = time.monotonic()
    tables = sorted(inspect(engine).get_table_names())
    quote = engine.dialect.identifier_preparer.quote
    postgres = engine.dialect.name == "postgresql"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if options.reindex:
            if postgres:
                for index in _invalid_ccnew_indexes(conn):
                    conn.execute(text(f"DROP INDEX IF EXISTS {quote(index)}"))
                    say(f"DROP INDEX «{index}» (left over by an interrupted REINDEX)")
            concurrently = "TABLE CONCURRENTLY " if postgres else ""
            for table in tables:
                conn.execute(text(f"REINDEX {concurrently}{quote(table)}"))
                say(f"REINDEX «{table}»")
        if options.vacuum:
            if postgres:
                for table in tables:
                    conn.execute(text(f"VACUUM (ANALYZE) {quote(table)}"))
                    say(f"VACUUM «{table}»")
            else:
                for table in tables:
                    conn.execute(text(f"ANALYZE {quote(table)}"))
                    say(f"ANALYZE «{table}»")
                conn.execute(text("VACUUM"))
                say("VACUUM (whole database file)")
    seconds = round(time.monotonic() - started)
    say(f"Database maintenance of {len(tables)} tables finished without error in {seconds} s")
    return lines


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Maintain the dossier; the report gets the total."""
    lines = maintain(ctx.engine, options, ctx.log)
    return TaskOutput(files=[], summary=[lines[-1]])


TASK_TYPE = TaskType(
    name="db_maintenance",
    title="Maintenance de la base",
    category=Category.SYSTEME,
    description=(
        "Rebuilds the indexes (REINDEX) then vacuums and analyses (VACUUM ANALYZE) every "
        "table of the dossier, on PostgreSQL and SQLite. The log has a line per table and "
        "the total time."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
