"""The offline postcode → locality table of `city_localisation`.

Data: the PyPI package `countrystatecity-postal-codes` (ODbL 1.0, see docs/licences.md),
one JSON file per country inside the wheel; only the countries asked for are read, once
per process. Nothing is downloaded.

Keys follow the contract: country (empty: `FR`), postcode without spaces in upper case, a
French code of 4 digits gets its leading 0. French overseas codes (971–976) are looked up
under their own ISO codes (`GP`, `BL`, `MF`, `MQ`, `GF`, `RE`, `PM`, `YT`), then under `FR`.
A code with several different localities in the data set is ambiguous: no city for it.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["city_of", "normal_city", "postcode_key"]

#: first three digits of a French overseas code → the ISO codes the data set may file it under
OVERSEAS: dict[str, tuple[str, ...]] = {
    "971": ("GP", "BL", "MF"), "972": ("MQ",), "973": ("GF",), "974": ("RE",),
    "975": ("PM",), "976": ("YT",),
}
_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[-'’_.]+")


def postcode_key(country: str | None, postcode: str | None) -> tuple[str, str] | None:
    """(country, postcode) as the data set files them; None for an empty postcode."""
    code = _SPACES.sub("", postcode or "").upper()
    if not code:
        return None
    land = (country or "").strip().upper() or "FR"
    if land == "FR" and len(code) == 4 and code.isdigit():
        code = "0" + code
    return land, code


@functools.cache
def _localities(country: str) -> dict[str, str | None]:
    """Postcode → its one locality (None when the data set gives several) for `country`."""
    from countrystatecity_postal_codes import get_postcodes_of_country

    found: dict[str, str | None] = {}
    for entry in get_postcodes_of_country(country):
        name = (entry.localityName or "").strip()
        if not name:
            continue
        code = entry.code.upper()
        if code in found and found[code] != name:
            found[code] = None
        else:
            found.setdefault(code, name)
    return found


def city_of(country: str, postcode: str) -> str | None:
    """The locality of a key from `postcode_key`, None when unknown or ambiguous."""
    lands: tuple[str, ...] = (country,)
    if country == "FR" and postcode[:3] in OVERSEAS:
        lands = (*OVERSEAS[postcode[:3]], "FR")
    for land in lands:
        if len(land) != 2 or not land.isalpha():
            return None
        localities = _localities(land)
        if postcode in localities:
            return localities[postcode]
    return None


def normal_city(city: str | None) -> str:
    """A city for comparing: no accents, upper case, hyphens and apostrophes as spaces,
    `SAINT`/`SAINTE` as La Poste's `ST`/`STE`."""
    text = unicodedata.normalize("NFKD", city or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    words = _SEPARATORS.sub(" ", text).split()
    return " ".join({"SAINT": "ST", "SAINTE": "STE"}.get(w, w) for w in words)
