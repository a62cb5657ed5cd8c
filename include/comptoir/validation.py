"""Pydantic validation errors as one line a user can act on: `field.path: message; ...`."""

from __future__ import annotations

import re

from pydantic import ValidationError

__all__ = ["problems"]

_NOISE = ("Value error, ", "Assertion failed, ")
_NAMES_ITS_FIELD = re.compile(r"^[a-z_]+: ")


def problems(exc: ValidationError, prefix: str = "") -> str:
    """`prefix.field.path: message` for each error, joined with `; `.

    A model-level check whose message already starts with `field: ` gets the prefix only;
    a message that already names its place (`options.x`, `output...`, `type:`) is kept.
    """
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        where = ".".join(p for p in (prefix, loc) if p)
        message = err["msg"]
        for noise in _NOISE:
            message = message.removeprefix(noise)
        if message.startswith(("options.", "output", "type:")) or not where:
            parts.append(message)
        elif not loc and _NAMES_ITS_FIELD.match(message):
            parts.append(f"{where}.{message}")
        else:
            parts.append(f"{where}: {message}")
    return "; ".join(parts)
