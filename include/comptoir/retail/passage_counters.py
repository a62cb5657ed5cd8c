"""`passage_counters` ("Compteurs de passages"): door-counter files imported into
`store_traffic`, then the conversion rate per store and day (spec/retail-tasks.md).

Each `*.csv` file waiting in the task's inbox is read (`retail.traffic_files`), its
accepted rows upserted on (store, date, hour) in one transaction, and the file filed in
`done/<day>/` (rejected rows named in the report) or, when it lacks the columns or cannot
be decoded, in `failed/<day>/` with the reason, nothing of it written. Then, for the
period, one row per store and day with traffic: visitors (the whole-day row, else the sum
of the hours), tickets with a total above zero, conversion rate, sales and average basket.
A ticket's day is its sales day's date, else the local date of `issued_at`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import Store, uses_store
from comptoir.automation.task_inbox import InboxOptions
from comptoir.editions.periods import Period, PeriodOptions, period_field, period_line
from comptoir.retail.csv_options import CsvOptions, write_csv
from comptoir.retail.report_text import CENT, french, plural, trim

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext
    from comptoir.automation.task_inbox import TaskInbox

PATTERN = "*.csv"
COLUMNS = ("date", "store", "store_name", "visitors", "tickets", "conversion_rate",
           "sales_incl_tax", "average_basket")
NO_FILE = "Aucun fichier de comptages"


class Options(CsvOptions, PeriodOptions, InboxOptions):
    """Options of `passage_counters`: the inbox, the period and stores of the output, its CSV."""

    model_config = ConfigDict(extra="forbid")

    period: Period = period_field("last_7_days")
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Store codes of the output (one per line). Empty: every store. The "
        "files' rows are imported for every store of the dossier.",
        json_schema_extra={"section": "Scope"})


@dataclass(frozen=True)
class Day:
    """One output row: a store's day with traffic."""

    date: dt.date
    store: Store
    visitors: int
    tickets: int
    sales: Decimal

    @property
    def rate(self) -> Decimal | None:
        if not self.visitors:
            return None
        return trim((Decimal(100 * self.tickets) / self.visitors).quantize(CENT, ROUND_HALF_UP))

    @property
    def basket(self) -> Decimal | None:
        if not self.tickets:
            return None
        return (self.sales / self.tickets).quantize(CENT, ROUND_HALF_UP)

    def row(self) -> tuple[object, ...]:
        return (self.date, self.store.code, self.store.name, self.visitors, self.tickets,
                self.rate, self.sales.quantize(CENT, ROUND_HALF_UP), self.basket)


def import_files(ctx: RunContext, inbox: TaskInbox,
                 stores: dict[str, int]) -> tuple[list[str], str | None]:
    """Import the waiting files; the report lines, and what was refused (None: nothing)."""
    from comptoir.retail.inbox_files import decode, waiting
    from comptoir.retail.traffic_files import TrafficFile, parse, upsert

    lines: list[str] = []
    refused = rejected = 0
    with inbox.inbox.processing():
        files = waiting(inbox, PATTERN)
        for path in files:
            try:
                parsed = parse(decode(path.read_bytes()), stores)
            except UnicodeDecodeError:
                parsed = TrafficFile(error="illisible (ni UTF-8 ni Windows-1252)")
            if parsed.error is not None:
                inbox.inbox.failed(path, {"file": path.name, "error": parsed.error},
                                   day=ctx.moment.date())
                lines.append(f"{path.name} : fichier refusé, {parsed.error}")
                refused += 1
                continue
            with ctx.engine.begin() as conn:
                upsert(conn, parsed.unique(), path.name, ctx.moment)
            imported = len(parsed.counts)
            inbox.inbox.done(path, {"file": path.name, "imported": imported,
                                    "rejected": parsed.rejected}, day=ctx.moment.date())
            lines.append(f"{path.name} : {plural(imported, 'ligne importée', 'lignes importées')}"
                         f", {plural(len(parsed.rejected), 'rejetée', 'rejetées')}")
            lines += parsed.rejected
            rejected += len(parsed.rejected)
            ctx.log(f"{path.name}: {imported} rows imported, {len(parsed.rejected)} rejected")
    said = [plural(rejected, "ligne rejetée", "lignes rejetées")] if rejected else []
    said += [plural(refused, "fichier refusé", "fichiers refusés")] if refused else []
    return lines or [NO_FILE], ", ".join(said) or None


