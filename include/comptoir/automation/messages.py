"""Task reports: the `messages` table, category "Rapports de tâches"."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, select

from comptoir.backoffice.schema import messages
from comptoir.views.page import Page, page_size

__all__ = ["CATEGORY", "LEVELS", "Message", "Report", "list_messages", "page_messages",
           "record"]

CATEGORY = "Rapports de tâches"

Level = Literal["info", "warning", "error"]
LEVELS = ("info", "warning", "error")


@dataclass(frozen=True)
class Report:
    """A task report to record: what was produced, where it went, what failed and why."""

    task_id: str
    run_id: str
    level: Level
    title: str
    body: str


@dataclass(frozen=True)
class Message:
    """A recorded message."""

    id: int
    category: str
    task_id: str | None
    run_id: str | None
    level: str
    title: str
    body: str
    created_at: datetime
    target: str | None = None
    """`STORE/REGISTER` of a message addressed to a register (live messages)."""
    expires_at: datetime | None = None


def record(conn: Connection, report: Report) -> int:
    """Write `report`; return its message id."""
    result = conn.execute(
        messages.insert().values(
            category=CATEGORY,
            task_id=report.task_id,
            run_id=report.run_id[:250],
            level=report.level,
            title=report.title[:250],
            body=report.body,
        )
    )
    return int(result.inserted_primary_key[0])


def list_messages(
    conn: Connection,
    *,
    task_id: str | None = None,
    run_id: str | None = None,
    errors_only: bool = False,
    limit: int | None = 50,
    category: str | None = CATEGORY,
) -> list[Message]:
    """The newest messages first, optionally of one task, one run, or errors only.

    Only the task reports unless `category` names another (live messages to registers
    are `Live message`); None: every category.
    """
    query = select(messages).order_by(messages.c.created_at.desc(), messages.c.id.desc())
    if category is not None:
        query = query.where(messages.c.category == category)
    if task_id is not None:
        query = query.where(messages.c.task_id == task_id)
    if run_id is not None:
        query = query.where(messages.c.run_id == run_id)
    if errors_only:
        query = query.where(messages.c.level == "error")
    if limit is not None:
        query = query.limit(limit)
    return [Message(**row._mapping) for row in conn.execute(query)]


def page_messages(
    conn: Connection,
    *,
    task_ids: Collection[str] | None = None,
    task_id: str | None = None,
    level: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: str | None = None,
    size: int | None = None,
) -> Page[Message]:
    """One page of the task reports, newest first, filtered; `after` is the previous page's
    `next` cursor.

    `task_ids` are the tasks the reader may see (None: all; a report of no task is shown
    only then); `since` and `until` bound `created_at` (`until` excluded). Keyset on the
    primary key (reports are numbered as they are written): the millionth page costs what
    the first does, and nothing counts the whole table.
    """
    size = page_size(size)
    query = (select(messages).where(messages.c.category == CATEGORY)
             .order_by(messages.c.id.desc()).limit(size + 1))
    if task_ids is not None:
        if not task_ids:
            return Page([], None)
        # An expression, not the column: the planner walks the primary key backwards and
        # stops at a page, instead of fetching every report of every readable task through
        # the task index and sorting them (the index serves `task_id` alone).
        query = query.where(messages.c.task_id.concat("").in_(sorted(task_ids)))
    if task_id:
        query = query.where(messages.c.task_id == task_id)
    if level:
        query = query.where(messages.c.level == level)
    if since is not None:
        query = query.where(messages.c.created_at >= since)
    if until is not None:
        query = query.where(messages.c.created_at < until)
    if after:
        query = query.where(messages.c.id < _cursor(after))
    found = [Message(**row._mapping) for row in conn.execute(query)]
    more = len(found) > size
    found = found[:size]
    return Page(found, str(found[-1].id) if more else None)


def _cursor(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"not a cursor of the task reports: {value!r}") from None
