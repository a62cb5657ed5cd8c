"""The PDF conventions of the retail editions (spec/retail-tasks.md, "PDF files").

ReportLab, standard fonts (WinAnsi: French text and "€" without shipping a font), A4
portrait or landscape, the company name and the document title on every page, `page n /
N`, French formats (`comptoir.retail.report_text`), one unit per new page with one outline
entry (bookmark) each, `invariant=1` (byte-identical files), a classic cross-reference
table (ReportLab writes no object streams). The total page count `N` is a form XObject
every page draws and the canvas defines once the last page is done: one build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FONT", "FONT_BOLD", "Unit", "write_pdf"]

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
MARGIN = 15  # mm


@dataclass
class Unit:
    """One unit of a document (a depot, an invoice, a store-day): new page, one bookmark."""

    outline: str
    flowables: list[Any] = field(default_factory=list)


class _Bookmark:
    """A zero-size flowable marking the page where its unit starts (built lazily)."""

    def __new__(cls, key: str, title: str) -> Any:
        from reportlab.platypus import Flowable

        class Mark(Flowable):
            def wrap(self, *_: Any) -> tuple[int, int]:
                return 0, 0

            def draw(self) -> None:
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(title, key, level=0)
                self.canv.showOutline()

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
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    story: list[Any] = []
    for index, unit in enumerate(units):
        if index:
            story.append(PageBreak())
        story.append(_Bookmark(f"unit{index}", unit.outline))
        story.extend(unit.flowables)
    doc.build(story, canvasmaker=_canvas_class())
    return pages["n"]
