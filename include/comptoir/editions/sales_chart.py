"""The chart of `sales_analysis`: revenue excl. VAT per month, stacked by store (by family
when the store is not grouped) — the one place Comptoir draws with Matplotlib.

Matplotlib's object API on the Agg canvas (no pyplot, no display), its default style
whatever the machine's `matplotlibrc`, DejaVu Sans (shipped with Matplotlib), a fixed
size and no `Software` metadata: the same figures give the same bytes. Series come in
code order (a store keeps its colour); past ten, the smallest are drawn together as
`Autres`; negative amounts (more returns than sales) stack below the axis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from comptoir.retail.report_text import NBSP, day, grouped

if TYPE_CHECKING:
    from comptoir.editions.sales_analysis import Figure

__all__ = ["DPI", "SIZE", "month_label", "png_size", "write_chart"]

DPI = 200
SIZE = (11.0, 5.0)  # inches: 2200 × 1000 pixels at 200 dpi, 255 mm wide in the PDF
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc.")
PALETTE = ("#1f4e79", "#e07b39", "#3a923a", "#c0392b", "#7d5ba6", "#8c6d31", "#d46aa6",
           "#2a9d8f", "#b5a33a", "#5b8bd1")
OTHERS_COLOUR = "#b0b4ba"
SERIES = len(PALETTE)  # series with their own colour; the rest make `Autres`


def month_label(month: str) -> str:
    """`2026-01` → `janv. 2026`."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def _euros(value: float) -> str:
    """An axis or bar amount: `12 345 €` (whole euros, no-break spaces)."""
    amount = round(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{grouped(str(abs(amount)))}{NBSP}€"


def _series_label(row: Figure, by_store: bool) -> str:
    code, name = (row.store, row.store_name) if by_store else (row.family, row.family_name)
    if not code:
        return "Sans magasin" if by_store else "Sans famille"
    return f"{code} {name}" if name else code


def _points(rows: Sequence[Figure], group_by: Sequence[str], period: str
            ) -> tuple[list[str], dict[str, dict[str, float]], str | None]:
    """Bars (labels in order), revenue per series and bar, and the legend's title."""
    by_store, by_family = "store" in group_by, "family" in group_by
    legend = "Magasin" if by_store else "Famille" if by_family else None
    bars: list[str] = []
    series: dict[str, dict[str, float]] = {}
    for row in rows:
        bar = month_label(row.month) if row.month else period
        if bar not in bars:
            bars.append(bar)
        name = _series_label(row, by_store) if legend else "CA HT"
        values = series.setdefault(name, {})
        values[bar] = values.get(bar, 0.0) + float(row.revenue)
    series = dict(sorted(series.items(), key=lambda item: (item[0].startswith("Sans "),
                                                           item[0])))
    if len(series) > SERIES:
        ranked = sorted(series, key=lambda s: (-sum(abs(v) for v in series[s].values()), s))
        others: dict[str, float] = {}
        for name in ranked[SERIES - 1:]:
            for bar, value in series.pop(name).items():
                others[bar] = others.get(bar, 0.0) + value
        series["Autres"] = others
    return bars, series, legend


def write_chart(target: Path | IO[bytes], rows: Sequence[Figure], group_by: Sequence[str],
                first: dt.date, last: dt.date, dpi: int = DPI) -> None:
    """Draw the revenue chart of the analysis rows as PNG into `target`."""
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as Drawing
    from matplotlib.ticker import FuncFormatter

    period = f"du {day(first)} au {day(last)}"
    bars, series, legend = _points(rows, group_by, period)
    with matplotlib.style.context("default"), matplotlib.rc_context({
            "font.family": "DejaVu Sans", "font.size": 10, "axes.titlesize": 13,
            "axes.titleweight": "bold", "axes.edgecolor": "#555555",
            "svg.hashsalt": "comptoir"}):
        drawing = Drawing(figsize=SIZE, dpi=dpi, layout="constrained")
        FigureCanvasAgg(drawing)
        axes = drawing.add_subplot()
        positions = list(range(len(bars)))
        up = [0.0] * len(bars)
        down = [0.0] * len(bars)
        width = 0.6 if len(bars) > 1 else 0.35
        for index, (name, values) in enumerate(series.items()):
            colour = OTHERS_COLOUR if name == "Autres" else PALETTE[index % len(PALETTE)]
            heights = [values.get(bar, 0.0) for bar in bars]
            bottoms = [up[i] if h >= 0 else down[i] for i, h in enumerate(heights)]
            axes.bar(positions, heights, width, bottom=bottoms, label=name, color=colour,
                     edgecolor="white", linewidth=0.6)
            for i, h in enumerate(heights):
                if h >= 0:
                    up[i] += h
                else:
                    down[i] += h
        totals = [up[i] + down[i] for i in positions]
        top = max(up + [0.0])
        for i, total in enumerate(totals):
            axes.annotate(_euros(total), (i, up[i]), xytext=(0, 4), textcoords="offset points",
                          ha="center", va="bottom", fontsize=9, color="#222222")
        axes.set_xticks(positions, bars)
        axes.set_xlim(-0.6, len(bars) - 0.4)
        if top > 0:
            axes.set_ylim(top=top * 1.12)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _euros(value)))
        axes.axhline(0, color="#555555", linewidth=0.8)
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.set_ylabel("Chiffre d'affaires HT")
        split = {"Magasin": " et par magasin", "Famille": " et par famille"}.get(legend or "", "")
        what = "par mois" if rows and rows[0].month else "sur la période"
        axes.set_title(f"Chiffre d'affaires HT {what}{split}, {period}", loc="left")
        if legend:
            axes.legend(title=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                        frameon=False, fontsize=9, title_fontsize=10, reverse=True)
        drawing.savefig(target, format="png", dpi=dpi, metadata={"Software": None})


def png_size(dpi: int = DPI) -> tuple[int, int]:
    """The chart's size in pixels at `dpi`."""
    return round(SIZE[0] * dpi), round(SIZE[1] * dpi)

