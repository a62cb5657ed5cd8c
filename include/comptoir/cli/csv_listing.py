"""The CSV listings of the `pos` and `accounting` commands (`spec/pos.md`, commands table).

CSV on stdout: `;` between fields, a header line, `.` decimals, booleans `1`/`0`, dates
and times ISO 8601, an empty field for nothing, RFC 4180 quoting, LF line ends. Unlike
the other listings (`comptoir.cli.output`), the form does not depend on the terminal:
these listings are read by scripts and spreadsheets. `--json` prints the same records as
one JSON document. Amounts are strings with 2 decimals in both (`listing_record`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from comptoir.cli.output import write_stdout

__all__ = ["csv_cell", "listing_record", "print_csv"]

_CHUNK = 10_000


def csv_cell(value: Any) -> str:
    """One field: `1`/`0` for a boolean, plain decimals, ISO dates, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def print_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Print the header and the rows (streamed, written in chunks)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(columns)
    for count, row in enumerate(rows, 1):
        writer.writerow([csv_cell(row.get(column)) for column in columns])
        if count % _CHUNK == 0:
            write_stdout(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    write_stdout(buffer.getvalue())


def listing_record(row: Mapping[str, Any], amounts: Iterable[str] = ()) -> dict[str, Any]:
    """A record as listings print it: the `amounts` columns as strings with 2 decimals."""
    from comptoir.pos.report import money

    money_columns = set(amounts)
    return {key: (money(value) if key in money_columns and value is not None else value)
            for key, value in row.items()}