def days(conn: Connection, first: dt.date, last: dt.date, depot_ids: list[int]) -> list[Day]:
    """The stores' days of the period with traffic, by date then store code."""
    from sqlalchemy import case, func, select

    from comptoir.backoffice.dossier_time import aware, dossier_zone
    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import pos_tickets as t
    from comptoir.backoffice.schema import sales_days as sd
    from comptoir.backoffice.schema import store_traffic as st

    whole = func.max(case((st.c.hour.is_(None), st.c.visitors)))
    hours = func.sum(case((st.c.hour.is_not(None), st.c.visitors)))
    traffic = {(r.depot_id, r.date): int(r.visitors) for r in conn.execute(
        select(st.c.depot_id, st.c.date, func.coalesce(whole, hours, 0).label("visitors"))
        .where(st.c.date.between(first, last), st.c.depot_id.in_(depot_ids))
        .group_by(st.c.depot_id, st.c.date))}
    if not traffic:
        return []
    with_traffic = sorted({depot for depot, _ in traffic})
    stores = {r.id: Store(r.code, r.name) for r in conn.execute(
        select(d.c.id, d.c.code, d.c.name).where(d.c.id.in_(with_traffic)))}
    positive = func.sum(case((t.c.total_incl_tax > 0, 1), else_=0))
    sold: dict[tuple[int, dt.date], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for r in conn.execute(  # tickets of a sales day: aggregated by the database
            select(t.c.depot_id, sd.c.date, positive.label("tickets"),
                   func.sum(t.c.total_incl_tax).label("sales"))
            .join(sd, sd.c.id == t.c.sales_day_id)
            .where(t.c.depot_id.in_(with_traffic), sd.c.date.between(first, last))
            .group_by(t.c.depot_id, sd.c.date)):
        if (r.depot_id, r.date) in traffic:
            sold[(r.depot_id, r.date)] = [int(r.tickets or 0), Decimal(r.sales or 0)]
    zone = dossier_zone(conn)
    since = dt.datetime.combine(first - dt.timedelta(days=1), dt.time())
    until = dt.datetime.combine(last + dt.timedelta(days=2), dt.time())
    for r in conn.execute(  # tickets without a sales day (rare): their local date
            select(t.c.depot_id, t.c.issued_at, t.c.total_incl_tax)
            .where(t.c.depot_id.in_(with_traffic), t.c.sales_day_id.is_(None),
                   t.c.issued_at >= since, t.c.issued_at < until)):
        day = aware(r.issued_at, zone).date()  # type: ignore[union-attr]
        if (r.depot_id, day) in traffic:
            total = Decimal(r.total_incl_tax)
            sold[(r.depot_id, day)][0] += total > 0
            sold[(r.depot_id, day)][1] += total
    found = [Day(day, stores[depot], visitors, *sold[(depot, day)])
             for (depot, day), visitors in traffic.items()]
    return sorted(found, key=lambda x: (x.date, x.store.code))


def rate_line(found: list[Day]) -> str:
    """`Taux de transformation : N journées, moyenne 23,45 %` (Σ tickets / Σ visitors)."""
    if not found:
        return "Taux de transformation : aucune journée de comptages sur la période"
    visitors = sum(x.visitors for x in found)
    head = f"Taux de transformation : {plural(len(found), 'journée', 'journées')}"
    if not visitors:
        return f"{head}, aucun visiteur"
    average = Decimal(100 * sum(x.tickets for x in found)) / visitors
    return f"{head}, moyenne {french(average)} %"


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Import the waiting counter files, then write the conversion rates of the period."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import depots
    from comptoir.retail.inbox_files import inbox_of_run
    from comptoir.retail.scope import store_ids

    first, last = options.bounds(ctx.moment.date())
    with ctx.engine.connect() as conn:
        selected = store_ids(conn, options.stores)
        known = {r.code: r.id for r in conn.execute(
            select(depots.c.code, depots.c.id).where(depots.c.is_store.is_(True)))}
    imported, refused = import_files(ctx, inbox_of_run(ctx, options), known)
    with ctx.engine.connect() as conn:
        found = days(conn, first, last, selected)
    output = TaskOutput(summary=[period_line(first, last), *imported, rate_line(found)])
    output.warning = refused
    if not found:
        output.summary.append("Pas de fichier : aucune journée avec des comptages")
        return output
    if ctx.filename and uses_store(ctx.filename):
        per_store: dict[str, list[Day]] = defaultdict(list)
        for day in found:
            per_store[day.store.code].append(day)
        for index, code in enumerate(sorted(per_store)):
            path = ctx.work_dir / f"taux-{index}.csv"
            count = write_csv(path, COLUMNS, (x.row() for x in per_store[code]), options)
            output.files.append(ProducedFile(path, per_store[code][0].store, count))
    else:
        path = ctx.work_dir / "taux-transformation.csv"
        count = write_csv(path, COLUMNS, (x.row() for x in found), options)
        output.files.append(ProducedFile(path, None, count))
    return output


TASK_TYPE = TaskType(
    name="passage_counters",
    title="Compteurs de passages",
    category=Category.AUTRES,
    description=(
        "Imports the door-counter files (MAGASIN;DATE;HEURE;ENTREES) waiting in its inbox "
        "into the stores' traffic, a corrected file replacing the figures, then writes the "
        "conversion rate per store and day of the period: visitors, tickets, rate, sales "
        "and average basket."
    ),
    options=Options,
    run=run,
    default_filename="taux-transformation-{y}{m}{d}.csv",
    template="inbox",
)
