"""Bank details, vectorised: IBAN (ISO 13616) check digits and BBAN format, French RIB key.

Country formats come from schwifty's IBAN registry and the RIB letter table from its
French checksum module: nothing here is a home-made table of countries. Inputs are
pandas string Series already upper-cased without spaces (`values.compact_upper`); every
function answers True where the value is good and for rows where it does not apply.

Everything runs on Arrow compute kernels and numpy: values of one length are viewed as
a matrix of bytes (no Python object per value) and the mod-97 checks are weighted sums.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from comptoir.imports.values import arrow_text

RIB_FIELDS = ("RIB_BANQUE", "RIB_GUICHET", "RIB_COMPTE", "RIB_CLE")
RIB_FORMATS = (r"\d{5}", r"\d{5}", r"[A-Z0-9]{11}", r"\d{2}")
RIB_COUNTRIES = ("FR", "MC")
_IBAN_SHAPE = r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$"


@cache
def _iban_spec(country: str) -> tuple[int, str] | None:
    """(IBAN length, BBAN regex) of a country from schwifty's registry; None if unknown."""
    from schwifty import registry
    from schwifty.exceptions import SchwiftyException

    try:
        spec = registry.get_iban_spec(country)
    except (SchwiftyException, ValueError):
        return None
    return spec.iban_length, spec.regex.pattern.removeprefix("^").removesuffix("$")


def _text(series: pd.Series) -> pa.Array:
    """The Series as ONE Arrow string array (a slice of a big file may come in chunks)."""
    text = arrow_text(series)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _flags(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, null counting as False."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _filled(text: pa.Array) -> np.ndarray:
    return _flags(pc.is_valid(text))


def _matches(text: pa.Array, pattern: str) -> np.ndarray:
    """Whole-value regular expression match (RE2); null is False."""
    return _flags(pc.match_substring_regex(text, f"^(?:{pattern})$"))


def _lengths(text: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False))


def _chars(text: pa.Array, width: int) -> np.ndarray:
    """ASCII values all `width` bytes long (no nulls) as an (n, width) matrix of bytes."""
    if len(text) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)
    first, last = offsets[text.offset], offsets[text.offset + len(text)]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[first:last]
    return data.reshape(len(text), width)


@lru_cache(maxsize=1)
def _alnum() -> np.ndarray:
    """Byte → value of ISO 7064 (0-9 → 0..9, A-Z → 10..35)."""
    table = np.zeros(256, dtype=np.uint16)
    table[48:58] = np.arange(10)
    table[65:91] = np.arange(10, 36)
    return table


#: 10**k mod 97 for every k an IBAN can need (34 characters, two digits per letter).
_POWERS_97 = np.array([pow(10, k, 97) for k in range(72)], dtype=np.uint16)


