"""The catalogue: VAT codes, suppliers, brands, families and articles generated with numpy.

Prices are integers: shelf price incl. VAT in cents (a "nice" retail price ending in 9),
sale price excl. VAT in 1/10,000 euro (the NUMERIC(15, 4) column), purchase price in cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from comptoir.demo import names
from comptoir.demo.text import STR, cat, num, padded, pick, strs

#: VAT codes: (code, name, rate in thousandths of a percent, sales account, tax account).
VAT_CODES: tuple[tuple[str, str, int, str, str], ...] = (
    ("T1", "TVA normale 20 %", 20_000, "707100", "445711"),
    ("T2", "TVA intermédiaire 10 %", 10_000, "707200", "445712"),
    ("T3", "TVA réduite 5,5 %", 5_500, "707300", "445713"),
    ("T4", "TVA super-réduite 2,1 %", 2_100, "707400", "445714"),
    ("T0", "Exonéré 0 %", 0, "707000", ""),
)
VAT_RATE = {code: rate for code, _, rate, _, _ in VAT_CODES}

REGIMES = (("FR", "France"), ("UE", "Union européenne"), ("EXPORT", "Export"))


def supplier_code(index: int) -> str:
    """Code of the supplier at 0-based `index` (FOU0001 is the central logistics base)."""
    return f"FOU{index + 1:04d}"


def round_div(numerator: np.ndarray, denominator: int | np.ndarray) -> np.ndarray:
    """Integer division rounded half away from zero (exact, for non-negative numerators)."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Catalogue:
    """Every sub-family flattened into parallel arrays, for vectorised sampling."""

    family: np.ndarray       # family code per sub-family
    sub: np.ndarray          # sub-family code
    vat: np.ndarray          # VAT code
    rate: np.ndarray         # VAT rate in thousandths of a percent
    unit: np.ndarray
    low: np.ndarray          # price range incl. VAT, euros
    high: np.ndarray
    lot_share: np.ndarray
    weight: np.ndarray       # probability of an article to be in the sub-family
    assembled: np.ndarray    # bool: its articles are assembled (gift boxes)
    products: np.ndarray
    product_counts: np.ndarray
    variants: np.ndarray
    variant_counts: np.ndarray
    qualifiers: np.ndarray
    qualifier_counts: np.ndarray
    brands: np.ndarray       # brand index (in names.BRANDS) per sub-family, padded
    brand_counts: np.ndarray


@cache
def catalogue() -> Catalogue:
    """The catalogue of `names.FAMILIES`, ready for sampling."""
    subs = [(f, s) for f in names.FAMILIES for s in f.subs]
    brands = []
    for f, s in subs:
        own = [i for i, b in enumerate(names.BRANDS)
               if f.code in b[3] or f"{f.code}.{s.code}" in b[3]]
        if not own:
            raise ValueError(f"no brand for sub-family {f.code}.{s.code}")
        brands.append(own)
    products, product_counts = padded([s.products for _, s in subs])
    variants, variant_counts = padded([s.variants for _, s in subs])
    qualifiers, qualifier_counts = padded([names.QUALIFIERS[f.code] for f, _ in subs])
    brand_table, brand_counts = padded(brands, fill=0)
    weight = np.array([f.weight / len(f.subs) for f, _ in subs])
    return Catalogue(
        family=strs(f.code for f, _ in subs), sub=strs(s.code for _, s in subs),
        vat=strs(s.vat for _, s in subs),
        rate=np.array([VAT_RATE[s.vat] for _, s in subs], dtype=np.int64),
        unit=strs(s.unit for _, s in subs),
        low=np.array([s.price[0] for _, s in subs]), high=np.array([s.price[1] for _, s in subs]),
        lot_share=np.array([s.lot_share for _, s in subs]),
        weight=weight / weight.sum(),
        assembled=np.array([s.code == "COF" for _, s in subs]),
        products=products, product_counts=product_counts,
        variants=variants, variant_counts=variant_counts,
        qualifiers=qualifiers, qualifier_counts=qualifier_counts,
        brands=brand_table, brand_counts=brand_counts,
    )


def shelf_price(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Retail prices incl. VAT in cents, log-uniform in [low, high], ending in 9 cents."""
    euros = np.exp(rng.uniform(np.log(low), np.log(high)))
    small = np.round(euros * 10).astype(np.int64) * 10 - 1
    large = np.round(euros).astype(np.int64) * 100 - 1
    return np.maximum(np.where(euros >= 20, large, small), 49)


def articles(rng: np.random.Generator, start: int, n: int, width: int) -> dict[str, np.ndarray]:
    """`n` articles numbered from `start` (ART…).

    Text columns: code, name, vat, supplier, brand, family, sub_family, unit.
    Numeric: sub (sub-family index), rate, ttc (cents), sale (1/10,000 euro), purchase
    (cents), lot_managed, assembled, exportable, active (bool).
    """
    cat_ = catalogue()
    sub = rng.choice(len(cat_.sub), size=n, p=cat_.weight)
    product = pick(cat_.products, cat_.product_counts, sub, rng)
    qualifier = pick(cat_.qualifiers, cat_.qualifier_counts, sub, rng)
    variant = pick(cat_.variants, cat_.variant_counts, sub, rng)
    brand = pick(cat_.brands, cat_.brand_counts, sub, rng)
    brand_names = strs(b[1] for b in names.BRANDS)
    brand_codes = strs(b[0] for b in names.BRANDS)
    brand_supplier = strs(supplier_code(b[2]) for b in names.BRANDS)
    spaced = np.where(np.strings.str_len(qualifier) > 0, cat(" ", qualifier), "").astype(STR)
    name = cat(product, spaced, " ", brand_names[brand], " ", variant)

    rate = cat_.rate[sub]
    ttc = shelf_price(rng, cat_.low[sub], cat_.high[sub])
    sale = round_div(ttc * 100 * 100_000, 100_000 + rate)
    margin = rng.uniform(0.22, 0.48, n)
    purchase = np.maximum(np.round(sale / 100 * (1 - margin)).astype(np.int64), 1)
    return {
        "code": cat("ART", num(np.arange(start, start + n), width)),
        "name": name,
        "vat": cat_.vat[sub],
        "supplier": brand_supplier[brand],
        "brand": brand_codes[brand],
        "family": cat_.family[sub],
        "sub_family": cat_.sub[sub],
        "unit": cat_.unit[sub],
        "sub": sub,
        "rate": rate,
        "ttc": ttc,
        "sale": sale,
        "purchase": purchase,
        "lot_managed": rng.random(n) < cat_.lot_share[sub],
        "assembled": cat_.assembled[sub],
        "exportable": rng.random(n) < 0.95,
        "active": rng.random(n) < 0.99,
    }
