"""The POS log ("livre de bord", `pos_log`): one row per refused file, rejected ticket,
skipped group and warning, with its run (`spec/pos.md`).

Refused files and rejected tickets are `error` rows (what `pos log --errors` lists);
skipped items and warnings are `warning` rows. Rows are written in one statement per
call, inside the caller's transaction — or in a transaction of their own when the
step's own work was rolled back (a refused file is logged even though nothing of it is
written).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, insert

from comptoir.backoffice.schema import pos_log

LEVELS = ("info", "warning", "error")


@dataclass(frozen=True)
class LogRow:
    """One row of the POS log."""

    step: str
    level: str
    message: str
    rule: str | None = None
    file: str | None = None
    store: str | None = None
    register: str | None = None
    ticket: int | None = None


def write_log(conn: Connection, run_id: str, rows: Sequence[LogRow],
              at: dt.datetime | None = None) -> int:
    """Append `rows` to the POS log for `run_id`, all stamped `at` (default now)."""
    if not rows:
        return 0
    at = at or dt.datetime.now(dt.UTC)
    for row in rows:
        if row.level not in LEVELS:
            raise ValueError(f"log level {row.level!r}: expected one of {', '.join(LEVELS)}")
    conn.execute(insert(pos_log), [{**asdict(row), "run_id": run_id, "at": at}
                                   for row in rows])
    return len(rows)
