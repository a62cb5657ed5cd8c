"""The task-type catalog: what each automated task type is, its options, how it runs.

A task type is one module that declares `TASK_TYPE = TaskType(...)`: its name, title,
category, description, options model (pydantic; its JSON schema becomes the DAG's
params, so the UI trigger form explains itself), its core function, and the name of its
DAG template (`default`: run >> deliver >> report; `inbox`: fetch >> run >> deliver >>
report). Templates are registered by name in `comptoir_airflow`; the core never names a
plugins module.

An inbox type's fetch step normally brings the source's files into the task's inbox. A
type whose core function reads its source itself (the inter-site reception reads a
mailbox through `RunContext.connector`, message by message) declares `fetch`: its fetch
step then only checks that the source can be opened and says what waits, and nothing is
extracted into an inbox.

The catalog finds the declaring modules itself: it reads the source files of the
`comptoir` package for a line starting with `TASK_TYPE = TaskType(` and imports only
those. Adding a type is writing that module, nothing else. Type modules stay light at
import (pandas, SQLAlchemy and the like are imported inside the core function), so
reading the catalog is fast enough for the DAG parser.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

import comptoir
from comptoir.automation.filenames import Store
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from comptoir.automation.task_inbox import TaskInbox
    from comptoir.exchange.fetch import Connector

__all__ = [
    "TEMPLATES",
    "Category",
    "ProducedFile",
    "RunContext",
    "TaskOutput",
    "TaskType",
    "UnknownTaskType",
    "all_types",
    "get",
    "register",
    "reload",
]

TEMPLATES = ("default", "inbox")
"""The DAG templates a type can name (registered in `comptoir_airflow.templates`)."""

_DECLARATION = re.compile(rb"^TASK_TYPE\s*(?::[^=\n]*)?=\s*TaskType\(", re.MULTILINE)
_SKIPPED_FOLDERS = {"__pycache__", "migrations"}


class Category(StrEnum):
    """The folders the catalog is filed in."""

    EDITIONS = "Editions"
    """Printed documents and statements."""
    HISTORIQUES = "Historiques"
    """Season-end and history jobs."""
    IMPORT_EXPORT = "Import-Export"
    """Data in and out of the dossier."""
    SYSTEME = "Système"
    """Database and platform upkeep."""
    AUTRES = "Autres"
    """Everything else."""


class UnknownTaskType(ComptoirError):
    """A definition names a type the catalog does not have."""


@dataclass(frozen=True)
class ProducedFile:
    """A file a core function wrote in the work folder; `store` for one-file-per-store output."""

    path: Path
    store: Store | None = None
    lines: int | None = None


@dataclass
class TaskOutput:
    """What a run produced: files to deliver (maybe none), report lines, asset events.

    `error` says why the run went partly wrong while still producing something: the
    files are delivered and the assets updated, then the report fails the run.
    """

    files: list[ProducedFile] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Asset URI → the event's extra, for the assets this run updated."""
    error: str | None = None
    warning: str | None = None
    """Says what the run left undone while succeeding (the report's level: `warning`)."""


@dataclass
class RunContext:
    """What a core function gets besides its options."""

    task_id: str
    run_id: str
    engine: Engine
    work_dir: Path
    moment: datetime
    filename: str | None
    log: Callable[[str], None]
    inbox: TaskInbox | None = None
    """The task's inbox (types on the `inbox` template): the files waiting there."""
    connector: Connector | None = None
    """Opens the server side of a source (a mailbox a core function reads itself)."""


