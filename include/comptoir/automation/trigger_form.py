"""The trigger form of a task type: its options as flat Airflow params, and back.

`params_spec(model, values)` turns a type's options model (its JSON schema) into Airflow
Param specs (plain dicts) whose defaults are the definition's `values`:

- a field with a default is optional: its type admits `null`. Airflow's form marks every
  field whose type excludes null as required, and sends null for an emptied one; an enum
  gets a `null` choice, labelled as the type's default;
- every enum value has a label (`values_display`); a list of choices is a multi-select;
- an inbox type's `source` (a nested object) becomes plain fields in the source's section:
  `source_kind`, `source_path`, `source_conn_id`, ... (`SOURCE_FIELDS`).

`overrides(model, params, options)` is the way back, for a run: the run's params (the
form's values) as the option values they set. An emptied field (null) whose option does
not take null gets the type's default (an emptied "Columns": every column), a list loses
its blank lines, and the flat source fields become the nested `source` again: the
definition's own when they show it unchanged. A `source` object in the run's conf (the
`comptoir tasks run --set source=...` way) is taken as given.
"""

from __future__ import annotations

import copy
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from comptoir.exchange.endpoints import AnySource

__all__ = ["SOURCE", "SOURCE_FIELDS", "SOURCE_PREFIX", "overrides", "params_spec",
           "source_kinds"]

SOURCE = "source"
SOURCE_PREFIX = "source_"

_PARAM_KEYS = ("type", "title", "description", "enum", "items", "minimum", "maximum",
               "minLength", "maxLength", "format", "values_display", "section", "default",
               "examples")

KIND_LABELS = {
    "local": "Local folder",
    "sftp": "SFTP server",
    "ftp": "FTP or FTPS server",
    "imap": "IMAP mailbox (attachments)",
    "pop3": "POP3 mailbox (attachments)",
    "mail_folder": "Folder of .eml files (attachments)",
}
"""The kinds of inbox source, as the form names them."""

SOURCE_FIELDS: dict[str, tuple[str, str, str]] = {
    "path": ("Folder", "string",
             "The folder: a local inbox is taken under var/inbox, a folder of .eml files "
             "under var/mail, when relative; an absolute path is used as given."),
    "conn_id": ("Connection", "string",
                "The Airflow connection that holds the server, the login and the password."),
    "directory": ("Server folder", "string",
                  "The folder on the server, relative to the login folder unless it starts "
                  "with /. Empty: the login folder."),
    "mailbox": ("Mailbox", "string", "The IMAP folder to read. Empty: INBOX."),
    "processed_mailbox": ("Processed mailbox", "string",
                          "Where messages go once read, levels separated by /. Empty: the "
                          "default folder."),
    "sender": ("Sender", "string",
               "Only messages whose From contains this text (an address or a domain)."),
    "pattern": ("Files", "string",
                "Which files to take: a glob on the file name, ignoring case (*.csv). "
                "Empty: every file."),
    "min_age_seconds": ("Minimum age (seconds)", "number",
                        "A file modified more recently is left for the next run (it may "
                        "still be being copied). Empty: 10 seconds."),
}
"""The plain fields of a source: name → (title, JSON type, description); each becomes the
param `source_<name>`."""


def source_kinds() -> dict[str, list[str]]:
    """Each kind of source and the fields it has (besides `kind`), from the source models."""
    kinds: dict[str, list[str]] = {}
    for model in typing.get_args(AnySource):
        kind = typing.get_args(model.model_fields["kind"].annotation)[0]
        kinds[kind] = [name for name in model.model_fields if name != "kind"]
    return kinds


@dataclass(frozen=True)
class _Field:
    spec: dict[str, Any]
    nullable: bool
    """The option itself takes null (null means something, e.g. no date)."""
    required: bool
    default: Any
    """The type's default (None for a required option)."""
    source: bool
    """An inbox source: shown as plain fields."""
    extra: dict[str, Any]


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


def _types(spec: dict[str, Any]) -> list[str]:
    kind = spec.get("type", [])
    return list(kind) if isinstance(kind, list) else [kind]


def _label(value: Any, display: Mapping[str, str]) -> str:
    return display.get("null" if value is None else str(value), str(value))


