"""How listing commands print: a rich table for people, plain rows or JSON for scripts.

Every listing (`tasks types`, `tasks list`, `messages`, `settings list`, `db status`) goes
through `print_listing`, which prints one of three forms:

* `--json`: one JSON document on stdout and nothing else there (UTF-8, `ensure_ascii=False`,
  indented): a list of objects whose keys are the column names, unless the command passes a
  richer `json_data` (`db status` prints one object). Dates are ISO 8601.
* stdout is a terminal: a rich table, as wide as the terminal; a long value wraps (folds)
  there, never cut. Cells are `Text`, so rich markup in a name, title or body is shown as
  typed, never interpreted.
* stdout is not a terminal (a pipe, a file): plain rows, never wrapped or truncated. One
  header line with the column names, then one line per record, cells separated by a tab.
  A list cell is joined with `; `. In a text cell, `\\`, tab, newline and carriage return
  are written `\\\\`, `\\t`, `\\n` and `\\r` (as in PostgreSQL's COPY text format), so a
  multi-line body stays on its line and `cut -f` and `grep` see whole records. `None` is an
  empty cell; a date is ISO 8601.

Whether stdout is a terminal is `sys.stdout.isatty()`; `COMPTOIR_FORCE_TERMINAL=1` makes it
count as one (the tests use it: their captured stdout is not a terminal).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath
from typing import Any, TypeAlias

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = [
    "FORCE_TERMINAL_ENV",
    "JSON_HELP",
    "Row",
    "json_document",
    "plain_cell",
    "plain_line",
    "print_json",
    "print_listing",
    "stdout_is_terminal",
    "write_stdout",
]

#: Set to 1 to print as for a terminal although stdout is not one.
FORCE_TERMINAL_ENV = "COMPTOIR_FORCE_TERMINAL"

#: The help of every listing's `--json` option.
JSON_HELP = "Print a JSON document instead of a table (for scripts)."

#: A record: values by column name, or values in column order.
Row: TypeAlias = Mapping[str, Any] | Sequence[Any]

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def stdout_is_terminal() -> bool:
    """True when stdout is a terminal, or `COMPTOIR_FORCE_TERMINAL=1` says to act as if."""
    if os.environ.get(FORCE_TERMINAL_ENV) == "1":
        return True
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # no stdout, or a closed one
        return False


def write_stdout(text: str) -> None:
    """Write `text` to stdout as UTF-8, whatever the locale's encoding."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
    else:
        stream.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal | PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if hasattr(value, "model_dump"):  # a pydantic model
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def json_document(data: Any) -> str:
    """`data` as the JSON text `--json` prints (dates ISO 8601, non-ASCII kept as is)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_jsonable) + "\n"


def print_json(data: Any) -> None:
    """Print `data` as one JSON document on stdout."""
    write_stdout(json_document(data))


def plain_cell(value: Any) -> str:
    """One cell of a plain row: on one line, without tabs (see the module's docstring)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(plain_cell(item) for item in value)
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    return str(value).translate(_ESCAPES)


def plain_line(cells: Iterable[Any]) -> str:
    """One plain row: its cells, tab-separated, and a newline."""
    return "\t".join(plain_cell(cell) for cell in cells) + "\n"


def _cells(columns: Sequence[str], row: Row) -> list[Any]:
    if isinstance(row, Mapping):
        return [row.get(column) for column in columns]
    if len(row) != len(columns):
        raise ValueError(f"a row of {len(row)} values for {len(columns)} columns")
    return list(row)


def _table_cell(value: Any) -> Text:
    if value is None or value == []:
        return Text("-")
    if isinstance(value, list | tuple):
        return Text("\n".join(str(item) for item in value))
    if isinstance(value, datetime):
        return Text(f"{value:%Y-%m-%d %H:%M:%S}")
    return Text(str(value))


def print_listing(
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    as_json: bool = False,
    json_data: Any = None,
    console: Console | None = None,
    show_lines: bool = False,
) -> None:
    """Print `rows` as JSON (`as_json`), a rich table (a terminal) or plain rows (otherwise).

    `json_data`, when given, is printed for `--json` instead of the rows as objects.
    `console` and `show_lines` are for the table.
    """
    records = [_cells(columns, row) for row in rows]
    if as_json:
        print_json(json_data if json_data is not None
                   else [dict(zip(columns, cells, strict=True)) for cells in records])
    elif stdout_is_terminal():
        table = Table(show_lines=show_lines)
        for column in columns:
            table.add_column(column, overflow="fold")  # a long name wraps, never cut with …
        for cells in records:
            table.add_row(*(_table_cell(cell) for cell in cells))
        (console or Console()).print(table)
    else:
        write_stdout(plain_line(columns) + "".join(plain_line(cells) for cells in records))

