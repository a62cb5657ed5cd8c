"""The ticket filters of `pos invoice`, `pos post` and `pos payments` (`spec/pos.md`).

`--until` a sales day (default today); ranges `FROM:TO`, inclusive, either side may be
empty (`C1:C3`, `:C0050`, `148:`); register and customer codes compared as text, ticket
numbers as integers. A bad range is a usage error (exit 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from comptoir.errors import ComptoirError


class FilterError(ComptoirError):
    """A filter the command cannot read (a usage error)."""

    exit_code = 2


@dataclass(frozen=True)
class Range:
    """An inclusive range; `None` is an open side."""

    low: str | int | None = None
    high: str | int | None = None

    def holds(self, value: str | int) -> bool:
        return ((self.low is None or value >= self.low)  # type: ignore[operator]
                and (self.high is None or value <= self.high))  # type: ignore[operator]


def parse_range(text: str | None, *, numbers: bool = False, option: str = "range") -> Range:
    """`FROM:TO` → `Range` (text, or integers with `numbers`); `FilterError` when unreadable."""
    if text is None or text.strip() == "":
        return Range()
    low, colon, high = text.strip().partition(":")
    if not colon or ":" in high:
        raise FilterError(f"--{option} {text!r}: write FROM:TO (either side may be empty)")
    if numbers:
        try:
            bounds = [int(side) if side.strip() else None for side in (low, high)]
        except ValueError:
            raise FilterError(f"--{option} {text!r}: ticket numbers are integers") from None
    else:
        bounds = [side.strip() or None for side in (low, high)]
    found = Range(bounds[0], bounds[1])
    if found.low is not None and found.high is not None and found.low > found.high:  # type: ignore[operator]
        raise FilterError(f"--{option} {text!r}: FROM is after TO")
    return found


def parse_until(text: str | None, today: dt.date | None = None) -> dt.date:
    """`--until`: a date `YYYY-MM-DD`, `today` or `yesterday` (default today)."""
    today = today or dt.date.today()
    if text is None or text.strip() in ("", "today"):
        return today
    if text.strip() == "yesterday":
        return today - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(f"--until {text!r}: write a date YYYY-MM-DD, today or yesterday"
                          ) from None


@dataclass(frozen=True)
class TicketFilters:
    """Which tickets a step takes: up to a sales day, stores, and three ranges."""

    until: dt.date
    stores: tuple[str, ...] = ()
    registers: Range = field(default_factory=Range)
    customers: Range = field(default_factory=Range)
    tickets: Range = field(default_factory=Range)

    @classmethod
    def parse(cls, *, until: str | None = None, stores: list[str] | None = None,
              registers: str | None = None, customers: str | None = None,
              tickets: str | None = None, today: dt.date | None = None) -> TicketFilters:
        return cls(parse_until(until, today), tuple(stores or ()),
                   parse_range(registers, option="registers"),
                   parse_range(customers, option="customers"),
                   parse_range(tickets, numbers=True, option="tickets"))
