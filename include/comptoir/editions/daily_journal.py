"""`daily_journal` ("Brouillard / feuille de journée"): per store and day of the period,
what was sold, returned, taken back as defective, the VAT per rate, the payments per mode,
and whether payments match sales (spec/retail-tasks.md). Read-only.

Per month of the period, exactly three aggregate queries over the month's tickets (a
ticket's day: `comptoir.editions.ticket_day`): lines by day, store, (register), kind and
VAT rate; payments by day, store, (register) and mode; tickets by day, store,
(register). The month's tickets are found through indexes: those with a sales day by
`sales_days.date`, the rare ones without by an `issued_at` range. The tickets query runs
first; its lowest and highest ticket id bound the other two, so they read the month's
slice of the lines and payments by index. The blocks are built in memory per month and
streamed out, so memory does not grow with the period.

Entry points (also the benchmark's, `bench/editions.py`):

- `journal_blocks(conn, first, last, store_ids, by_register) -> Iterator[Block]`: the
  store-days (and register-days) in date, store code, register code order (store block
  first); `store_ids` as `comptoir.retail.scope.store_ids` gives them.
- `journal_rows(conn, first, last, store_ids, by_register) -> Iterator[tuple]`: the CSV
  rows (`COLUMNS`), Decimals as such (the CSV writer applies the decimal separator).
- `write_journal(source, path, first, last, stores=(), by_register=False, options=None)
  -> Written`: the CSV of every selected store in one file, streamed month by month;
  `source` an Engine or a Connection, `stores` store codes (empty: every store).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import Store
from comptoir.editions.periods import PeriodOptions
from comptoir.retail.csv_options import CsvOptions
from comptoir.retail.report_text import CENT, trim

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Connection, Engine

    from comptoir.automation.catalog import RunContext

__all__ = ["COLUMNS", "Block", "Options", "Written", "journal_blocks", "journal_rows",
           "write_journal"]

COLUMNS = ("date", "store", "store_name", "register", "section", "code", "label", "count",
           "quantity", "amount", "base", "tax")
KINDS = ("sale", "return", "defective")
SECTIONS = {"sale": ("sales", "Ventes"), "return": ("returns", "Retours"),
            "defective": ("defective", "Défectueux")}
NOTHING = "Aucun ticket sur la période : pas de fichier"
ZERO = Decimal("0.00")


class Options(PeriodOptions, CsvOptions):
    """Options of `daily_journal`."""

    model_config = ConfigDict(extra="forbid")

    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Store codes (one per line). Empty: every store.",
        json_schema_extra={"section": "Scope"})
    by_register: bool = Field(
        default=False, title="Per register",
        description="Also one block per register under each store and day.",
        json_schema_extra={"section": "Scope"})
    format: Literal["pdf", "csv"] = Field(
        default="pdf", title="Format",
        description="pdf: the cash sheets to print, one page (or more) per store and day; "
        "csv: the same figures, one row per line of the sheet. The file name's extension "
        "must match.",
        json_schema_extra={"section": "Document"})


def check(options: BaseModel, filename: str | None) -> None:
    """The file name's extension follows the format."""
    from comptoir.editions.formats import check_extension

    assert isinstance(options, Options)
    check_extension(options.format, filename)


@dataclass
class Figures:
    """Count, quantity and amount of a group of lines."""

    count: int = 0
    quantity: Decimal = Decimal(0)
    amount: Decimal = ZERO
    label: str = ""

    def add(self, count: int, quantity: Decimal, amount: Decimal) -> None:
        self.count += count
        self.quantity += quantity
        self.amount += amount


