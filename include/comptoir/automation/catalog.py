"""The task-type catalog: what each automated task type is, its options, how it runs.

A task type declares its name, category, description, an options model (pydantic; its
JSON schema becomes the DAG's params, so the UI trigger form explains itself), the core
function that runs it, and the DAG template that wraps it (`"default"`: run, deliver,
report; or a builder of its own, `"package.module:function"`, for types such as imports).

Core functions are named by a dotted path and imported only when a run starts: reading
the catalog stays light enough for the DAG parser.

Adding a type: write a module with an options model and `run(ctx, options)`, declare a
`TaskType` in it as `TASK_TYPE`, and add the module to `TYPE_MODULES` (or call
`register()` from a module listed there).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from comptoir.automation.filenames import Store
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "Category",
    "ProducedFile",
    "RunContext",
    "TaskOutput",
    "TaskType",
    "UnknownTaskType",
    "all_types",
    "get",
    "register",
]

#: Modules that declare the built-in task types (each has a `TASK_TYPE`).
TYPE_MODULES = [
    "comptoir.automation.types.export_data",
    "comptoir.automation.types.db_maintenance",
    "comptoir.automation.types.db_backup",
    "comptoir.automation.types.imports",
]


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
    """What a run produced: files to deliver (maybe none) and report lines."""

    files: list[ProducedFile] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


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


@dataclass(frozen=True)
class TaskType:
    """One kind of automated task."""

    name: str
    title: str
    category: Category
    description: str
    options: type[BaseModel]
    run: str
    """`module:function` taking `(RunContext, options)` and returning a `TaskOutput`."""
    produces_files: bool = True
    default_filename: str | None = None
    template: str = "default"
    """DAG template: a name registered with the DAG factory, or `module:function`."""
    check: Callable[[BaseModel, str | None], None] | None = None
    """Checks options against the file-name template; raises `ValueError` with the reason."""
    after_delivery: str | None = None
    """`module:function(delivery, filename, options, log)` called once files were delivered."""

    def run_function(self) -> Callable[[RunContext, Any], TaskOutput]:
        """The core function (imported now)."""
        return _import(self.run)

    def after_delivery_function(self) -> Callable[..., None] | None:
        """The post-delivery hook, if the type has one."""
        return _import(self.after_delivery) if self.after_delivery else None

    def params_spec(self, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """The options as Airflow Param specs (plain dicts): `values` become the defaults."""
        spec: dict[str, dict[str, Any]] = {}
        for name, base in _param_base(self.options).items():
            item = dict(base)
            if name in values:
                item["default"] = values[name]
            spec[name] = item
        return spec


def _import(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


_PARAM_KEYS = ("type", "title", "description", "enum", "items", "minimum", "maximum",
               "minLength", "maxLength", "format", "values_display", "section", "default",
               "examples")


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        target = defs[prop["$ref"].rsplit("/", 1)[-1]]
        prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    if "allOf" in prop and len(prop["allOf"]) == 1:
        inner = _resolve(prop["allOf"][0], defs)
        prop = {**inner, **{k: v for k, v in prop.items() if k != "allOf"}}
    if "anyOf" in prop:
        variants = [_resolve(v, defs) for v in prop["anyOf"]]
        types = [v.get("type") for v in variants]
        merged: dict[str, Any] = {}
        for variant in variants:
            merged.update({k: v for k, v in variant.items() if k != "type"})
        merged.update({k: v for k, v in prop.items() if k != "anyOf"})
        merged["type"] = [t for t in types if isinstance(t, str)]
        if "enum" in merged and "null" in merged["type"]:
            merged["enum"] = [*merged["enum"], None]
        prop = merged
    if "items" in prop:
        prop = {**prop, "items": _resolve(prop["items"], defs)}
    if "const" in prop:
        prop = {**prop, "enum": [prop.pop("const")]}
    return prop


@functools.cache
def _param_base(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    base: dict[str, dict[str, Any]] = {}
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(raw, defs)
        base[name] = {key: prop[key] for key in _PARAM_KEYS if key in prop}
    return base


_REGISTRY: dict[str, TaskType] = {}
_LOADED = False


def register(task_type: TaskType) -> TaskType:
    """Add a type to the catalog (a later one with the same name replaces it)."""
    _REGISTRY[task_type.name] = task_type
    return task_type


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for module in TYPE_MODULES:
        declared = getattr(importlib.import_module(module), "TASK_TYPE", None)
        if declared is not None and declared.name not in _REGISTRY:
            register(declared)


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
