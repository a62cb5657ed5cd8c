"""Running a retail type that writes files through the runner, and its report's business
lines (the framework's lines about files, the inbox and delivery left out)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.exchange.transports import LocalTransport

FRAMEWORK = ("Produced ", "Delivered ", "delivered ", "Sent ", "Inbox: ", "Nothing to deliver ")


def run(engine: Engine, definition: TaskDefinition, folder: Path) -> Report:
    """One run of `definition`, its files delivered into `folder`."""
    return runner.run_task(definition, "manual-1", LocalTransport(folder), engine=engine,
                           log=lambda _: None)


def business(report: Report) -> list[str]:
    """The type's own lines of the report."""
    return [line for line in report.body.splitlines()[2:] if not line.startswith(FRAMEWORK)]
