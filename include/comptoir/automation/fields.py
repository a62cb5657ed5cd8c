"""Options several task types share, declared once so their trigger forms agree."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

Separator = Literal[";", ",", "\t", "|"]
"""The CSV field separators a task can read or write."""

DecimalSeparator = Literal[",", "."]
"""How a CSV file writes decimals: 12,50 or 12.50."""

Encoding = Literal["utf-8", "utf-8-sig", "cp1252", "iso-8859-15"]
"""The character encodings a CSV file of a task can have."""


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


def decimal_separator_field() -> Any:
    """The `decimal_separator` option: `,` by default, in the "CSV format" section."""
    return Field(
        default=",",
        title="Decimal separator",
        description="How amounts and quantities are written: 12,50 or 12.50.",
        json_schema_extra={
            "section": "CSV format",
            "values_display": {",": "Comma (12,50)", ".": "Point (12.50)"},
        },
    )


def encoding_field() -> Any:
    """The `encoding` option of a CSV file: UTF-8 by default, in the "CSV format" section."""
    return Field(
        default="utf-8",
        title="Encoding",
        description="Character encoding of the file.",
        json_schema_extra={
            "section": "CSV format",
            "values_display": {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM (Excel)",
                               "cp1252": "Windows-1252", "iso-8859-15": "ISO-8859-15"},
        },
    )
