"""The values of a ticket file, read column by column (`spec/pos.md`, "The ticket file").

Decimals with `.`, an optional leading `-`, no thousands separator, at most 2 decimals
for amounts, 3 for quantities, rates and discounts, 4 for unit prices; `day`,
`due_date` `YYYY-MM-DD`; `issued_at` ISO 8601 with an offset; `ticket` and `line`
integers 1–2147483647. Money is read as integers scaled by 10**scale (exact, vectorised,
never floats); what cannot be read is null, and the caller turns it into `invalid_value`.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_INT = 2_147_483_647
AMOUNT, QUANTITY, RATE, UNIT_PRICE = 2, 3, 3, 4
_DAY = r"\d{4}-\d{2}-\d{2}"
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})"
_INSTANT = rf"{_DAY}[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d{{1,6}})?)?{_OFFSET}"


def text(values: list[str]) -> pd.Series:
    """A column of the file as text (`""` is not given)."""
    return pd.Series(values, dtype="str")


def integers(column: pd.Series) -> pd.Series:
    """`1`…`2147483647` → Int64; anything else null (on Arrow kernels)."""
    text = pa.array(column, type=pa.string(), from_pandas=True)
    shaped = pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{1,10}$"), False)
    number = pc.cast(pc.if_else(shaped, text, pa.scalar("0", pa.string())), pa.int64())
    ok = pc.and_(shaped, pc.and_(pc.greater_equal(number, 1), pc.less_equal(number, MAX_INT)))
    value = pc.if_else(ok, number, pa.scalar(None, pa.int64()))
    return pd.Series(value.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
                     index=column.index, dtype="Int64")


def scaled(column: pd.Series, scale: int) -> pd.Series:
    """Decimal text with at most `scale` decimals → Int64 scaled by 10**scale; else null.

    On Arrow kernels: the digits without the point, times 10 ** (scale − the decimals
    written) — no Python object per value.
    """
    pattern = rf"^-?[0-9]{{1,15}}(?:\.[0-9]{{1,{scale}}})?$" if scale else r"^-?[0-9]{1,15}$"
    text = pa.array(column, type=pa.string(), from_pandas=True)
    ok = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    kept = pc.if_else(ok, text, pa.scalar("0", pa.string()))
    point = pc.find_substring(kept, ".")
    decimals = pc.if_else(pc.greater_equal(point, 0),
                          pc.subtract(pc.subtract(pc.utf8_length(kept), point), 1), 0)
    digits = pc.cast(pc.replace_substring(kept, ".", ""), pa.int64())
    factor = pc.power(pa.scalar(10, pa.int64()),
                      pc.subtract(pa.scalar(scale, pa.int64()), pc.cast(decimals, pa.int64())))
    value = pc.if_else(ok, pc.multiply(digits, factor), pa.scalar(None, pa.int64()))
    return pd.Series(value.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
                     index=column.index, dtype="Int64")


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
    text = pa.array(column, type=pa.string(), from_pandas=True)
    filled = pc.fill_null(pc.greater(pc.utf8_length(text), 0), False)
    return pd.Series(filled.to_numpy(zero_copy_only=False), index=column.index)
