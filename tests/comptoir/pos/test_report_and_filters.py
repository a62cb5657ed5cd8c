"""The POS run report (common keys, amounts as strings, capped lists) and the filters."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from comptoir.pos.filters import FilterError, Range, TicketFilters, parse_range, parse_until
from comptoir.pos.report import LIST_LIMIT, Exit, RunReport, money


def test_amounts_are_strings_rounded_half_away_from_zero() -> None:
    assert money(Decimal("130.555")) == "130.56"
    assert money(Decimal("-0.005")) == "-0.01"
    assert money(3) == "3.00"


def test_the_report_has_the_common_keys_and_is_written_under_its_run_id(
        comptoir_home, tmp_path) -> None:
    report = RunReport("pos invoice", dry_run=True)
    report.put_list("documents", list(range(LIST_LIMIT + 5)))
    report.body["tickets_selected"] = LIST_LIMIT + 5
    path = report.finish(copy_to=tmp_path / "copy" / "r.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert path == comptoir_home / "reports" / "pos" / f"{report.run_id}.json"
    assert {"command", "run_id", "started_at", "finished_at", "dry_run", "exit_code", "error",
            "warnings"} <= set(data)
    assert data["exit_code"] == 0 and data["error"] is None and data["dry_run"] is True
    assert len(data["documents"]) == LIST_LIMIT and data["documents_truncated"] is True
    assert data["tickets_selected"] == LIST_LIMIT + 5
    assert json.loads((tmp_path / "copy" / "r.json").read_text()) == data


def test_a_refused_run_says_its_rule_and_exits_1() -> None:
    report = RunReport("pos post")
    report.refuse("classic_mode", "POS invoices are posted by accounting post-documents")
    assert report.exit_code == Exit.REFUSED
    assert report.to_dict()["error"] == {"rule": "classic_mode", "message":
                                         "POS invoices are posted by accounting post-documents"}


@pytest.mark.parametrize(("text", "numbers", "expected"), [
    ("C1:C3", False, Range("C1", "C3")),
    (":C0050", False, Range(None, "C0050")),
    ("148:", True, Range(148, None)),
    ("", False, Range()),
    (None, True, Range()),
])
def test_ranges_are_inclusive_and_open_on_an_empty_side(text, numbers, expected) -> None:
    assert parse_range(text, numbers=numbers) == expected


@pytest.mark.parametrize(("text", "numbers"), [("C1", False), ("a:b:c", False),
                                               ("x:9", True), ("9:1", True), ("B:A", False)])
def test_a_bad_range_is_a_usage_error(text, numbers) -> None:
    with pytest.raises(FilterError) as caught:
        parse_range(text, numbers=numbers, option="tickets")
    assert caught.value.exit_code == 2 and "--tickets" in str(caught.value)


def test_ticket_numbers_compare_as_integers_and_codes_as_text() -> None:
    assert Range(9, 148).holds(10) and not Range(9, 148).holds(149)
    assert Range("C1", "C3").holds("C10")  # text: C10 sorts between C1 and C3


def test_until_defaults_to_today_and_reads_dates() -> None:
    today = dt.date(2026, 1, 12)
    assert parse_until(None, today) == today
    assert parse_until("yesterday", today) == dt.date(2026, 1, 11)
    assert parse_until("2026-01-01", today) == dt.date(2026, 1, 1)
    with pytest.raises(FilterError):
        parse_until("12/01/2026", today)
    filters = TicketFilters.parse(until="2026-01-10", stores=["MAG01"], tickets="1:5",
                                  today=today)
    assert filters.until == dt.date(2026, 1, 10) and filters.tickets == Range(1, 5)
