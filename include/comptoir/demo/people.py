"""Customers, generated a block of rows at a time with numpy (for the dossier and the files)."""

from __future__ import annotations

from functools import cache

import numpy as np

from comptoir.demo import names
from comptoir.demo.bank import BankPool
from comptoir.demo.text import STR, cat, num, padded, slug, strs

#: Share of the customers of each store (MAG01..MAG06).
STORE_SHARES = np.array([0.19, 0.25, 0.16, 0.13, 0.14, 0.13])
FOREIGN_SHARE = 0.03
BANK_SHARE = 0.75


def code_width(total: int) -> int:
    """Digits of the customer and article codes: 6, more past 999,999."""
    return max(6, len(str(total)))


@cache
def _lists() -> dict[str, np.ndarray]:
    first = names.FIRST_NAMES
    last = names.LAST_NAMES
    towns = [s.towns for s in names.STORES]
    postcodes, counts = padded([[t[0] for t in ts] for ts in towns])
    cities, _ = padded([[t[1] for t in ts] for ts in towns])
    city_slugs, _ = padded([[slug(t[1]) for t in ts] for ts in towns])
    foreign = names.FOREIGN_TOWNS
    return {
        "first": strs(first), "first_slug": strs(slug(f, "") for f in first),
        "last": strs(last), "last_upper": strs(w.upper() for w in last),
        "last_slug": strs(slug(w, "") for w in last),
        "postcodes": postcodes, "cities": cities, "city_slugs": city_slugs,
        "town_counts": counts,
        "phone_prefix": strs(s.phone_prefix for s in names.STORES),
        "street_types": strs(names.STREET_TYPES), "street_names": strs(names.STREET_NAMES),
        "address2": strs(names.ADDRESS2), "domains": strs(names.MAIL_DOMAINS),
        "trades": strs(names.TRADES), "trade_slugs": strs(slug(t) for t in names.TRADES),
        "legal": strs(names.LEGAL_FORMS), "assoc": strs(names.ASSOCIATIONS),
        "coll": strs(names.COLLECTIVITIES),
        "families": strs(f for f, _ in names.CUSTOMER_FAMILIES),
        "f_regime": strs(f[0] for f in foreign), "f_country": strs(f[1] for f in foreign),
        "f_postcode": strs(f[2] for f in foreign), "f_city": strs(f[3] for f in foreign),
        "f_city_slug": strs(slug(f[3]) for f in foreign), "f_phone": strs(f[4] for f in foreign),
    }


def customers(rng: np.random.Generator, start: int, n: int, width: int,
              pool: BankPool) -> dict[str, np.ndarray]:
    """`n` customers numbered from `start` (CLI…): text columns and a few numeric ones.

    Numeric columns: `store` (index in `names.STORES`), `kind` (index in
    `names.CUSTOMER_FAMILIES`), `has_bank` (bool), `credit_limit` (cents, 0 = none).
    """
    w = _lists()
    numbers = np.arange(start, start + n)
    shares = np.array([s for _, s in names.CUSTOMER_FAMILIES])
    kind = rng.choice(len(shares), size=n, p=shares)
    store = rng.choice(len(STORE_SHARES), size=n, p=STORE_SHARES / STORE_SHARES.sum())
    first_i = rng.integers(0, len(w["first"]), n)
    last_i = rng.integers(0, len(w["last"]), n)

    town_i = (rng.random(n) * w["town_counts"][store]).astype(np.int64)
    postcode = w["postcodes"][store, town_i]
    city = w["cities"][store, town_i]
    city_slug = w["city_slugs"][store, town_i]
    country = np.full(n, "FR", dtype=STR)
    regime = np.full(n, "FR", dtype=STR)
    phone_prefix = w["phone_prefix"][store]

    foreign = rng.random(n) < FOREIGN_SHARE
    f_i = rng.integers(0, len(w["f_regime"]), n)[foreign]
    postcode[foreign] = w["f_postcode"][f_i]
    city[foreign] = w["f_city"][f_i]
    city_slug[foreign] = w["f_city_slug"][f_i]
    country[foreign] = w["f_country"][f_i]
    regime[foreign] = w["f_regime"][f_i]

    first, last = w["first"][first_i], w["last"][last_i]
    person = kind == 0
    pro = kind == 1
    assoc = kind == 2
    coll = kind == 3
    name = cat(w["last_upper"][last_i], " ", first)
    trade_i = rng.integers(0, len(w["trades"]), n)
    name[pro] = cat(w["trades"][trade_i], " ", last, w["legal"][rng.integers(0, len(w["legal"]),
                                                                               n)])[pro]
    name[assoc] = cat(w["assoc"][rng.integers(0, len(w["assoc"]), n)], " ", city)[assoc]
    name[coll] = cat(w["coll"][rng.integers(0, len(w["coll"]), n)], " ", city)[coll]

    street = cat(num(rng.integers(1, 180, n)), " ",
                 w["street_types"][rng.integers(0, len(w["street_types"]), n)], " ",
                 w["street_names"][rng.integers(0, len(w["street_names"]), n)])
    address2 = np.where(rng.random(n) < 0.15,
                        w["address2"][rng.integers(0, len(w["address2"]), n)], "").astype(STR)

    suffix = np.where(rng.random(n) < 0.3, num(rng.integers(1, 99, n)), "").astype(STR)
    email = cat(w["first_slug"][first_i], ".", w["last_slug"][last_i], suffix, "@",
                w["domains"][rng.integers(0, len(w["domains"]), n)])
    pro_mail = cat("contact@", w["trade_slugs"][trade_i], "-", w["last_slug"][last_i], ".fr")
    email[pro] = pro_mail[pro]
    email[assoc | coll] = cat("accueil@", city_slug, ".fr")[assoc | coll]
    email[rng.random(n) < 0.08] = ""

    digits = num(rng.integers(0, 100_000_000, n), 8)
    pairs = cat(np.strings.slice(digits, 0, 2), " ", np.strings.slice(digits, 2, 4), " ",
                np.strings.slice(digits, 4, 6), " ", np.strings.slice(digits, 6, 8))
    mobile = rng.random(n) < 0.65
    lead = np.where(person & mobile, np.where(rng.random(n) < 0.7, "06", "07"),
                    phone_prefix).astype(STR)
    phone = cat(lead, " ", pairs)
    phone[foreign] = cat(w["f_phone"][f_i], " ", np.strings.slice(digits, 0, 7)[foreign])

    has_bank = (~foreign) & (rng.random(n) < BANK_SHARE)
    bank_i = (numbers - 1) % len(pool)  # distinct for the first len(pool) customers
    empty = np.full(n, "", dtype=STR)

    def bank_column(values: np.ndarray) -> np.ndarray:
        return np.where(has_bank, values[bank_i], empty).astype(STR)

    limits = np.array([150_000, 300_000, 500_000, 1_000_000])
    credit = np.where(pro | coll, limits[rng.integers(0, len(limits), n)], 0)
    return {
        "code": cat("CLI", num(numbers, width)),
        "name": name,
        "regime": regime,
        "family": w["families"][kind],
        "address1": street,
        "address2": address2,
        "postcode": postcode,
        "city": city,
        "country": country,
        "email": email,
        "phone": phone,
        "iban": bank_column(pool.iban),
        "bic": bank_column(pool.bic),
        "rib_bank": bank_column(pool.bank),
        "rib_branch": bank_column(pool.branch),
        "rib_account": bank_column(pool.account),
        "rib_key": bank_column(pool.key),
        "account": cat("411", num(numbers, width)),
        "store": store,
        "kind": kind,
        "has_bank": has_bank,
        "credit_limit": credit,
    }
