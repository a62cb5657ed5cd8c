"""Options several task types share, declared once so their trigger forms agree."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

Separator = Literal[";", ",", "\t", "|"]
"""The CSV field separators a task can read or write."""


def separator_field(description: str) -> Any:
    """The `separator` option: `;` by default, in the form's "CSV format" section."""
    return Field(
        default=";",
        title="Separator",
        description=description,
        json_schema_extra={
            "section": "CSV format",
            "values_display": {";": "; (semicolon)", ",": ", (comma)", "\t": "Tab",
                               "|": "| (pipe)"},
        },
    )
