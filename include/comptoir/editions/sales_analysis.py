"""`sales_analysis` ("Générer une analyse"): sales by month, store and family, as a
table (CSV), a chart (PNG) or both (PDF) — spec/retail-tasks.md.

Revenue excl. VAT: a POS line's `round(total_incl_tax × 100 / (100 + vat_rate), 2)`, an
invoice line's `total_excl_tax` (`F` +, `A` −). Quantities signed; cost = quantity × the
article's catalogue `purchase_price` per line, to the cent; margin = revenue − cost.
Family: the article's (else its sub-family's), or the sub-family's for a sub-family sale;
none for an unknown code. POS lines are the kinds `sale`, `return` and `defective` of the
tickets whose day (`ticket_day`) is in the period, plus the `sales_history` of the
store-months `season_end` archived that lie wholly in the period. Invoices are the `F` and
`A` documents dated in the period, on their depot, except those the POS invoicing made
from tickets (`source` `pos`): those sales are already counted as tickets.

One aggregate query: the lines of every source as integers (cents, thousandths — exact on
SQLite as on PostgreSQL, `comptoir.pos.exact_sql`), summed per chosen dimension.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.editions.periods import Period, PeriodOptions, period_field
from comptoir.retail.csv_options import CsvOptions

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import ColumnElement, Connection

    from comptoir.automation.catalog import RunContext

__all__ = ["DIMENSIONS", "Figure", "Options", "check", "columns", "csv_rows", "figures",
           "run", "TASK_TYPE"]

Dimension = Literal["month", "store", "family"]
Source = Literal["pos", "invoices"]
DIMENSIONS: tuple[str, ...] = ("month", "store", "family")
MEASURES = ("quantity", "revenue_excl_tax", "cost", "margin")
SOLD = ("sale", "return", "defective")  # invoice payments and deposits sell no goods
NOTHING = "Aucune vente sur la période : pas de fichier"
TITLE = "Analyse des ventes"


class Options(CsvOptions, PeriodOptions):
    """Options of `sales_analysis`."""

    model_config = ConfigDict(extra="forbid")

    period: Period = period_field("previous_month")
    group_by: list[Dimension] = Field(
        default_factory=lambda: ["month", "store", "family"], title="Group by",
        description="The dimensions of the table, always in the order month, store, "
        "family (at least one).",
        json_schema_extra={"section": "Analysis"})
    sources: list[Source] = Field(
        default_factory=lambda: ["pos", "invoices"], title="Sources",
        description="pos: the tills' tickets (and the monthly history of archived "
        "months); invoices: invoices and credit notes (F, A) not made from tickets.",
        json_schema_extra={"section": "Analysis",
                           "values_display": {"pos": "Caisses", "invoices": "Factures"}})
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Store codes (one per line). Empty: every sale of the dossier, the "
        "invoices of the central depot included.",
        json_schema_extra={"section": "Scope"})
    format: Literal["pdf", "png", "csv"] = Field(
        default="pdf", title="Format",
        description="pdf: the chart and the table; png: the chart; csv: the table. The "
        "file name's extension must match.",
        json_schema_extra={"section": "Analysis"})

    @field_validator("group_by")
    @classmethod
    def _dimensions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("group_by: name at least one of month, store, family")
        return [name for name in DIMENSIONS if name in value]

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("sources: name at least one of pos, invoices")
        return [name for name in ("pos", "invoices") if name in value]


def check(options: BaseModel, filename: str | None) -> None:
    """The file name's extension follows the format; one file holds every store."""
    from comptoir.editions.formats import check_extension, refuse_store_tag

    assert isinstance(options, Options)
    check_extension(options.format, filename)
    refuse_store_tag("sales_analysis", filename)


@dataclass(frozen=True)
class Figure:
    """One row of the analysis: its dimensions (None when not grouped) and figures."""

    month: str | None
    store: str | None
    store_name: str | None
    family: str | None
    family_name: str | None
    quantity: Decimal
    revenue: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


