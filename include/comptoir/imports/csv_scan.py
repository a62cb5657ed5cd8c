"""Cheap scans the CSV reader needs besides its parsers: long lines and record ends.

pyarrow parses a file in blocks and cannot read a line longer than a block; Python's csv
module refuses a field longer than its field limit, and reads a quote left open as one
record running to the end of the file. None of them says which record it was at, so the
reader finds those records itself, with `str.find` / `bytes.find` jumps rather than a
look at every character:

- `long_lines`: the lines longer than a limit (one `find` per half-limit of the file
  when there is none, the common case);
- `record_end`: where a record ends, following the csv module's quoting rules (a quote
  opens a quoted field only at the start of a field; `""` inside one is a quote), and
  the quote it leaves open when the text ends inside a quoted field.
"""

from __future__ import annotations

import re

__all__ = ["FIELD_LIMIT", "LINE_LIMIT", "breaks", "long_lines", "record_end"]

FIELD_LIMIT = 131_072
"""Characters a field may have (the csv module's own default limit)."""
LINE_LIMIT = 1 << 24
"""Bytes a line may have (pyarrow's block): no field or record needs more."""


def breaks(data: bytes | str, start: int, end: int) -> int:
    """How many line breaks (LF, CRLF or CR) `data[start:end]` has."""
    lf, cr = (b"\n", b"\r") if isinstance(data, bytes) else ("\n", "\r")
    return data.count(lf, start, end) + data.count(cr, start, end) - data.count(
        cr + lf, start, end)


def long_lines(data: bytes, limit: int) -> list[tuple[int, int]]:
    """(start, end) of every line longer than `limit` bytes, its line break left out.

    Such a line covers a whole stretch of `limit // 2` bytes aligned on a multiple of it,
    a stretch without any line break: only those stretches are looked at further.
    """
    step = max(limit // 2, 1)
    size = len(data)
    found: list[tuple[int, int]] = []
    seen = 0  # the lines before this offset are known
    for stretch in range(0, size, step):
        if stretch < seen:
            continue
        stop = min(stretch + step, size)
        if data.find(b"\n", stretch, stop) >= 0 or data.find(b"\r", stretch, stop) >= 0:
            continue
        lf = data.rfind(b"\n", 0, stretch)
        start = max(lf, data.rfind(b"\r", max(lf, 0), stretch)) + 1
        lf = data.find(b"\n", stop)
        cr = data.find(b"\r", stop, lf if lf >= 0 else size)
        end = cr if cr >= 0 else lf if lf >= 0 else size
        if end - start > limit:
            found.append((start, end))
        seen = end
    return found


def record_end(text: str, pos: int, sep: str) -> tuple[int, int | None]:
    """Where the record starting at `pos` ends (after its line break), and the offset of
    the quote it leaves open when the text ends inside a quoted field (else None)."""
    size = len(text)
    stop = re.compile(f"[{re.escape(sep)}\r\n]")
    while pos < size:
        if text[pos] == '"':  # a quoted field: up to its closing quote
            opened, pos = pos, pos + 1
            while True:
                quote = text.find('"', pos)
                if quote < 0:
                    return size, opened
                pos = quote + 1
                if not text.startswith('"', pos):
                    break
                pos += 1  # "" is a quote in the field
        found = stop.search(text, pos)  # the rest of the field: quotes are plain text here
        if found is None:
            return size, None
        pos = found.end()
        if found.group() != sep:
            return pos + (found.group() == "\r" and text.startswith("\n", pos)), None
    return size, None
