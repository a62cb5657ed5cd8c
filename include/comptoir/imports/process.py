"""One import run inside its transaction: control each part of the file, write what passes.

The import batch row is written first (every imported row refers to it) and completed
at the end with the counts and the JSON report. On PostgreSQL the slices of a big file
are written by one background thread while the next slice is controlled: the server
checks and indexes slice k while Python controls slice k+1. Only one thread uses the
connection at a time (the next write, or anything else, waits for the previous one).
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection

from comptoir.backoffice.schema import import_batches
from comptoir.backoffice.settings import get_setting
from comptoir.imports import bulk
from comptoir.imports.entities.base import FILE, SEEN, Entity, Part, Run
from comptoir.imports.gx_runner import ROW
from comptoir.imports.readers import LINE
from comptoir.imports.rejections import COLUMNS, RejectionLog
from comptoir.imports.report import ImportReport
from comptoir.imports.values import distinct_text

SETTINGS = ("default_regime", "purchases_module", "default_supplier")
#: Rejections described (file, line, key, record as written) at a time.
DESCRIBE_ROWS = 50_000


class Processor:
    """Controls and writes the parts of one run, and keeps its report up to date."""

    def __init__(self, entity: Entity, report: ImportReport, conn: Connection, *,
                 auto_create_regimes: bool, auto_create_vat: bool,
                 input_bytes: int = 0, log: RejectionLog | None = None,
                 content_sha256: str | None = None) -> None:
        self.entity = entity
        self.content_sha256 = content_sha256
        self.log = log or RejectionLog(None)
        self.input_bytes = input_bytes
        self.report = report
        self.run = Run(conn, report.mode, str(report.batch_id),
                       auto_create_regimes=auto_create_regimes,
                       auto_create_vat=auto_create_vat)
        self.params: dict[str, str] = {}
        self.seen: list[pa.Array] = []   # distinct codes of each earlier slice
        self.next_row = 0
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._relaxed: bulk.Relaxed | None = None

    def start(self) -> None:
        run = self.run
        run.settings = {key: get_setting(run.conn, key) for key in SETTINGS}
        run.conn.execute(import_batches.insert().values(
            id=run.batch_id, entity=self.entity.name, mode=run.mode,
            files=json.dumps(self.report.files, ensure_ascii=False),
            content_sha256=self.content_sha256))
        self.params = self.entity.params(run)

    def process(self, part: Part) -> list[Any]:
        """Control and write one part; returns GX's validation results (for Data Docs)."""
        report, run = self.report, self.run
        report.warnings.extend(part.warnings)
        if part.malformed:
            self.log.add(pd.DataFrame(
                [(file, bad.line, bad.key, "invalid_value", None, bad.message, bad.record)
                 for file, bad in part.malformed], columns=COLUMNS))
        report.records += len(part.malformed)
        frame = part.frame
        if frame.empty:
            return []
        frame[ROW] = np.arange(self.next_row, self.next_row + len(frame), dtype=np.int64)
        frame.index = pd.Index(frame[ROW].to_numpy())
        self.next_row += len(frame)
        frame = self.entity.prepare(frame, run)
        params = {**self.params, SEEN: self._seen()}
        rejections, results = self.entity.control(frame, run, params)
        extra = self.entity.propagate(frame, pd.Index(rejections[ROW].unique()))
        if extra is not None and not extra.empty:
            rejections = pd.concat([rejections, extra], ignore_index=True)
        rejected = pd.Index(rejections[ROW].unique())
        accepted = frame.drop(index=rejected)
        report.records += len(frame)
        report.rejected += len(rejected)
        report.accepted += len(accepted)
        rejections = rejections.sort_values(ROW, kind="stable", ignore_index=True)
        for start in range(0, len(rejections), DESCRIBE_ROWS):
            # a slice at a time: a re-run rejects every record of a big file
            self.log.add(self._describe(frame, rejections.iloc[start:start + DESCRIBE_ROWS]))
        if self.entity.unique and self.entity.unique in frame:
            self.seen.append(distinct_text(frame[self.entity.unique]))
        if not accepted.empty:
            self._write(accepted)
        return results

    def _seen(self) -> pa.Array:
        """The codes of the earlier slices (the validation keeps those this slice repeats)."""
        if not self.seen:
            return pa.array([], type=pa.string())
        if len(self.seen) > 1:
            self.seen = [pa.concat_arrays(self.seen)]
        return self.seen[0]

    def _write(self, accepted: pd.DataFrame) -> None:
        self.wait()
        if not (self.entity.chunked and self.run.postgres):
            self.entity.write(self.run, accepted)
            return
        if self._writer is None:
            if bulk.is_big(self.input_bytes):
                self._relaxed = bulk.relax(self.run.conn, self.entity.bulk_tables(self.run),
                                           self.input_bytes)
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self._pending = self._writer.submit(self.entity.write, self.run, accepted)

    def wait(self) -> None:
        """Wait for the background write (its error, if any, is raised here)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self, *, raise_errors: bool) -> None:
        """Wait for any write still running and stop the writer thread."""
        try:
            self.wait()
        except Exception:
            if raise_errors:
                raise
        finally:
            if self._writer is not None:
                self._writer.shutdown()
                self._writer = None

    def _describe(self, frame: pd.DataFrame, rejections: pd.DataFrame) -> pd.DataFrame:
        """The slice's rejections with their file, line, key and record, in line order.

        Text stays in Arrow-backed columns (no Python string per cell): a re-run rejects
        every record of a million-record file.
        """
        if rejections.empty:
            return pd.DataFrame(columns=COLUMNS)
        rows = pd.Index(rejections[ROW])
        unique = rows.unique()
        part = frame if len(unique) == len(frame) else frame.loc[unique]
        quotes = self.entity.quotes(part)

        def at_rows(series: pd.Series) -> pd.Series:
            return series.reindex(rows).reset_index(drop=True)

        described = pd.DataFrame({
            "file": at_rows(part[FILE]),
            "line": at_rows(part[LINE]),
            "key": at_rows(self.entity.key_of(part).astype("str")),
            "rule": rejections["rule"].astype("str").reset_index(drop=True),
            "field": rejections["field"].astype("str").reset_index(drop=True),
            "message": rejections["message"].astype("str").reset_index(drop=True),
            "record": at_rows(quotes),
        })
        return described.sort_values("line", kind="stable", ignore_index=True)

    def finish(self, now: dt.datetime) -> None:
        run, report = self.run, self.report
        self.wait()
        self.entity.finish(run)
        if self._relaxed:
            bulk.restore(run.conn, self._relaxed)
            self._relaxed = None
        self.log.into(report)
        report.rejected = report.records - report.accepted
        report.written = {k: int(v) for k, v in sorted(run.written.items()) if v}
        report.warnings.extend(run.warnings)
        run.conn.execute(import_batches.update().where(import_batches.c.id == run.batch_id)
                         .values(finished_at=now, records=report.records,
                                 accepted=report.accepted, rejected=report.rejected,
                                 report=json.dumps(report.summary_dict(),
                                                   ensure_ascii=False)))
