"""Vectorised reading of the values of an import file: decimals, dates, booleans, codes.

Every function takes a pandas string Series (empty fields already null) and returns a
Series of the same index where a value that cannot be read is null. Decimals are exact:
they come back as integers scaled by `10**scale` (nullable Int64), never as floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_DECIMAL = r"^(?P<sign>[+-]?)(?P<whole>\d*)(?:[.,](?P<frac>\d*))?$"
CODE_SEPARATOR = "\n"
_TRUE = ("o", "oui", "1", "true")
_FALSE = ("n", "non", "0", "false")


def arrow_text(series: pd.Series) -> pa.Array:
    """The Series as an Arrow string array (nulls kept)."""
    return pa.array(series.astype("str"), type=pa.string(), from_pandas=True)


def parse_decimal(series: pd.Series, *, scale: int, precision: int) -> pd.Series:
    """`12,5` / `-3.25` → integers scaled by 10**scale; null when unreadable or too big.

    A value with more decimals than `scale` or more integer digits than
    `precision - scale` is unreadable (it could not be stored exactly).
    """
    if series.empty:
        return pd.Series(pd.array([], dtype="Int64"), index=series.index)
    parts = pc.extract_regex(arrow_text(series), _DECIMAL)
    sign = pc.struct_field(parts, [0])
    whole = pc.utf8_ltrim(pc.struct_field(parts, [1]), characters="0")
    frac = pc.struct_field(parts, [2])
    frac = pc.if_else(pc.is_null(frac), "", frac)
    digits_ok = pc.and_(
        pc.less_equal(pc.utf8_length(whole), precision - scale),
        pc.less_equal(pc.utf8_length(frac), scale),
    )
    some_digit = pc.greater(pc.add(pc.utf8_length(pc.struct_field(parts, [1])),
                                   pc.utf8_length(frac)), 0)
    ok = pc.fill_null(pc.and_(digits_ok, some_digit), False)
    whole = pc.if_else(pc.equal(whole, ""), "0", whole)
    padded = pc.utf8_rpad(frac, width=scale, padding="0") if scale else frac
    text = pc.binary_join_element_wise(whole, padded, "")
    text = pc.if_else(ok, text, None)
    value = pc.cast(text, pa.int64())
    value = pc.if_else(pc.equal(sign, "-"), pc.negate(value), value)
    parsed = value.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).astype("Int64")
    return parsed.set_axis(series.index)


def scaled_to_decimal(value: int | None, scale: int) -> Decimal | None:
    """One scaled integer back to an exact Decimal (None stays None)."""
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return Decimal(int(value)).scaleb(-scale)


def scaled_text(series: pd.Series, scale: int) -> pa.Array:
    """Scaled integers as decimal text (`1250`, scale 2 → `12.50`) on Arrow kernels."""
    number = pa.array(series.astype("Int64"), type=pa.int64(), from_pandas=True)
    absolute = pc.abs(number)
    unit = 10**scale
    whole = pc.divide(absolute, unit)  # integer division
    text = pc.cast(whole, pa.string())
    if scale:
        frac = pc.cast(pc.subtract(absolute, pc.multiply(whole, unit)), pa.string())
        text = pc.binary_join_element_wise(text, pc.utf8_lpad(frac, width=scale, padding="0"),
                                           ".")
    signed = pc.binary_join_element_wise(pa.scalar("-"), text, "")
    return pc.if_else(pc.less(number, 0), signed, text)


def scaled_to_text(series: pd.Series, scale: int) -> pd.Series:
    """`scaled_text` as a pandas string Series of the same index; nulls stay."""
    return _series(scaled_text(series, scale), series.index)


def parse_date(series: pd.Series) -> pd.Series:
    """`DD/MM/YYYY` or `YYYY-MM-DD` → datetime64; null when unreadable (e.g. 31/02)."""
    text = series.astype("str")
    french = pd.to_datetime(text.where(text.str.fullmatch(r"\d{2}/\d{2}/\d{4}", na=False)),
                            format="%d/%m/%Y", errors="coerce")
    iso = pd.to_datetime(text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}", na=False)),
                         format="%Y-%m-%d", errors="coerce")
    return french.fillna(iso)


def to_dates(series: pd.Series) -> list[dt.date | None]:
    """A datetime64 Series as Python dates (None for NaT), for the database."""
    return [None if pd.isna(v) else v.date() for v in series]


def parse_bool(series: pd.Series) -> pd.Series:
    """`O/N`, `oui/non`, `1/0`, `true/false` (any case) → nullable booleans."""
    text = series.astype("str").str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    return out


def clean_text(series: pd.Series) -> pd.Series:
    """Strip surrounding spaces; an empty field becomes null."""
    text = series.astype("str").str.strip()
    return text.mask(text == "")


def compact_upper(series: pd.Series) -> pd.Series:
    """Remove every space and upper-case (IBAN, BIC, RIB fields)."""
    text = pc.utf8_upper(pc.replace_substring_regex(arrow_text(series), r"\s+", ""))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return _series(text, series.index)


def _series(array: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(array.to_pandas(), dtype="str").set_axis(index)


def join_codes(codes: Iterable[object] | pa.Array) -> str:
    """Codes as ONE newline-separated string: the form referential expectations take.

    Distinct and sorted; an Arrow array of text is made so on Arrow kernels.
    """
    if isinstance(codes, pa.Array):
        distinct = pc.unique(codes.drop_null().cast(pa.large_string()))
        ordered = pc.take(distinct, pc.sort_indices(distinct))
        if not len(ordered):
            return ""
        # joined by Arrow: no Python string per code (a dossier holds a million codes)
        whole = pa.LargeListArray.from_arrays(pa.array([0, len(ordered)], pa.int64()), ordered)
        return pc.binary_join(whole, pa.scalar(CODE_SEPARATOR, pa.large_string()))[0].as_py()
    return CODE_SEPARATOR.join(sorted({str(c) for c in codes}))


@lru_cache(maxsize=32)
def code_array(codes: str) -> pa.Array:
    """The codes of a `join_codes` string, as an Arrow array (cached: read once per run)."""
    if not codes:
        return pa.array([], type=pa.string())
    return pc.split_pattern(pa.array([codes], type=pa.large_string()),
                            CODE_SEPARATOR).flatten().cast(pa.string())


def distinct_text(series: pd.Series) -> pa.Array:
    """The distinct filled values of a Series, as text, in one Arrow array."""
    text = arrow_text(series)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return pc.unique(text.drop_null())


def code_set(codes: str | pa.Array) -> pa.Array:
    """A code list given as a `join_codes` string or as an Arrow array, as an Arrow array."""
    return code_array(codes) if isinstance(codes, str) else codes


def codes_among(codes: str | pa.Array, candidates: pa.Array) -> str:
    """The codes of `codes` that are among `candidates`, as a `join_codes` string."""
    if not len(candidates):
        return ""
    kept = candidates.filter(pc.is_in(candidates, value_set=code_set(codes)))
    return join_codes(kept)


def map_codes(series: pd.Series, ids: Mapping[str, int]) -> pd.Series:
    """The id of each value's code (nullable Int64; null for an empty or unknown code)."""
    text = arrow_text(series)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    positions = pc.index_in(text, value_set=pa.array(list(ids), type=pa.string()))
    found = pc.take(pa.array(list(ids.values()), type=pa.int64()), positions)
    return pd.Series(found.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
                     dtype="Int64").set_axis(series.index)


def is_in(series: pd.Series, codes: str) -> pd.Series:
    """Whether each value is one of `codes` (a `join_codes` string); null is False."""
    found = pc.is_in(arrow_text(series), value_set=code_array(codes), skip_nulls=True)
    return pd.Series(pc.fill_null(found, False).to_numpy(zero_copy_only=False),
                     index=series.index)
