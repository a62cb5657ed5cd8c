"""What the retail inbox types share: their waiting files and how a partner's text is read.

The inbox is the framework's (`comptoir.automation.task_inbox`): the `fetch` step fills it,
the files wait in `incoming/`, and each one is filed in `done/<day>/` or `failed/<day>/`
with its report (`comptoir.exchange.inbox.Inbox`), as the `imports` type does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from comptoir.exchange.names import matches

if TYPE_CHECKING:
    from comptoir.automation.catalog import RunContext
    from comptoir.automation.task_inbox import InboxOptions, TaskInbox

__all__ = ["decode", "inbox_of_run", "waiting"]


def inbox_of_run(ctx: RunContext, options: InboxOptions) -> TaskInbox:
    """The run's inbox (given by the runner), else the task's own."""
    from comptoir.automation.task_inbox import task_inbox

    return ctx.inbox or task_inbox(ctx.task_id, options)


def waiting(inbox: TaskInbox, pattern: str) -> list[Path]:
    """The files ready in the inbox whose name also matches the type's own `pattern`."""
    return [path for path in inbox.waiting() if matches(path.name, pattern)]


def decode(data: bytes) -> str:
    """A partner's text: UTF-8 (a BOM dropped) when it decodes as such, else Windows-1252.

    Bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) raise
    `UnicodeDecodeError`.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")
