"""The values of a ticket file, read column by column (`spec/pos.md`, "The ticket file").

Decimals with `.`, an optional leading `-`, no thousands separator, at most 2 decimals
for amounts, 3 for quantities, rates and discounts, 4 for unit prices; `day`,
`due_date` `YYYY-MM-DD`; `issued_at` ISO 8601 with an offset; `ticket` and `line`
integers 1–2147483647. Money is read as integers scaled by 10**scale (exact, vectorised,
never floats); what cannot be read is null, and the caller turns it into `invalid_value`.
"""

from __future__ import annotations

import pandas as pd

MAX_INT = 2_147_483_647
AMOUNT, QUANTITY, RATE, UNIT_PRICE = 2, 3, 3, 4
_DAY = r"\d{4}-\d{2}-\d{2}"
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})"
_INSTANT = rf"{_DAY}[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d{{1,6}})?)?{_OFFSET}"


def text(values: list[str]) -> pd.Series:
    """A column of the file as text (`""` is not given)."""
    return pd.Series(values, dtype="str")


def integers(column: pd.Series) -> pd.Series:
    """`1`…`2147483647` → Int64; anything else null."""
    ok = column.str.fullmatch(r"[0-9]{1,10}").fillna(False).astype(bool)
    out = pd.Series(pd.NA, index=column.index, dtype="Int64")
    if ok.any():
        numbers = column[ok].astype("int64")
        out[ok] = numbers.where((numbers >= 1) & (numbers <= MAX_INT)).astype("Int64")
    return out


def scaled(column: pd.Series, scale: int) -> pd.Series:
    """Decimal text with at most `scale` decimals → Int64 scaled by 10**scale; else null."""
    pattern = rf"-?[0-9]{{1,15}}(?:\.[0-9]{{1,{scale}}})?" if scale else r"-?[0-9]{1,15}"
    ok = column.str.fullmatch(pattern).fillna(False).astype(bool)
    out = pd.Series(pd.NA, index=column.index, dtype="Int64")
    if ok.any():
        parts = column[ok].str.split(".", n=1, expand=True)
        whole = parts[0]
        frac = (parts[1] if 1 in parts else pd.Series("", index=whole.index)).fillna("")
        digits = whole + frac.str.pad(scale, side="right", fillchar="0")
        out[ok] = digits.astype("int64")
    return out


def days(column: pd.Series) -> pd.Series:
    """`YYYY-MM-DD` → datetime64 (a real date); anything else NaT."""
    shaped = column.where(column.str.fullmatch(_DAY).fillna(False).astype(bool))
    return pd.to_datetime(shaped, format="%Y-%m-%d", errors="coerce")


def instants(column: pd.Series) -> pd.Series:
    """ISO 8601 with an offset → UTC datetime64; without an offset or unreadable NaT."""
    shaped = column.where(column.str.fullmatch(_INSTANT).fillna(False).astype(bool))
    return pd.to_datetime(shaped, format="ISO8601", utc=True, errors="coerce")


def given(column: pd.Series) -> pd.Series:
    """Whether each value is given (not empty)."""
    return column.fillna("").str.len() > 0