@dataclass(frozen=True)
class TaskType:
    """One kind of automated task."""

    name: str
    title: str
    category: Category
    description: str
    options: type[BaseModel]
    run: Callable[[RunContext, Any], TaskOutput]
    """The core function: `(RunContext, options) -> TaskOutput`."""
    produces_files: bool = True
    default_filename: str | None = None
    own_file_names: str | None = None
    """Set when the core function names its files itself (a legal or a contract name): what
    they are called, for docs (`TicDeg…zip`). The names are kept; `output.filename` is
    refused."""
    template: str = "default"
    """The DAG template, by name: `default` or `inbox`."""
    step: str = "run"
    """The Airflow task id of the run step (`import_files` for imports)."""
    asset_alias: str | None = None
    """The asset alias the run step emits its `TaskOutput.assets` through."""
    check: Callable[[BaseModel, str | None], None] | None = None
    """Checks options against the file-name template; raises `ValueError` with the reason."""
    after_delivery: Callable[..., None] | None = None
    """`(delivery, filename, options, log)`, called once files were delivered."""
    inbox: Callable[[str, Any], TaskInbox] | None = None
    """`(task id, options) -> TaskInbox`: where an inbox type's files wait, when not in the
    task's own inbox (the partner connector's import folder)."""
    fetch: Callable[[str, Any, Connector | None, Callable[[str], None]], list[str]] | None = None
    """`(task id, options, connector, log) -> report lines`: the fetch step of an inbox type
    whose core function reads its source itself. It replaces the bringing of files into
    the inbox: it checks the source can be opened and says what waits (raises when not)."""

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise ValueError(f"task type {self.name!r}: unknown template {self.template!r}; "
                             f"one of {', '.join(TEMPLATES)}")
        if self.template == "inbox":
            from comptoir.automation.task_inbox import InboxOptions

            if not issubclass(self.options, InboxOptions):
                raise ValueError(f"task type {self.name!r}: an inbox type's options derive "
                                 "from comptoir.automation.task_inbox.InboxOptions")

    @property
    def steps(self) -> list[str]:
        """The steps the report collects, in order."""
        steps = ["fetch"] if self.template == "inbox" else []
        steps.append(self.step)
        if self.produces_files:
            steps.append("deliver")
        return steps

    def params_spec(self, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """The options as Airflow Param specs (plain dicts): `values` become the defaults
        (`comptoir.automation.trigger_form`)."""
        from comptoir.automation.trigger_form import params_spec

        return params_spec(self.options, values)

    def form_overrides(self, params: Mapping[str, Any],
                       options: Mapping[str, Any]) -> dict[str, Any]:
        """The option values a run's params (the trigger form's) set, for a definition with
        these `options` (`comptoir.automation.trigger_form`)."""
        from comptoir.automation.trigger_form import overrides

        return overrides(self.options, params, options)


_REGISTRY: dict[str, TaskType] = {}
_LOADED = False


class DuplicateTaskType(ComptoirError):
    """Two modules declare a task type of the same name."""


def register(task_type: TaskType) -> TaskType:
    """Add a type to the catalog (a later one with the same name replaces it)."""
    _REGISTRY[task_type.name] = task_type
    return task_type


def declaring_modules() -> Iterator[str]:
    """The modules of the `comptoir` package that declare a `TASK_TYPE`, by name."""
    for base in comptoir.__path__:
        for folder, subfolders, files in os.walk(base):
            subfolders[:] = sorted(d for d in subfolders if d not in _SKIPPED_FOLDERS)
            for name in sorted(f for f in files if f.endswith(".py")):
                try:
                    with open(os.path.join(folder, name), "rb") as source:
                        text = source.read()
                except OSError:
                    continue
                if b"TASK_TYPE" in text and _DECLARATION.search(text):
                    relative = Path(os.path.relpath(os.path.join(folder, name), base))
                    yield ".".join(("comptoir", *relative.with_suffix("").parts))


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    found: dict[str, str] = {}
    for module in declaring_modules():
        declared = importlib.import_module(module).TASK_TYPE
        if declared.name in found:
            raise DuplicateTaskType(f"task type {declared.name!r} is declared twice: in "
                                    f"{found[declared.name]} and in {module}")
        found[declared.name] = module
        _REGISTRY.setdefault(declared.name, declared)
    _LOADED = True


def reload() -> None:
    """Forget the catalog: the next look-up finds the declaring modules again."""
    global _LOADED
    _REGISTRY.clear()
    _LOADED = False


def get(name: str) -> TaskType:
    """The type called `name`."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownTaskType(
            f"unknown task type {name!r}; known types: {', '.join(sorted(_REGISTRY))} "
            "(`comptoir tasks types` lists them)"
        ) from None


def all_types() -> list[TaskType]:
    """Every type, by category then name."""
    _load()
    order = list(Category)
    return sorted(_REGISTRY.values(), key=lambda t: (order.index(t.category), t.name))
