"""The archiving of one store-month of tickets for `season_end` (spec/retail-tasks.md).

`months(...)` finds the (store, month) units that have tickets to archive; `archive(...)`
does one unit in the caller's transaction: counts, adds the lines into `sales_history`
and `history_months`, streams lines and payments to a gzip CSV part, deletes them and
their tickets. Set-based: a few statements per unit, whatever the number of tickets;
the file is written row by row from a streamed query.

A ticket is archived when it is in the store, dated in the month and, with a sales day,
that day is closed (`closed`, or a status past `open`) and `updated`; without a sales day,
by the local date of `issued_at`. History lines: kinds `sale`, `return` and `defective`
(invoice payments and deposits are not sales of goods), per article, else per
sub-family, else per unknown code; amounts excl. VAT = round(TTC × 100 / (100 + rate))
per key and VAT rate; cost = the article's catalogue `purchase_price` × quantity.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)

from comptoir.backoffice.dossier_time import aware
from comptoir.backoffice.schema import articles as a
from comptoir.backoffice.schema import customers as c
from comptoir.backoffice.schema import depots as d
from comptoir.backoffice.schema import history_months as hm
from comptoir.backoffice.schema import payment_modes as pm
from comptoir.backoffice.schema import pos_ticket_lines as ln
from comptoir.backoffice.schema import pos_ticket_payments as pay
from comptoir.backoffice.schema import pos_tickets as t
from comptoir.backoffice.schema import registers as r
from comptoir.backoffice.schema import sales_days as sd
from comptoir.backoffice.schema import sales_history as sh
from comptoir.retail.csv_options import CsvOptions, write_csv_to

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection

__all__ = ["COLUMNS", "Unit", "Counts", "archive", "eligible_day", "kept", "months",
           "month_after"]

COLUMNS = ("type", "store", "register", "ticket", "date", "issued_at", "customer", "line_no",
           "kind", "article", "article_code", "quantity", "unit_price_incl_tax", "discount",
           "vat_rate", "total_incl_tax", "payment_mode", "amount", "due_date")
SOLD = ("sale", "return", "defective")
CENT = Decimal("0.01")
_CHUNK = 5000  # rows fetched at a time from the archive's query


@dataclass(frozen=True, order=True)
class Unit:
    """One store-month to archive."""

    store: str
    month: dt.date  # first day
    depot_id: int


@dataclass
class Counts:
    tickets: int = 0
    lines: int = 0
    defectives: int = 0  # defective lines not taken out of stock (no BDD/RFD)
    rows: int = 0  # rows written to the archive (lines and payments)


def month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def eligible_day() -> ColumnElement[bool]:
    """A sales day whose tickets can be archived: closed and its stock `updated`."""
    return and_(or_(sd.c.closed.is_(True), sd.c.status != "open"),
                sd.c.stock_state == "updated")


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone)


def months(conn: Connection, depot_ids: list[int], cutoff: dt.date, zone: dt.tzinfo
           ) -> list[Unit]:
    """The store-months before `cutoff` that have tickets to archive, by store, month."""
    codes = dict(conn.execute(select(d.c.id, d.c.code).where(d.c.id.in_(depot_ids))).all())
    found: set[tuple[int, dt.date]] = set()
    has_ticket = select(t.c.id).where(t.c.sales_day_id == sd.c.id).exists()
    for depot, day in conn.execute(
            select(sd.c.depot_id, sd.c.date).distinct()
            .where(sd.c.depot_id.in_(depot_ids), sd.c.date < cutoff, eligible_day(),
                   has_ticket)):
        found.add((depot, day.replace(day=1)))
    for depot, first, last in conn.execute(
            select(t.c.depot_id, func.min(t.c.issued_at), func.max(t.c.issued_at))
            .where(t.c.depot_id.in_(depot_ids), t.c.sales_day_id.is_(None),
                   t.c.issued_at < _midnight(cutoff, zone))
            .group_by(t.c.depot_id)):
        month = aware(first, zone).date().replace(day=1)  # type: ignore[union-attr]
        end = aware(last, zone).date()  # type: ignore[union-attr]
        while month <= end and month < cutoff:
            found.add((depot, month))  # a month without tickets archives nothing
            month = month_after(month)
    return sorted(Unit(codes[depot], month, depot) for depot, month in found)


def kept(conn: Connection, depot_ids: list[int], cutoff: dt.date) -> int:
    """Tickets before `cutoff` left in place: their sales day is not closed or not updated."""
    return conn.execute(
        select(func.count()).select_from(t.join(sd, sd.c.id == t.c.sales_day_id))
        .where(t.c.depot_id.in_(depot_ids), sd.c.date < cutoff, ~eligible_day())
    ).scalar_one()


_SELECTED = Table("season_end_tickets", MetaData(), Column("id", Integer, primary_key=True),
                  prefixes=["TEMPORARY"])
"""The unit's ticket ids, chosen once per transaction (a temporary table of the session)."""


