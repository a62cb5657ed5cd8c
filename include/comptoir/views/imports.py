"""The Imports page: import runs with their counts, a run's rejections, its report files.

A run is an `import_batches` row; its files are in `reports/imports/<batch id>/`
(`report.html`, `report.json`, `rejections.csv` with every rejection, Data Docs). The
rejections are paged straight from `rejections.csv` with a byte offset as the cursor: the
page after the millionth rejection reads one page of the file, not what comes before.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, and_, or_, select

from comptoir import paths
from comptoir.backoffice.schema import import_batches
from comptoir.imports.report import Rejection, data_docs_link
from comptoir.views.page import Page, page_size

__all__ = ["ImportRun", "import_run", "page_import_runs", "page_rejections", "rejections_file",
           "report_file", "reports_root", "run_links"]


@dataclass(frozen=True)
class ImportRun:
    """An import run of the dossier and its counts."""

    id: str
    entity: str
    mode: str
    files: list[str]
    started_at: datetime
    finished_at: datetime | None
    records: int
    accepted: int
    rejected: int


def reports_root() -> Path:
    """The folder of the import reports, `reports/imports/` in the data home."""
    return paths.reports_dir() / "imports"


def _run(row) -> ImportRun:  # type: ignore[no-untyped-def]
    values = dict(row._mapping)
    try:
        values["files"] = list(json.loads(values["files"]))
    except (TypeError, ValueError):
        values["files"] = [str(values["files"])]
    return ImportRun(**values)


_COLUMNS = [import_batches.c[name] for name in (
    "id", "entity", "mode", "files", "started_at", "finished_at", "records", "accepted",
    "rejected")]


def page_import_runs(conn: Connection, *, entity: str | None = None, after: str | None = None,
                     size: int | None = None) -> Page[ImportRun]:
    """One page of the import runs, newest first; `after` is the previous page's `next`."""
    size = page_size(size)
    query = (select(*_COLUMNS)
             .order_by(import_batches.c.started_at.desc(), import_batches.c.id.desc())
             .limit(size + 1))
    if entity:
        query = query.where(import_batches.c.entity == entity)
    if after:
        mark = (select(import_batches.c.started_at)
                .where(import_batches.c.id == _batch_id(after)).scalar_subquery())
        query = query.where(or_(import_batches.c.started_at < mark,
                                and_(import_batches.c.started_at == mark,
                                     import_batches.c.id < after)))
    found = [_run(row) for row in conn.execute(query)]
    more = len(found) > size
    found = found[:size]
    return Page(found, found[-1].id if more else None)


def import_run(conn: Connection, batch_id: str) -> ImportRun | None:
    """The run `batch_id`, or None."""
    row = conn.execute(select(*_COLUMNS).where(import_batches.c.id == _batch_id(batch_id))).first()
    return _run(row) if row is not None else None


def _batch_id(value: str) -> str:
    """`value` if it is a batch id (a UUID, as written); ValueError otherwise."""
    try:
        if str(uuid.UUID(value)) == value:
            return value
    except (ValueError, AttributeError, TypeError):
        pass
    raise ValueError(f"not an import run id: {value!r}")


def run_folder(batch_id: str) -> Path:
    """The report folder of the run `batch_id` (ValueError for anything not a batch id)."""
    return reports_root() / _batch_id(batch_id)


def rejections_file(batch_id: str) -> Path:
    """The run's `rejections.csv` (every rejection); FileNotFoundError when it has none."""
    path = run_folder(batch_id) / "rejections.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no rejection file for the import run {batch_id}")
    return path


def report_file(relative: str) -> Path:
    """A file of the import reports named by its path relative to `reports_root()`.

    Confined: an absolute path, `..`, a link leading out or a control character is a
    ValueError; a path that names no file is a FileNotFoundError.
    """
    if not relative or "\x00" in relative or any(ord(c) < 32 for c in relative) \
            or "\\" in relative or relative.startswith("/"):
        raise ValueError("not a path of the import reports")
    root = reports_root().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("the path leads outside the import reports")
    if not path.is_file():
        raise FileNotFoundError(relative)
    return path


def run_links(batch_id: str) -> dict[str, str | None]:
    """The run's report page and Data Docs, as paths relative to `reports_root()`."""
    folder = run_folder(batch_id)
    links: dict[str, str | None] = {"report": None, "data_docs": None, "rejections": None}
    page = folder / "report.html"
    if page.is_file():
        links["report"] = f"{batch_id}/report.html"
        with page.open(encoding="utf-8", errors="replace") as f:
            docs = data_docs_link(f.read(65536))
        if docs and "://" not in docs:
            try:
                target = report_file(Path(batch_id, docs).as_posix())
            except (ValueError, FileNotFoundError):
                target = None
            if target is not None:
                links["data_docs"] = target.relative_to(reports_root().resolve()).as_posix()
    if (folder / "rejections.csv").is_file():
        links["rejections"] = f"{batch_id}/rejections.csv"
    return links


def page_rejections(batch_id: str, *, after: str | None = None,
                    size: int | None = None) -> Page[Rejection]:
    """One page of the run's rejections in file order; `after` is the previous `next`
    (a byte offset into `rejections.csv`)."""
    size = page_size(size)
    with rejections_file(batch_id).open("rb") as f:
        if _record(f) is None:
            return Page([], None)
        start = f.tell()
        if after:
            try:
                offset = int(after)
            except ValueError:
                raise ValueError(f"not a cursor of the rejections: {after!r}") from None
            if offset < start:
                raise ValueError(f"not a cursor of the rejections: {after!r}")
            f.seek(offset)
        items: list[Rejection] = []
        while len(items) < size:
            raw = _record(f)
            if raw is None:
                return Page(items, None)
            items.append(_rejection(raw))
        end = f.tell()
        more = f.read(1) != b""
    return Page(items, str(end) if more else None)


def _record(f: BinaryIO) -> bytes | None:
    """The next CSV record (a quoted value may hold line breaks), or None at the end."""
    raw = f.readline()
    if not raw:
        return None
    while raw.count(b'"') % 2:
        line = f.readline()
        if not line:
            break
        raw += line
    return raw


def _rejection(raw: bytes) -> Rejection:
    values = next(csv.reader(io.StringIO(raw.decode("utf-8", errors="replace")), delimiter=";"))
    values += [""] * (7 - len(values))
    file, line, key, rule, field, message, record = values[:7]
    return Rejection(file=file, line=int(line) if line.isdigit() else None, key=key or None,
                     rule=rule, field=field or None, message=message, quote=record)
