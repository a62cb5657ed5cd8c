"""Rounding of scaled integer amounts, shared by every module that computes totals."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["half_up"]


def half_up(numerator: Any, denominator: int) -> Any:
    """Integer division rounded half away from zero, element-wise on a numpy array.

    Use object arrays of Python integers: no overflow however large the scaled amounts.
    """
    sign = np.where(numerator < 0, -1, 1)
    return sign * ((abs(numerator) * 2 + denominator) // (2 * denominator))
