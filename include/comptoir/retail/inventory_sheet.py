"""The count sheet of `inventory_preparation` as PDF (conventions of `comptoir.editions.layout`).

One section per depot, starting on a new page, bookmarked `NUMBER DEPOT`: a heading
(inventory number, depot, date, blind or not), a table of the lines whose header repeats
on every page, an empty box per line for the count, then the signature footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comptoir.editions.layout import FONT, FONT_BOLD, Unit, fit, signature_boxes, write_pdf
from comptoir.retail.report_text import day, quantity

if TYPE_CHECKING:
    from comptoir.retail.inventory_preparation import Prepared

TITLE = "Feuille de comptage d'inventaire"
HEADER = ("Famille", "S.-fam.", "Article", "Désignation", "Unité", "Lot", "Théorique",
          "Compté")
WIDTHS_MM = (18, 18, 26, 56, 12, 20, 15, 15)
NAME_MM = WIDTHS_MM[3] - 3


def _section(prepared: Prepared, rows: Sequence[tuple], run_date: date,
             blind: bool) -> Unit:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, Spacer, TableStyle

    heading = ParagraphStyle("heading", fontName=FONT_BOLD, fontSize=12, leading=15)
    normal = ParagraphStyle("normal", fontName=FONT, fontSize=9, leading=11)
    store = prepared.store
    flow: list[Any] = [
        Paragraph(f"Inventaire {prepared.number} : dépôt {store.code} {store.name}", heading),
        Paragraph(f"Date : {day(run_date)} — {prepared.lines} ligne(s) — "
                  + ("comptage à l'aveugle" if blind else "quantités théoriques affichées"),
                  normal),
        Spacer(0, 4 * mm),
    ]
    data: list[list[Any]] = [list(HEADER)]
    for row in rows:
        _, _, family, sub_family, article, name, unit, lot, expected, _ = row
        data.append([family or "", sub_family or "", article, fit(name or "", NAME_MM),
                     unit or "", lot or "", "" if blind else quantity(expected), ""])
    table = LongTable(data, colWidths=[w * mm for w in WIDTHS_MM], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), FONT, 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BOX", (-1, 1), (-1, -1), 1, colors.black),
        ("INNERGRID", (-1, 0), (-1, -1), 1, colors.black),
        ("ALIGN", (-2, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 1), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 4),
    ]))
    flow.append(table)
    flow.append(signature_boxes(["Compté par :", "Date :", "Signature :"]))
    return Unit(f"{prepared.number} {store.code}", flow)


def write_sheet(path: Path, company: str, prepared: Sequence[Prepared],
                rows: Sequence[tuple], run_date: date, blind: bool, *,
                compress: bool = True) -> int:
    """Write the count sheet of `prepared` (rows as `inventory_preparation.sheet_rows`);
    its page count."""
    units = [_section(p, [r for r in rows if r[0] == p.number], run_date, blind)
             for p in prepared]
    return write_pdf(path, TITLE, company, units, compress=compress)
