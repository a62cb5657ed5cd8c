"""The inbox of a task: what a task type that receives files declares and gets.

A type built on the `inbox` template has options derived from `InboxOptions` (the
`source` option). Its `fetch` step fills the task's inbox from that source; its core
function finds the inbox in `RunContext.inbox` (a `TaskInbox`) and processes the files
waiting there. Without a source, the inbox is the local folder `var/inbox/<task id>`,
whose `incoming/` receives the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from comptoir.exchange.endpoints import AnySource, InboxSource, LocalInboxSource
from comptoir.exchange.inbox import Inbox, inbox_for

if TYPE_CHECKING:
    from comptoir.automation.catalog import TaskType

__all__ = ["InboxOptions", "TaskInbox", "inbox_of", "task_inbox"]

SOURCE_HELP = (
    "Where the files come from. Empty: the local folder var/inbox/<task id>, whose "
    "incoming/ folder receives the files. Otherwise a local folder, a folder of an SFTP or "
    "FTP server, the attachments of an IMAP or POP3 mailbox or of a folder of .eml files: "
    "fill in the fields below that the kind uses (each says which). Credentials stay in the "
    "Airflow connection."
)


class InboxOptions(BaseModel):
    """Options of a task type that reads an inbox (subclass it, add the type's options)."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[InboxSource | None, WithJsonSchema({"type": ["object", "null"]})] = Field(
        default=None,
        title="Inbox",
        description=SOURCE_HELP,
        json_schema_extra={"section": "Inbox"},
    )

    def inbox_source(self, task_id: str) -> AnySource:
        """The source: the one given, else the local folder named after the task."""
        return self.source or LocalInboxSource(kind="local", path=task_id)


@dataclass(frozen=True)
class TaskInbox:
    """A task's source and the local inbox its files wait in."""

    source: AnySource
    inbox: Inbox

    @property
    def min_age(self) -> float:
        """Seconds a file must be left alone before it is taken (local drops only)."""
        return self.source.min_age_seconds if isinstance(self.source, LocalInboxSource) else 0.0

    def waiting(self) -> list[Path]:
        """The files ready in `incoming/`: matching the pattern, old enough, by name."""
        return self.inbox.waiting(self.source.pattern, min_age=self.min_age)

    def describe(self) -> str:
        """The source, in one line."""
        return self.source.describe()


def task_inbox(task_id: str, options: InboxOptions) -> TaskInbox:
    """The inbox of task `task_id` with these options."""
    source = options.inbox_source(task_id)
    return TaskInbox(source, inbox_for(source, task_id))


def inbox_of(task_type: TaskType, task_id: str, options: InboxOptions) -> TaskInbox:
    """The inbox of a task of this type: the type's own (`TaskType.inbox`), else the task's."""
    if task_type.inbox is not None:
        return task_type.inbox(task_id, options)
    return task_inbox(task_id, options)
