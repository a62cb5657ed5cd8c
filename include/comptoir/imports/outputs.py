"""What a run leaves in its report folder: report.json, report.html and GX Data Docs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from comptoir.imports.report import ImportReport, write_html, write_json

log = logging.getLogger(__name__)

#: Validation results rendered as Data Docs pages (a big file has one per slice).
MAX_DOC_PAGES = 10
_BULKY = ("unexpected_list", "unexpected_index_list", "unexpected_index_query",
          "partial_unexpected_index_list")


def write_outputs(report: ImportReport, folder: Path, results: list[Any]) -> None:
    """Write the run's files into `folder` and remember it in `report.folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = write_data_docs(results[:MAX_DOC_PAGES], folder / "data_docs")
    write_json(report, folder / "report.json")
    link = f"data_docs/{pages[0].name}" if pages else None
    write_html(report, folder / "report.html", data_docs=link)
    report.folder = folder


def write_data_docs(results: list[Any], folder: Path) -> list[Path]:
    """One GX Data Docs page per validation result (bulky row lists left out)."""
    if not results:
        return []
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    folder.mkdir(parents=True, exist_ok=True)
    renderer, view = ValidationResultsPageRenderer(), DefaultJinjaPageView()
    pages = []
    for number, result in enumerate(results, start=1):
        for res in result.results:
            for key in _BULKY:
                (res.result or {}).pop(key, None)
        page = folder / f"validation-{number}.html"
        page.write_text(view.render(renderer.render(result)), encoding="utf-8")
        pages.append(page)
    return pages
