"""What a run leaves in its report folder: report.json, report.html and GX Data Docs.

Data Docs pages are rendered by `DataDocs.build`, with one GX renderer and page view per
process (the view compiles its templates once). `comptoir import` builds its own pages at
once; a DAG run importing several files shares one `DataDocs` and builds it once, after
the last file, each report linking to its own pages.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from comptoir.imports.report import ImportReport, write_html, write_json

log = logging.getLogger(__name__)

#: Validation results rendered as Data Docs pages (a big file has one per slice).
MAX_DOC_PAGES = 10
_BULKY = ("unexpected_list", "unexpected_index_list", "unexpected_index_query",
          "partial_unexpected_index_list")
_LOCK = threading.Lock()
_RENDERING: dict[str, Any] = {}


def write_outputs(report: ImportReport, folder: Path, results: list[Any],
                  docs: DataDocs | None = None) -> None:
    """Write the run's files into `folder` and remember it in `report.folder`.

    The validation `results` become pages of `docs`, rendered when it is built; without
    it, of the run's own Data Docs in `folder/data_docs`, built now.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if docs is None:
        own = DataDocs(folder / "data_docs")
        first = own.add("validation", results)
        own.build()
    else:
        first = docs.add(str(report.batch_id), results,
                         title=f"{report.entity}: {', '.join(report.files)}")
    write_json(report, folder / "report.json")
    link = Path(os.path.relpath(first, folder)).as_posix() if first else None
    write_html(report, folder / "report.html", data_docs=link)
    report.folder = folder


class DataDocs:
    """GX Data Docs pages in `folder`: `add` registers validation results, `build` renders
    the pages added since the last build and the folder's `index.html`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.builds = 0
        self._pending: list[tuple[Path, Any]] = []
        self._listed: list[tuple[str, Path]] = []

    @property
    def index(self) -> Path:
        return self.folder / "index.html"

    def add(self, name: str, results: Sequence[Any], *, title: str | None = None) -> Path | None:
        """Pages `<name>-<n>.html` for `results` (their bulky row lists dropped now);
        returns the first one's path, written by the next `build`."""
        first = None
        for number, result in enumerate(results[:MAX_DOC_PAGES], start=1):
            for res in result.results:
                for key in _BULKY:
                    (res.result or {}).pop(key, None)
            page = self.folder / f"{name}-{number}.html"
            self._pending.append((page, result))
            self._listed.append((f"{title or name} ({number})", page))
            first = first or page
        return first

    def build(self) -> list[Path]:
        """Render the pending pages and the index; returns the pages written."""
        if not self._pending:
            return []
        renderer, view = _rendering()
        self.folder.mkdir(parents=True, exist_ok=True)
        pending, self._pending = self._pending, []
        for page, result in pending:
            page.write_text(view.render(renderer.render(result)), encoding="utf-8")
        items = "".join(f'<li><a href="{escape(page.name)}">{escape(label)}</a></li>'
                        for label, page in self._listed)
        self.index.write_text(
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Great Expectations "
            f"Data Docs</title></head><body><h1>Data Docs</h1><ul>{items}</ul></body></html>\n",
            encoding="utf-8")
        self.builds += 1
        return [page for page, _ in pending]


def _rendering() -> tuple[Any, Any]:
    """The process's GX page renderer and view (the view's templates compiled once)."""
    with _LOCK:
        if not _RENDERING:
            from great_expectations.render.renderer import ValidationResultsPageRenderer
            from great_expectations.render.view import DefaultJinjaPageView

            _RENDERING["renderer"] = ValidationResultsPageRenderer()
            _RENDERING["view"] = DefaultJinjaPageView()
        return _RENDERING["renderer"], _RENDERING["view"]
