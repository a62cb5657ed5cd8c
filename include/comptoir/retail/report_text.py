"""How the retail types write numbers and dates in French: report lines, CSV cells, PDFs."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "NBSP", "day", "euros", "french", "money", "plural", "quantity", "trim"]

CENT = Decimal("0.01")
NBSP = "\u00a0"


def french(amount: Decimal) -> str:
    """`95,00`, `-1234,50`: two decimals (half up), decimal comma."""
    return f"{amount.quantize(CENT, ROUND_HALF_UP):f}".replace(".", ",")


def trim(value: Decimal) -> Decimal:
    """A quantity or rate with the decimals it needs (`2`, `1.5`, `-1`), never an exponent."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def plural(count: int, singular: str, many: str) -> str:
    """`0 rejeté`, `1 rejeté`, `2 rejetés`: French takes the singular up to one."""
    return f"{count} {singular if count <= 1 else many}"


def grouped(digits: str) -> str:
    """`1234567` → `1 234 567` with no-break spaces."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return NBSP.join(parts)


def money(value: Decimal | int | None, currency: str = "€") -> str:
    """`1 234,50 €` (rounded half up to the cent, no-break spaces); empty for None."""
    if value is None:
        return ""
    amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    return f"{sign}{grouped(units)},{cents}{NBSP}{currency}".rstrip()


def quantity(value: Decimal | int | None) -> str:
    """A quantity with the decimals it needs: `2`, `1,5`, `-1`, `1 200`; empty for None."""
    if value is None:
        return ""
    number = Decimal(value)
    text = f"{abs(number):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    units, _, decimals = text.partition(".")
    sign = "-" if number < 0 and text.strip("0.") else ""
    return sign + grouped(units) + ("," + decimals if decimals else "")


def day(value: date | None) -> str:
    """`DD/MM/YYYY`; empty for None."""
    return "" if value is None else value.strftime("%d/%m/%Y")


def euros(amount: Decimal) -> str:
    """`1 234,50 €` in a report line: no-break spaces between thousands, a plain space
    before the currency."""
    return money(amount).replace(f"{NBSP}€", " €")