@dataclass
class Block:
    """One store-day (or, with `register`, one register-day) of the journal."""

    day: dt.date
    store: Store
    register: str | None = None
    kinds: dict[str, Figures] = field(default_factory=dict)
    """Line kind (sale, return, defective, invoice_payment, deposit) → figures."""
    rates: dict[Decimal, Figures] = field(default_factory=dict)
    """VAT rate → figures of every line at that rate."""
    tickets: int = 0
    tickets_total: Decimal = ZERO
    payments: dict[str, Figures] = field(default_factory=dict)
    """Payment mode code → count and amount."""

    def kind(self, kind: str) -> Figures:
        return self.kinds.get(kind) or Figures()

    @property
    def net(self) -> Figures:
        """Every line: count, net quantity, Σ totals (`total/net`)."""
        total = Figures()
        for figures in self.kinds.values():
            total.add(figures.count, figures.quantity, figures.amount)
        return total

    def vat(self) -> list[tuple[Decimal, Figures, Decimal, Decimal]]:
        """(rate, figures, base, tax) per rate, in rate order."""
        rows = []
        for rate in sorted(self.rates):
            figures = self.rates[rate]
            base = (figures.amount * 100 / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
            rows.append((rate, figures, base, figures.amount - base))
        return rows

    @property
    def paid(self) -> Decimal:
        return sum((f.amount for f in self.payments.values()), ZERO)

    @property
    def difference(self) -> Decimal:
        """Σ payments − net total."""
        return self.paid - self.net.amount


@dataclass
class Written:
    """What a CSV or PDF run wrote."""

    store_days: int = 0
    net: Decimal = ZERO
    differences: list[tuple[Store, dt.date, Decimal]] = field(default_factory=list)
    rows: int = 0


def months(first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """The period cut into calendar months (the ends clipped to the period)."""
    start = first
    while start <= last:
        following = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(last, following - dt.timedelta(days=1))
        yield start, end
        start = following


def month_tickets(conn: Connection, first: dt.date, last: dt.date,
                  store_ids: Sequence[int]) -> Any:
    """The tickets of [first, last] of the stores as a subquery (id, day, depot_id,
    register_id, total): those with a sales day by its date, the others by an
    `issued_at` range in the dossier's zone (both index-friendly), then their exact day."""
    from sqlalchemy import and_, select, union_all

    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.schema import pos_tickets as t
    from comptoir.backoffice.schema import sales_days as sd
    from comptoir.editions.ticket_day import ticket_day

    zone = dossier_zone(conn)
    low = dt.datetime.combine(first, dt.time(), zone)
    high = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    if conn.dialect.name != "postgresql":  # SQLite keeps the dossier's wall time
        low, high = low.replace(tzinfo=None), high.replace(tzinfo=None)
    day = ticket_day(conn, t, sd)
    columns = (t.c.id, day.label("day"), t.c.depot_id, t.c.register_id,
               t.c.total_incl_tax.label("total"))
    stores = list(store_ids)
    dated = (select(*columns).select_from(t.join(sd, sd.c.id == t.c.sales_day_id))
             .where(sd.c.date >= first, sd.c.date <= last, t.c.depot_id.in_(stores)))
    undated = (select(*columns)
               .select_from(t.outerjoin(sd, and_(sd.c.id == t.c.sales_day_id,
                                                 t.c.sales_day_id.is_not(None))))
               .where(t.c.sales_day_id.is_(None), t.c.issued_at >= low,
                      t.c.issued_at < high, t.c.depot_id.in_(stores),
                      day >= first, day <= last))
    return union_all(dated, undated).subquery("month_tickets")


def month_queries(conn: Connection, first: dt.date, last: dt.date, store_ids: Sequence[int],
                  by_register: bool, bounds: tuple[int, int] | None = None
                  ) -> tuple[Any, Any, Any]:
    """The month's three aggregate queries: lines, payments, tickets (with the lowest and
    highest ticket id of each group).

    `bounds`, the month's lowest and highest ticket id (from the tickets query, run
    first), restrict the lines and payments to that id range: they are written with their
    ticket, so the month's are one slice of those tables that an index range scan reads,
    with estimates the planner can trust, instead of the whole table every month.
    """
    from sqlalchemy import func, literal, select

    from comptoir.backoffice.schema import pos_ticket_lines as li
    from comptoir.backoffice.schema import pos_ticket_payments as pay

    mt = month_tickets(conn, first, last, store_ids)
    register = mt.c.register_id if by_register else literal(None).label("register_id")
    keys = [mt.c.day, mt.c.depot_id] + ([mt.c.register_id] if by_register else [])
    lines = (select(mt.c.day, mt.c.depot_id, register, li.c.kind, li.c.vat_rate,
                    func.count(), func.sum(li.c.quantity), func.sum(li.c.total_incl_tax))
             .select_from(mt.join(li, li.c.ticket_id == mt.c.id))
             .group_by(*keys, li.c.kind, li.c.vat_rate))
    payments = (select(mt.c.day, mt.c.depot_id, register, pay.c.payment_mode_id,
                       func.count(), func.sum(pay.c.amount))
                .select_from(mt.join(pay, pay.c.ticket_id == mt.c.id))
                .group_by(*keys, pay.c.payment_mode_id))
    if bounds is not None:
        lines = lines.where(li.c.ticket_id.between(*bounds))
        payments = payments.where(pay.c.ticket_id.between(*bounds))
    tickets = (select(mt.c.day, mt.c.depot_id, register, func.count(), func.sum(mt.c.total),
                      func.min(mt.c.id), func.max(mt.c.id))
               .group_by(*keys))
    return lines, payments, tickets


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)


def _number(value: Any) -> Decimal:
    """A quantity (3 decimals at most: SQLite sums in floating point)."""
    return trim(Decimal(value or 0).quantize(Decimal("0.001"), ROUND_HALF_UP))


def journal_blocks(conn: Connection, first: dt.date, last: dt.date, store_ids: Sequence[int],
                   by_register: bool = False) -> Iterator[Block]:
    """The blocks of the period, month by month, in (day, store code, register) order: a
    store-day's block first, then its registers' (with `by_register`). Days without
    tickets have none."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import depots, payment_modes, registers

    if not store_ids:
        return
    stores = {r.id: Store(r.code, r.name) for r in conn.execute(
        select(depots.c.id, depots.c.code, depots.c.name)
        .where(depots.c.id.in_(list(store_ids))))}
    tills = {r.id: r.code for r in conn.execute(
        select(registers.c.id, registers.c.code)
        .where(registers.c.depot_id.in_(list(store_ids))))}
    modes = {r.id: (r.code, r.name) for r in conn.execute(
        select(payment_modes.c.id, payment_modes.c.code, payment_modes.c.name))}
    for start, end in months(first, last):
        yield from _month(conn, start, end, store_ids, by_register, stores, tills, modes)


def _month(conn: Connection, first: dt.date, last: dt.date, store_ids: Sequence[int],
           by_register: bool, stores: dict[int, Store], tills: dict[int, str],
           modes: dict[int, tuple[str, str]]) -> list[Block]:
    """One month's blocks from its three aggregate queries, sorted."""
    blocks: dict[tuple[dt.date, int, int | None], Block] = {}

    def targets(day: Any, depot: int, register: int | None) -> list[Block]:
        found = []
        for key in ((_date(day), depot, None),
                    *([(_date(day), depot, register)] if by_register else [])):
            block = blocks.get(key)
            if block is None:
                till = None if key[2] is None else tills.get(key[2], str(key[2]))
                block = blocks[key] = Block(key[0], stores[depot], till)
            found.append(block)
        return found

    tickets = month_queries(conn, first, last, store_ids, by_register)[2]
    low = high = None
    for day, depot, register, count, total, lowest, highest in conn.execute(tickets):
        low = lowest if low is None else min(low, lowest)
        high = highest if high is None else max(high, highest)
        for block in targets(day, depot, register):
            block.tickets += count
            block.tickets_total += _money(total)
    if low is None or high is None:
        return []
    lines, payments, _ = month_queries(conn, first, last, store_ids, by_register, (low, high))
    for day, depot, register, kind, rate, count, qty, total in conn.execute(lines):
        amount, quantity, rate = _money(total), _number(qty), trim(Decimal(rate or 0))
        for block in targets(day, depot, register):
            block.kinds.setdefault(kind, Figures()).add(count, quantity, amount)
            block.rates.setdefault(rate, Figures()).add(count, quantity, amount)
    for day, depot, register, mode, count, total in conn.execute(payments):
        code, name = modes.get(mode, (str(mode), str(mode)))
        for block in targets(day, depot, register):
            block.payments.setdefault(code, Figures(label=name)).add(
                count, Decimal(0), _money(total))
    return sorted(blocks.values(), key=lambda b: (b.day, b.store.code, b.register or ""))


def block_rows(block: Block) -> Iterator[tuple]:
    """The CSV rows of one block (`COLUMNS`)."""
    head = (block.day, block.store.code, block.store.name, block.register)
    for kind in KINDS:
        section, label = SECTIONS[kind]
        figures = block.kind(kind)
        yield (*head, section, None, label, figures.count, trim(figures.quantity),
               figures.amount, None, None)
    bases = taxes = ZERO
    for rate, figures, base, tax in block.vat():
        bases, taxes = bases + base, taxes + tax
        yield (*head, "vat", rate, f"TVA {rate} %".replace(".", ","), figures.count,
               trim(figures.quantity), figures.amount, base, tax)
    net = block.net
    yield (*head, "total", "net", "Total net", block.tickets, trim(net.quantity),
           net.amount, bases, taxes)
    for code in sorted(block.payments):
        figures = block.payments[code]
        yield (*head, "payment", code, figures.label, figures.count, None, figures.amount,
               None, None)
    yield (*head, "check", "difference", "Écart de règlement", None, None, block.difference,
           None, None)


def journal_rows(conn: Connection, first: dt.date, last: dt.date, store_ids: Sequence[int],
                 by_register: bool = False) -> Iterator[tuple]:
    """The CSV rows of the period (`COLUMNS`), streamed month by month."""
    for block in journal_blocks(conn, first, last, store_ids, by_register):
        yield from block_rows(block)


def tally(written: Written, block: Block) -> None:
    """Count a store block into the run's figures (register blocks are parts of it)."""
    if block.register is not None:
        return
    written.store_days += 1
    written.net += block.net.amount
    if block.difference:
        written.differences.append((block.store, block.day, block.difference))


def write_journal(source: Engine | Connection, path: Path, first: dt.date, last: dt.date,
                  stores: Sequence[str] = (), by_register: bool = False,
                  options: CsvOptions | None = None) -> Written:
    """Write the CSV of the period for the stores `stores` (codes; empty: every store) at
    `path`, streamed month by month; what was written (no rows: the file holds the
    header only)."""
    from sqlalchemy import Engine

    from comptoir.retail.scope import store_ids

    options = options or CsvOptions()
    if isinstance(source, Engine):
        with source.connect() as conn:
            return write_journal(conn, path, first, last, stores, by_register, options)
    written = Written()
    ids = store_ids(source, list(stores))
    with open(path, "w", encoding=options.encoding, newline="") as handle:
        _stream(handle, journal_blocks(source, first, last, ids, by_register), options,
                written)
    return written


def _stream(handle: Any, blocks: Iterator[Block], options: CsvOptions, written: Written,
            header: bool = True) -> None:
    from comptoir.retail.csv_options import write_csv_to

    def rows() -> Iterator[tuple]:
        for block in blocks:
            tally(written, block)
            yield from block_rows(block)

    written.rows += write_csv_to(handle, COLUMNS if header else None, rows(), options)


def _csv_files(ctx: RunContext, conn: Connection, options: Options, first: dt.date,
               last: dt.date, ids: list[int], per_store: bool) -> tuple[Written, list[Any]]:
    """Stream the CSV: one file, or one per store opened when its first block comes."""
    from comptoir.retail.csv_options import write_csv_to

    written = Written()
    if not per_store:
        path = ctx.work_dir / "brouillard.csv"
        with open(path, "w", encoding=options.encoding, newline="") as handle:
            _stream(handle, journal_blocks(conn, first, last, ids, options.by_register),
                    options, written)
        files = [ProducedFile(path, None, written.rows)] if written.store_days else []
        if not files:
            path.unlink()
        return written, files
    handles: dict[str, Any] = {}
    produced: dict[str, tuple[Path, Store]] = {}
    counts: dict[str, int] = {}
    try:
        for block in journal_blocks(conn, first, last, ids, options.by_register):
            tally(written, block)
            code = block.store.code
            if code not in handles:
                path = ctx.work_dir / f"brouillard-{len(handles)}.csv"
                handles[code] = open(path, "w", encoding=options.encoding,  # noqa: SIM115
                                     newline="")
                produced[code], counts[code] = (path, block.store), 0
                write_csv_to(handles[code], COLUMNS, (), options)
            count = write_csv_to(handles[code], None, block_rows(block), options)
            counts[code] += count
            written.rows += count
    finally:
        for handle in handles.values():
            handle.close()
    return written, [ProducedFile(*produced[code], counts[code]) for code in sorted(produced)]


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Write the journal of the period (CSV streamed, or PDF cash sheets)."""
    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.settings import get_setting
    from comptoir.editions.formats import per_store as store_files
    from comptoir.editions.periods import period_line
    from comptoir.retail.report_text import day, euros
    from comptoir.retail.scope import store_ids

    output = TaskOutput()
    per_store = store_files(ctx.filename)
    with ctx.engine.connect() as conn:
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        first, last = options.bounds(run_date)
        ids = store_ids(conn, options.stores)
        output.summary.append(period_line(first, last))
        if options.format == "csv":
            written, files = _csv_files(ctx, conn, options, first, last, ids, per_store)
        else:
            from comptoir.editions.daily_journal_sheet import write_sheets

            company = get_setting(conn, "company_name") or ""
            blocks = journal_blocks(conn, first, last, ids, options.by_register)
            written, files = write_sheets(ctx.work_dir, company, blocks, per_store)
    if not written.store_days:
        output.summary.append(NOTHING)
        return output
    output.files.extend(files)
    journees = "journée" if written.store_days == 1 else "journées"
    output.summary.append(f"Brouillard : {written.store_days} {journees} (magasin × jour), "
                          f"total net {euros(written.net)}")
    for store, when, difference in sorted(written.differences,
                                          key=lambda d: (d[1], d[0].code)):
        output.summary.append(f"Écart de règlement {store.code} {day(when)} : "
                              f"{euros(difference)}")
    if written.differences:
        count = len(written.differences)
        output.warning = ("1 journée avec un écart de règlement" if count == 1
                          else f"{count} journées avec un écart de règlement")
    ctx.log(f"{written.store_days} store-day(s), {written.rows} row(s), "
            f"{len(written.differences)} difference(s)")
    return output


TASK_TYPE = TaskType(
    name="daily_journal",
    title="Brouillard / feuille de journée",
    category=Category.EDITIONS,
    description=(
        "Per store and day of the period: sales, returns and defectives taken back, the "
        "VAT per rate (base and tax), the payments per mode and the difference between "
        "payments and sales, as printable cash sheets (PDF, one page or more per store "
        "and day) or CSV. Optionally one block per register too. With {mag:code} or "
        "{mag:name} in the file name, one file per store. Read-only."
    ),
    options=Options,
    run=run,
    default_filename="brouillard-{y}{m}{d}.pdf",
    check=check,
)
