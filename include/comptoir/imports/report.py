"""The import report: the contract's JSON document and an HTML page a person reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REJECTED, EXIT_ERROR = 0, 3, 1
HTML_LIMIT = 5000


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

    @property
    def exit_code(self) -> int:
        """0 every record accepted, 3 some rejected, 1 the file could not be processed."""
        if self.error is not None:
            return EXIT_ERROR
        return EXIT_REJECTED if self.rejected else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity, "mode": self.mode, "dry_run": self.dry_run,
            "files": list(self.files), "batch_id": self.batch_id, "records": self.records,
            "accepted": self.accepted, "rejected": self.rejected, "error": self.error,
            "rejections": [r.to_dict() for r in self.rejections],
            "warnings": [w.to_dict() for w in self.warnings],
            "written": dict(self.written),
        }

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
        head.append(f'<p><a href="{e(data_docs)}">Great Expectations Data Docs of this run</a></p>')
    if report.error:
        head.append(f"<p class=bad><strong>The file could not be processed:</strong> "
                    f"{e(report.error)}</p>")
    if report.warnings:
        head.append("<h2>Warnings</h2><ul>" + "".join(
            f"<li>{e(w.file)}, line {w.line if w.line is not None else '-'}: {e(w.message)}</li>"
            for w in report.warnings) + "</ul>")
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
        if len(report.rejections) > len(shown):
            head.append(f"<p>{len(report.rejections) - len(shown)} more rejections are listed "
                        "in the JSON report.</p>")
    body = "\n".join(head)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Import of "
            f"{e(report.entity)}</title><style>{_STYLE}</style></head><body>{body}</body></html>\n")


def write_html(report: ImportReport, path: Path, *, data_docs: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, data_docs=data_docs), encoding="utf-8")
    return path
