"""The Spool page (and `comptoir spool list`): per task, the files waiting and why.

The files are the spool's (`comptoir.exchange.spool`); where they go is the task's
definition; the last error is the task's newest failure report in the `messages` table.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from comptoir.automation.messages import CATEGORY
from comptoir.backoffice.schema import messages
from comptoir.exchange import spool as spools
from comptoir.exchange.names import printable
from comptoir.exchange.spool import DELIVERY_FAILED

__all__ = ["FILES_SHOWN", "SpoolTask", "WaitingFile", "destination_of",
           "spool_tasks"]

FILES_SHOWN = 100
"""Files listed per task on the page (the count is whole)."""


@dataclass(frozen=True)
class WaitingFile:
    """A file waiting in a spool."""

    name: str
    waiting_since: datetime
    bytes: int


@dataclass(frozen=True)
class SpoolTask:
    """A task with files waiting: the oldest first, how many, where to, the last error."""

    task_id: str
    files: list[WaitingFile]
    count: int
    destination: str
    last_error: str | None = None
    last_error_at: datetime | None = None

    @property
    def since(self) -> datetime | None:
        """When the oldest file started waiting."""
        return self.files[0].waiting_since if self.files else None


def destination_of(task_id: str, definitions: dict | None = None) -> str:  # type: ignore[type-arg]
    """Where the task's files go, in words (the task's definition, loaded when not given)."""
    if definitions is None:
        from comptoir.automation.definitions import load_folder

        definitions = {d.id: d for d in load_folder().definitions}
    definition = definitions.get(task_id)
    if definition is None or definition.output is None:
        return "no valid task definition: waits until it is defined again"
    return str(definition.output.delivery.describe())


def spool_tasks(conn: Connection | None, *, task_ids: Collection[str] | None = None,
                task_id: str | None = None, files_shown: int = FILES_SHOWN) -> list[SpoolTask]:
    """Every task with files waiting (those of `task_ids` only, unless None; or `task_id`).

    With `conn`, each says its last delivery error from the task reports.
    """
    from comptoir.automation.definitions import load_folder

    definitions = {d.id: d for d in load_folder().definitions}
    found = []
    for task, entries in spools.all_spools().items():
        if (task_ids is not None and task not in task_ids) or (task_id and task != task_id):
            continue
        files = []
        for entry in entries[:files_shown]:
            try:
                stat = entry.path.stat()
            except OSError:
                continue  # delivered meanwhile
            files.append(WaitingFile(printable(entry.name),
                                     datetime.fromtimestamp(stat.st_mtime, UTC), stat.st_size))
        error, at = _last_error(conn, task) if conn is not None else (None, None)
        found.append(SpoolTask(task, files, len(entries), destination_of(task, definitions),
                               error, at))
    return found


def _last_error(conn: Connection, task_id: str) -> tuple[str | None, datetime | None]:
    row = conn.execute(
        select(messages.c.title, messages.c.body, messages.c.created_at)
        .where(messages.c.category == CATEGORY, messages.c.task_id == task_id,
               messages.c.level == "error")
        .order_by(messages.c.id.desc()).limit(1)).first()
    if row is None:
        return None, None
    for line in row.body.splitlines():
        if line.startswith(DELIVERY_FAILED):
            return line[len(DELIVERY_FAILED):], row.created_at
    return row.title, row.created_at
