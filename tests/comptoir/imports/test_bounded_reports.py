"""Reports stay bounded whatever the file: counts per rule whole, the first rejections of
each rule listed, every one in rejections.csv, long values cut, a summary in the database."""

from __future__ import annotations

import csv
import json

from sqlalchemy import text

from comptoir.imports.rejections import CUT, RejectionLog, cut
from comptoir.imports.report import SUMMARY_REJECTIONS


def customers(n: int, regime: str = "XX") -> str:
    return "CODE;DESIG;REGIME_CODE\n" + "".join(f"C{i:04d};Client {i};{regime}\n"
                                               for i in range(n))


def test_the_first_rejections_of_each_rule_are_listed_and_all_are_counted(
        dossier_url, engine, files, imp) -> None:
    text_ = customers(40) + "C0001;Twice;XX\n"
    report = imp("customers", files("customers.csv", text_), listed_per_rule=5)

    assert (report.records, report.rejected, report.exit_code) == (41, 41, 3)
    assert report.rejections_by_rule == {"duplicate_in_file": 1, "unknown_regime": 41}
    listed = [r.rule for r in report.rejections]
    assert listed.count("unknown_regime") == 5 and listed.count("duplicate_in_file") == 1
    assert [r.line for r in report.rejections] == sorted(r.line for r in report.rejections)

    data = json.loads((report.folder / "report.json").read_text())
    assert data["rejections_by_rule"]["unknown_regime"] == 41
    assert data["rejections_complete"] is False
    assert data["rejections_file"] == "rejections.csv"
    with (report.folder / "rejections.csv").open(encoding="utf-8", newline="") as handle:
        every = list(csv.DictReader(handle, delimiter=";"))
    assert len(every) == 42
    assert set(every[0]) == {"file", "line", "key", "rule", "field", "message", "record"}
    assert {r["line"] for r in every if r["rule"] == "unknown_regime"} == {
        str(n) for n in range(2, 43)}
    assert every[0]["record"] == "C0000;Client 0;XX"
    html = (report.folder / "report.html").read_text()
    assert "Rejections by rule" in html and 'href="rejections.csv"' in html

    with engine.connect() as conn:
        stored = json.loads(conn.execute(text("SELECT report FROM import_batches WHERE id = :i"),
                                         {"i": report.batch_id}).scalar_one())
    assert len(stored["rejections"]) <= SUMMARY_REJECTIONS
    assert stored["rejections_by_rule"] == report.rejections_by_rule


def test_a_huge_field_is_quoted_cut_with_a_marker(dossier_url, files, imp) -> None:
    huge = "X" * 100_000  # long, yet under the reader's field limit: read and controlled
    report = imp("customers", files("customers.csv",
                                    f"CODE;DESIG;REGIME_CODE\nC1;{huge};XX\n"))
    (rejection,) = [r for r in report.rejections if r.rule == "unknown_regime"]
    assert rejection.quote.endswith("[cut: 100006 characters]")
    assert len(rejection.quote) < CUT + 50
    assert (report.folder / "report.json").stat().st_size < 20_000
    assert (report.folder / "report.html").stat().st_size < 20_000
    assert (report.folder / "rejections.csv").stat().st_size < 20_000


def test_a_run_without_rejections_writes_no_csv(dossier_url, files, imp) -> None:
    imp("regimes", files("regimes.csv", "CODE;DESIG\nFR;France\n"))
    report = imp("customers", files("customers.csv", customers(3, "FR")))
    assert report.exit_code == 0 and report.rejections_file is None
    assert not (report.folder / "rejections.csv").exists()
    assert json.loads((report.folder / "report.json").read_text())["rejections_complete"]


def test_cut_keeps_short_text_and_marks_long_text() -> None:
    assert cut("abc", 5) == "abc"
    assert cut("abcdefgh", 5) == "abcde… [cut: 8 characters]"


def test_the_log_lists_per_rule_across_slices(tmp_path) -> None:
    import pandas as pd

    log = RejectionLog(tmp_path / "r.csv", per_rule=3)
    for start in (0, 10):
        log.add(pd.DataFrame({"file": "f.csv", "line": range(start, start + 4), "key": "k",
                              "rule": "unknown_vat", "field": "TVA_CODE", "message": "m",
                              "record": "r"}))
    log.close()
    assert log.by_rule == {"unknown_vat": 8} and [r.line for r in log.listed] == [0, 1, 2]
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 9
