"""The plan of a `sales_correction` run, computed in memory from what was read.

Days are taken per store in date order (then register code), the stock of each
(article, store) pair carried from one day to the next. A day's errors are found and, when
the options allow, corrected; the corrections are tried on an overlay of the stock and
kept only when every error of the day is corrected: a day is updated whole or not at all.
Correction movements of a store are dated at its first day in error of the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from comptoir.retail.sales_days_read import Day, Issue, Remedies, Sales

__all__ = ["Correction", "Fix", "Outcome", "Plan", "Rules", "error_text", "plan",
           "quantity_text"]

ZERO = Decimal(0)
Pair = tuple[int, int]


def quantity_text(quantity: Decimal, sign: bool = False) -> str:
    """`2`, `1.5`, `-1` (`+1` with `sign`)."""
    text = format(quantity.normalize(), "f")
    return f"+{text}" if sign and quantity > 0 else text


def error_text(error: str | tuple[int, Decimal], codes: dict[int, str]) -> str:
    """An error of a day as the report and `stock_errors` say it."""
    if isinstance(error, str):
        return error
    article, missing = error
    return f"stock insuffisant : {codes[article]} manque {quantity_text(missing)}"


@dataclass(frozen=True, slots=True)
class Rules:
    """The options, resolved to ids."""

    method: str
    givers: list[int]
    misc_sub_family: int | None
    fix_returns: bool
    split_kits: bool


@dataclass(frozen=True, slots=True)
class Fix:
    """A ticket line changed: `article` (code found again), `misc` or `return`."""

    issue: Issue
    what: str
    article_id: int | None = None


@dataclass(slots=True)
class Correction:
    """A correction movement: `EC` (kit split), `TR` (transfer) or `AV` (adjustment)."""

    prefix: str
    date: dt.date
    depot_id: int  # the giver of a TR, else the store
    day: Day
    lines: list[tuple[int, Decimal, Decimal | None]] = field(default_factory=list)
    """(article, quantity, value entering or None); a TR's quantity is what it moves."""
    target_depot_id: int | None = None
    weights: list[Decimal] = field(default_factory=list)
    """EC: each component line's share of the kit's value (BOM price × quantity)."""


@dataclass(slots=True)
class Outcome:
    day: Day
    updated: bool
    errors: list[str | tuple[int, Decimal]]  # a text, or (article, missing quantity)
    net: dict[int, Decimal]
    fixes: list[Fix]
    corrections: list[Correction]


@dataclass(slots=True)
class Plan:
    outcomes: list[Outcome]
    short: set[int]  # articles that were short at some point


class _Stock:
    """The stock carried through the run, and a day's overlay of tentative changes."""

    def __init__(self, base: dict[Pair, Decimal], reserved: dict[Pair, Decimal]) -> None:
        self.base = base
        self.reserved = reserved
        self.delta: dict[Pair, Decimal] = {}

    def level(self, pair: Pair) -> Decimal:
        return self.base.get(pair, ZERO) + self.delta.get(pair, ZERO)

    def free(self, pair: Pair) -> Decimal:
        """What a depot can give: its stock minus what its own days still to update take
        (returns those days bring back are not given before they are in)."""
        return self.level(pair) - max(self.reserved.get(pair, ZERO), ZERO)

    def move(self, pair: Pair, quantity: Decimal) -> None:
        self.delta[pair] = self.delta.get(pair, ZERO) + quantity

    def keep(self) -> None:
        for pair, change in self.delta.items():
            self.base[pair] = self.base.get(pair, ZERO) + change
        self.delta = {}

    def drop(self) -> None:
        self.delta = {}

    def apply(self, store: int, net: dict[int, Decimal]) -> None:
        for article, quantity in net.items():
            pair = (article, store)
            self.base[pair] = self.base.get(pair, ZERO) - quantity
            if pair in self.reserved:
                self.reserved[pair] -= quantity


def plan(sales: Sales, remedies: Remedies, rules: Rules, *, discover: bool = False) -> Plan:
    """Every day's outcome, updated days in the order they were applied.

    Days are taken per store in date order (then register code). The days left in error
    are then tried again, in the same order, against the stock the later days left (a
    later return may cover an earlier sale), until a pass updates none: what the run
    leaves in error, a second run finds in error too.

    `discover`: every shortage counts as covered (no correction made), so one pass finds
    every article that may run short once the remedies apply; their data is then read
    once, before the real pass.
    """
    stock = _Stock({**remedies.stock, **sales.stock}, dict(remedies.reserved))
    first_error: dict[int, dt.date] = {}
    short: set[int] = set()
    applied: list[Outcome] = []
    todo = sales.days
    while True:
        left: list[Outcome] = []
        for day in todo:
            outcome = _take(sales, remedies, rules, stock, day, first_error, short,
                            discover)
            (applied if outcome.updated else left).append(outcome)
        if len(left) == len(todo):
            return Plan([*applied, *left], short)
        todo = [o.day for o in left]


