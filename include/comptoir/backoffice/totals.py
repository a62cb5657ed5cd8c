"""Document totals in exact integers: line totals and VAT per rate, rounded half-up.

Amounts are integers scaled by a power of ten (quantity 10³, price 10⁴, discount and
rate 10³, cents): the same arithmetic for every document a dossier creates from outside
(partner connector, inter-site orders), on Python integers or NumPy object arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["half_up", "line_total_cents", "tax_cents"]


def half_up(numerator: Any, denominator: int) -> Any:
    """Integer division rounded half away from zero (Python integers: no overflow)."""
    if isinstance(numerator, int):
        sign = -1 if numerator < 0 else 1
        return sign * ((abs(numerator) * 2 + denominator) // (2 * denominator))
    sign = np.where(numerator < 0, -1, 1)
    return sign * ((abs(numerator) * 2 + denominator) // (2 * denominator))


def line_total_cents(quantity: Any, price: Any, discount: Any = 0) -> Any:
    """Quantity (10³) × price (10⁴) × (1 − discount (10³) / 100), in cents, half-up."""
    return half_up(quantity * price * (100_000 - discount), 10**10)


def tax_cents(base: Any, rate: Any) -> Any:
    """The VAT (cents) of a base (cents) at a rate (percent, 10³), half-up."""
    return half_up(base * rate, 100_000)
