"""Small text files of one entry per line: pilot files, list files (spec/pos.md).

UTF-8 (BOM tolerated) or Windows-1252, detected; blank lines and lines starting with `;`
(comments) are skipped; the other lines come back trimmed, with their line numbers, so
an error can name the line.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from comptoir.errors import ComptoirError
from comptoir.exchange.names import printable

__all__ = ["MAX_BYTES", "LineFile", "LineFileError", "read_line_file"]

MAX_BYTES = 1024 * 1024
"""A pilot or list file is a few lines; anything bigger is the wrong file."""


class LineFileError(ComptoirError):
    """The file cannot be read as text lines (missing, too big, not text)."""


@dataclass(frozen=True)
class LineFile:
    """The entries of a line file: `(line number, trimmed text)`, and its encoding."""

    path: Path
    encoding: str
    lines: list[tuple[int, str]]


def read_line_file(path: Path) -> LineFile:
    """Read `path`: its entries (blank lines and `;` comments skipped) and its encoding."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise LineFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise LineFileError(f"{path}: more than {MAX_BYTES} bytes, not a pilot or list file")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data:
        raise LineFileError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError as exc:
            raise LineFileError(f"{path}: neither UTF-8 nor Windows-1252 (byte "
                                f"{exc.start + 1})") from None
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith(";"):
            entries.append((number, printable(line)))
    return LineFile(path, encoding, entries)
