"""How one FEC record is written (`spec/pos.md`, "FEC export"; LPF art. A47 A-1).

- 18 fields, tab or `|` between them; a record ends with CR LF, the last one with nothing.
- A text field: every control character (tab, CR, LF, the other C0/C1 controls, U+2028,
  U+2029) and the separator become a space; leading and trailing spaces are dropped.
- Dates `YYYYMMDD`; an empty field for no date.
- Amounts: decimal comma, 2 decimals, no sign, no thousands separator, no padding
  (`0,00`, `1234,50`).
- ISO 8859-15 (default): a character outside it becomes its unaccented form (Unicode NFKD
  without the combining marks: `ő` → `o`, `ǆ` → `dz`, `ﬁ` → `fi`, `½` → `1/2`), with a small table
  for the characters Unicode does not decompose (`ł` → `l`, `đ` → `d`, `ı` → `i`, typographic
  quotes → `'` `"`, dashes → `-`, `⁄` → `/`); when that form is empty or still outside
  ISO 8859-15, `?`. UTF-8 is written without BOM.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import re
import unicodedata

__all__ = ["ENCODINGS", "FIELDS", "RECORD_END", "SEPARATORS", "FecFormat", "amount", "day"]

FIELDS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
          "CompteLib", "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib",
          "Debit", "Credit", "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise")
SEPARATORS = {"tab": "\t", "pipe": "|"}
ENCODINGS = ("iso-8859-15", "utf-8")
RECORD_END = "\r\n"
LATIN9 = "iso-8859-15"
_ERRORS = "comptoir-fec-latin9"

#: Characters NFKD leaves as they are, and their plain form.
_PLAIN = str.maketrans({
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t",
    "Ŧ": "T", "ŋ": "n", "Ŋ": "N", "ƒ": "f", "‘": "'", "’": "'", "‚": "'", "‛": "'",
    "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‐": "-", "‑": "-",
    "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "⁄": "/", "•": "-",
})


@functools.lru_cache(maxsize=4096)
def plain_latin9(char: str) -> str:
    """What a character outside ISO 8859-15 is written as (see the module's docstring)."""
    plain = unicodedata.normalize("NFKD", char.translate(_PLAIN)).translate(_PLAIN)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    try:
        plain.encode(LATIN9)
    except UnicodeEncodeError:
        return "?"
    return plain or "?"


def _latin9_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    part = error.object[error.start:error.end]
    return "".join(plain_latin9(char) for char in part), error.end


codecs.register_error(_ERRORS, _latin9_fallback)


def amount(cents: int) -> str:
    """A non-negative amount in cents as the FEC writes it (`12345` → `123,45`)."""
    if cents < 0:
        raise ValueError(f"a FEC amount has no sign: {cents} cents")
    return f"{cents // 100},{cents % 100:02d}"


def day(value: dt.date | None) -> str:
    """A date as `YYYYMMDD`; empty for none."""
    return "" if value is None else f"{value.year:04d}{value.month:02d}{value.day:02d}"


class FecFormat:
    """The separator and encoding of one file: cleans texts, encodes records."""

    def __init__(self, separator: str = "tab", encoding: str = LATIN9) -> None:
        if separator not in SEPARATORS:
            raise ValueError(f"separator {separator!r}: expected tab or pipe")
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding {encoding!r}: expected iso-8859-15 or utf-8")
        self.separator = SEPARATORS[separator]
        self.encoding = encoding
        self._unsafe = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + re.escape(self.separator)
                                  + "]")

    def text(self, value: str | None) -> str:
        """A text field: on one line, without the separator, trimmed."""
        if not value:
            return ""
        return self._unsafe.sub(" ", value).strip()

    def record(self, fields: list[str]) -> str:
        """One record (fields already cleaned), without its end."""
        return self.separator.join(fields)

    def header(self) -> str:
        """The first record: the 18 field names."""
        return self.record(list(FIELDS))

    def encode(self, text: str) -> bytes:
        """Records as bytes of the file's encoding."""
        if self.encoding == LATIN9:
            return text.encode(LATIN9, errors=_ERRORS)
        return text.encode("utf-8")
