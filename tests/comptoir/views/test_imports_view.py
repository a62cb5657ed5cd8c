"""The Imports page's data: runs paged newest first, rejections paged from the CSV file by
byte offset, and report files confined to the import reports."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comptoir.backoffice.schema import import_batches
from comptoir.imports.rejections import RejectionLog
from comptoir.imports.report import ImportReport, write_html
from comptoir.views.imports import (
    import_run,
    page_import_runs,
    page_rejections,
    rejections_file,
    report_file,
    reports_root,
    run_links,
)


def _batches(engine, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with engine.begin() as conn:
        for i, batch in enumerate(ids):
            conn.execute(import_batches.insert().values(
                id=batch, entity="articles" if i % 2 else "customers", mode="create",
                files=json.dumps([f"file{i}.csv"]), started_at=start + timedelta(minutes=i // 2),
                finished_at=start + timedelta(minutes=i // 2, seconds=5), records=10,
                accepted=10 - i, rejected=i))
    return ids


def test_runs_page_newest_first_through_equal_start_times(engine, comptoir_home: Path) -> None:
    ids = _batches(engine, 7)  # pairs of runs started at the same minute
    seen: list[str] = []
    after = None
    with engine.connect() as conn:
        while True:
            page = page_import_runs(conn, after=after, size=2)
            seen += [r.id for r in page.items]
            after = page.next
            if after is None:
                break
        articles = page_import_runs(conn, entity="articles")
        one = import_run(conn, ids[3])
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    assert seen[0] == ids[6]  # the newest run first; the others share their minute in pairs
    assert {r.entity for r in articles.items} == {"articles"} and len(articles.items) == 3
    assert one is not None and one.files == ["file3.csv"] and one.rejected == 3


def test_a_run_id_that_is_not_a_batch_id_is_refused(engine, comptoir_home: Path) -> None:
    with engine.connect() as conn, pytest.raises(ValueError, match="not an import run id"):
        page_import_runs(conn, after="x' OR 1=1 --")
    with pytest.raises(ValueError):
        rejections_file("../../../etc")


def _rejections(batch: str, count: int) -> Path:
    import pandas as pd

    folder = reports_root() / batch
    log = RejectionLog(folder / "rejections.csv", 10)
    log.add(pd.DataFrame(
        [("a.csv", i + 2, f"K{i}", "missing_value", "code", f"line {i}\nsecond line",
          f'K{i};"quoted; value"') for i in range(count)],
        columns=["file", "line", "key", "rule", "field", "message", "record"]))
    log.into(ImportReport(entity="articles", mode="create", dry_run=False, files=["a.csv"]))
    return folder


def test_rejections_page_through_the_file_in_order(comptoir_home: Path) -> None:
    batch = str(uuid.uuid4())
    _rejections(batch, 25)
    lines: list[int | None] = []
    after = None
    while True:
        page = page_rejections(batch, after=after, size=10)
        lines += [r.line for r in page.items]
        after = page.next
        if after is None:
            break
    assert lines == list(range(2, 27))
    first = page_rejections(batch, size=1).items[0]
    assert (first.file, first.key, first.rule, first.field) == ("a.csv", "K0", "missing_value",
                                                               "code")
    assert first.message == "line 0\nsecond line" and first.quote == 'K0;"quoted; value"'


def test_a_rejection_cursor_inside_the_header_is_refused(comptoir_home: Path) -> None:
    batch = str(uuid.uuid4())
    _rejections(batch, 2)
    with pytest.raises(ValueError, match="not a cursor"):
        page_rejections(batch, after="3")


def test_report_files_are_confined_to_the_import_reports(comptoir_home: Path) -> None:
    batch = str(uuid.uuid4())
    folder = _rejections(batch, 1)
    (comptoir_home / "comptoir.db").write_text("secret")
    assert report_file(f"{batch}/rejections.csv") == (folder / "rejections.csv").resolve()
    for escape in ("../../comptoir.db", "/etc/passwd", f"{batch}/../../../comptoir.db",
                   "..\\..\\comptoir.db", "a\x00b"):
        with pytest.raises(ValueError):
            report_file(escape)
    (folder / "out").symlink_to(comptoir_home)
    with pytest.raises(ValueError, match="outside"):
        report_file(f"{batch}/out/comptoir.db")
    with pytest.raises(FileNotFoundError):
        report_file(f"{batch}/missing.html")


def test_run_links_find_the_report_and_its_data_docs(comptoir_home: Path) -> None:
    batch = str(uuid.uuid4())
    folder = _rejections(batch, 1)
    docs = reports_root() / "data_docs" / "pass-1" / "validations" / "v.html"
    docs.parent.mkdir(parents=True)
    docs.write_text("<html></html>")
    report = ImportReport(entity="articles", mode="create", dry_run=False, files=["a.csv"],
                          batch_id=batch)
    write_html(report, folder / "report.html", data_docs="../data_docs/pass-1/validations/v.html")
    assert run_links(batch) == {"report": f"{batch}/report.html",
                                "data_docs": "data_docs/pass-1/validations/v.html",
                                "rejections": f"{batch}/rejections.csv"}