@dataclass(frozen=True)
class Chosen:
    """The unit's tickets: the ids in the temporary table, between `low` and `high`."""

    low: int
    high: int

    def of(self, column: Any) -> ColumnElement[bool]:
        """`column` (a ticket id) is one of them; the id range lets the databases use the
        ticket-id indexes on the range rather than scan the whole table."""
        return and_(column.between(self.low, self.high),
                    column.in_(select(_SELECTED.c.id)))


def select_tickets(conn: Connection, unit: Unit, zone: dt.tzinfo) -> Chosen:
    """Fill the temporary table with the unit's tickets to archive.

    Two index-friendly selections: through the unit's eligible sales days, and by
    (`depot_id`, `issued_at`) for tickets without a sales day."""
    conn.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS season_end_tickets "
                      "(id INTEGER PRIMARY KEY)"))
    conn.execute(_SELECTED.delete())
    end = month_after(unit.month)
    days = select(sd.c.id).where(sd.c.depot_id == unit.depot_id, sd.c.date >= unit.month,
                                 sd.c.date < end, eligible_day())
    conn.execute(_SELECTED.insert().from_select(["id"], union_all(
        select(t.c.id).where(t.c.sales_day_id.in_(days), t.c.depot_id == unit.depot_id),
        select(t.c.id).where(t.c.depot_id == unit.depot_id, t.c.sales_day_id.is_(None),
                             t.c.issued_at >= _midnight(unit.month, zone),
                             t.c.issued_at < _midnight(end, zone)))))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE season_end_tickets"))  # temporary tables have no stats
    low, high = conn.execute(select(func.min(_SELECTED.c.id), func.max(_SELECTED.c.id))).one()
    return Chosen(low or 0, high or 0)


def count(conn: Connection, unit: Unit, zone: dt.tzinfo) -> tuple[Counts, Chosen]:
    """What archiving the unit would take (its tickets selected into the temporary table)."""
    ids = select_tickets(conn, unit, zone)
    tickets = conn.execute(select(func.count()).select_from(_SELECTED)).scalar_one()
    lines, defectives = conn.execute(
        select(func.count(),
               func.coalesce(func.sum(case((and_(ln.c.kind == "defective",
                                                 ln.c.defective_movement_id.is_(None)), 1),
                                           else_=0)), 0))
        .where(ids.of(ln.c.ticket_id))).one()
    return Counts(tickets, lines, int(defectives)), ids


def archive(conn: Connection, unit: Unit, zone: dt.tzinfo, part: Path, header: bool,
            options: CsvOptions, run_id: str, moment: dt.datetime) -> Counts:
    """Archive the unit in `conn`'s transaction: history, the part file, the deletes."""
    counts, ids = count(conn, unit, zone)
    if not counts.tickets:
        return counts
    add_history(conn, unit, ids)
    row = conn.execute(select(hm.c.tickets, hm.c.lines).where(
        hm.c.depot_id == unit.depot_id, hm.c.month == unit.month)).first()
    if row is None:
        conn.execute(hm.insert().values(depot_id=unit.depot_id, month=unit.month,
                                        tickets=counts.tickets, lines=counts.lines,
                                        archived_at=moment, run_id=run_id))
    else:
        conn.execute(hm.update().where(hm.c.depot_id == unit.depot_id,
                                       hm.c.month == unit.month)
                     .values(tickets=row.tickets + counts.tickets,
                             lines=row.lines + counts.lines, archived_at=moment,
                             run_id=run_id))
    counts.rows = write_part(conn, ids, zone, part, header, options)
    conn.execute(ln.delete().where(ids.of(ln.c.ticket_id)))
    conn.execute(pay.delete().where(ids.of(pay.c.ticket_id)))
    conn.execute(t.delete().where(ids.of(t.c.id)))
    conn.execute(_SELECTED.delete())
    return counts


