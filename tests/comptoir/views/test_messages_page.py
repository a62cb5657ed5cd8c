"""Paging the task reports: newest first, filters, the tasks a reader may see, the cursor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from comptoir.automation.messages import Report, page_messages, record
from comptoir.backoffice.schema import messages


def _write(engine, reports: list[tuple[str, str, str]]) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return [record(conn, Report(task, f"manual__{i}", level, title, "body"))
                for i, (task, level, title) in enumerate(reports)]


def test_pages_go_newest_first_and_the_cursor_reaches_every_report_once(engine) -> None:
    ids = _write(engine, [("daily", "info", f"report {i}") for i in range(7)])
    seen: list[int] = []
    after = None
    with engine.connect() as conn:
        for _ in range(4):
            page = page_messages(conn, after=after, size=3)
            seen += [m.id for m in page.items]
            after = page.next
            if after is None:
                break
    assert seen == sorted(ids, reverse=True)
    assert after is None


def test_filters_by_task_level_and_date(engine) -> None:
    ids = _write(engine, [("daily", "info", "a"), ("daily", "error", "b"),
                          ("weekly", "error", "c"), ("daily", "error", "d")])
    with engine.begin() as conn:
        conn.execute(update(messages).where(messages.c.id == ids[3])
                     .values(created_at=datetime(2020, 1, 2, 10, tzinfo=UTC)))
        errors = page_messages(conn, task_id="daily", level="error")
        old = page_messages(conn, until=datetime(2020, 1, 3))
        recent = page_messages(conn, since=datetime(2021, 1, 1), level="error")
    assert [m.title for m in errors.items] == ["d", "b"]
    assert [m.title for m in old.items] == ["d"]
    assert [m.title for m in recent.items] == ["c", "b"]


def test_a_reader_sees_only_the_reports_of_the_tasks_they_may_read(engine) -> None:
    _write(engine, [("daily", "info", "a"), ("secret", "info", "b")])
    with engine.connect() as conn:
        allowed = page_messages(conn, task_ids={"daily"})
        nothing = page_messages(conn, task_ids=set())
    assert [m.task_id for m in allowed.items] == ["daily"]
    assert nothing.items == [] and nothing.next is None


def test_a_cursor_that_is_not_one_is_refused(engine) -> None:
    with engine.connect() as conn, pytest.raises(ValueError, match="not a cursor"):
        page_messages(conn, after="1; DROP TABLE messages")
