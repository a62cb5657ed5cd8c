"""Reading CSV import files: encoding, header matching, physical line numbers.

The file is read whole as bytes; its encoding is UTF-8 (with or without BOM) or else
Windows-1252. Column names are matched without regard to case or surrounding spaces.
Every value is text, stripped; an empty field is null. `_line` is the physical line the
record starts on (header = line 1). A record with the wrong number of fields, or with a
field longer than `FIELD_LIMIT` characters (or on a line longer than `LINE_LIMIT` bytes),
is kept aside as malformed and the others are read; anything that makes the whole file
unreadable, a quote never closed among them, raises `ImportFileError`.

Files without a double quote (the common case, and big generated files) are parsed by
pyarrow; files with quotes by Python's csv module, which tells where each record starts.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from comptoir.imports.csv_scan import FIELD_LIMIT, LINE_LIMIT, breaks, long_lines, record_end
from comptoir.imports.errors import ImportFileError
from comptoir.imports.rejections import CUT, cut
from comptoir.imports.report import Notice

LINE = "_line"
_BOMS = {codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32",
         codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16"}


@dataclass
class Malformed:
    """A record that could not be read: not the header's number of fields, or too long."""

    line: int
    key: str | None
    message: str
    record: str = ""
    """The record as written (cut), when the reader has it."""


@dataclass
class RawFile:
    """A file as read: its records (text columns named as the contract names them)."""

    name: str
    table: pa.Table
    encoding: str
    warnings: list[Notice] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        """Every record as a pandas frame."""
        return to_frame(self.table)

    def slices(self, rows: int) -> Iterator[pd.DataFrame]:
        """The records `rows` at a time (at least one, possibly empty, frame)."""
        for start in range(0, max(self.table.num_rows, 1), rows):
            yield to_frame(self.table.slice(start, rows))


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A pandas frame of text columns (nullable strings) and `_line`."""
    frame = table.to_pandas()
    for column in frame.columns:
        if column != LINE:
            frame[column] = frame[column].astype("str")
    return frame


def decode(data: bytes, name: str) -> tuple[bytes, str]:
    """UTF-8 bytes of the file and the encoding it was in (UTF-8 or Windows-1252)."""
    if not data or data.isspace():
        raise ImportFileError(f"{name}: the file is empty")
    for bom, label in _BOMS.items():
        if data.startswith(bom):
            raise ImportFileError(f"{name}: {label} text is not supported; save it as UTF-8 "
                                  "or Windows-1252")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data:
        raise ImportFileError(f"{name}: this is not a text file (it contains NUL bytes)")
    if _is_utf8(data):
        return data, "utf-8"
    try:
        return data.decode("cp1252").encode("utf-8"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{name}: the text is neither UTF-8 nor Windows-1252 (byte {exc.start + 1})"
        ) from None


def _is_utf8(data: bytes) -> bool:
    """Whether the bytes are valid UTF-8 (Arrow's validation: no copy of the file as text)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    binary = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        binary.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _header(data: bytes, sep: str, name: str) -> tuple[list[str], int]:
    """The header's column names (as written) and its physical line number."""
    head = data[: 1 << 16].decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=sep, strict=False)
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if row:
                return row, start
    except csv.Error as exc:
        raise ImportFileError(f"{name}: cannot read the header ({exc})") from None
    raise ImportFileError(f"{name}: no header row")


def match_columns(found: list[str], known: Iterable[str], mandatory: Iterable[str],
                  name: str) -> tuple[dict[int, str], list[Notice]]:
    """Position → contract column name, and warnings for unknown columns."""
    known_set = set(known)
    positions: dict[int, str] = {}
    warnings: list[Notice] = []
    seen: dict[str, int] = {}
    for position, raw in enumerate(found):
        column = raw.strip().upper()
        if column in known_set:
            if column in seen:
                raise ImportFileError(f"{name}: column {column} appears twice in the header")
            seen[column] = position
            positions[position] = column
        elif column:
            warnings.append(Notice(name, 1, f"unknown column {raw.strip()} ignored"))
    missing = [c for c in mandatory if c not in seen]
    if missing:
        raise ImportFileError(
            f"{name}: mandatory column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} missing from the header"
            f" (found: {', '.join(c.strip() for c in found) or 'nothing'})"
        )
    return positions, warnings


def _edge_table(ascii_bytes: bytes, other_bytes: range | tuple[int, ...]) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(ascii_bytes)] = True
    table[list(other_bytes)] = True
    return table


_SPACES = b"\t\n\x0b\x0c\r "
#: Bytes that may start / end a Unicode white space (U+0085, U+00A0, U+1680, U+2000-200A,
#: U+2028-2029, U+202F, U+205F, U+3000): a value with one at an edge may need trimming.
_MAY_START_SPACE = _edge_table(_SPACES, (0xC2, 0xE1, 0xE2, 0xE3))
_MAY_END_SPACE = _edge_table(_SPACES, (*range(0x80, 0x8B), 0x9F, 0xA0, 0xA8, 0xA9, 0xAF))


