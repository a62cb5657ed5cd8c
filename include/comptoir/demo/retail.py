"""Demo data for the retail task types: each stage gives its type something to do.

A stage is a module `comptoir.demo.<name>` with `stage(engine) -> list[str]`: it adds to
the demo dossier (or drops files into a task's inbox) what its type works on in the
nightly batch, and returns the lines `make demo` prints about it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from comptoir.exchange.inbox import Inbox

STAGES: tuple[str, ...] = (
    "retail_city_localisation",
    "retail_inventory_preparation",
    "retail_lacoste_conversion",
    "retail_passage_counters",
    "retail_sales_correction",
    "retail_defective_goods",
    "retail_season_end",
)
"""The stage modules, in the order they run (after the demo's POS tickets are staged)."""


def stage_retail(engine: Engine) -> list[str]:
    """Run every stage; the lines they say, in order."""
    said: list[str] = []
    for name in STAGES:
        said += importlib.import_module(f"comptoir.demo.{name}").stage(engine)
    return said


def inbox_of(task_id: str) -> Inbox | None:
    """Where the files of inbox task `task_id` wait; None when the task is not defined."""
    from comptoir.automation.definitions import InvalidDefinition, UnknownTask, find
    from comptoir.automation.task_inbox import InboxOptions, task_inbox

    try:
        definition = find(task_id)
    except (UnknownTask, InvalidDefinition):
        return None
    options = definition.typed_options()
    if not isinstance(options, InboxOptions):
        return None
    return task_inbox(definition.id, options).inbox
