"""Task definitions: the JSON files of the tasks folder, validated.

A file holds one task, as the document of the contract:

    {"comptoir_tasks": 1, "tasks": [{"id": "...", "type": "export_data", ...}]}

(a file with several tasks, such as an export, or a bare task object is read too).
`load_folder()` reads every `*.json` of the folder and returns the valid definitions
and, apart, one error per invalid file or task: an invalid definition never stops the
others. Error messages name the file, the task and the field.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from comptoir import paths
from comptoir.automation import catalog
from comptoir.automation.filenames import FileNameError, check_template
from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import DeliveryTarget, check_address, split_addresses
from comptoir.exchange.names import check_identifier, is_identifier
from comptoir.validation import problems

__all__ = [
    "ASSET_SCHEDULE",
    "DOCUMENT_VERSION",
    "TASK_ID_MAX",
    "DefinitionError",
    "InvalidDefinition",
    "Loaded",
    "Output",
    "ReportSettings",
    "TaskDefinition",
    "UnknownTask",
    "definition_file",
    "delivering_sites",
    "document",
    "find",
    "load_folder",
    "parse_document",
]

DOCUMENT_VERSION = 1
TASK_ID_MAX = 200
SITE_MAX = 60
#: A schedule `asset:<uri>` runs the task when that asset is updated (e.g. invoicing once
#: tickets were integrated).
ASSET_SCHEDULE = "asset:"
_PRESETS = {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly",
            "@quarterly", "@yearly", "@annually"}
DEFAULT_TIMEZONE = "Europe/Paris"


@functools.lru_cache(maxsize=1024)
def _valid_cron(expression: str) -> bool:
    from croniter import croniter

    return len(expression.split()) == 5 and bool(croniter.is_valid(expression))


class InvalidDefinition(ComptoirError):
    """A task definition that cannot be used; the message names file, task and fields."""


class UnknownTask(ComptoirError):
    """No definition has this id."""


class Output(BaseModel):
    """What the files are called and where they go."""

    model_config = ConfigDict(extra="forbid")

    filename: str | None = Field(
        default=None,
        description="File-name template with tags ({y}, {m}, {d}, {mag:code}, ...); "
        "none: the type's default.",
    )
    delivery: DeliveryTarget

    @field_validator("filename")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_template(value)
            except FileNameError as exc:
                raise ValueError(str(exc)) from None
        return value


class ReportSettings(BaseModel):
    """When to write a task report, and who gets it by e-mail."""

    model_config = ConfigDict(extra="forbid")

    on_success: bool = True
    on_error: bool = True
    email: tuple[str, ...] = Field(
        default=(), description="Addresses the report is mailed to (none: not mailed)."
    )

    @field_validator("email", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_addresses(value)

    @field_validator("email")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_address(address) for address in value)


class TaskDefinition(BaseModel):
    """One automated task: a configured instance of a task type."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Letters, digits, '-', '_', '.'; it is the DAG id.")
    name: str = Field(default="", description="What the task is for, in plain words.")
    type: str = Field(description="A task type of the catalog (`comptoir tasks types`).")
    site: str = Field(default="central", description="The site, i.e. the Celery queue.")
    schedule: str | None = Field(default=None, description="Cron, preset, 'asset:<uri>' (when "
                                 "that asset is updated), or null (manual).")
    timezone: str = Field(default=DEFAULT_TIMEZONE, description="Time zone of the schedule.")
    enabled: bool = True
    run_once: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    output: Output | None = None
    report: ReportSettings = Field(default_factory=ReportSettings)
    owner: str = Field(default="comptoir", min_length=1, max_length=100)
    retries: int = Field(default=1, ge=0, le=10)

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return check_identifier(value, "task id", TASK_ID_MAX)

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        return check_identifier(value, "site (Celery queue name)", SITE_MAX)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value.startswith(ASSET_SCHEDULE):
            uri = value[len(ASSET_SCHEDULE):]
            if not re.fullmatch(r"comptoir://[a-z0-9_./-]+", uri):
                raise ValueError(f"{value!r}: an asset schedule names a Comptoir asset, e.g. "
                                 "'asset:comptoir://dossier/pos_tickets'")
            return value
        if value.startswith("@"):
            if value not in _PRESETS:
                raise ValueError(f"unknown preset {value!r}; use one of "
                                 f"{', '.join(sorted(_PRESETS))}, a cron expression or null")
            return value
        if not _valid_cron(value):
            raise ValueError(f"{value!r} is not a cron expression (minute hour day month "
                             "weekday, e.g. '0 2 * * *')")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value

    @model_validator(mode="after")
    def _against_type(self) -> TaskDefinition:
        try:
            task_type = catalog.get(self.type)
        except catalog.UnknownTaskType as exc:
            raise ValueError(f"type: {exc}") from None
        try:
            options = task_type.options.model_validate(self.options)
        except ValidationError as exc:
            raise ValueError(problems(exc, "options")) from None
        if task_type.produces_files:
            if self.output is None:
                raise ValueError(f"output: {self.type} writes files: say where they go "
                                 "(output.delivery)")
            if task_type.own_file_names is not None:
                if self.output.filename is not None:
                    raise ValueError(
                        f"output.filename: {self.type} names its files itself "
                        f"({task_type.own_file_names}) and they keep that name; remove "
                        "output.filename")
            elif self.output.filename is None and task_type.default_filename is None:
                raise ValueError("output.filename: a file-name template is required")
        elif self.output is not None:
            raise ValueError(f"output: {self.type} writes no file; remove output")
        if task_type.check is not None:
            task_type.check(options, self.filename)
        return self

    @property
    def task_type(self) -> catalog.TaskType:
        """The catalog entry of the definition's type."""
        return catalog.get(self.type)

    @property
    def filename(self) -> str | None:
        """The file-name template: the definition's, else the type's default."""
        if self.output is None:
            return None
        return self.output.filename or self.task_type.default_filename

    @property
    def file_names(self) -> str | None:
        """What the files are called, for people: the template, or how the type names them."""
        if self.output is None:
            return None
        return self.filename or self.task_type.own_file_names

    @property
    def source(self) -> Path | None:
        """The file the definition was read from."""
        return self._source

    def typed_options(self, overrides: dict[str, Any] | None = None) -> BaseModel:
        """The options as the type's model, with `overrides` (a manual run's) applied."""
        data = {**self.options, **(overrides or {})}
        try:
            return self.task_type.options.model_validate(data)
        except ValidationError as exc:
            raise InvalidDefinition(f"task {self.id!r}: {problems(exc, 'options')}") from None

    def summary(self) -> str:
        """One paragraph for the DAG's documentation and `tasks list`."""
        parts = [self.name or self.id]
        parts.append(f"schedule {self.schedule} ({self.timezone})" if self.schedule
                     else "manual start only")
        if not self.enabled:
            parts.append("disabled")
        if self.run_once:
            parts.append("runs once, then its definition is removed")
        if self.output is not None:
            parts.append(f"files {self.file_names} to {self.output.delivery.describe()}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The definition as written in a file (no runtime fields)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class DefinitionError:
    """Why a file, or one task of a file, cannot be used."""

    path: Path
    task_id: str | None
    message: str

    def __str__(self) -> str:
        task = f" task {self.task_id!r}:" if self.task_id else ""
        return f"{self.path.name}:{task} {self.message}"


@dataclass
class Loaded:
    """What a folder holds: the valid definitions, and the errors of the others."""

    definitions: list[TaskDefinition] = field(default_factory=list)
    errors: list[DefinitionError] = field(default_factory=list)

    def get(self, task_id: str) -> TaskDefinition:
        """The definition with this id."""
        for definition in self.definitions:
            if definition.id == task_id:
                return definition
        for error in self.errors:
            if error.task_id == task_id:
                raise InvalidDefinition(str(error))
        raise UnknownTask(f"no task {task_id!r} in {paths.tasks_dir()} (`comptoir tasks list`)")


def _raw_tasks(data: Any) -> list[Any]:
    if isinstance(data, dict) and "tasks" in data:
        version = data.get("comptoir_tasks")
        if version != DOCUMENT_VERSION:
            raise ValueError(f"comptoir_tasks: expected {DOCUMENT_VERSION}, found {version!r}")
        tasks = data["tasks"]
        if not isinstance(tasks, list):
            raise ValueError("tasks: expected a list of task objects")
        return tasks
    if isinstance(data, dict):
        return [data]
    raise ValueError('expected {"comptoir_tasks": 1, "tasks": [...]} or one task object')


def parse_document(
    data: Any, path: Path
) -> tuple[list[TaskDefinition], list[DefinitionError]]:
    """Every task of one parsed JSON document, valid ones apart from errors."""
    try:
        raws = _raw_tasks(data)
    except ValueError as exc:
        return [], [DefinitionError(path, None, str(exc))]
    valid: list[TaskDefinition] = []
    errors: list[DefinitionError] = []
    for raw in raws:
        task_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            definition = TaskDefinition.model_validate(raw)
        except ValidationError as exc:
            errors.append(DefinitionError(path, task_id, problems(exc)))
            continue
        except ComptoirError as exc:
            errors.append(DefinitionError(path, task_id, str(exc)))
            continue
        definition._source = path
        valid.append(definition)
    return valid, errors


def read_file(path: Path) -> tuple[list[TaskDefinition], list[DefinitionError]]:
    """The tasks of one file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [DefinitionError(path, None, f"cannot read the file: {exc}")]
    except json.JSONDecodeError as exc:
        return [], [DefinitionError(path, None, f"not valid JSON: {exc.msg} at line "
                                    f"{exc.lineno}, column {exc.colno}")]
    return parse_document(data, path)


def definition_files(folder: Path | None = None) -> list[Path]:
    """The `*.json` files of the tasks folder, by name."""
    folder = folder or paths.tasks_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if p.is_file() and not p.name.startswith("."))


def load_folder(folder: Path | None = None, files: Iterable[Path] | None = None) -> Loaded:
    """Every definition of the folder; an id defined twice is an error in the later file."""
    loaded = Loaded()
    seen: dict[str, Path] = {}
    for path in files if files is not None else definition_files(folder):
        valid, errors = read_file(path)
        loaded.errors.extend(errors)
        for definition in valid:
            if definition.id in seen:
                loaded.errors.append(DefinitionError(
                    path, definition.id,
                    f"id: {definition.id!r} is already defined in {seen[definition.id].name}",
                ))
                continue
            seen[definition.id] = path
            loaded.definitions.append(definition)
    return loaded


def delivering_sites(folder: Path | None = None) -> set[str]:
    """The sites of the tasks that deliver files, read from the files without validation.

    For the spool retry DAG, built at every parse: reading the `site` and `output` keys
    costs nothing, validating every definition does. A file that cannot be read counts
    for nothing (its task's own DAG says why).
    """
    sites: set[str] = set()
    for path in definition_files(folder):
        try:
            raws = _raw_tasks(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for raw in raws:
            if isinstance(raw, dict) and raw.get("output") is not None:
                site = raw.get("site", "central")
                if is_identifier(site, SITE_MAX):
                    sites.add(site)
    return sites


def definition_file(task_id: str, folder: Path | None = None) -> Path:
    """Where a task's own file is (or would be): `<tasks folder>/<id>.json`."""
    return (folder or paths.tasks_dir()) / f"{task_id}.json"


def find(task_id: str, folder: Path | None = None) -> TaskDefinition:
    """The definition `task_id`: its own file first (fast), else the whole folder."""
    own = definition_file(task_id, folder)
    if own.is_file():
        valid, errors = read_file(own)
        for definition in valid:
            if definition.id == task_id:
                return definition
        for error in errors:
            if error.task_id in (task_id, None):
                raise InvalidDefinition(str(error))
    return load_folder(folder).get(task_id)


def document(definitions: Iterable[TaskDefinition]) -> dict[str, Any]:
    """The file format: `{"comptoir_tasks": 1, "tasks": [...]}`."""
    return {"comptoir_tasks": DOCUMENT_VERSION, "tasks": [d.to_json() for d in definitions]}
