"""The import report: the contract's JSON document and an HTML page a person reads.

Bounded whatever the file: `rejections` lists the first rejections of each rule (see
`comptoir.imports.rejections`), `rejections_by_rule` counts them all, and every one is in
`rejections.csv` beside the report. The database keeps a summary (`summary_dict`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REJECTED, EXIT_ERROR = 0, 3, 1
HTML_LIMIT = 5000
SUMMARY_REJECTIONS = 20
"""Rejections the summary kept in the database lists (the counts are whole)."""


@dataclass(frozen=True)
class Notice:
    """A warning about a file (e.g. an unknown column)."""

    file: str
    line: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class Rejection:
    """One rule broken by one record; `quote` is the record as written (HTML page only)."""

    file: str
    line: int | None
    key: str | None
    rule: str
    field: str | None
    message: str
    quote: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "key": self.key, "rule": self.rule,
                "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    """What an import did (or would do, on a dry run). `to_dict` is the contract's JSON."""

    entity: str
    mode: str
    dry_run: bool
    files: list[str]
    batch_id: str | None = None
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    error: str | None = None
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)
    folder: Path | None = None  # where the run's JSON, HTML and Data Docs were written
    rejections_by_rule: dict[str, int] = field(default_factory=dict)
    """Every rejection, counted per rule (`rejections` lists the first ones of each)."""
    rejections_file: str | None = None
    """The CSV file of every rejection, beside the report (None when there is none)."""

    @property
    def exit_code(self) -> int:
        """0 every record accepted, 3 some rejected (or the file is a repeat), 1 the file
        could not be processed."""
        if self.error is not None:
            return EXIT_ERROR
        return EXIT_REJECTED if self.rejected or self.rejections else EXIT_OK

    def fail(self, message: str) -> None:
        """The file as a whole was not processed: nothing written, every record rejected."""
        self.error = message
        self.accepted = 0
        self.rejected = self.records
        self.written = {}

    @property
    def complete(self) -> bool:
        """Whether `rejections` lists every rejection (else see `rejections_file`)."""
        return len(self.rejections) >= sum(self.rejections_by_rule.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity, "mode": self.mode, "dry_run": self.dry_run,
            "files": list(self.files), "batch_id": self.batch_id, "records": self.records,
            "accepted": self.accepted, "rejected": self.rejected, "error": self.error,
            "rejections": [r.to_dict() for r in self.rejections],
            "warnings": [w.to_dict() for w in self.warnings],
            "written": dict(self.written),
            "rejections_by_rule": dict(self.rejections_by_rule),
            "rejections_complete": self.complete,
            "rejections_file": self.rejections_file,
        }

    def summary_dict(self) -> dict[str, Any]:
        """What the database keeps: the report with its first rejections only."""
        document = self.to_dict()
        document["rejections"] = document["rejections"][:SUMMARY_REJECTIONS]
        document["warnings"] = document["warnings"][:SUMMARY_REJECTIONS]
        document["rejections_complete"] = (
            len(document["rejections"]) >= sum(self.rejections_by_rule.values()))
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def write_json(report: ImportReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.to_json() + "\n", encoding="utf-8")
    return path


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#f3f3f3}code{white-space:pre-wrap}
.ok{color:#176c2f}.bad{color:#a4161a}dt{font-weight:bold}dd{margin:0 0 .4em 1em}"""


DATA_DOCS_TEXT = "Great Expectations Data Docs of this run"
_DATA_DOCS_LINK = re.compile(r'<a href="([^"]*)">' + re.escape(DATA_DOCS_TEXT) + "</a>")


def data_docs_link(page: str) -> str | None:
    """The link to the run's Data Docs in a page `render_html` wrote (relative to it)."""
    found = _DATA_DOCS_LINK.search(page)
    return unescape(found.group(1)) if found else None


def render_html(report: ImportReport, *, data_docs: str | None = None) -> str:
    """A standalone page: the summary, the error, warnings and every rejected record quoted."""
    e = escape
    dry = " (dry run: nothing written)" if report.dry_run else ""
    status = ("error" if report.error else "rejections" if report.rejected else "all accepted")
    head = [
        f"<h1>Import of {e(report.entity)} — {e(status)}</h1>",
        "<dl>",
        f"<dt>Files</dt><dd>{e(', '.join(report.files))}</dd>",
        f"<dt>Mode</dt><dd>{e(report.mode)}{dry}</dd>",
        f"<dt>Batch</dt><dd>{e(report.batch_id or '-')}</dd>",
        f"<dt>Records</dt><dd>{report.records}: <span class=ok>{report.accepted} accepted</span>, "
        f"<span class=bad>{report.rejected} rejected</span></dd>",
        "<dt>Written</dt><dd>" + (e(", ".join(f"{k}: {v}" for k, v in report.written.items()))
                                  or "nothing") + "</dd>",
        "</dl>",
    ]
    if data_docs:
        head.append(f'<p><a href="{e(data_docs)}">{DATA_DOCS_TEXT}</a></p>')
    if report.error:
        head.append(f"<p class=bad><strong>The file could not be processed:</strong> "
                    f"{e(report.error)}</p>")
    if report.warnings:
        head.append("<h2>Warnings</h2><ul>" + "".join(
            f"<li>{e(w.file)}, line {w.line if w.line is not None else '-'}: {e(w.message)}</li>"
            for w in report.warnings) + "</ul>")
    if report.rejections_by_rule:
        head.append("<h2>Rejections by rule</h2><table><tr><th>Rule</th><th>Count</th></tr>"
                    + "".join(f"<tr><td>{e(rule)}</td><td>{count}</td></tr>"
                              for rule, count in sorted(report.rejections_by_rule.items()))
                    + "</table>")
    if report.rejections:
        shown = report.rejections[:HTML_LIMIT]
        rows = "".join(
            f"<tr><td>{e(r.file)}</td><td>{r.line if r.line is not None else ''}</td>"
            f"<td>{e(r.key or '')}</td><td>{e(r.rule)}</td><td>{e(r.field or '')}</td>"
            f"<td>{e(r.message)}</td><td><code>{e(r.quote)}</code></td></tr>"
            for r in shown)
        head.append("<h2>Rejected records</h2><table><tr><th>File</th><th>Line</th><th>Key</th>"
                    "<th>Rule</th><th>Field</th><th>Message</th><th>Record</th></tr>"
                    f"{rows}</table>")
        total = max(sum(report.rejections_by_rule.values()), len(report.rejections))
        if total > len(shown):
            where = (f'<a href="{e(report.rejections_file)}">{e(report.rejections_file)}</a>'
                     if report.rejections_file else "the JSON report")
            head.append(f"<p>{total - len(shown)} more rejections: every one is in "
                        f"{where}.</p>")
    body = "\n".join(head)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Import of "
            f"{e(report.entity)}</title><style>{_STYLE}</style></head><body>{body}</body></html>\n")


def write_html(report: ImportReport, path: Path, *, data_docs: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, data_docs=data_docs), encoding="utf-8")
    return path
