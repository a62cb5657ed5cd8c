"""DAG templates, registered by name: a task type names its template, this finds it.

    default:  run >> deliver >> report           (run >> report: a type without files)
    inbox:    fetch >> run >> deliver >> report  (fetch >> run >> report: without files)

`builder(name)` gives the function that makes a definition's DAG. The names are those of
`comptoir.automation.catalog.TEMPLATES`; the core never names a module of this package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow.sdk import DAG

    from comptoir.automation.catalog import TaskType
    from comptoir.automation.definitions import TaskDefinition

__all__ = ["Builder", "builder", "template"]

Builder = Callable[["TaskDefinition", "TaskType"], "DAG"]

_MODULES = ("default", "inbox")
_TEMPLATES: dict[str, Builder] = {}


def template(name: str) -> Callable[[Builder], Builder]:
    """Register a DAG template under `name`."""

    def register(function: Builder) -> Builder:
        _TEMPLATES[name] = function
        return function

    return register


def builder(name: str) -> Builder:
    """The template called `name`; LookupError naming the known ones if there is none."""
    if not _TEMPLATES:
        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")
    try:
        return _TEMPLATES[name]
    except KeyError:
        raise LookupError(f"no DAG template {name!r}; registered: "
                          f"{', '.join(sorted(_TEMPLATES))}") from None
