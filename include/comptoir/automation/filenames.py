"""File-name tags in `output.filename`: `{y}{m}{d}-{h}{i}{s}`, `{j}`, `{mag:code}`, `{mag:name}`.

A template is checked once, when its definition is validated (`check_template`): an
unknown tag, a stray brace or a path in the fixed text is refused there. Names are
rendered when a run starts, in the dossier's time zone (`render`), and each rendered
name is checked again (`check_name`, the exchange layer's rule for a plain file name),
since a store's name can bring a `/` with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from comptoir.errors import ComptoirError
from comptoir.exchange.errors import UnsafeFileName
from comptoir.exchange.names import check_name as check_plain_name

__all__ = [
    "DATE_TAGS",
    "STORE_TAGS",
    "FileNameError",
    "Store",
    "check_name",
    "check_template",
    "name_pattern",
    "render",
    "uses_store",
]

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

DATE_TAGS: dict[str, str] = {
    "y": "year, 4 digits (2012)",
    "y2": "year, 2 digits (12)",
    "m": "month (09)",
    "d": "day of the month (19)",
    "j": "English day name (Wednesday)",
    "h": "hour, 24 h (11)",
    "i": "minute (59)",
    "s": "second (07)",
}
"""The date and time tags and what they give."""

STORE_TAGS: dict[str, str] = {
    "mag:code": "the store's code: one file per store",
    "mag:name": "the store's name: one file per store",
}
"""The store tags: a template with one of them gives one file per store."""

_TAG = re.compile(r"\{([^{}]*)\}")
_DIGITS = {"y": 4, "y2": 2, "m": 2, "d": 2, "h": 2, "i": 2, "s": 2}


class FileNameError(ComptoirError):
    """A file-name template or a rendered name that cannot be used."""


@dataclass(frozen=True)
class Store:
    """What the `{mag:...}` tags need to know about a store."""

    code: str
    name: str


def _tags(template: str) -> list[str]:
    """The tags of `template`, checked for stray braces."""
    stripped = _TAG.sub("", template)
    if "{" in stripped or "}" in stripped:
        raise FileNameError(
            f"file name {template!r}: a brace is not closed or not opened; "
            "tags look like {y}, {m}, {d} or {mag:code}"
        )
    return _TAG.findall(template)


def check_template(template: str) -> list[str]:
    """Refuse unknown tags and fixed text that is not a plain file name; return the tags."""
    if not template.strip():
        raise FileNameError("the file name is empty")
    tags = _tags(template)
    known = set(DATE_TAGS) | set(STORE_TAGS)
    for tag in tags:
        if tag not in known:
            raise FileNameError(
                f"file name {template!r}: unknown tag {{{tag}}}; known tags: "
                + ", ".join(f"{{{t}}}" for t in [*DATE_TAGS, *STORE_TAGS])
            )
    # The fixed text, with every tag replaced by a harmless sample, must be a plain name.
    check_name(_TAG.sub("x", template), template)
    return tags


def uses_store(template: str) -> bool:
    """True when the template makes one file per store (`{mag:code}` or `{mag:name}`)."""
    return any(tag in STORE_TAGS for tag in _tags(template))


def check_name(name: str, template: str | None = None) -> str:
    """Return `name` if it is a plain file name (`comptoir.exchange.names.check_name`).

    Raises `FileNameError` naming the template it came from.
    """
    try:
        return check_plain_name(name)
    except UnsafeFileName as exc:
        origin = f" (from {template!r})" if template and template != name else ""
        raise FileNameError(f"{exc}{origin}") from None


def _date_value(tag: str, moment: datetime) -> str:
    values = {
        "y": f"{moment.year:04d}",
        "y2": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "d": f"{moment.day:02d}",
        "j": _DAYS[moment.weekday()],
        "h": f"{moment.hour:02d}",
        "i": f"{moment.minute:02d}",
        "s": f"{moment.second:02d}",
    }
    return values[tag]


def render(template: str, moment: datetime, store: Store | None = None) -> str:
    """The file name for a run started at `moment` (already in the dossier's time zone)."""
    check_template(template)

    def value(match: re.Match[str]) -> str:
        tag = match.group(1)
        if tag in STORE_TAGS:
            if store is None:
                raise FileNameError(f"file name {template!r}: {{{tag}}} needs a store; this "
                                    "task type makes one file for all stores")
            return store.code if tag == "mag:code" else store.name
        return _date_value(tag, moment)

    name = _TAG.sub(value, template)
    try:
        return check_name(name, template)
    except FileNameError as exc:
        if store is not None:
            raise FileNameError(f"{exc}; store {store.code!r} gives this name: use {{mag:code}} "
                                "or rename the store") from None
        raise


def name_pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching every name `template` can render (retention of backups)."""
    parts: list[str] = []
    position = 0
    for match in _TAG.finditer(template):
        parts.append(re.escape(template[position:match.start()]))
        tag = match.group(1)
        if tag in _DIGITS:
            parts.append(rf"\d{{{_DIGITS[tag]}}}")
        elif tag == "j":
            parts.append("(?:" + "|".join(_DAYS) + ")")
        else:
            parts.append(r"[^/\\]+?")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts) + r"\Z")
