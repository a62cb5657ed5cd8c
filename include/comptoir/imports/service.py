"""The one entry point of imports: the CLI and the Airflow DAG both call `run_import`.

A run reads the file(s), controls every record with the entity's GX suite and writes the
accepted ones in ONE transaction stamped with a new import batch id. A file-level problem
(unreadable, a mandatory column missing, a mode the entity does not support) is not an
exception here: it is the report's `error` (exit status 1) and nothing is written. A dry
run does everything, then rolls the transaction back: its report is the real one.

The transaction starts with the dossier's import lock (`comptoir.imports.lock`): imports
take turns. The SHA-256 of the file's bytes is recorded with its batch; for an entity
whose records have no natural key (sales documents), bytes that were imported whole
before are a repeat: one file-level `already_imported` rejection, nothing written
(exit status 3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from comptoir.imports.errors import ImportFileError, ImportUsageError
from comptoir.imports.naming import MODES, check_entity
from comptoir.imports.outputs import MAX_DOC_PAGES, DataDocs
from comptoir.imports.rejections import PER_RULE, RejectionLog
from comptoir.imports.report import ImportReport, Rejection

logger = logging.getLogger(__name__)

#: Records controlled and written at a time for entities whose records stand alone.
CHUNK_ROWS = 250_000


class _Rollback(Exception):
    """Ends a dry run's transaction without committing it."""


def run_import(
    entity: str,
    files: Path | str | Sequence[Path | str],
    *,
    lines_file: Path | str | None = None,
    mode: str = "create",
    dry_run: bool = False,
    auto_create_regimes: bool = False,
    auto_create_vat: bool = False,
    sep: str = ";",
    url: str | None = None,
    report_dir: Path | str | None = None,
    data_docs: bool | DataDocs = True,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[int], None] | None = None,
    listed_per_rule: int = PER_RULE,
) -> ImportReport:
    """Import `files` as `entity` into the dossier at `url` (default: the configured one).

    Writes `report.json`, `report.html`, `rejections.csv` (every rejection) and GX Data
    Docs into `report_dir` (default: `reports_dir()/imports/<batch_id>`); the reports list
    the first `listed_per_rule` rejections of each rule. `data_docs` may be a `DataDocs`
    shared by several imports (a DAG run): the pages go there, rendered when it is built.
    Never raises for a problem of the file. `on_progress` is called with the number of
    records controlled so far after each slice.
    """
    paths = [Path(files)] if isinstance(files, (str, Path)) else [Path(f) for f in files]
    lines = Path(lines_file) if lines_file is not None else None
    names = [p.name for p in paths] + ([lines.name] if lines else [])
    report = ImportReport(entity=entity, mode=mode, dry_run=dry_run, files=names,
                          batch_id=str(uuid.uuid4()))
    results: list[Any] = []
    folder = Path(report_dir) if report_dir else _default_folder(report.batch_id)
    log = RejectionLog(folder / "rejections.csv", listed_per_rule)
    try:
        check_entity(entity)
        _run(report, paths, lines, results if data_docs else None, log, url=url, sep=sep,
             chunk_rows=chunk_rows,
             auto_create_regimes=auto_create_regimes, auto_create_vat=auto_create_vat,
             on_progress=on_progress)
    except (ImportFileError, ImportUsageError) as exc:
        log.into(report)
        report.fail(str(exc))
    except Exception as exc:  # noqa: BLE001  (the report says why; the log keeps the trace)
        from sqlalchemy.exc import SQLAlchemyError

        from comptoir.imports.gx_runner import ControlError
        from comptoir.imports.loader import WriteError

        if not isinstance(exc, (SQLAlchemyError, ControlError, WriteError)):
            raise
        logger.exception("import of %s failed", entity)
        log.into(report)
        report.fail(f"nothing was written: {_short(exc)}")
    from comptoir.imports.outputs import write_outputs

    write_outputs(report, folder, results if data_docs else [],
                  data_docs if isinstance(data_docs, DataDocs) else None)
    return report


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _default_folder(batch_id: str | None) -> Path:
    from comptoir import paths

    return paths.reports_dir() / "imports" / str(batch_id)


def content_sha256(paths: Sequence[Path]) -> str:
    """The SHA-256 of the files' bytes, one after the other (a file and its lines file)."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as source:
            while block := source.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def _earlier_import(conn: Any, entity: str, sha256: str) -> Any:
    """The batch that imported these bytes whole (every record accepted), if any."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import import_batches

    return conn.execute(
        select(import_batches.c.id, import_batches.c.finished_at)
        .where(import_batches.c.entity == entity, import_batches.c.content_sha256 == sha256,
               import_batches.c.finished_at.is_not(None), import_batches.c.records > 0,
               import_batches.c.rejected == 0)
        .order_by(import_batches.c.finished_at).limit(1)).first()


def _repeat(report: ImportReport, batch: Any) -> None:
    """The report of a file that was imported whole before: nothing controlled or written."""
    when = f"{batch.finished_at:%Y-%m-%d %H:%M}" if batch.finished_at else "earlier"
    report.rejections = [Rejection(
        report.files[0], None, None, "already_imported", None,
        f"this file was imported whole before (batch {batch.id}, {when}): the same bytes "
        "again are a repeat, nothing was written")]
    report.rejections_by_rule = {"already_imported": 1}


def _run(report: ImportReport, paths: list[Path], lines: Path | None,
         results: list[Any] | None,
         log: RejectionLog, *, url: str | None, sep: str, chunk_rows: int,
         auto_create_regimes: bool, auto_create_vat: bool,
         on_progress: Callable[[int], None] | None = None) -> None:
    from comptoir.backoffice.engine import get_engine
    from comptoir.imports.entities import get_entity
    from comptoir.imports.process import Processor

    spec = get_entity(report.entity)
    if report.mode not in MODES:
        raise ImportUsageError(f"unknown mode {report.mode!r}: create or modify")
    if report.mode not in spec.modes:
        raise ImportUsageError(f"{report.entity} can only be imported in create mode")
    everything = [*paths, *([lines] if lines else [])]
    for path in everything:
        if not path.is_file():
            raise ImportFileError(f"{path.name}: no such file")
    sha256 = content_sha256(everything)
    engine = get_engine(url)
    try:
        with engine.begin() as conn:
            from comptoir.imports.lock import acquire

            acquire(conn)
            if spec.repeat_by_content:
                earlier = _earlier_import(conn, spec.name, sha256)
                if earlier is not None:
                    _repeat(report, earlier)
                    return
            processor = Processor(spec, report, conn, auto_create_regimes=auto_create_regimes,
                                  auto_create_vat=auto_create_vat,
                                  input_bytes=sum(p.stat().st_size for p in paths), log=log,
                                  content_sha256=sha256)
            ok = False
            try:
                processor.start()
                for part in spec.read(paths, lines, sep=sep, mode=report.mode,
                                      chunk_rows=chunk_rows):
                    found = processor.process(part)
                    if results is not None and len(results) < MAX_DOC_PAGES:
                        results.extend(found)  # kept for the Data Docs; the rest is dropped
                    if on_progress is not None:
                        on_progress(report.records)
                processor.finish(dt.datetime.now(dt.UTC))
                ok = True
            finally:
                processor.close(raise_errors=ok)
            if report.dry_run:
                raise _Rollback
    except _Rollback:
        pass
