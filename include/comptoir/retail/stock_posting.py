"""The one stock-posting helper: movements validated at once and applied to stock and lots.

`post(conn, movements)` writes each movement (`stock_movements` + `stock_movement_lines`),
validated (`validated`, `validated_at`), and applies it to `stock_records` and `lots` in the
caller's transaction (take the stock lock first: `comptoir.retail.stock_lock`). The
statements do not grow with the lines: the state of every (article, depot) pair involved
is read in a few queries, the movements are computed in memory in the order given, and
written back as multi-row inserts and bulk updates (`comptoir.retail.bulk`: one
`UPDATE … FROM unnest(…)` on PostgreSQL).

Rules (contract "Stock posting"), `Decimal` throughout, `ROUND_HALF_UP`, values to the
cent, unit costs to 4 decimals:

- a line's `quantity` is signed, its effect on the movement's depot; a transfer's line
  (movement with `target_depot_id`) holds the quantity moved, > 0, from `depot_id` to
  `target_depot_id`;
- exits are valued at the depot's cost: `wac`, or the article's `purchase_price` when `wac`
  is 0; `value = quantity × unit_cost` (negative); the record's value decreases by it and
  its WAC does not change;
- entries add `quantity × unit_cost` to the value (the line's `unit_cost` when given, else
  the depot's cost as for an exit: customer returns, `AV`) and, when the quantity after is
  positive, WAC = value / quantity;
- transfers leave the source as an exit and enter the target at the source's unit cost,
  with the same value;
- lot-managed articles: an exit without a lot number takes the depot's lots first-in
  first-out (by the lot's creating movement's date, then its number), one line per lot
  taken; a transfer brings the same lot numbers into the target; any other entry goes to
  the line's lot when it names one, else to the lot `SANS-LOT` of the depot (created
  when missing). The lots of a depot always add up to its stock.

Where the contract is silent:

- rounding residue: an exit that leaves the quantity at 0 takes the record's remaining
  value, and an exit never takes more value than the record holds while the quantity
  stays positive (the value never drifts below 0 by rounding); an exit below zero is
  valued at `quantity × unit_cost` (the record's value follows it below 0);
- an exit of a lot-managed article larger than its lots takes the rest from `SANS-LOT`
  (which may go negative), an exit naming a lot takes it from that lot;
- lots at 0 are kept (their creating movement is history); FIFO skips lots ≤ 0; lots
  without a creating movement (imported) come first;
- lines of quantity 0 are dropped; a lot number on an article that is not lot-managed is
  dropped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, select, tuple_

from comptoir.backoffice.schema import (
    articles,
    lots,
    stock_movement_lines,
    stock_movements,
    stock_records,
)
from comptoir.retail import bulk

__all__ = [
    "NO_LOT",
    "Movement",
    "MovementLine",
    "PostedLine",
    "PostedMovement",
    "StockPostingError",
    "depot_costs",
    "post",
    "round_cost",
    "round_money",
]

NO_LOT = "SANS-LOT"
ZERO = Decimal(0)
CENT = Decimal("0.01")
COST = Decimal("0.0001")
QTY = Decimal("0.001")
_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's bind limits


class StockPostingError(ValueError):
    """A movement that cannot be posted as given (a programming error in the caller)."""


def round_money(value: Decimal) -> Decimal:
    """To the cent, ROUND_HALF_UP."""
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def round_cost(value: Decimal) -> Decimal:
    """A unit cost to 4 decimals, ROUND_HALF_UP."""
    return Decimal(value).quantize(COST, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class MovementLine:
    """One line as the caller means it.

    `quantity`: signed effect on the movement's depot (a transfer: the quantity moved, > 0).
    `unit_cost`: entries only (not transfers), the cost of what comes in (a reception);
    None: the depot's cost. `value`: entries only, the exact value coming in (a kit split
    sharing the kit's value); its unit cost is then value / quantity unless given.
    `lot_number`: an exit or a transfer takes that lot instead of FIFO; an entry goes into it.
    """

    article_id: int
    quantity: Decimal
    unit_cost: Decimal | None = None
    value: Decimal | None = None
    lot_number: str | None = None


@dataclass(frozen=True, slots=True)
class Movement:
    """A movement to post: `kind` and `extra` columns are written as given (e.g. the kinds
    `sales_adjustment`, `kit_split` and the columns `supplier_id`, `created_by_run` of the
    retail migration), `number` comes from `comptoir.retail.numbering.reserve`."""

    number: str
    kind: str
    date: dt.date
    depot_id: int
    lines: Sequence[MovementLine]
    target_depot_id: int | None = None
    reference: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostedLine:
    line_no: int
    article_id: int
    quantity: Decimal
    unit_cost: Decimal
    value: Decimal
    lot_number: str | None


@dataclass(frozen=True, slots=True)
class PostedMovement:
    id: int
    number: str
    kind: str
    date: dt.date
    depot_id: int
    target_depot_id: int | None
    lines: list[PostedLine]

    @property
    def value(self) -> Decimal:
        """The sum of the lines' values (signed: an exit's total is negative)."""
        return sum((line.value for line in self.lines), ZERO)


@dataclass(slots=True)
class _Record:
    id: int | None
    quantity: Decimal
    value: Decimal
    wac: Decimal
    touched: bool = False


@dataclass(slots=True)
class _Lot:
    id: int | None
    number: str
    quantity: Decimal
    date: dt.date | None
    movement_id: int | None
    touched: bool = False

    def key(self) -> tuple:
        return (self.date is not None, self.date or dt.date.min, self.number)


@dataclass(slots=True)
class _State:
    purchase: dict[int, Decimal]
    lot_managed: set[int]
    records: dict[tuple[int, int], _Record]
    lots: dict[tuple[int, int], list[_Lot]]


def post(conn: Connection, movements: Iterable[Movement], *,
         validated_at: dt.datetime | None = None) -> list[PostedMovement]:
    """Write the movements, validated, and apply them to stock and lots, in order."""
    todo = [_checked(m) for m in movements]
    if not todo:
        return []
    stamp = validated_at or dt.datetime.now(dt.UTC)
    ids = _insert_headers(conn, todo, stamp)
    state = _read_state(conn, todo)
    posted: list[PostedMovement] = []
    todo.reverse()
    while todo:  # in order; a movement applied is let go: its lines are not held twice
        movement = todo.pop()
        posted.append(_apply(state, movement, ids[movement.number]))
    _write(conn, state, posted)
    return posted


def depot_costs(conn: Connection, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int],
                                                                          Decimal]:
    """(article, depot) → the cost an exit would take now: WAC, else the purchase price."""
    wanted = sorted(set(pairs))
    articles_ = sorted({a for a, _ in wanted})
    purchase = _purchase_and_lots(conn, articles_)[0]
    records = _records(conn, wanted)
    out = {}
    for pair in wanted:
        record = records.get(pair)
        wac = record.wac if record else ZERO
        out[pair] = wac if wac else round_cost(purchase.get(pair[0], ZERO))
    return out


# --- checking ---------------------------------------------------------------------------------


def _checked(movement: Movement) -> Movement:
    lines = []
    for line in movement.lines:
        quantity = Decimal(line.quantity).quantize(QTY, ROUND_HALF_UP)
        if quantity == 0:
            continue
        if movement.target_depot_id is not None:
            if quantity < 0:
                raise StockPostingError(f"{movement.number}: a transfer line moves a positive "
                                        f"quantity, not {quantity}")
            if line.unit_cost is not None or line.value is not None:
                raise StockPostingError(f"{movement.number}: a transfer enters at the "
                                        "source's cost; no unit_cost or value on its lines")
        elif quantity < 0 and (line.unit_cost is not None or line.value is not None):
            raise StockPostingError(f"{movement.number}: an exit is valued at the depot's "
                                    "cost; no unit_cost or value on its lines")
        lines.append(MovementLine(line.article_id, quantity, line.unit_cost, line.value,
                                  line.lot_number or None))
    if movement.target_depot_id == movement.depot_id:
        raise StockPostingError(f"{movement.number}: a transfer needs two different depots")
    return Movement(movement.number, movement.kind, movement.date, movement.depot_id, lines,
                    movement.target_depot_id, movement.reference, dict(movement.extra))


# --- reading ----------------------------------------------------------------------------------


def _insert_headers(conn: Connection, todo: list[Movement], stamp: dt.datetime) -> dict[str, int]:
    numbers = [m.number for m in todo]
    if len(set(numbers)) != len(numbers):
        raise StockPostingError("two movements with the same number")
    extras = sorted({k for m in todo for k in m.extra})  # one shape for every row
    conn.execute(stock_movements.insert(), [
        {**dict.fromkeys(extras), **m.extra, "number": m.number, "kind": m.kind,
         "date": m.date, "depot_id": m.depot_id,
         "target_depot_id": m.target_depot_id, "reference": m.reference, "validated": True,
         "validated_at": stamp} for m in todo])
    ids: dict[str, int] = {}
    c = stock_movements.c
    for start in range(0, len(numbers), _CHUNK):
        ids.update(conn.execute(select(c.number, c.id)
                                .where(c.number.in_(numbers[start:start + _CHUNK]))).all())
    return ids


def _purchase_and_lots(conn: Connection, article_ids: list[int]) -> tuple[dict[int, Decimal],
                                                                          set[int]]:
    purchase: dict[int, Decimal] = {}
    managed: set[int] = set()
    a = articles.c
    for start in range(0, len(article_ids), bulk.CHUNK):
        for article, price, lot_managed in conn.execute(
                select(a.id, a.purchase_price, a.lot_managed)
                .where(a.id.in_(article_ids[start:start + bulk.CHUNK]))).all():
            purchase[article] = Decimal(price) if price is not None else ZERO
            if lot_managed:
                managed.add(article)
    missing = set(article_ids) - set(purchase)
    if missing:
        raise StockPostingError(f"unknown article id(s): {sorted(missing)}")
    return purchase, managed


def _records(conn: Connection, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], _Record]:
    found: dict[tuple[int, int], _Record] = {}
    # NUMERIC(15,3), (15,2) and (15,4) columns: read at their scale, nothing to round
    for record_id, article, depot, quantity, value, wac in bulk.rows_of_pairs(
            conn, stock_records, ("id", "article_id", "depot_id", "quantity", "value", "wac"),
            ("article_id", "depot_id"), pairs):
        found[(article, depot)] = _Record(record_id, quantity, value, wac)
    return found


def _read_state(conn: Connection, todo: list[Movement]) -> _State:
    pairs: set[tuple[int, int]] = set()
    for m in todo:
        for line in m.lines:
            pairs.add((line.article_id, m.depot_id))
            if m.target_depot_id is not None:
                pairs.add((line.article_id, m.target_depot_id))
    ordered = sorted(pairs)
    del pairs
    purchase, managed = _purchase_and_lots(conn, sorted({a for a, _ in ordered}))
    records = _records(conn, ordered)
    for pair in ordered:
        records.setdefault(pair, _Record(None, ZERO, ZERO, ZERO))
    lot_pairs = [p for p in ordered if p[0] in managed]
    found: dict[tuple[int, int], list[_Lot]] = defaultdict(list)
    lt, mv = lots.c, stock_movements.c
    for start in range(0, len(lot_pairs), bulk.CHUNK):
        chunk = lot_pairs[start:start + bulk.CHUNK]
        for row in conn.execute(
                select(lt.id, lt.article_id, lt.depot_id, lt.number, lt.quantity,
                       lt.movement_id, mv.date)
                .select_from(lots.outerjoin(stock_movements, lt.movement_id == mv.id))
                .where(tuple_(lt.article_id, lt.depot_id).in_(chunk))).all():
            found[(row.article_id, row.depot_id)].append(
                _Lot(row.id, row.number, Decimal(row.quantity), row.date, row.movement_id))
    for entries in found.values():
        entries.sort(key=_Lot.key)
    return _State(purchase, managed, records, dict(found))


# --- computing --------------------------------------------------------------------------------


def _cost(state: _State, article: int, record: _Record) -> Decimal:
    return record.wac if record.wac else round_cost(state.purchase.get(article, ZERO))


def _exit(state: _State, article: int, record: _Record, quantity: Decimal) -> tuple[Decimal,
                                                                                     Decimal]:
    """Take `quantity` (> 0) out of the record; (unit cost, value taken, < 0)."""
    unit = _cost(state, article, record)
    value = -round_money(quantity * unit)
    after = record.quantity - quantity
    if record.quantity > 0 and after == 0:
        value = -record.value
    elif after > 0 and record.value + value < 0:
        value = -max(record.value, ZERO)
    record.quantity = after
    record.value += value
    record.touched = True
    return unit, value


def _enter(record: _Record, quantity: Decimal, value: Decimal) -> None:
    record.quantity += quantity
    record.value += value
    if record.quantity > 0:
        record.wac = round_cost(record.value / record.quantity)
    record.touched = True


def _lot(state: _State, pair: tuple[int, int], number: str, movement: Movement,
         movement_id: int) -> _Lot:
    entries = state.lots.setdefault(pair, [])
    for lot in entries:
        if lot.number == number:
            return lot
    lot = _Lot(None, number, ZERO, movement.date, movement_id, touched=True)
    entries.append(lot)
    entries.sort(key=_Lot.key)
    return lot


def _take_lots(state: _State, pair: tuple[int, int], quantity: Decimal, lot_number: str | None,
               movement: Movement, movement_id: int) -> list[tuple[str, Decimal]]:
    """Lots taken for an exit of `quantity` (> 0): [(number, quantity)], FIFO."""
    if lot_number:
        lot = _lot(state, pair, lot_number, movement, movement_id)
        lot.quantity -= quantity
        lot.touched = True
        return [(lot.number, quantity)]
    taken: list[tuple[str, Decimal]] = []
    left = quantity
    for lot in state.lots.get(pair, []):
        if left == 0:
            break
        if lot.quantity <= 0:
            continue
        part = min(lot.quantity, left)
        lot.quantity -= part
        lot.touched = True
        left -= part
        taken.append((lot.number, part))
    if left:
        lot = _lot(state, pair, NO_LOT, movement, movement_id)
        lot.quantity -= left
        lot.touched = True
        merged = [t for t in taken if t[0] != NO_LOT]
        done = sum((q for n, q in taken if n == NO_LOT), ZERO)
        taken = [*merged, (NO_LOT, done + left)]
    return taken


def _apply(state: _State, movement: Movement, movement_id: int) -> PostedMovement:
    lines: list[PostedLine] = []
    depot, target = movement.depot_id, movement.target_depot_id

    def add(article: int, quantity: Decimal, unit: Decimal, value: Decimal,
            lot: str | None) -> None:
        lines.append(PostedLine(len(lines) + 1, article, quantity, unit, value, lot))

    for line in movement.lines:
        article = line.article_id
        pair = (article, depot)
        record = state.records[pair]
        managed = article in state.lot_managed
        if line.quantity < 0 or target is not None:
            moved = -line.quantity if target is None else line.quantity
            parts: list[tuple[str | None, Decimal]]
            if managed:
                parts = list(_take_lots(state, pair, moved, line.lot_number, movement,
                                        movement_id))
            else:
                parts = [(None, moved)]
            for lot_number, part in parts:
                unit, value = _exit(state, article, record, part)
                if target is None:
                    add(article, -part, unit, value, lot_number)
                    continue
                _enter(state.records[(article, target)], part, -value)
                if lot_number is not None:
                    lot = _lot(state, (article, target), lot_number, movement, movement_id)
                    lot.quantity += part
                    lot.touched = True
                add(article, part, unit, -value, lot_number)
            continue
        quantity = line.quantity
        if line.value is not None:
            value = round_money(line.value)
            unit = (round_cost(line.unit_cost) if line.unit_cost is not None
                    else round_cost(value / quantity))
        else:
            unit = (round_cost(line.unit_cost) if line.unit_cost is not None
                    else _cost(state, article, record))
            value = round_money(quantity * unit)
        _enter(record, quantity, value)
        lot_number = None
        if managed:
            lot_number = line.lot_number or NO_LOT
            lot = _lot(state, pair, lot_number, movement, movement_id)
            lot.quantity += quantity
            lot.touched = True
        add(article, quantity, unit, value, lot_number)
    return PostedMovement(movement_id, movement.number, movement.kind, movement.date, depot,
                          target, lines)


# --- writing ----------------------------------------------------------------------------------


def _write(conn: Connection, state: _State, posted: list[PostedMovement]) -> None:
    bulk.insert_tuples(  # streamed
        conn, stock_movement_lines, ("movement_id", "line_no", "article_id", "quantity",
                                     "unit_cost", "value", "lot_number"),
        ((m.id, line.line_no, line.article_id, line.quantity, line.unit_cost, line.value,
          line.lot_number) for m in posted for line in m.lines))
    records = state.records.items()
    bulk.insert_rows(conn, stock_records, (  # both streamed: a million records, no copy
        {"article_id": article, "depot_id": depot, "quantity": record.quantity,
         "value": record.value, "wac": record.wac}
        for (article, depot), record in records if record.touched and record.id is None))
    bulk.update_by_id(conn, stock_records, (
        {"id": record.id, "quantity": record.quantity, "value": record.value,
         "wac": record.wac}
        for record in state.records.values() if record.touched and record.id is not None))
    new_lots, changed_lots = [], []
    for (article, depot), entries in state.lots.items():
        for lot in entries:
            if not lot.touched:
                continue
            if lot.id is None:
                new_lots.append({"article_id": article, "depot_id": depot,
                                 "number": lot.number, "quantity": lot.quantity,
                                 "movement_id": lot.movement_id})
            else:
                changed_lots.append({"id": lot.id, "quantity": lot.quantity})
    bulk.insert_rows(conn, lots, new_lots)
    bulk.update_by_id(conn, lots, changed_lots)
