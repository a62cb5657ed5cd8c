"""Vectorised text helpers: numbers, amounts and dates as strings, whole columns at a time.

Columns are numpy arrays of variable-width strings (`StringDType`): concatenation,
padding and slicing run in C, which is what makes a million-row file quick to write.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

STR = np.dtypes.StringDType()


def strs(values: Iterable[str]) -> np.ndarray:
    """A string column from Python strings."""
    return np.array(list(values), dtype=STR)


def num(values: np.ndarray, width: int = 0) -> np.ndarray:
    """Integers as text, zero-padded to `width` digits when given."""
    text = np.asarray(values, dtype=np.int64).astype(STR)
    return np.strings.zfill(text, width) if width else text


def cat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of columns and constant strings."""
    out: np.ndarray | str = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return np.asarray(out, dtype=STR)


def fixed(values: np.ndarray, places: int, sep: str = ",") -> np.ndarray:
    """Integers in units of 10**-places as decimal text: 1234 -> '12,34' (places=2)."""
    values = np.asarray(values, dtype=np.int64)
    sign = np.where(values < 0, "-", "").astype(STR)
    absolute = np.abs(values)
    unit = 10 ** places
    whole = num(absolute // unit)
    if places == 0:
        return cat(sign, whole)
    return cat(sign, whole, sep, num(absolute % unit, places))


def compact_fixed(values: np.ndarray, places: int, sep: str = ",") -> np.ndarray:
    """Like `fixed`, without the trailing zeros of the fraction: 5500 -> '5,5' (places=3)."""
    text = fixed(values, places, sep)
    text = np.strings.rstrip(text, "0")
    return np.strings.rstrip(text, sep)


def date_fr(days: np.ndarray) -> np.ndarray:
    """`datetime64[D]` values as DD/MM/YYYY."""
    days = np.asarray(days, dtype="datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    return cat(num(day, 2), "/", num(month, 2), "/", num(year, 4))


def slug(text: str, sep: str = "-") -> str:
    """ASCII lower-case form of `text` for e-mail addresses and domains."""
    plain = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "Oe"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", sep, plain).strip(sep)


def pick(table: np.ndarray, counts: np.ndarray, rows: np.ndarray,
         rng: np.random.Generator) -> np.ndarray:
    """For each of `rows`, a random entry among the first `counts[row]` of `table[row]`."""
    n = len(rows)
    col = (rng.random(n) * counts[rows]).astype(np.int64)
    return table[rows, col]


def padded(groups: Sequence[Sequence[object]], fill: object = "") -> tuple[np.ndarray, np.ndarray]:
    """Ragged lists as a 2-D array padded with `fill`, and the length of each row."""
    width = max(len(g) for g in groups)
    dtype = STR if isinstance(fill, str) else np.int64
    table = np.array([list(g) + [fill] * (width - len(g)) for g in groups], dtype=dtype)
    return table, np.array([len(g) for g in groups], dtype=np.int64)
