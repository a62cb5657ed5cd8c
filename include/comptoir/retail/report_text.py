"""How the retail types write numbers in their French report lines and CSV cells."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "french", "plural", "trim"]

CENT = Decimal("0.01")


def french(amount: Decimal) -> str:
    """`95,00`, `-1234,50`: two decimals (half up), decimal comma."""
    return f"{amount.quantize(CENT, ROUND_HALF_UP):f}".replace(".", ",")


def trim(value: Decimal) -> Decimal:
    """A quantity or rate with the decimals it needs (`2`, `1.5`, `-1`), never an exponent."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def plural(count: int, singular: str, many: str) -> str:
    """`0 rejeté`, `1 rejeté`, `2 rejetés`: French takes the singular up to one."""
    return f"{count} {singular if count <= 1 else many}"
