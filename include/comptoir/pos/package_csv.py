"""CSV members of a package: the conventions ticket files and base packages share.

UTF-8 (a BOM tolerated), `;`, the header exactly as expected, LF (CRLF tolerated),
RFC 4180 quoting with `"`. Reading gives column-oriented text (`CsvTable`): every value
as written, `""` when empty, and the line where each row starts, for a set-based loader
to copy into staging tables. Values are not interpreted here: a bad decimal or date is
the loader's per-row rule, not a file-level refusal.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from comptoir.exchange.names import printable
from comptoir.pos.package import MemberData, Package, PackageRefused

__all__ = ["CsvTable", "csv_member", "csv_text", "read_csv_members"]

DELIMITER = ";"
_CHUNK = 1024 * 1024
QUOTE = '"'


@dataclass(frozen=True)
class CsvTable:
    """The data rows of a CSV member, column by column, as text."""

    name: str
    header: tuple[str, ...]
    columns: dict[str, list[str]]
    line_numbers: list[int]
    """The line of the member where each row starts (the header is line 1)."""

    def __len__(self) -> int:
        return len(self.line_numbers)

    def column(self, name: str) -> list[str]:
        """The values of one column, in row order."""
        return self.columns[name]


# --------------------------------------------------------------------------- writing


def csv_text(value: object) -> str:
    """A value as the CSV conventions write it (None empty, booleans 1/0, plain decimals)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError(f"{value!r} is a float: money and quantities are Decimal")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def csv_member(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
               ) -> MemberData:
    """A CSV member to write: the header, then `rows` (each as wide as the header)."""
    width = len(header)
    lines = [list(header)]
    for row in rows:
        values = [csv_text(value) for value in row]
        if len(values) != width:
            raise ValueError(f"{name}: row {len(lines)} has {len(values)} values, "
                             f"{width} expected")
        lines.append(values)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, quotechar=QUOTE, lineterminator="\n")
    writer.writerows(lines)
    text = buffer.getvalue()
    if "\r" in text:  # Python 3.11's writer leaves a lone CR unquoted with LF line ends
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=DELIMITER, quotechar=QUOTE, lineterminator="\n")
        quoted = csv.writer(buffer, delimiter=DELIMITER, quotechar=QUOTE, lineterminator="\n",
                            quoting=csv.QUOTE_ALL)
        for values in lines:
            (quoted if any("\r" in value for value in values) else writer).writerow(values)
        text = buffer.getvalue()
    return MemberData(name, text.encode("utf-8"), len(lines) - 1)


# --------------------------------------------------------------------------- reading


@dataclass
class _Parsed:
    table: CsvTable | None
    rows: int | None
    """Data rows counted (None when the member could not be read to its end)."""
    error: PackageRefused | None


def read_csv_members(
    package: Package,
    headers: Mapping[str, Sequence[str]],
    verify: Callable[[Mapping[str, CsvTable]], None] | None = None,
) -> dict[str, CsvTable]:
    """Read CSV members; raise `PackageRefused` in the contract's order.

    `checksum` first (each member's `rows` against the manifest, then `verify(tables)`, the
    caller's own counts, given the members that were read whole), then `bad_header`, then
    `bad_row` (wrong field count, invalid UTF-8, broken quoting, a blank line before data).
    """
    parsed = {name: _parse(package, name, tuple(header)) for name, header in headers.items()}
    for name, result in parsed.items():
        declared = package.rows_declared(name)
        if result.rows is not None and result.rows != declared:
            raise PackageRefused(
                "checksum", f"{name} holds {result.rows:,} rows, the manifest says "
                f"{declared:,}: the file was altered or damaged", member=name)
    tables = {name: result.table for name, result in parsed.items() if result.table is not None}
    if verify is not None:
        verify(tables)
    for rule in ("bad_header", "bad_row"):
        for result in parsed.values():
            if result.error is not None and result.error.rule == rule:
                raise result.error
    return tables


def _parse(package: Package, name: str, header: tuple[str, ...]) -> _Parsed:
    """Read a member whole; a member with a row over several lines is read again, slowly."""
    parsed = _read(package, name, header, fast=True)
    return parsed if parsed is not None else _read(package, name, header, fast=False)


def _read(package: Package, name: str, header: tuple[str, ...], *, fast: bool
          ) -> _Parsed | None:
    def bad_row(line: int, why: str) -> PackageRefused:
        return PackageRefused("bad_row", f"line {line} of {name} {why}", member=name,
                              line=line)

    with package.open_member(name) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=DELIMITER, quotechar=QUOTE, strict=True)
        try:
            if fast:
                rows = list(reader)
                if reader.line_num != len(rows):
                    return None  # a quoted line break: line numbers need the slow path
                return _checked(rows, list(range(1, len(rows) + 1)), name, header, bad_row)
            rows, starts = [], []
            previous = 0
            for row in reader:
                rows.append(row)
                starts.append(previous + 1)
                previous = reader.line_num
            return _checked(rows, starts, name, header, bad_row)
        except UnicodeDecodeError:
            pass  # decoded by blocks: the line is found again below
        except csv.Error as exc:
            line = max(reader.line_num, 1)
            return _Parsed(None, None, bad_row(line, f"cannot be read as CSV ({exc})"))
    return _Parsed(None, None, bad_row(_invalid_utf8_line(package, name), "is not valid UTF-8"))


def _invalid_utf8_line(package: Package, name: str) -> int:
    """The line of a member where its UTF-8 first breaks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with package.open_member(name) as raw:
        while chunk := raw.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk.count(b"\n", 0, max(exc.start, 0))
            line += chunk.count(b"\n")
    return line


def _checked(rows: list[list[str]], starts: list[int], name: str, header: tuple[str, ...],
             bad_row: Callable[[int, str], PackageRefused]) -> _Parsed:
    """The rows (header first, with the line each starts on) as a table, or the first error."""
    error: PackageRefused | None = None
    if not rows:
        error = PackageRefused("bad_header", f"{name} is empty: its header "
                               f"{DELIMITER.join(header)!r} is missing", member=name, line=1)
    elif tuple(rows[0]) != header:
        found = printable(DELIMITER.join(rows[0]))[:200]
        error = PackageRefused("bad_header", f"the header of {name} is {found!r}, expected "
                               f"{DELIMITER.join(header)!r}", member=name, line=1)
    end = len(rows)
    while end > 1 and not rows[end - 1]:
        end -= 1  # blank lines at the end are tolerated
    data, lines = rows[1:end], starts[1:end]
    width = len(header)
    count = len(data)
    if not all(map(width.__eq__, map(len, data))):
        count -= sum(1 for row in data if not row)
        for row, line in zip(data, lines, strict=True):
            if not row or len(row) != width:
                why = "is blank" if not row else f"has {len(row)} fields, {width} expected"
                error = error or bad_row(line, why)
                break
    if error is not None:
        return _Parsed(None, count, error)
    columns = [list(values) for values in zip(*data, strict=True)] if data else [
        [] for _ in header]
    return _Parsed(CsvTable(name, header, dict(zip(header, columns, strict=True)), lines),
                   count, None)
