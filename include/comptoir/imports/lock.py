"""Imports of one dossier take turns: the dossier lock (`comptoir.backoffice.lock`) of the
step `imports`, waited for at most `COMPTOIR_IMPORT_LOCK_WAIT` seconds (default 600).

The second of two imports at once waits, then controls against what the first one wrote
(`already_exists`, `already_imported`...). Past the wait, `ImportBusy`: one plain line,
nothing read, nothing written.
"""

from __future__ import annotations

from sqlalchemy import Connection

from comptoir.backoffice import lock
from comptoir.imports.errors import ImportFileError

__all__ = ["ADVISORY_KEY", "STEP", "WAIT_ENV", "ImportBusy", "acquire"]

STEP = "imports"
WAIT_ENV = "COMPTOIR_IMPORT_LOCK_WAIT"
ADVISORY_KEY = lock.advisory_key(STEP)


class ImportBusy(ImportFileError):
    """Another import of the dossier held the lock longer than the wait."""


def acquire(conn: Connection, wait: float | None = None) -> None:
    """Take the dossier's import lock in `conn`'s transaction; `ImportBusy` past the wait."""
    wait = lock.wait_seconds(WAIT_ENV) if wait is None else wait
    try:
        lock.acquire(conn, STEP, wait)
    except lock.DossierBusy:
        raise ImportBusy(f"another import of this dossier has been running for more than "
                         f"{wait:g} s: nothing was read or written; start this one again "
                         f"when it has finished (or set {WAIT_ENV} to wait longer)") from None
