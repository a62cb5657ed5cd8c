"""Bank details, vectorised: IBAN (ISO 13616) check digits and BBAN format, French RIB key.

Country formats come from schwifty's IBAN registry and the RIB letter table from its
French checksum module: nothing here is a home-made table of countries. Inputs are
pandas string Series already upper-cased without spaces (`values.compact_upper`); every
function answers True where the value is good and for rows where it does not apply.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import pandas as pd

RIB_FIELDS = ("RIB_BANQUE", "RIB_GUICHET", "RIB_COMPTE", "RIB_CLE")
RIB_FORMATS = (r"\d{5}", r"\d{5}", r"[A-Z0-9]{11}", r"\d{2}")
RIB_COUNTRIES = ("FR", "MC")


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


def iban_format_ok(iban: pd.Series) -> pd.Series:
    """IBAN of a known country, of that country's length and BBAN format."""
    text = iban.astype("str")
    ok = pd.Series(False, index=iban.index)
    shape = text.str.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", na=False)
    country = text.str.slice(0, 2)
    for cc in country[shape].unique():
        spec = _iban_spec(str(cc))
        if spec is None:
            continue
        length, bban = spec
        rows = shape & (country == cc)
        part = text[rows]
        ok[rows] = (part.str.len() == length) & part.str.slice(4).str.fullmatch(bban, na=False)
    return ok | iban.isna()


def _mod97(strings: list[str]) -> np.ndarray:
    """ISO 7064 MOD 97-10 remainder of same-length [0-9A-Z] strings (letters count 10..35)."""
    width = len(strings[0])
    raw = np.frombuffer("".join(strings).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    digits = np.where(raw >= 65, raw.astype(np.int64) - 55, raw.astype(np.int64) - 48)
    rest = np.zeros(len(strings), dtype=np.int64)
    for col in range(width):
        value = digits[:, col]
        rest = (rest * np.where(value >= 10, 100, 10) + value) % 97
    return rest


def iban_checksum_ok(iban: pd.Series) -> pd.Series:
    """ISO 13616 check digits: the rearranged IBAN is 1 modulo 97."""
    text = iban.astype("str")
    ok = pd.Series(False, index=iban.index)
    readable = text.str.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{1,30}", na=False)
    moved = text[readable].str.slice(4) + text[readable].str.slice(0, 4)
    for _, group in moved.groupby(moved.str.len()):
        ok[group.index] = _mod97(group.tolist()) == 1
    return ok | iban.isna()


def _filled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.notna()


def rib_complete(rib: pd.DataFrame) -> pd.Series:
    """The four RIB fields are all filled, or none is."""
    filled = _filled(rib).sum(axis=1)
    return (filled == 0) | (filled == rib.shape[1])


def rib_format_ok(rib: pd.DataFrame) -> pd.Series:
    """Filled RIB fields have their format: 5 digits, 5 digits, 11 letters or digits, 2 digits."""
    ok = pd.Series(True, index=rib.index)
    for column, pattern in zip(rib.columns, RIB_FORMATS, strict=True):
        values = rib[column].astype("str")
        ok &= values.isna() | values.str.fullmatch(pattern, na=False)
    return ok


@lru_cache(maxsize=1)
def _rib_letters() -> np.ndarray:
    """ASCII code → digit of the French RIB (letters per schwifty's French checksum)."""
    from schwifty.checksum.france import numerics

    table = np.zeros(128, dtype=np.int64)
    for char, digit in numerics.items():
        table[ord(char)] = int(digit)
    return table


def _rib_digits(account: pd.Series) -> pd.Series:
    """11-character RIB accounts ([0-9A-Z]) as the integers of their digits (vectorised)."""
    if account.empty:
        return pd.Series([], dtype="int64", index=account.index)
    raw = np.frombuffer("".join(account.tolist()).encode("ascii"), dtype=np.uint8)
    digits = _rib_letters()[raw.reshape(len(account), -1)]
    weights = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    return pd.Series(digits @ weights, index=account.index)


def rib_key_ok(rib: pd.DataFrame) -> pd.Series:
    """The French RIB key: 97 - (89 × bank + 15 × branch + 3 × account) mod 97.

    Rows where the RIB is incomplete or malformed pass here (other checks name them).
    """
    bank, branch, account, key = (rib[c].astype("str") for c in rib.columns)
    rows = _filled(rib).all(axis=1) & rib_format_ok(rib)
    ok = pd.Series(True, index=rib.index)
    if not rows.any():
        return ok
    account_digits = _rib_digits(account[rows])
    total = (89 * bank[rows].astype("int64") + 15 * branch[rows].astype("int64")
             + 3 * account_digits)
    ok[rows] = (97 - total % 97) == key[rows].astype("int64")
    return ok


def iban_matches_rib(iban: pd.Series, rib: pd.DataFrame) -> pd.Series:
    """A French or Monaco IBAN carries the RIB as its BBAN (checked when both are given)."""
    text = iban.astype("str")
    rows = (text.str.slice(0, 2).isin(RIB_COUNTRIES).fillna(False) & _filled(rib).all(axis=1))
    bban = rib.iloc[:, 0].astype("str")
    for column in rib.columns[1:]:
        bban = bban + rib[column].astype("str")
    ok = pd.Series(True, index=iban.index)
    ok[rows] = text[rows].str.slice(4) == bban[rows]
    return ok
