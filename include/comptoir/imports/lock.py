"""Imports of one dossier take turns: the lock every import takes first, with a bounded wait.

Two imports at once (two `comptoir import`, an import task and a person) used to fight
inside the database: on PostgreSQL the loser died of "deadlock detected" or "duplicate
key value", with a report claiming records it never wrote. Now an import's transaction
starts by taking the dossier's import lock, so the second import waits, then controls
against what the first one wrote (`already_exists`, `already_imported`...):

- PostgreSQL: a transaction-level advisory lock (`pg_advisory_xact_lock`), waited for at
  most `wait` seconds (`lock_timeout`), released by the commit or the rollback;
- SQLite: the database's write lock, taken by the transaction's first statement (a write
  to the `counters` table), waited for at most `wait` seconds (`busy_timeout`).

Past the wait, `ImportBusy`: one plain line, nothing read, nothing written. The wait is
`COMPTOIR_IMPORT_LOCK_WAIT` seconds (default 600).
"""

from __future__ import annotations

import os

from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import OperationalError

from comptoir.backoffice.schema import counters
from comptoir.imports.errors import ImportFileError

__all__ = ["ADVISORY_KEY", "DEFAULT_WAIT", "WAIT_ENV", "ImportBusy", "acquire", "wait_seconds"]

WAIT_ENV = "COMPTOIR_IMPORT_LOCK_WAIT"
DEFAULT_WAIT = 600.0
ADVISORY_KEY = 0x434F4D50544F4952  # "COMPTOIR": the advisory lock of the dossier's imports
_COUNTER = "imports.lock"
_SQLITE_BUSY_MS = 30_000  # the engine's own busy_timeout, restored after the lock


class ImportBusy(ImportFileError):
    """Another import of the dossier held the lock longer than the wait."""


def wait_seconds() -> float:
    """How long an import waits for another one (`COMPTOIR_IMPORT_LOCK_WAIT`, seconds)."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


def _busy(wait: float) -> ImportBusy:
    return ImportBusy(f"another import of this dossier has been running for more than "
                      f"{wait:g} s: nothing was read or written; start this one again when "
                      f"it has finished (or set {WAIT_ENV} to wait longer)")


def acquire(conn: Connection, wait: float | None = None) -> None:
    """Take the dossier's import lock in `conn`'s transaction; `ImportBusy` past the wait.

    Call it first in the transaction: what the import reads afterwards includes what
    an earlier import committed.
    """
    wait = wait_seconds() if wait is None else wait
    milliseconds = max(1, int(wait * 1000))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
        try:
            conn.execute(select(text(f"pg_advisory_xact_lock({ADVISORY_KEY})")))
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise _busy(wait) from None
            raise
        conn.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
        return
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
    try:
        _write_first(conn)
    except OperationalError as exc:
        if "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower():
            raise _busy(wait) from None
        raise
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")


def _write_first(conn: Connection) -> None:
    """A write that takes SQLite's write lock (the row is created on first use)."""
    done = conn.execute(update(counters).where(counters.c.name == _COUNTER)
                        .values(value=counters.c.value + 1))
    if done.rowcount == 0:
        conn.execute(counters.insert().values(name=_COUNTER, value=1))