def _labelled(spec: dict[str, Any], default: Any, optional: bool) -> dict[str, Any]:
    """Every enum value labelled; `null` added (labelled as the default) when optional."""
    if "enum" in spec:
        display = {str(v): str(v) for v in spec["enum"] if v is not None}
        display.update(spec.get("values_display") or {})
        if None in spec["enum"]:
            display.setdefault("null", "(none)")
        elif optional:
            spec["enum"] = [*spec["enum"], None]
            display["null"] = f"Default: {_label(default, display)}"
        spec["values_display"] = display
    items = spec.get("items") or {}
    if "array" in _types(spec) and "enum" in items and "examples" not in spec:
        spec["examples"] = list(items["enum"])  # Airflow's multi-select
    return spec


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, _Field]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    by_alias = {info.alias or name: info for name, info in model.model_fields.items()}
    fields: dict[str, _Field] = {}
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(raw, defs)
        spec = {key: prop[key] for key in _PARAM_KEYS if key in prop}
        nullable = "null" in _types(spec)
        info = by_alias[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        optional = name not in required
        if optional and spec.get("type") and not nullable:
            spec["type"] = [*_types(spec), "null"]
        default = None if not optional else info.get_default(call_default_factory=True)
        spec = _labelled(spec, default, optional and not nullable)
        fields[name] = _Field(spec, nullable, not optional, default, name == SOURCE and
                              _is_source(info.annotation), dict(extra))
    return fields


def _is_source(annotation: Any) -> bool:
    models = set(typing.get_args(AnySource))
    found: set[Any] = set()
    pending = [annotation]
    while pending:
        current = pending.pop()
        if current in models:
            found.add(current)
        pending.extend(typing.get_args(current))
    return bool(found)


def _source_spec(field: _Field, value: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The plain fields of a source option, `value` (the source as a dict) as defaults."""
    value = value or {}
    section = field.spec.get("section")
    kinds = source_kinds()
    allowed = list(field.extra.get("source_kinds") or kinds)
    display = {kind: KIND_LABELS[kind] for kind in allowed}
    kind_spec: dict[str, Any] = {
        "type": "string", "title": field.spec.get("title", "Source"),
        "description": field.spec.get("description", ""), "enum": allowed,
        "values_display": display, "default": value.get("kind"),
    }
    if not field.required:
        kind_spec["type"] = ["string", "null"]
        kind_spec["enum"] = [*allowed, None]
        display["null"] = field.extra.get("source_default",
                                          "Default: the task's own folder, var/inbox/<task id>")
    spec = {f"{SOURCE_PREFIX}kind": kind_spec}
    for name, (title, json_type, description) in SOURCE_FIELDS.items():
        users = [KIND_LABELS[k] for k in allowed if name in kinds[k]]
        if not users:
            continue
        spec[f"{SOURCE_PREFIX}{name}"] = {
            "type": [json_type, "null"], "title": title,
            "description": f"{description} For: {', '.join(users)}.",
            "default": value.get(name),
        }
    for item in spec.values():
        if section:
            item["section"] = section
    return spec


def params_spec(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The options of `model` as Airflow Param specs (plain dicts), `values` as defaults."""
    spec: dict[str, dict[str, Any]] = {}
    for name, field in _fields(model).items():
        if field.source:
            spec.update(_source_spec(field, values.get(name)))
            continue
        item = {**field.spec, **({"default": values[name]} if name in values else {})}
        spec[name] = item
    return spec


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _source(model: type[BaseModel], params: Mapping[str, Any],
            options: Mapping[str, Any]) -> Any:
    """The nested source from the flat fields of the run's params."""
    flat = {key[len(SOURCE_PREFIX):]: value for key, value in params.items()
            if key.startswith(SOURCE_PREFIX)}
    written = options.get(SOURCE)
    shown = model.model_validate(dict(options)).model_dump(mode="json").get(SOURCE) or {}
    if all(value == shown.get(key) for key, value in flat.items()):
        return written
    kind = flat.get("kind")
    if _blank(kind):
        return None
    own = source_kinds().get(kind, [])
    if isinstance(written, Mapping) and written.get("kind") == kind:
        source = dict(written)
        for key in own:
            if key in flat and flat[key] != shown.get(key):
                if _blank(flat[key]):
                    source.pop(key, None)
                else:
                    source[key] = flat[key]
        return source
    return {"kind": kind, **{key: flat[key] for key in own
                             if key in flat and not _blank(flat[key])}}


def overrides(model: type[BaseModel], params: Mapping[str, Any],
              options: Mapping[str, Any]) -> dict[str, Any]:
    """The option values a run's `params` set, for a definition with these `options`."""
    result: dict[str, Any] = {}
    for name, field in _fields(model).items():
        if field.source and not isinstance(params.get(name), Mapping):
            if any(key.startswith(SOURCE_PREFIX) for key in params):
                result[name] = _source(model, params, options)
            continue
        if name not in params:
            continue
        value = params[name]
        if value is None and not field.nullable and not field.required:
            value = copy.deepcopy(field.default)
        elif isinstance(value, list):
            value = [item for item in value if not (isinstance(item, str) and _blank(item))]
        result[name] = value
    return result
