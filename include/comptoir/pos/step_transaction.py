"""One transaction of a POS step, behind the dossier's lock of that step.

`spec/pos.md`: concurrent runs of a step serialise on a dossier lock (PostgreSQL advisory
lock, SQLite write lock); a run waiting longer than `COMPTOIR_POS_LOCK_WAIT` seconds
(default 600) is refused, nothing written (`lock.DossierBusy`). A dry run does the work,
then rolls it back; an error rolls it back and goes on up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from comptoir.backoffice import lock

WAIT_ENV = "COMPTOIR_POS_LOCK_WAIT"


def busy_message(exc: lock.DossierBusy) -> str:
    """What a refused run says when the lock did not come in time."""
    return (f"{exc}: nothing was read or written; start this run again later (or set "
            f"{WAIT_ENV} to wait longer)")


@contextmanager
def step_transaction(engine: Engine, step: str, *, dry_run: bool = False
                     ) -> Iterator[Connection]:
    """A connection in a transaction holding the lock of `step`, committed at the end
    (rolled back for a dry run or an error)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            lock.acquire(conn, step, lock.wait_seconds(WAIT_ENV))
            yield conn
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
