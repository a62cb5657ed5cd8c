"""The dossier's stock lock: runs that move stock or create purchase orders take turns.

`sales_correction`, `defective_goods`, `season_end` and `restock_alert` take it first in
their transaction (`acquire`), through `comptoir.backoffice.lock` with the step `stock`:

- PostgreSQL: `pg_advisory_xact_lock` on one fixed key (`ADVISORY_KEY`), released by the
  commit or the rollback;
- SQLite: the transaction's first statement is a write (the row `stock.lock` of
  `counters`), so the transaction holds the database's write lock from its start, as
  `BEGIN IMMEDIATE` would.

A second run waits up to `COMPTOIR_STOCK_LOCK_WAIT` seconds (default 600, 10 minutes),
then fails with `another run holds the stock lock` (`StockLockBusy`): nothing read,
nothing written.
"""

from __future__ import annotations

from sqlalchemy import Connection

from comptoir.backoffice import lock

__all__ = ["ADVISORY_KEY", "MESSAGE", "STEP", "WAIT_ENV", "StockLockBusy", "acquire"]

STEP = "stock"
WAIT_ENV = "COMPTOIR_STOCK_LOCK_WAIT"
ADVISORY_KEY = lock.advisory_key(STEP)
MESSAGE = "another run holds the stock lock"


class StockLockBusy(lock.DossierBusy):
    """Another run held the dossier's stock lock longer than the wait."""


def acquire(conn: Connection, wait: float | None = None) -> None:
    """Take the stock lock in `conn`'s transaction (call it first); `StockLockBusy` past `wait`.

    `wait` in seconds; None: `COMPTOIR_STOCK_LOCK_WAIT`, else 10 minutes.
    """
    wait = lock.wait_seconds(WAIT_ENV) if wait is None else wait
    try:
        lock.acquire(conn, STEP, wait)
    except lock.DossierBusy:
        raise StockLockBusy(MESSAGE) from None
