"""The shared period convention: every period value's bounds, the custom dates' checks
and the report's first line."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pydantic import ValidationError

from comptoir.editions.periods import PERIODS, PeriodOptions, bounds, period_line

RUN = dt.date(2026, 1, 7)  # a Wednesday
D = dt.date


@pytest.mark.parametrize(("period", "expected"), [
    ("yesterday", (D(2026, 1, 6), D(2026, 1, 6))),
    ("today", (D(2026, 1, 7), D(2026, 1, 7))),
    ("current_week", (D(2026, 1, 5), D(2026, 1, 11))),
    ("previous_week", (D(2025, 12, 29), D(2026, 1, 4))),
    ("current_month", (D(2026, 1, 1), D(2026, 1, 31))),
    ("previous_month", (D(2025, 12, 1), D(2025, 12, 31))),
    ("current_year", (D(2026, 1, 1), D(2026, 12, 31))),
    ("previous_year", (D(2025, 1, 1), D(2025, 12, 31))),
    ("last_7_days", (D(2025, 12, 31), D(2026, 1, 6))),
    ("last_30_days", (D(2025, 12, 8), D(2026, 1, 6))),
    ("custom", (D(2025, 11, 3), D(2025, 11, 9))),
])
def test_each_period_gives_its_days_both_ends_included(period, expected):
    options = ({"date_from": "2025-11-03", "date_to": "2025-11-09"}
               if period == "custom" else {})
    assert PeriodOptions.model_validate({"period": period, **options}).bounds(RUN) == expected
    assert bounds(period, RUN, *((D(2025, 11, 3), D(2025, 11, 9))
                                 if period == "custom" else ())) == expected


def test_every_period_value_is_covered():
    assert len(PERIODS) == 11


def test_month_ends_and_a_sunday_run():
    assert bounds("current_month", D(2024, 2, 10)) == (D(2024, 2, 1), D(2024, 2, 29))
    assert bounds("previous_month", D(2026, 3, 31)) == (D(2026, 2, 1), D(2026, 2, 28))
    assert bounds("current_week", D(2026, 1, 11)) == (D(2026, 1, 5), D(2026, 1, 11))
    assert bounds("current_week", D(2026, 1, 5)) == (D(2026, 1, 5), D(2026, 1, 11))


@pytest.mark.parametrize(("options", "message"), [
    ({"period": "custom"}, "period custom needs date_from and date_to"),
    ({"period": "custom", "date_from": "2026-01-01"}, "period custom needs date_from and date_to"),
    ({"period": "custom", "date_from": "2026-01-09", "date_to": "2026-01-08"},
     "date_from 2026-01-09 is after date_to 2026-01-08"),
    ({"period": "yesterday", "date_from": "2026-01-01"},
     "date_from: only with period custom (period is yesterday)"),
    ({"period": "last_7_days", "date_from": "2026-01-01", "date_to": "2026-01-02"},
     "date_from, date_to: only with period custom (period is last_7_days)"),
    ({"period": "last_week"}, "Input should be 'yesterday'"),
])
def test_the_definition_is_refused(options, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        PeriodOptions.model_validate(options)


def test_a_single_day_custom_period_and_the_report_line():
    options = PeriodOptions.model_validate(
        {"period": "custom", "date_from": "2026-01-06", "date_to": "2026-01-06"})
    assert period_line(*options.bounds(RUN)) == "Période : du 06/01/2026 au 06/01/2026"
    assert PeriodOptions().period == "yesterday"
