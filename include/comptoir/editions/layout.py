"""The page layout of every Comptoir PDF (spec/retail-tasks.md, "PDF files"): no edition
draws its own frame.

ReportLab, standard fonts (WinAnsi: French text and "€" without shipping a font), A4
portrait or landscape, the company name and the document title on every page, `page n /
N`, French formats (`comptoir.retail.report_text`), one unit per new page with one outline
entry (bookmark) each, `invariant=1` (byte-identical files), a classic cross-reference
table (ReportLab writes no object streams). The total page count `N` is a form XObject
every page draws and the canvas defines once the last page is done: one build.

The building blocks an edition lays its units out with: `heading`, `text`, `table` (flows
over pages, header repeated, amounts right-aligned, total rows in bold), `fields` (a
label/value block), `signature_boxes`, and `fit` (a name cut to its column).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["FONT", "FONT_BOLD", "Unit", "fields", "fit", "heading", "signature_boxes",
           "table", "text", "write_pdf"]

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
MARGIN = 15  # mm


@dataclass
class Unit:
    """One unit of a document (a depot, an invoice, a store-day): new page, one bookmark."""

    outline: str
    flowables: list[Any] = field(default_factory=list)
    running: str = ""
    """Printed in the page header on the unit's next pages (`FA2026-000010 (suite)`), so a
    page of a long unit says what it belongs to."""


class _Bookmark:
    """A zero-size flowable marking the page where its unit starts (built lazily)."""

    def __new__(cls, key: str, title: str, running: str = "") -> Any:
        from reportlab.platypus import Flowable

        class Mark(Flowable):
            def wrap(self, *_: Any) -> tuple[int, int]:
                return 0, 0

            def draw(self) -> None:
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(title, key, level=0)
                self.canv.showOutline()
                self.canv.comptoir_unit = (running, self.canv.getPageNumber())

        return Mark()


TOTAL_FORM = "pageTotal"


def _canvas_class() -> type:
    """A canvas that defines the page-total form (`N` of `page n / N`) when saved."""
    from reportlab.pdfgen.canvas import Canvas

    class TotalCanvas(Canvas):
        def save(self) -> None:
            self.beginForm(TOTAL_FORM)
            self.setFont(FONT, 8)
            self.drawString(0, 0, str(self.getPageNumber() - 1))
            self.endForm()
            super().save()

    return TotalCanvas


def write_pdf(path: Path, title: str, company: str, units: Sequence[Unit], *,
              landscape: bool = False, compress: bool = True) -> int:
    """Write the units as one PDF at `path`; its page count."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turned
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate

    size = turned(A4) if landscape else A4
    width, height = size
    pages = {"n": 0}

    def decorate(canvas: Any, doc: Any) -> None:
        pages["n"] = doc.page
        canvas.saveState()
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawString(MARGIN * mm, height - 10 * mm, company)
        canvas.drawRightString(width - MARGIN * mm, height - 10 * mm, title)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN * mm, height - 12 * mm, width - MARGIN * mm, height - 12 * mm)
        canvas.setFont(FONT, 8)
        right = width - MARGIN * mm - 8 * mm  # room for N, drawn by the form
        canvas.drawRightString(right, 8 * mm, f"page {doc.page} / ")
        canvas.translate(right, 8 * mm)
        canvas.doForm(TOTAL_FORM)
        canvas.restoreState()

    doc = BaseDocTemplate(str(path), pagesize=size, invariant=1, pageCompression=int(compress),
                          title=title, author=company, creator="Comptoir",
                          leftMargin=MARGIN * mm, rightMargin=MARGIN * mm,
                          topMargin=18 * mm, bottomMargin=15 * mm)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    def continued(canvas: Any, _doc: Any) -> None:
        """At a page's end: a page that does not start its unit shows the unit's running
        title in the header."""
        running, first = getattr(canvas, "comptoir_unit", ("", 0))
        if running and canvas.getPageNumber() != first:
            canvas.saveState()
            canvas.setFont(FONT, 9)
            canvas.drawCentredString(width / 2, height - 10 * mm, running)
            canvas.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate,
                                       onPageEnd=continued)])
    story: list[Any] = []
    for index, unit in enumerate(units):
        if index:
            story.append(PageBreak())
        story.append(_Bookmark(f"unit{index}", unit.outline, unit.running))
        story.extend(unit.flowables)
    doc.build(story, canvasmaker=_canvas_class())
    return pages["n"]


def heading(title: str, size: float = 12) -> Any:
    """A bold title line (plain text: `&` and `<` are shown as such)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("heading", fontName=FONT_BOLD, fontSize=size, leading=size * 1.25,
                           spaceAfter=size * 0.4)
    return Paragraph(escape(title), style)


def text(line: str, size: float = 9, bold: bool = False) -> Any:
    """A paragraph of plain text."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("text", fontName=FONT_BOLD if bold else FONT, fontSize=size,
                           leading=size * 1.25)
    return Paragraph(escape(line), style)


def fit(value: str, width_mm: float, size: float = 8) -> str:
    """`value` cut (with `…`) to the width of its column: one table row stays one line."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(value, FONT, size) <= width_mm * mm:
        return value
    while value and stringWidth(value + "…", FONT, size) > width_mm * mm:
        value = value[:-1]
    return value.rstrip() + "…"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths_mm: Sequence[float],
          *, right: Iterable[int] = (), totals: int = 0, size: float = 8,
          zebra: bool = True) -> Any:
    """A table that flows over pages with its header repeated on each: grey bold header,
    columns `right` right-aligned (amounts, quantities), the last `totals` rows bold above a
    rule. Cells are plain text, drawn as given."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, TableStyle

    data = [list(header), *[["" if cell is None else cell for cell in row] for row in rows]]
    grid = LongTable(data, colWidths=[w * mm for w in widths_mm], repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, size),
        ("FONT", (0, 1), (-1, -1), FONT, size),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.85, 0.87, 0.90)),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for column in right:
        style.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
    body = len(data) - 1 - totals
    if zebra:
        for index in range(2, body + 1, 2):
            style.append(("BACKGROUND", (0, index), (-1, index), colors.Color(0.96, 0.96, 0.97)))
    if totals:
        style += [("FONT", (0, -totals), (-1, -1), FONT_BOLD, size),
                  ("LINEABOVE", (0, -totals), (-1, -totals), 0.75, colors.black)]
    grid.setStyle(TableStyle(style))
    return grid


def fields(pairs: Sequence[tuple[str, str]], widths_mm: tuple[float, float] = (35, 80),
           size: float = 9) -> Any:
    """A block of `label : value` lines (a document's number, date, customer…)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    grid = Table([[label, value] for label, value in pairs],
                 colWidths=[w * mm for w in widths_mm], hAlign="LEFT")
    grid.setStyle(TableStyle([("FONT", (0, 0), (0, -1), FONT_BOLD, size),
                              ("FONT", (1, 0), (1, -1), FONT, size),
                              ("TOPPADDING", (0, 0), (-1, -1), 1),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                              ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    return grid


def signature_boxes(labels: Sequence[str], width_mm: float = 60) -> Any:
    """Boxes to sign in, side by side, kept on one page with the space above them."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    boxes = Table([list(labels), [""] * len(labels)], colWidths=[width_mm * mm] * len(labels),
                  rowHeights=[6 * mm, 18 * mm])
    boxes.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9),
                               ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                               ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(0, 8 * mm), boxes])
