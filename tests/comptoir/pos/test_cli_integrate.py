"""`comptoir pos integrate` and `comptoir pos log` as a user runs them."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from comptoir.cli import app
from tests.comptoir.pos.pos_data import sale, seed, ticket_file


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", dossier_url)
    seed(engine)
    return engine


def test_integrate_exits_3_with_a_rejected_ticket_and_copies_its_report(dossier,
                                                                        tmp_path) -> None:
    path = ticket_file(tmp_path, [sale(1), sale(2, article="ZX-404")])
    result = CliRunner().invoke(app, ["pos", "integrate", str(path), "--report",
                                      str(tmp_path / "r.json")])
    assert result.exit_code == 3, result.output
    assert "2 tickets, 1 integrated, 0 already integrated, 1 rejected" in result.output
    assert "ticket 2 line 1: unknown_article" in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["command"] == "pos integrate" and report["exit_code"] == 3
    assert report["totals"] == {"tickets": 2, "integrated": 1, "already_integrated": 0,
                                "rejected": 1, "refused_files": 0}
    assert report["files"][0]["rejections"][0]["rule"] == "unknown_article"

    again = CliRunner().invoke(app, ["pos", "integrate", str(path)])
    assert again.exit_code == 3  # the bad ticket is still bad; the good one already in
    assert "1 already integrated" in again.output


def test_a_refused_file_exits_1_and_the_log_lists_the_errors(dossier, tmp_path) -> None:
    bad = tmp_path / "TicDegMAG01C120260112183005.zip"
    bad.write_bytes(b"not a zip at all")
    result = CliRunner().invoke(app, ["pos", "integrate", str(bad)])
    assert result.exit_code == 1 and "refused (bad_zip)" in result.output

    listed = CliRunner().invoke(app, ["pos", "log", "--errors"])
    rows = list(csv.DictReader(io.StringIO(listed.output), delimiter=";"))
    assert [(r["level"], r["rule"], r["file"]) for r in rows] == [("error", "bad_zip", bad.name)]
    as_json = json.loads(CliRunner().invoke(app, ["pos", "log", "--json"]).output)
    assert as_json[0]["rule"] == "bad_zip" and as_json[0]["run_id"] == rows[0]["run_id"]


def test_files_and_inbox_together_are_a_usage_error(dossier, tmp_path) -> None:
    result = CliRunner().invoke(app, ["pos", "integrate", "x.zip", "--inbox", str(tmp_path)])
    assert result.exit_code == 2


def test_extract_writes_the_file_then_finds_nothing_more(dossier, tmp_path) -> None:
    from comptoir.pos.integration import integrate_files

    integrate_files(dossier, [ticket_file(tmp_path / "src", [sale(5), sale(6)])])
    first = CliRunner().invoke(app, ["pos", "extract", "--store", "MAG01", "--register", "C1",
                                     "--out", str(tmp_path / "out"), "--report",
                                     str(tmp_path / "x.json")])
    assert first.exit_code == 0, first.output
    assert "2 tickets (5–6) of MAG01 C1" in first.output
    report = json.loads((tmp_path / "x.json").read_text())
    assert report["tickets"] == 2 and report["file"].endswith(".zip")
    second = CliRunner().invoke(app, ["pos", "extract", "--store", "MAG01", "--register", "C1",
                                      "--out", str(tmp_path / "out")])
    assert second.exit_code == 0 and "nothing to extract" in second.output
    unknown = CliRunner().invoke(app, ["pos", "extract", "--store", "MAG01", "--register", "C9",
                                       "--out", str(tmp_path / "out")])
    assert unknown.exit_code == 1


def test_a_run_refused_by_the_lock_says_so_and_exits_1(dossier, dossier_url, tmp_path,
                                                       monkeypatch) -> None:
    from sqlalchemy import create_engine

    from comptoir.backoffice import lock
    from comptoir.pos.integration import STEP
    from comptoir.pos.step_transaction import WAIT_ENV

    path = ticket_file(tmp_path, [sale(1)])
    monkeypatch.setenv(WAIT_ENV, "0.3")
    holder_engine = create_engine(dossier_url)
    try:
        with holder_engine.connect() as holder:
            holder.begin()
            lock.acquire(holder, STEP, 1)
            result = CliRunner().invoke(app, ["pos", "integrate", str(path)])
            holder.rollback()
    finally:
        holder_engine.dispose()
    assert result.exit_code == 1
    assert "nothing was read or written" in result.output
