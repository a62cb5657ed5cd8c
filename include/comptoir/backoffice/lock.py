"""Runs of one step on one dossier take turns: a lock taken first in the run's transaction.

Two runs of a step at once (two `comptoir import`, an integration task and a person) used
to fight inside the database: on PostgreSQL the loser died of "deadlock detected" or
"duplicate key value". A step's transaction now starts by taking the dossier's lock for
that step, so the second run waits, then works against what the first one committed:

- PostgreSQL: a transaction-level advisory lock (`pg_advisory_xact_lock`) whose key is
  derived from the step's name, waited for at most `wait` seconds (`lock_timeout`),
  released by the commit or the rollback, also when the process dies;
- SQLite: the database's write lock (one writer at a time, whatever the step), taken by
  the transaction's first statement — a write to the step's row of `counters` — waited
  for at most `wait` seconds (`busy_timeout`).

Past the wait, `DossierBusy`: nothing read, nothing written.
"""

from __future__ import annotations

import hashlib
import os

from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import OperationalError

from comptoir.backoffice.schema import counters
from comptoir.errors import ComptoirError

__all__ = ["DEFAULT_WAIT", "DossierBusy", "acquire", "advisory_key", "wait_seconds"]

DEFAULT_WAIT = 600.0
_SQLITE_BUSY_MS = 30_000  # the engine's own busy_timeout, restored after the lock


class DossierBusy(ComptoirError):
    """Another run of the step held the dossier's lock longer than the wait."""


def advisory_key(step: str) -> int:
    """The PostgreSQL advisory-lock key of a step (a signed 64-bit integer, stable)."""
    return int.from_bytes(hashlib.sha256(f"comptoir:{step}".encode()).digest()[:8], "big",
                          signed=True)


def wait_seconds(env: str, default: float = DEFAULT_WAIT) -> float:
    """The wait (seconds) set in the environment variable `env`, else `default`."""
    raw = os.environ.get(env, "").strip()
    try:
        return max(0.0, float(raw)) if raw else default
    except ValueError:
        return default


def acquire(conn: Connection, step: str, wait: float) -> None:
    """Take the dossier's lock for `step` in `conn`'s transaction; `DossierBusy` past `wait`.

    Call it first in the transaction: what the run reads afterwards includes what an
    earlier run committed.
    """
    milliseconds = max(1, int(wait * 1000))
    busy = DossierBusy(f"another {step} run of this dossier has been running for more than "
                       f"{wait:g} s")
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
        try:
            conn.execute(select(text(f"pg_advisory_xact_lock({advisory_key(step)})")))
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise busy from None
            raise
        conn.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
        return
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
    try:
        _write_first(conn, f"{step}.lock")
    except OperationalError as exc:
        if "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower():
            raise busy from None
        raise
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")


def _write_first(conn: Connection, name: str) -> None:
    """A write that takes SQLite's write lock (the row is created on first use)."""
    done = conn.execute(update(counters).where(counters.c.name == name)
                        .values(value=counters.c.value + 1))
    if done.rowcount == 0:
        conn.execute(counters.insert().values(name=name, value=1))
