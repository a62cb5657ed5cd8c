"""`comptoir.cli.output`: the three forms of a listing (JSON, terminal table, plain rows)."""

import io
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from comptoir.cli import output
from comptoir.cli.output import (
    FORCE_TERMINAL_ENV,
    json_document,
    plain_cell,
    plain_line,
    print_listing,
    stdout_is_terminal,
)

COLUMNS = ("name", "value")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_cells_stay_on_one_line_and_keep_every_character():
    assert plain_cell(None) == ""
    assert plain_cell("a\nb\tc\r\\d") == "a\\nb\\tc\\r\\\\d"
    assert plain_cell(["x = 1", "y = 'a'"]) == "x = 1; y = 'a'"
    assert plain_cell(datetime(2026, 3, 1, 9, 5, 7, 123, tzinfo=UTC)) == "2026-03-01T09:05:07+00:00"
    assert plain_line(["a", None, 3]) == "a\t\t3\n"
    long = "n" * 500
    assert plain_line([long, "é — [bold]x[/bold]"]) == f"{long}\té — [bold]x[/bold]\n"


def test_plain_rows_have_a_header_and_one_line_per_record(capsys, monkeypatch):
    monkeypatch.delenv(FORCE_TERMINAL_ENV, raising=False)
    monkeypatch.setenv("COLUMNS", "20")
    print_listing(COLUMNS, [("a" * 120, "one\ntwo"), {"name": "b", "value": None}])
    out = capsys.readouterr().out
    assert out == f"name\tvalue\n{'a' * 120}\tone\\ntwo\nb\t\n"


def test_json_is_the_only_thing_on_stdout(capsys):
    print_listing(COLUMNS, [("é", Decimal("1.50")), {"value": datetime(2026, 1, 2, 3, 4, 5)}],
                  as_json=True)
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [{"name": "é", "value": "1.50"},
                                        {"name": None, "value": "2026-01-02T03:04:05"}]
    assert "é" in captured.out  # ensure_ascii=False
    assert captured.err == ""
    print_listing(COLUMNS, [], as_json=True, json_data={"state": "x", "file": Path("/a")})
    assert json.loads(capsys.readouterr().out) == {"state": "x", "file": "/a"}
    print_listing(COLUMNS, [], as_json=True)
    assert json.loads(capsys.readouterr().out) == []


def test_json_is_utf8_whatever_the_locale(monkeypatch):
    raw = io.BytesIO()
    latin = io.TextIOWrapper(raw, encoding="latin-1")
    monkeypatch.setattr(sys, "stdout", latin)
    output.print_json({"title": "a — é"})
    assert json.loads(raw.getvalue().decode("utf-8")) == {"title": "a — é"}


def test_terminal_detection(monkeypatch):
    monkeypatch.delenv(FORCE_TERMINAL_ENV, raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert not stdout_is_terminal()
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    assert stdout_is_terminal()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv(FORCE_TERMINAL_ENV, "1")
    assert stdout_is_terminal()


def test_a_terminal_gets_a_table_that_shows_markup_as_typed(monkeypatch, capsys):
    monkeypatch.setenv(FORCE_TERMINAL_ENV, "1")
    print_listing(COLUMNS, [("[bold]x[/bold]", ["a", "b"]), ("y", None)])
    out = capsys.readouterr().out
    assert "┃ name" in out and "\t" not in out
    assert "[bold]x[/bold]" in out
    assert "│ -" in out  # an empty value


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="3 values for 2 columns"):
        print_listing(COLUMNS, [("a", "b", "c")])


def test_json_document_ends_with_a_newline():
    assert json_document([]) == "[]\n"