def month_of(conn: Connection, day: Any) -> ColumnElement[Any]:
    """`YYYY-MM` of a DATE."""
    from sqlalchemy import func

    if conn.dialect.name == "postgresql":
        return func.to_char(day, "YYYY-MM")
    return func.strftime("%Y-%m", day)


def month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def whole_months(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
    """(first day of the first, first day of the last) month lying wholly in the period."""
    low = first if first.day == 1 else month_after(first.replace(day=1))
    high = last.replace(day=1)
    if month_after(high) - dt.timedelta(days=1) != last:
        high = (high - dt.timedelta(days=1)).replace(day=1)
    return (low, high) if low <= high else None


def _line_cost(quantity: Any, purchase_price: Any) -> ColumnElement[Any]:
    """round(quantity × purchase_price, 2) in cents; 0 without an article."""
    from sqlalchemy import func

    from comptoir.pos.exact_sql import MONEY, PRICE, div_round, scale, to_units

    product = to_units(quantity, 3) * to_units(func.coalesce(purchase_price, 0), PRICE)
    return div_round(product, scale(3 + PRICE - MONEY))


def _pos_lines(conn: Connection, first: dt.date, last: dt.date,
               depot_ids: list[int] | None) -> Any:
    """The POS lines of the period: month, depot, family, quantity, revenue, cost units."""
    from sqlalchemy import func, select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import pos_ticket_lines as ln
    from comptoir.backoffice.schema import pos_tickets as t
    from comptoir.backoffice.schema import sales_days as sd
    from comptoir.backoffice.schema import sub_families as sf
    from comptoir.editions.ticket_day import ticket_day
    from comptoir.pos.exact_sql import MONEY, RATE, div_round, scale, to_units

    day = ticket_day(conn, t, sd)
    excl = div_round(to_units(ln.c.total_incl_tax, MONEY) * scale(RATE + 2),
                     scale(RATE + 2) + to_units(ln.c.vat_rate, RATE))
    query = (select(month_of(conn, day).label("month"), t.c.depot_id,
                    func.coalesce(a.c.family_id, sf.c.family_id).label("family_id"),
                    to_units(ln.c.quantity, 3).label("quantity"), excl.label("revenue"),
                    _line_cost(ln.c.quantity, a.c.purchase_price).label("cost"))
             .select_from(ln.join(t, t.c.id == ln.c.ticket_id)
                          .outerjoin(sd, sd.c.id == t.c.sales_day_id)
                          .outerjoin(a, a.c.id == ln.c.article_id)
                          .outerjoin(sf, sf.c.id == func.coalesce(ln.c.sub_family_id,
                                                                  a.c.sub_family_id)))
             .where(ln.c.kind.in_(SOLD), day.between(first, last)))
    if depot_ids is not None:
        query = query.where(t.c.depot_id.in_(depot_ids))
    return query


def _history_lines(conn: Connection, months: tuple[dt.date, dt.date],
                   depot_ids: list[int] | None) -> Any:
    """The monthly history of the archived store-months wholly in the period."""
    from sqlalchemy import func, select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import sales_history as sh
    from comptoir.backoffice.schema import sub_families as sf
    from comptoir.pos.exact_sql import MONEY, to_units

    query = (select(month_of(conn, sh.c.month).label("month"), sh.c.depot_id,
                    func.coalesce(a.c.family_id, sf.c.family_id).label("family_id"),
                    to_units(sh.c.quantity, 3).label("quantity"),
                    to_units(sh.c.amount_excl_tax, MONEY).label("revenue"),
                    to_units(sh.c.cost, MONEY).label("cost"))
             .select_from(sh.outerjoin(a, a.c.id == sh.c.article_id)
                          .outerjoin(sf, sf.c.id == func.coalesce(sh.c.sub_family_id,
                                                                  a.c.sub_family_id)))
             .where(sh.c.month.between(*months)))
    if depot_ids is not None:
        query = query.where(sh.c.depot_id.in_(depot_ids))
    return query


def _invoice_lines(conn: Connection, first: dt.date, last: dt.date,
                   depot_ids: list[int] | None) -> Any:
    """The lines of the invoices (+) and credit notes (−) of the period, not from tickets."""
    from sqlalchemy import case, func, select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import sales_document_lines as dl
    from comptoir.backoffice.schema import sales_documents as doc
    from comptoir.backoffice.schema import sub_families as sf
    from comptoir.pos.exact_sql import MONEY, to_units

    sign = case((doc.c.type == "A", -1), else_=1)
    quantity = func.coalesce(dl.c.quantity, 0)
    query = (select(month_of(conn, doc.c.date).label("month"), doc.c.depot_id,
                    func.coalesce(a.c.family_id, sf.c.family_id).label("family_id"),
                    (sign * to_units(quantity, 3)).label("quantity"),
                    (sign * to_units(func.coalesce(dl.c.total_excl_tax, 0), MONEY))
                    .label("revenue"),
                    (sign * _line_cost(quantity, a.c.purchase_price)).label("cost"))
             .select_from(dl.join(doc, doc.c.id == dl.c.document_id)
                          .outerjoin(a, a.c.id == dl.c.article_id)
                          .outerjoin(sf, sf.c.id == a.c.sub_family_id))
             .where(doc.c.type.in_(("F", "A")), doc.c.source != "pos",
                    doc.c.date.between(first, last)))
    if depot_ids is not None:
        query = query.where(doc.c.depot_id.in_(depot_ids))
    return query


def figures(conn: Connection, first: dt.date, last: dt.date, options: Options,
            depot_ids: list[int] | None) -> list[Figure]:
    """The analysis rows, by month, store code, family code (none last); `depot_ids`
    None: every depot."""
    from sqlalchemy import func, select, union_all

    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import families as f

    parts = []
    if "pos" in options.sources:
        parts.append(_pos_lines(conn, first, last, depot_ids))
        months = whole_months(first, last)
        if months:
            parts.append(_history_lines(conn, months, depot_ids))
    if "invoices" in options.sources:
        parts.append(_invoice_lines(conn, first, last, depot_ids))
    lines = union_all(*parts).subquery("lines")
    keys: list[Any] = []
    if "month" in options.group_by:
        keys.append(lines.c.month)
    if "store" in options.group_by:
        keys += [d.c.code, d.c.name]
    if "family" in options.group_by:
        keys += [f.c.code, f.c.name]
    query = (select(*keys, func.sum(lines.c.quantity), func.sum(lines.c.revenue),
                    func.sum(lines.c.cost))
             .select_from(lines.outerjoin(d, d.c.id == lines.c.depot_id)
                          .outerjoin(f, f.c.id == lines.c.family_id))
             .group_by(*keys))
    found: list[Figure] = []
    for row in conn.execute(query):
        values = iter(row)
        month = next(values) if "month" in options.group_by else None
        store, store_name = ((next(values), next(values)) if "store" in options.group_by
                             else (None, None))
        family, family_name = ((next(values), next(values)) if "family" in options.group_by
                               else (None, None))
        quantity, revenue, cost = (Decimal(int(v or 0)) for v in values)
        found.append(Figure(month, store, store_name, family, family_name,
                            quantity.scaleb(-3), revenue.scaleb(-2), cost.scaleb(-2)))
    found.sort(key=lambda x: (x.month or "", x.store is None, x.store or "",
                              x.family is None, x.family or ""))
    return found


def partly_archived(conn: Connection, first: dt.date, last: dt.date,
                    depot_ids: list[int] | None) -> list[str]:
    """`MAG01 06/2025`: archived store-months the period covers only in part (their
    history cannot be cut by day, so it is not counted)."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import history_months as hm

    months = whole_months(first, last)
    edges = {first.replace(day=1), last.replace(day=1)}
    if months:
        edges -= {m for m in edges if months[0] <= m <= months[1]}
    if not edges:
        return []
    query = (select(d.c.code, hm.c.month).join(d, d.c.id == hm.c.depot_id)
             .where(hm.c.month.in_(sorted(edges))).order_by(hm.c.month, d.c.code))
    if depot_ids is not None:
        query = query.where(hm.c.depot_id.in_(depot_ids))
    return [f"{code} {month:%m/%Y}" for code, month in conn.execute(query)]


def columns(group_by: list[str]) -> tuple[str, ...]:
    """The CSV header: the grouped dimensions, then the figures."""
    names = {"month": ("month",), "store": ("store", "store_name"),
             "family": ("family", "family_name")}
    return tuple(c for dim in DIMENSIONS if dim in group_by for c in names[dim]) + MEASURES


def csv_rows(rows: list[Figure], group_by: list[str]) -> list[tuple]:
    """The CSV rows (`columns(group_by)`)."""
    from comptoir.retail.report_text import trim

    out = []
    for row in rows:
        cells: list[Any] = []
        if "month" in group_by:
            cells.append(row.month)
        if "store" in group_by:
            cells += [row.store, row.store_name]
        if "family" in group_by:
            cells += [row.family, row.family_name]
        out.append((*cells, trim(row.quantity), row.revenue, row.cost, row.margin))
    return out


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Aggregate the period's sales and write the table, the chart or both."""
    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.settings import get_setting
    from comptoir.editions.periods import period_line
    from comptoir.retail.csv_options import write_csv
    from comptoir.retail.report_text import day, euros, plural
    from comptoir.retail.scope import store_ids

    with ctx.engine.connect() as conn:
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        first, last = options.bounds(run_date)
        depot_ids = store_ids(conn, options.stores) if options.stores else None
        rows = figures(conn, first, last, options, depot_ids)
        partial = (partly_archived(conn, first, last, depot_ids)
                   if "pos" in options.sources else [])
        company = get_setting(conn, "company_name") or ""
    output = TaskOutput(summary=[period_line(first, last)])
    if partial:
        output.summary.append("Mois archivés non comptés (période partielle) : "
                              + ", ".join(partial))
    if not rows:
        output.summary.append(NOTHING)
        return output
    revenue = sum((row.revenue for row in rows), Decimal(0))
    output.summary.append(f"{TITLE} du {day(first)} au {day(last)} : CA HT {euros(revenue)}, "
                          f"{plural(len(rows), 'ligne', 'lignes')}")
    path = ctx.work_dir / f"analyse-ventes.{options.format}"
    if options.format == "csv":
        write_csv(path, columns(options.group_by), csv_rows(rows, options.group_by), options)
    elif options.format == "png":
        from comptoir.editions.sales_chart import write_chart

        write_chart(path, rows, options.group_by, first, last)
    else:
        from comptoir.editions.sales_analysis_pdf import write_analysis

        write_analysis(path, company, rows, options, first, last)
    output.files.append(ProducedFile(path, None, len(rows)))
    ctx.log(f"{len(rows)} row(s), revenue {revenue}")
    return output


TASK_TYPE = TaskType(
    name="sales_analysis",
    title="Générer une analyse",
    category=Category.EDITIONS,
    description=(
        "Sales of the period by month, store and family: quantity, revenue excluding VAT, "
        "catalogue cost and margin, from the tills' tickets (and the monthly history of "
        "archived months) and the invoices and credit notes. As a CSV table, a PNG chart "
        "of the revenue per month stacked by store (or family), or a landscape PDF with "
        "the chart and the table."
    ),
    options=Options,
    run=run,
    default_filename="analyse-ventes-{y}{m}{d}.pdf",
    check=check,
)