def _mod97(chars: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 97-10 remainder of rows of [0-9A-Z] bytes (a letter counts 2 digits).

    The number is sum(value_i × 10**digits_after_i), so its remainder is the weighted sum
    of the values by 10**digits_after_i mod 97: a few matrix operations, no loop per digit.
    """
    values = _alnum()[chars]
    widths = (values >= 10).view(np.uint8) + np.uint8(1)
    after = np.cumsum(widths[:, ::-1], axis=1, dtype=np.uint8)[:, ::-1] - widths
    return (values * _POWERS_97[after]).sum(axis=1, dtype=np.int64) % 97


def iban_format_ok(iban: pd.Series) -> pd.Series:
    """IBAN of a known country, of that country's length and BBAN format."""
    text = _text(iban)
    ok = ~_filled(text)
    rows = np.flatnonzero(_matches(text, r"[A-Z]{2}[0-9]{2}[A-Z0-9]+"))
    if len(rows):
        lengths = _lengths(text)
        countries = pc.dictionary_encode(pc.utf8_slice_codeunits(text.take(rows), 0, 2))
        indices = np.asarray(countries.indices.to_numpy(zero_copy_only=False))
        for number, country in enumerate(countries.dictionary.to_pylist()):
            spec = _iban_spec(country)
            if spec is None:
                continue
            length, bban = spec
            these = rows[indices == number]
            these = these[lengths[these] == length]
            ok[these] = _matches(pc.utf8_slice_codeunits(text.take(these), 4), bban)
    return pd.Series(ok, index=iban.index)


def iban_checksum_ok(iban: pd.Series) -> pd.Series:
    """ISO 13616 check digits: the IBAN, its first four characters moved last, is 1 mod 97."""
    text = _text(iban)
    ok = ~_filled(text)
    rows = np.flatnonzero(_matches(text, _IBAN_SHAPE[1:-1]))
    lengths = _lengths(text)[rows]
    for width in np.unique(lengths):
        these = rows[lengths == width]
        chars = _chars(text.take(these), int(width))
        ok[these] = _mod97(np.concatenate((chars[:, 4:], chars[:, :4]), axis=1)) == 1
    return pd.Series(ok, index=iban.index)


def _rib_columns(rib: pd.DataFrame) -> list[pa.Array]:
    return [_text(rib[column]) for column in rib.columns]


def _all_filled(columns: list[pa.Array]) -> np.ndarray:
    return np.logical_and.reduce([_filled(c) for c in columns])


def rib_complete(rib: pd.DataFrame) -> pd.Series:
    """The four RIB fields are all filled, or none is."""
    filled = np.column_stack([_filled(c) for c in _rib_columns(rib)]).sum(axis=1)
    return pd.Series((filled == 0) | (filled == rib.shape[1]), index=rib.index)


def _format_ok(columns: list[pa.Array]) -> np.ndarray:
    ok = np.ones(len(columns[0]), dtype=bool)
    for text, pattern in zip(columns, RIB_FORMATS, strict=True):
        ok &= ~_filled(text) | _matches(text, pattern)
    return ok


def rib_format_ok(rib: pd.DataFrame) -> pd.Series:
    """Filled RIB fields have their format: 5 digits, 5 digits, 11 letters or digits, 2 digits."""
    return pd.Series(_format_ok(_rib_columns(rib)), index=rib.index)


@lru_cache(maxsize=1)
def _rib_letters() -> np.ndarray:
    """Byte → digit of the French RIB (digits as such, letters per schwifty's French checksum)."""
    from schwifty.checksum.france import numerics

    table = np.zeros(256, dtype=np.int64)
    for char, digit in numerics.items():
        table[ord(char)] = int(digit)
    return table


def rib_key_ok(rib: pd.DataFrame) -> pd.Series:
    """The French RIB key: 97 - (89 × bank + 15 × branch + 3 × account) mod 97.

    Rows where the RIB is incomplete or malformed pass here (other checks name them).
    """
    columns = _rib_columns(rib)
    ok = np.ones(len(rib), dtype=bool)
    rows = np.flatnonzero(_all_filled(columns) & _format_ok(columns))
    if len(rows):
        bank, branch, account, key = (c.take(rows) for c in columns)
        digits = _rib_letters()[_chars(account, 11)]
        account_value = digits @ (10 ** np.arange(10, -1, -1, dtype=np.int64))
        total = (89 * _integers(bank) + 15 * _integers(branch) + 3 * account_value)
        ok[rows] = (97 - total % 97) == _integers(key)
    return pd.Series(ok, index=rib.index)


def _integers(digits: pa.Array) -> np.ndarray:
    return np.asarray(pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False))


def iban_matches_rib(iban: pd.Series, rib: pd.DataFrame) -> pd.Series:
    """A French or Monaco IBAN carries the RIB as its BBAN (checked when both are given)."""
    text = _text(iban)
    columns = _rib_columns(rib)
    country = pc.utf8_slice_codeunits(text, 0, 2)
    rows = _flags(pc.is_in(country, value_set=pa.array(RIB_COUNTRIES))) & _all_filled(columns)
    same = _flags(pc.equal(pc.utf8_slice_codeunits(text, 4),
                           pc.binary_join_element_wise(*columns, "")))
    return pd.Series(~rows | same, index=iban.index)