def add_history(conn: Connection, unit: Unit, ids: Chosen) -> None:
    """Add the unit's sold lines into `sales_history` (per article / sub-family / code)."""
    sub = case((ln.c.article_id.is_(None), ln.c.sub_family_id))
    code = case((and_(ln.c.article_id.is_(None), ln.c.sub_family_id.is_(None)),
                 ln.c.article_code))
    keys = (ln.c.article_id, sub, code)
    where = (ids.of(ln.c.ticket_id), ln.c.kind.in_(SOLD))
    totals: dict[tuple, list[Any]] = {}
    for article, sub_family, unknown, tickets, quantity in conn.execute(
            select(*keys, func.count(ln.c.ticket_id.distinct()), func.sum(ln.c.quantity))
            .where(*where).group_by(*keys)):
        totals[(article, sub_family, unknown)] = [tickets, Decimal(quantity), Decimal(0),
                                                  Decimal(0), Decimal(0)]
    for article, sub_family, unknown, rate, ttc in conn.execute(
            select(*keys, ln.c.vat_rate, func.sum(ln.c.total_incl_tax))
            .where(*where).group_by(*keys, ln.c.vat_rate)):
        entry = totals[(article, sub_family, unknown)]
        ttc = _money(ttc)
        entry[2] += ttc
        entry[3] += _money(ttc * 100 / (100 + Decimal(rate or 0)))
    prices = dict(conn.execute(select(a.c.id, a.c.purchase_price).where(
        a.c.id.in_(select(ln.c.article_id).where(*where, ln.c.article_id.is_not(None))))).all())
    for (article, _, _), entry in totals.items():
        if article is not None and prices.get(article) is not None:
            entry[4] = _money(entry[1] * Decimal(prices[article]))
    existing = {(x.article_id, x.sub_family_id, x.article_code): x for x in conn.execute(
        select(sh).where(sh.c.month == unit.month, sh.c.depot_id == unit.depot_id))}
    inserts, updates = [], []
    for key, (tickets, quantity, ttc, ht, cost) in totals.items():
        old = existing.get(key)
        if old is None:
            inserts.append({"month": unit.month, "depot_id": unit.depot_id,
                            "article_id": key[0], "sub_family_id": key[1],
                            "article_code": key[2], "tickets": tickets, "quantity": quantity,
                            "amount_incl_tax": ttc, "amount_excl_tax": ht, "cost": cost})
        else:
            updates.append({"_id": old.id, "_tickets": old.tickets + tickets,
                            "_quantity": Decimal(old.quantity) + quantity,
                            "_ttc": _money(old.amount_incl_tax) + ttc,
                            "_ht": _money(old.amount_excl_tax) + ht,
                            "_cost": _money(old.cost) + cost})
    if inserts:
        conn.execute(sh.insert(), inserts)
    if updates:
        conn.execute(sh.update().where(sh.c.id == bindparam("_id")).values(
            tickets=bindparam("_tickets"), quantity=bindparam("_quantity"),
            amount_incl_tax=bindparam("_ttc"), amount_excl_tax=bindparam("_ht"),
            cost=bindparam("_cost")), updates)


def _money(value: Any) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(CENT, ROUND_HALF_UP)


def _figure(value: Any) -> Decimal | None:
    """A quantity or rate with the decimals it needs (`2`, `1.5`, `-1`)."""
    if value is None:
        return None
    found = Decimal(value).normalize()
    return found.quantize(Decimal(1)) if found == found.to_integral_value() else found


