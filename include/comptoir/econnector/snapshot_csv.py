"""The CSV files a connector sends, written chunk by chunk with Arrow kernels.

Format (`spec/econnector.md`, "Sending"): a header row, the connector's separator,
encoding and decimal separator, CRLF line ends (the partner is a Windows application,
as the files it drops); a value containing the separator, a quote, CR or LF is quoted,
its quotes doubled; an empty field for nothing; booleans `1`/`0`; numbers come from
exact scaled integers (`decimal_text`). A chunk's text is encoded at once; only a chunk
that fails is looked at row by row, and the rows the encoding cannot write are left out
(`LeftOut`: their fields named), the others written.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from comptoir.econnector.settings import Connector
from comptoir.imports.values import scaled_text

__all__ = ["LINE_END", "CsvFormat", "LeftOut", "SnapshotWriter", "decimal_text", "flag_text"]

LINE_END = "\r\n"


@dataclass(frozen=True)
class CsvFormat:
    """Separator, encoding and decimal separator of the files sent."""

    separator: str = ";"
    encoding: str = "cp1252"
    decimal_separator: str = ","

    @classmethod
    def of(cls, connector: Connector) -> CsvFormat:
        """The format a connector's settings say."""
        return cls(connector.get("separator"), connector.get("encoding"),
                   connector.get("decimal_separator"))

    @property
    def codec(self) -> str:
        """The codec of the records (the BOM of `utf-8-sig` is written once, first)."""
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    @property
    def bom(self) -> bytes:
        """What starts the file: the UTF-8 BOM for `utf-8-sig`, else nothing."""
        return codecs.BOM_UTF8 if self.encoding == "utf-8-sig" else b""


def decimal_text(units: pa.Array, scale: int, decimal_separator: str, *,
                 trim: bool = False) -> pa.Array:
    """Integers scaled by 10**scale as text (`1250`, 2 → `12,50`); `trim`: no trailing
    zeros (`5500`, 3 → `5,5`; `20000` → `20`). Nulls stay null."""
    text = scaled_text(pd.Series(units.to_pandas(), dtype="Int64"), scale)
    if trim and scale:
        text = pc.replace_substring_regex(text, r"\.?0+$", "")
    if decimal_separator != ".":
        text = pc.replace_substring(text, ".", decimal_separator)
    return text


def flag_text(values: pa.Array) -> pa.Array:
    """Booleans as `1` / `0` (null stays null)."""
    return pc.if_else(values.cast(pa.bool_()), "1", "0")


def _quoted(column: pa.Array, separator: str) -> pa.Array:
    """The column as CSV fields: null → empty, quoted when it must be."""
    text = pc.fill_null(column.cast(pa.string()), "")
    special = "[" + "".join("\\" + c if c in "|\\" else c for c in separator) + '"\r\n]'
    needs = pc.match_substring_regex(text, special)
    if not pc.any(needs).as_py():
        return text
    doubled = pc.replace_substring(text, '"', '""')
    wrapped = pc.binary_join_element_wise('"', doubled, '"', "")
    return pc.if_else(needs, wrapped, text)


def _joined(lines: pa.Array) -> str:
    """The lines as one text, each ended by `LINE_END` (joined by Arrow)."""
    if not len(lines):
        return ""
    whole = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], pa.int64()),
                                          lines.cast(pa.large_string()))
    return pc.binary_join(whole, pa.scalar(LINE_END, pa.large_string()))[0].as_py() + LINE_END


@dataclass
class LeftOut:
    """A record the encoding cannot write: its position in the chunk and why."""

    row: int
    messages: list[str]


@dataclass
class SnapshotWriter:
    """Writes the header, then chunks of records, into an open binary file."""

    handle: BinaryIO
    fmt: CsvFormat
    columns: Sequence[str]
    records: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        header = self.fmt.separator.join(self.columns) + LINE_END
        self.handle.write(self.fmt.bom + header.encode(self.fmt.codec))

    def write(self, chunk: pa.Table) -> list[LeftOut]:
        """Write the chunk's records (text columns in `columns` order); those left out."""
        fields = [_quoted(chunk.column(i).combine_chunks(), self.fmt.separator)
                  for i in range(chunk.num_columns)]
        if not chunk.num_rows:
            return []
        lines = pc.binary_join_element_wise(*fields, self.fmt.separator)
        try:
            data = _joined(lines).encode(self.fmt.codec)
        except UnicodeEncodeError:
            left_out = self._unencodable(chunk, lines)
            keep = pc.invert(pc.is_in(pa.array(range(chunk.num_rows)),
                                      pa.array([lo.row for lo in left_out])))
            data = _joined(lines.filter(keep)).encode(self.fmt.codec)
            self.handle.write(data)
            self.records += chunk.num_rows - len(left_out)
            return left_out
        self.handle.write(data)
        self.records += chunk.num_rows
        return []

    def _unencodable(self, chunk: pa.Table, lines: pa.Array) -> list[LeftOut]:
        """The rows of a chunk that failed to encode, with the fields at fault."""
        found = []
        for row, line in enumerate(lines.to_pylist()):
            try:
                line.encode(self.fmt.codec)
            except UnicodeEncodeError:
                messages = [message for name in self.columns
                            if (message := self._field_problem(name, chunk[name][row].as_py()))]
                found.append(LeftOut(row, messages))
        return found

    def _field_problem(self, name: str, value: str | None) -> str | None:
        try:
            (value or "").encode(self.fmt.codec)
        except UnicodeEncodeError as exc:
            char = exc.object[exc.start]
            return (f"{name} contains {char!r} (U+{ord(char):04X}), which {self.fmt.encoding} "
                    "cannot write")
        return None
