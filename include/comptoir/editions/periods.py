"""The period of an edition or of `passage_counters` (spec/retail-tasks.md, "Periods").

`period` is one of `PERIODS`; weeks are ISO weeks (Monday to Sunday), `last_7_days` and
`last_30_days` are the N days before the run date, and `custom` takes `date_from` and
`date_to` (both required, `date_from` ≤ `date_to`; refused with any other period). Both
ends are included. A type's options derive from `PeriodOptions`; a type whose default is
not `yesterday` redefines `period` with `period_field(default)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, model_validator

__all__ = ["PERIODS", "Period", "PeriodOptions", "bounds", "period_field", "period_line"]

Period = Literal["yesterday", "today", "current_week", "previous_week", "current_month",
                 "previous_month", "current_year", "previous_year", "last_7_days",
                 "last_30_days", "custom"]
PERIODS: tuple[str, ...] = get_args(Period)

DISPLAY = {
    "yesterday": "Hier", "today": "Aujourd'hui", "current_week": "Semaine en cours",
    "previous_week": "Semaine précédente", "current_month": "Mois en cours",
    "previous_month": "Mois précédent", "current_year": "Année en cours",
    "previous_year": "Année précédente", "last_7_days": "Les 7 derniers jours",
    "last_30_days": "Les 30 derniers jours", "custom": "Du … au … (date_from, date_to)",
}


def period_field(default: Period = "yesterday") -> Any:
    """The `period` option, with the type's default."""
    return Field(
        default=default, title="Period",
        description="The days covered, relative to the run date (weeks run Monday to "
        "Sunday; last_7_days: the 7 days before the run date). custom: from date_from to "
        "date_to, both included.",
        json_schema_extra={"section": "Period", "values_display": DISPLAY})


class PeriodOptions(BaseModel):
    """The options `period`, `date_from`, `date_to`, checked together."""

    period: Period = period_field()
    date_from: dt.date | None = Field(
        default=None, title="From", description="First day (period custom only).",
        json_schema_extra={"section": "Period"})
    date_to: dt.date | None = Field(
        default=None, title="To", description="Last day, included (period custom only).",
        json_schema_extra={"section": "Period"})

    @model_validator(mode="after")
    def _custom_dates(self) -> PeriodOptions:
        given = [name for name in ("date_from", "date_to") if getattr(self, name) is not None]
        if self.period != "custom":
            if given:
                raise ValueError(f"{', '.join(given)}: only with period custom (period is "
                                 f"{self.period})")
            return self
        if self.date_from is None or self.date_to is None:
            raise ValueError("period custom needs date_from and date_to")
        if self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    def bounds(self, run_date: dt.date) -> tuple[dt.date, dt.date]:
        """The first and last day of the period for a run on `run_date`."""
        return bounds(self.period, run_date, self.date_from, self.date_to)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def bounds(period: str, run_date: dt.date, date_from: dt.date | None = None,
           date_to: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first, last) day of `period` for a run on `run_date`, both included."""
    one = dt.timedelta(days=1)
    if period == "yesterday":
        return run_date - one, run_date - one
    if period == "today":
        return run_date, run_date
    if period in ("current_week", "previous_week"):
        monday = run_date - dt.timedelta(days=run_date.weekday())
        if period == "previous_week":
            monday -= dt.timedelta(days=7)
        return monday, monday + dt.timedelta(days=6)
    if period == "current_month":
        first = _month_start(run_date)
        return first, _month_start(first + dt.timedelta(days=31)) - one
    if period == "previous_month":
        last = _month_start(run_date) - one
        return _month_start(last), last
    if period == "current_year":
        return dt.date(run_date.year, 1, 1), dt.date(run_date.year, 12, 31)
    if period == "previous_year":
        return dt.date(run_date.year - 1, 1, 1), dt.date(run_date.year - 1, 12, 31)
    if period in ("last_7_days", "last_30_days"):
        days = 7 if period == "last_7_days" else 30
        return run_date - dt.timedelta(days=days), run_date - one
    if period == "custom":
        if date_from is None or date_to is None:
            raise ValueError("period custom needs date_from and date_to")
        return date_from, date_to
    raise ValueError(f"unknown period {period!r}; known: {', '.join(PERIODS)}")


def period_line(first: dt.date, last: dt.date) -> str:
    """The report's first line: `Période : du DD/MM/YYYY au DD/MM/YYYY`."""
    return f"Période : du {first:%d/%m/%Y} au {last:%d/%m/%Y}"
