"""The PDF of `sales_analysis`: A4 landscape (`comptoir.editions.layout`), the title, the
period and scope, the totals, the chart (`sales_chart`, the PNG at 200 dpi) and the
table of the rows with a totals row, its header repeated on every page."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comptoir.editions.layout import Unit, fit, heading, table, text, write_pdf
from comptoir.retail.report_text import money, quantity

if TYPE_CHECKING:
    from comptoir.editions.sales_analysis import Figure, Options

__all__ = ["write_analysis"]

TITLE = "Analyse des ventes"
CHART_MM = 230.0
SOURCES = {"pos": "caisses", "invoices": "factures et avoirs"}
# dimension → (header, width mm) per column
DIMENSION_COLUMNS = {"month": (("Mois", 20),),
                     "store": (("Magasin", 18), ("Nom du magasin", 40)),
                     "family": (("Famille", 18), ("Libellé famille", 40))}
FIGURE_COLUMNS = (("Quantité", 22), ("CA HT", 30), ("Coût", 30), ("Marge", 30),
                  ("Marge %", 17))


def rate(margin: Decimal, revenue: Decimal) -> str:
    """The margin as a share of revenue, `35,2 %`; empty without revenue."""
    if not revenue:
        return ""
    share = (margin * 100 / revenue).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{share:f}".replace(".", ",") + "\u00a0%"


def _table(rows: Sequence[Figure], group_by: Sequence[str]) -> Any:
    from comptoir.editions.sales_chart import month_label

    layout = [c for dim in ("month", "store", "family") if dim in group_by
              for c in DIMENSION_COLUMNS[dim]] + list(FIGURE_COLUMNS)
    widths = [w for _, w in layout]
    body: list[list[str]] = []
    for row in rows:
        cells: list[str] = []
        if "month" in group_by:
            cells.append(month_label(row.month) if row.month else "")
        if "store" in group_by:
            cells += [row.store or "", fit(row.store_name or "", widths[len(cells) + 1] - 3)]
        if "family" in group_by:
            cells += [row.family or "", fit(row.family_name or "", widths[len(cells) + 1] - 3)]
        cells += [quantity(row.quantity), money(row.revenue), money(row.cost),
                  money(row.margin), rate(row.margin, row.revenue)]
        body.append(cells)
    revenue = sum((r.revenue for r in rows), Decimal(0))
    cost = sum((r.cost for r in rows), Decimal(0))
    dims = len(layout) - len(FIGURE_COLUMNS)
    total = ["Total"] + [""] * (dims - 1) + [
        quantity(sum((r.quantity for r in rows), Decimal(0))), money(revenue), money(cost),
        money(revenue - cost), rate(revenue - cost, revenue)]
    right = range(dims, len(layout))
    return table([h for h, _ in layout], [*body, total], widths, right=right, totals=1)


def write_analysis(path: Path, company: str, rows: Sequence[Figure], options: Options,
                   first: dt.date, last: dt.date, *, compress: bool = True) -> int:
    """Write the analysis PDF; its page count."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Spacer

    from comptoir.editions.periods import period_line
    from comptoir.editions.sales_chart import DPI, png_size, write_chart

    chart = io.BytesIO()
    write_chart(chart, rows, options.group_by, first, last, dpi=DPI)
    chart.seek(0)
    width, height = png_size(DPI)
    revenue = sum((r.revenue for r in rows), Decimal(0))
    cost = sum((r.cost for r in rows), Decimal(0))
    stores = ", ".join(options.stores) if options.stores else "tous"
    flow: list[Any] = [
        heading(TITLE, 14),
        text(period_line(first, last)),
        text(f"Sources : {', '.join(SOURCES[s] for s in options.sources)} — magasins : "
             f"{stores}"),
        text(f"CA HT {money(revenue)} — coût {money(cost)} — marge {money(revenue - cost)}"
             + (f" ({rate(revenue - cost, revenue)})" if revenue else ""), bold=True),
        Spacer(0, 3 * mm),
        Image(chart, width=CHART_MM * mm, height=CHART_MM * mm * height / width),
        Spacer(0, 4 * mm),
        _table(rows, options.group_by),
    ]
    return write_pdf(path, TITLE, company, [Unit(TITLE, flow)], landscape=True,
                     compress=compress)