def _may_need_trim(array: pa.Array) -> bool:
    """Whether some value may start or end with white space (first and last bytes only)."""
    if array.null_count == len(array):
        return False
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    offsets = offsets[array.offset: array.offset + len(array) + 1]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    return bool(_MAY_START_SPACE[data[starts[filled]]].any()
                or _MAY_END_SPACE[data[ends[filled] - 1]].any())


def _clean(array: pa.Array) -> pa.Array:
    """Values stripped; a field left empty is null."""
    text = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(pc.binary_length(text), 0), pa.scalar(None, pa.string()), text)


def _clean_parsed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """`_clean` for pyarrow's parse (which read "" as null): only chunks that need it."""
    chunks = [_clean(chunk) if _may_need_trim(chunk) else chunk for chunk in column.chunks]
    return pa.chunked_array(chunks, type=pa.string())


def _record_lines(data: bytes, records: int) -> np.ndarray:
    """Physical numbers of the lines that are not empty, for `records` records read.

    The common case needs no scan of its own: line breaks are LF or CRLF only and there
    are as many lines as records, so no line is blank and record k is on line k.
    """
    carriage_returns = data.count(b"\r")
    if not carriage_returns or carriage_returns == data.count(b"\r\n"):
        total = data.count(b"\n") + (not data.endswith(b"\n"))
        if total == records:
            return np.arange(1, total + 1, dtype=np.int64)
    return _nonblank_lines(data)


def _nonblank_lines(data: bytes) -> np.ndarray:
    """Physical numbers of the lines that are not empty (records of a file without quotes)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not len(raw) or raw[-1] != 10:
        ends = np.append(ends, len(raw))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    cr_only = (length == 1) & (raw[np.minimum(starts, len(raw) - 1)] == 13)
    return np.flatnonzero((length > 0) & ~cr_only) + 1


def _read_arrow(data: bytes, sep: str, width: int, *,
                threads: bool = True) -> tuple[pa.Table, list[tuple[int, int, str | None]]]:
    """pyarrow's parse (empty fields null); the line of a record of the wrong width is
    only known to a single-threaded parse, so a file that has one is parsed again so.
    A record of the wrong width comes with its number, width and first field."""
    bad: list[tuple[int, int, str | None]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.actual_columns, _key(row.text[:200], sep)))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=threads,
                                       block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False,
                                         invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=True, null_values=[""]),
    )
    if threads and bad:
        return _read_arrow(data, sep, width, threads=False)
    return table, bad


def _read_python(text: str, sep: str, width: int, name: str) -> tuple[
        list[list[str]], list[int], list[tuple[int, list[str]]], list[Malformed]]:
    """Records of the right width and their lines, records of another width, records too
    long to read (a field over `FIELD_LIMIT`: the next record is read after it)."""
    rows: list[list[str]] = []
    lines: list[int] = []
    bad: list[tuple[int, list[str]]] = []
    too_long: list[Malformed] = []
    handle = io.StringIO(text, newline="")
    reader = csv.reader(handle, delimiter=sep, strict=False)
    before = end = 0   # lines read by earlier readers; last line read
    pos = last = 0     # offsets of the record being read and of the last one read
    last_line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            stop, opened = record_end(text, pos, sep)
            if opened is not None:
                raise _unclosed(name, text, pos, end + 1, opened) from None
            if stop - pos <= min(FIELD_LIMIT, csv.field_size_limit()):
                raise ImportFileError(f"{name}: cannot be read as CSV (line "
                                      f"{before + reader.line_num}: {exc})") from None
            too_long.append(_field_too_long(end + 1, text[pos: pos + 4 * CUT],
                                            _chars(text, pos, stop), sep))
            end = before = end + breaks(text, pos, stop)
            pos = handle.seek(stop)
            reader = csv.reader(handle, delimiter=sep, strict=False)
            continue
        start, end = end + 1, before + reader.line_num
        here, pos = pos, handle.tell()
        if not row:
            continue
        last, last_line = here, start
        if pos - here > FIELD_LIMIT and max(map(len, row)) > FIELD_LIMIT:
            too_long.append(_field_too_long(start, text[here: here + 4 * CUT],
                                            _chars(text, here, pos), sep))
        elif len(row) == width:
            rows.append(row)
            lines.append(start)
        else:
            bad.append((start, row))
    if last_line:
        opened = record_end(text, last, sep)[1]
        if opened is not None:
            raise _unclosed(name, text, last, last_line, opened)
    return rows, lines, bad, too_long


def _chars(text: str, start: int, stop: int) -> int:
    """Characters of the record text[start:stop], its line break left out."""
    return len(text[max(start, stop - 2): stop].rstrip("\r\n")) + max(stop - 2 - start, 0)


def _unclosed(name: str, text: str, start: int, line: int, opened: int) -> ImportFileError:
    """The error for the quote at `opened`, never closed (its record starts on `line`)."""
    return ImportFileError(f"{name}: quote opened on line {line + breaks(text, start, opened)}"
                           " is never closed")


def _field_too_long(line: int, head: str, chars: int, sep: str) -> Malformed:
    """A record with a field over `FIELD_LIMIT` characters (`head`: how it starts)."""
    return Malformed(line, _key(head, sep),
                     f"a field of this record is longer than {FIELD_LIMIT:,} characters "
                     f"(the record has {chars:,}): it is not read", cut(head, length=chars))


def _key(head: str, sep: str) -> str | None:
    """The record's first field, when the start of the record shows it whole and short."""
    first, found, _ = head.partition(sep)
    key = first.strip().strip('"').strip()
    return key if found and key and len(key) <= 100 else None


