"""Property-based: whatever bytes or CSV a user feeds, the answer is a report or a clear
file-level error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.backoffice import migrate
from comptoir.imports.errors import ImportFileError
from comptoir.imports.readers import read_csv
from comptoir.imports.service import run_import
from comptoir.imports.xml_reader import read_sales_xml

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_dossier(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'dossier.db'}"
    migrate.upgrade(url)
    return url


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_are_read_or_refused_clearly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    try:
        raw = read_csv(path, sep=";", known=["CODE", "DESIG"], mandatory=["CODE"])
    except ImportFileError as exc:
        assert str(exc).startswith("any.csv")
        return
    assert raw.frame["_line"].is_monotonic_increasing
    assert (raw.frame["_line"] >= 2).all()


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_as_xml_are_read_or_refused_clearly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.xml"
    path.write_bytes(b"<PIECES>" + data + b"</PIECES>")
    try:
        docs = read_sales_xml(path, header_columns=["CLIENT_CODE", "TYPE"],
                              line_columns=["ART_CODE"])
    except ImportFileError as exc:
        assert str(exc).startswith("any.xml")
        return
    assert set(docs.lines["_doc"]) <= set(docs.headers["_doc"])


FIELD = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)
ROW = st.lists(FIELD, min_size=0, max_size=4)


def _csv(rows: list[list[str]], quote: bool) -> str:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote else value
    return "\n".join(";".join(cell(v) for v in row) for row in rows)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["CODE", "DESIG", " code ", "Other", ""]), min_size=1,
                       max_size=4),
       body=st.lists(ROW, max_size=6), quote=st.booleans(),
       encoding=st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]))
def test_arbitrary_csv_gives_a_report(fuzz_dossier: str, tmp_path: Path, header: list[str],
                                     body: list[list[str]], quote: bool, encoding: str) -> None:
    path = tmp_path / "regimes.csv"
    path.write_bytes(_csv([header, *body], quote).encode(encoding, errors="replace"))
    report = run_import("regimes", path, url=fuzz_dossier, report_dir=tmp_path / "report",
                        dry_run=True)
    assert report.exit_code in (0, 1, 3)
    if report.error is None:
        assert report.records == report.accepted + report.rejected
        assert all(r.rule in {"required", "invalid_value", "duplicate_in_file",
                              "already_exists"} for r in report.rejections)
    else:
        assert report.written == {}
