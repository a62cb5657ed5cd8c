"""The CSV options and writer of the retail types: those of `export_data`.

`separator` (`;`), `decimal_separator` (`,`), `encoding` (`utf-8`, `utf-8-sig`, `cp1252`,
`iso-8859-15`), always a header row. Cells are written by `export_data`'s writer (empty
for None, `1`/`0` for booleans, dates `YYYY-MM-DD`, decimals with the chosen separator).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, model_validator

from comptoir.automation.fields import (
    DecimalSeparator,
    Encoding,
    Separator,
    decimal_separator_field,
    encoding_field,
    separator_field,
)


class CsvOptions(BaseModel):
    """The CSV format options a retail type's file takes (as `export_data`)."""

    separator: Separator = separator_field("Field separator of the CSV file.")
    decimal_separator: DecimalSeparator = decimal_separator_field()
    encoding: Encoding = encoding_field()

    @property
    def header(self) -> bool:
        """These files always start with the column names."""
        return True

    @model_validator(mode="after")
    def _distinct_separators(self) -> CsvOptions:
        if self.separator == self.decimal_separator:
            raise ValueError("decimal_separator: it cannot be the field separator")
        return self


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]],
              options: CsvOptions) -> int:
    """Write `rows` under the header `columns` with `export_data`'s writer; the row count.

    A character the encoding cannot hold fails with `ExportError`, naming it.
    """
    from comptoir.automation.types.export_data import write_rows

    return write_rows(rows, path, list(columns), options)  # type: ignore[arg-type]


def write_csv_to(handle: TextIO, columns: Sequence[str] | None, rows: Iterable[Sequence[Any]],
                 options: CsvOptions) -> int:
    """Stream `rows` to an open text `handle` (opened with `options.encoding`, newline="")
    after the header `columns` (None: no header, a file continued); the row count."""
    from comptoir.automation.types.export_data import write_rows_to

    return write_rows_to(handle, rows, None if columns is None else list(columns), options)