def _set_aside_long_lines(data: bytes, sep: str, header_line: int) -> tuple[
        bytes, list[Malformed]]:
    """The file with its lines too long to read emptied (line breaks kept, so the other
    lines keep their numbers) and those lines as malformed records: a field over
    `FIELD_LIMIT` characters, or a line over `LINE_LIMIT` bytes (pyarrow's block).
    For files without quotes, where a line is a record."""
    found = long_lines(data, FIELD_LIMIT)
    if not found:
        return data, []
    view = memoryview(data)
    pieces: list[memoryview] = []
    malformed: list[Malformed] = []
    line, counted, kept = 1, 0, 0
    for start, stop in found:
        line += breaks(data, counted, start)
        counted = start
        if line <= header_line:
            continue
        fields = data[start:stop].split(sep.encode())
        lengths = [len(value.decode("utf-8")) for value in fields]
        chars = sum(lengths) + len(fields) - 1
        head = data[start: start + 16 * CUT].decode("utf-8", errors="ignore")[: 4 * CUT]
        if max(lengths) > FIELD_LIMIT:
            malformed.append(_field_too_long(line, head, chars, sep))
        elif stop - start > LINE_LIMIT:
            malformed.append(Malformed(
                line, _key(head, sep), f"this line is longer than {LINE_LIMIT:,} bytes "
                f"({stop - start:,}): it is not read", cut(head, length=chars)))
        else:
            continue
        pieces.append(view[kept:start])
        kept = stop
    if not malformed:
        return data, []
    pieces.append(view[kept:])
    return b"".join(pieces), malformed


def read_csv(path: Path, *, sep: str, known: Iterable[str], mandatory: Iterable[str],
             display_name: str | None = None) -> RawFile:
    """Read one import file; raises `ImportFileError` when it cannot be read as a whole."""
    name = display_name or path.name
    if len(sep) != 1 or sep in "\"\r\n":
        raise ImportFileError(f"the separator must be one character, not {sep!r}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{name}: cannot read the file ({exc.strerror})") from None
    data, encoding = decode(raw, name)
    del raw
    header, header_line = _header(data, sep, name)
    positions, warnings = match_columns(header, known, mandatory, name)
    width = len(header)
    malformed: list[Malformed] = []
    arrow = None
    if b'"' not in data:
        data, malformed = _set_aside_long_lines(data, sep, header_line)
        try:
            arrow = _read_arrow(data, sep, width)
        except pa.ArrowInvalid as exc:
            raise ImportFileError(f"{name}: cannot be read as CSV ({exc})") from None
        record_lines = _record_lines(data, arrow[0].num_rows + len(arrow[1]))
        if arrow[0].num_rows + len(arrow[1]) != len(record_lines):
            arrow = None  # a line break pyarrow reads differently: take the exact path
    if arrow is not None:
        table, bad = arrow
        del data
        bad_numbers = {number for number, _, _ in bad}
        for number, count, key in bad:
            malformed.append(_malformed(int(record_lines[number - 1]), count, width, key))
        keep = np.array([n for n in range(1, len(record_lines) + 1) if n not in bad_numbers],
                        dtype=np.int64) if bad else np.arange(1, len(record_lines) + 1)
        lines = record_lines[keep - 1][: table.num_rows]
        columns = {column: _clean_parsed(table.column(position))
                   for position, column in positions.items()}
        del table
    else:
        text = data.decode("utf-8")
        del data
        rows, lines_list, bad_rows, too_long = _read_python(text, sep, width, name)
        del text
        malformed.extend(too_long)
        for line, row in bad_rows:
            malformed.append(_malformed(line, len(row), width, row[0] if row else None))
        lines = np.asarray(lines_list, dtype=np.int64)
        columns = {column: _clean(pa.array([r[position] for r in rows], type=pa.string()))
                   for position, column in positions.items()}
    columns[LINE] = pa.array(lines, type=pa.int64())
    table = pa.table(columns)
    if len(lines) and lines[0] == header_line:
        table = table.slice(1)  # the header is the first record read
    malformed.sort(key=lambda bad: bad.line)
    return RawFile(name, table, encoding, warnings, malformed)


def _malformed(line: int, count: int, width: int, key: str | None) -> Malformed:
    return Malformed(line, key.strip() if key else None,
                     f"this record has {count} field{'s' if count != 1 else ''} where the "
                     f"header has {width}")