def _take(sales: Sales, remedies: Remedies, rules: Rules, stock: _Stock, day: Day,
          first_error: dict[int, dt.date], short: set[int], discover: bool) -> Outcome:
    """Check a day and correct it on the stock's overlay: applied whole or not at all."""
    net = sales.net.get(day.id, {})
    if day.id in sales.issues:  # its lines that need a look change the net: a copy
        net = dict(net)
    errors: list[str | tuple[int, Decimal]] = []
    fixes: list[Fix] = []
    corrected = _lines(sales, day, rules, net, errors, fixes)
    missing = {a: q - stock.level((a, day.depot_id)) for a, q in sorted(net.items())
               if q > 0 and stock.level((a, day.depot_id)) < q}
    short |= set(missing)
    if (corrected or missing or errors) and day.depot_id not in first_error:
        first_error[day.depot_id] = day.date
    corrections: list[Correction] = []
    if missing and not errors and discover:
        for article, quantity in missing.items():
            stock.move((article, day.depot_id), quantity)
    elif missing and not errors:
        corrections = _remedy(stock, remedies, rules, day, net, missing,
                              first_error[day.depot_id])
        uncovered = {a: q for a, q in missing.items()
                     if stock.level((a, day.depot_id)) < net[a]}
        if uncovered:
            stock.drop()
            errors.extend(uncovered.items())
    elif missing:
        errors.extend(missing.items())
    if errors:
        return Outcome(day, False, errors, net, [], [])
    stock.keep()
    stock.apply(day.depot_id, net)
    return Outcome(day, True, [], net, fixes, corrections)


def _lines(sales: Sales, day: Day, rules: Rules, net: dict[int, Decimal],
           errors: list[str | tuple[int, Decimal]], fixes: list[Fix]) -> bool:
    """Look at the day's issues: fix what the options allow; True when one was an error."""
    in_error = False
    for issue in sales.issues.get(day.id, []):
        article, quantity, usable = issue.article_id, issue.quantity, True
        where = f"(ticket {issue.ticket_number} ligne {issue.line_no})"
        if issue.unknown:
            found = sales.found.get(issue.code)
            if found is not None:
                article = found
                fixes.append(Fix(issue, "article", found))
            elif rules.misc_sub_family is not None:
                in_error = True
                fixes.append(Fix(issue, "misc"))
            else:
                in_error, usable = True, False
                errors.append(f"article inconnu : {issue.code} {where}")
        if issue.positive_return:
            in_error = True
            if rules.fix_returns:
                quantity = -quantity
                fixes.append(Fix(issue, "return"))
            else:
                usable = False
                errors.append(f"retour en erreur : {issue.code} quantité "
                              f"{quantity_text(quantity)} {where}")
        if usable and article is not None:
            net[article] = net.get(article, ZERO) + quantity
    return in_error


def _remedy(stock: _Stock, remedies: Remedies, rules: Rules, day: Day,
            net: dict[int, Decimal], missing: dict[int, Decimal],
            date: dt.date) -> list[Correction]:
    """Cover the day's shortages on the overlay: kits, then transfers or an adjustment."""
    store = day.depot_id
    splits: list[Correction] = []
    transfers: dict[int, Correction] = {}
    adjustment = Correction("AV", date, store, day)
    for article in missing:
        pair = (article, store)
        want = net[article] - stock.level(pair)
        if rules.split_kits:
            for kit, per_kit in remedies.kits.get(article, []):
                if want <= 0:
                    break
                available = stock.free((kit, store)).to_integral_value(ROUND_FLOOR)
                if available <= 0 or kit not in remedies.bom:
                    continue
                count = min(available, (want / per_kit).to_integral_value(ROUND_CEILING))
                split = Correction("EC", date, store, day, [(kit, -count, None)])
                stock.move((kit, store), -count)
                for component, quantity, price in remedies.bom[kit]:
                    split.lines.append((component, count * quantity, None))
                    split.weights.append(price * quantity)
                    stock.move((component, store), count * quantity)
                splits.append(split)
                want = net[article] - stock.level(pair)
        if want <= 0:
            continue
        if rules.method == "transfers":
            for giver in rules.givers:
                if giver == store:
                    continue
                given = min(want, stock.free((article, giver)))
                if given <= 0:
                    continue
                transfer = transfers.setdefault(giver, Correction(
                    "TR", date, giver, day, target_depot_id=store))
                transfer.lines.append((article, given, None))
                stock.move((article, giver), -given)
                stock.move(pair, given)
                want -= given
                if want <= 0:
                    break
        else:
            adjustment.lines.append((article, want, None))
            stock.move(pair, want)
    corrections = [*splits, *transfers.values()]
    if adjustment.lines:
        corrections.append(adjustment)
    return corrections