def _price(value: Any) -> Decimal | None:
    """A unit price: two decimals, more when it has them."""
    if value is None:
        return None
    found = Decimal(value).normalize()
    return found if found.as_tuple().exponent < -2 else found.quantize(CENT)  # type: ignore[operator]


def _archive_rows(conn: Connection, ids: Chosen, zone: dt.tzinfo) -> Any:
    """The unit's `L` and `P` rows, per ticket, streamed."""
    def none(n: int) -> Any:
        return cast(null(), String(n))

    number = cast(null(), Numeric(18, 4))
    head = (d.c.code.label("store"), r.c.code.label("register"), t.c.number.label("ticket"),
            sd.c.date.label("day"), t.c.issued_at, c.c.code.label("customer"))
    base = (t.join(d, d.c.id == t.c.depot_id).join(r, r.c.id == t.c.register_id)
            .outerjoin(sd, sd.c.id == t.c.sales_day_id)
            .outerjoin(c, c.c.id == t.c.customer_id))
    base = base.join(_SELECTED, _SELECTED.c.id == t.c.id)
    window = (t.c.id.between(ids.low, ids.high),)
    lines = (select(literal("L").label("type"), *head, ln.c.line_no, ln.c.kind,
                    a.c.code.label("article"), ln.c.article_code, ln.c.quantity,
                    ln.c.unit_price_incl_tax, ln.c.discount, ln.c.vat_rate,
                    ln.c.total_incl_tax, none(20).label("payment_mode"),
                    number.label("amount"), cast(null(), Date).label("due_date"),
                    t.c.id.label("tid"), literal(0, Integer).label("part"))
             .select_from(base.join(ln, ln.c.ticket_id == t.c.id)
                          .outerjoin(a, a.c.id == ln.c.article_id))
             .where(*window, ln.c.ticket_id.between(ids.low, ids.high)))
    payments = (select(literal("P"), *head, pay.c.line_no, none(20), none(40), none(40),
                       number, number, number, number, number, pm.c.code, pay.c.amount,
                       pay.c.due_date, t.c.id, literal(1, Integer))
                .select_from(base.join(pay, pay.c.ticket_id == t.c.id)
                             .join(pm, pm.c.id == pay.c.payment_mode_id))
                .where(*window, pay.c.ticket_id.between(ids.low, ids.high)))
    both = union_all(lines, payments).subquery()
    query = (select(both).order_by(both.c.tid, both.c.part, both.c.line_no)
             .execution_options(stream_results=True, yield_per=_CHUNK))
    result = conn.execute(query)  # a server-side cursor on PostgreSQL: rows come in chunks
    figure, price, money = (functools.lru_cache(4096)(f) for f in (_figure, _price, _money))
    ticket, head = None, ()
    for row in result:
        if row.tid != ticket:  # the ticket's columns, once per ticket
            moment = aware(row.issued_at, zone)
            ticket = row.tid
            head = (row.store, row.register, row.ticket,
                    row.day or moment.date(),  # type: ignore[union-attr]
                    moment.isoformat() if moment else None, row.customer)
        yield (row.type, *head, row.line_no, row.kind, row.article, row.article_code,
               figure(row.quantity), price(row.unit_price_incl_tax), figure(row.discount),
               figure(row.vat_rate),
               None if row.total_incl_tax is None else money(row.total_incl_tax),
               row.payment_mode, None if row.amount is None else money(row.amount),
               row.due_date)


def write_part(conn: Connection, ids: Chosen, zone: dt.tzinfo, part: Path,
               header: bool, options: CsvOptions) -> int:
    """Write the unit's rows to `part`, one gzip member (the header when `header`)."""
    with (gzip.open(part, "wb", compresslevel=6) as raw,
          io.TextIOWrapper(raw, encoding=options.encoding, newline="") as handle):
        return write_csv_to(handle, COLUMNS if header else None,
                            _archive_rows(conn, ids, zone), options)

