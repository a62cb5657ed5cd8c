"""Duplicate, export and import task definitions; write and remove definition files.

Every write is atomic (a temporary file renamed over the target), and a task written by
these functions gets its own file, `<tasks folder>/<id>.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comptoir.automation.definitions import (
    DefinitionError,
    InvalidDefinition,
    TaskDefinition,
    definition_file,
    document,
    load_folder,
    parse_document,
)
from comptoir.errors import ComptoirError
from comptoir.exchange.files import atomic_write, json_bytes

__all__ = ["TaskExists", "duplicate", "export", "import_file", "remove", "write"]


class TaskExists(ComptoirError):
    """A task with this id is already defined."""


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json_bytes(data) + b"\n")


def write(definition: TaskDefinition, folder: Path | None = None) -> Path:
    """Write `definition` to its own file; return the path."""
    path = definition_file(definition.id, folder)
    _write_json(path, document([definition]))
    return path


def remove(task_id: str, folder: Path | None = None) -> Path:
    """Remove a task's definition (its file, or its entry in a file of several tasks)."""
    loaded = load_folder(folder)
    definition = loaded.get(task_id)
    source = definition.source
    assert source is not None
    others = [d for d in loaded.definitions if d.source == source and d.id != task_id]
    if others:
        _write_json(source, document(others))
    else:
        source.unlink(missing_ok=True)
    return source


def duplicate(task_id: str, new_id: str, *, name: str | None = None,
              folder: Path | None = None) -> Path:
    """Copy a task under a new id (and name); return the new file."""
    loaded = load_folder(folder)
    original = loaded.get(task_id)
    if any(d.id == new_id for d in loaded.definitions) or definition_file(new_id, folder).exists():
        raise TaskExists(f"a task {new_id!r} already exists: choose another id")
    data = original.to_json()
    data["id"] = new_id
    data["name"] = name if name is not None else f"{original.name or original.id} (copy)"
    copies, errors = parse_document(data, definition_file(new_id, folder))
    if errors:
        raise InvalidDefinition(str(errors[0]))
    return write(copies[0], folder)


def export(task_ids: Sequence[str], out: Path, folder: Path | None = None) -> list[str]:
    """Write the chosen tasks (all when `task_ids` is empty) to one file; return their ids."""
    loaded = load_folder(folder)
    chosen = [loaded.get(task_id) for task_id in task_ids] if task_ids else loaded.definitions
    _write_json(out, document(chosen))
    return [d.id for d in chosen]


def import_file(source: Path, *, replace: bool = False, folder: Path | None = None) -> list[str]:
    """Add every task of `source`; all or nothing. Existing ids are refused unless `replace`."""
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidDefinition(f"{source.name}: cannot read the file: {exc}") from None
    incoming, errors = parse_document(data, source)
    ids = [d.id for d in incoming]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    errors += [DefinitionError(source, i, "id: defined twice in the file") for i in twice]
    if errors:
        raise InvalidDefinition("nothing imported: " + "; ".join(str(e) for e in errors))
    existing = load_folder(folder)
    clashes = sorted(set(ids) & {d.id for d in existing.definitions})
    if clashes and not replace:
        raise TaskExists(f"nothing imported: these tasks already exist: {', '.join(clashes)} "
                         "(use --replace to overwrite them)")
    for definition in incoming:
        if definition.id in clashes:
            remove(definition.id, folder)
        write(definition, folder)
    return ids
