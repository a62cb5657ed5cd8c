"""Rejected records in a run's outcome: a warning by default, a failure on request.

A run that wrote what passed and rejected the rest succeeds (exit status 3 of the
contracts): its report says how many were rejected as a `warning`, so it does not look
like a clean run. Types that reject records offer `fail_on_rejections` for those who
want such a run to fail; what was accepted is written either way.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

__all__ = ["fail_on_rejections_field", "verdict"]


def fail_on_rejections_field(what: str, section: str) -> Any:
    """The `fail_on_rejections` option (off), `what` being the records ("records",
    "tickets"), in the trigger form's `section`."""
    return Field(
        default=False,
        title="Fail on rejections",
        description=f"Fail the run when any of its {what} is rejected. The accepted {what} "
        "are still written and the files filed in done/; the report says how many were "
        "rejected. Off: rejections make the run's report a warning.",
        json_schema_extra={"section": section},
    )


def verdict(error: str | None, rejections: str | None,
            fail_on_rejections: bool) -> tuple[str | None, str | None]:
    """The outcome's `(error, warning)` from the run's own error and its rejections
    ("6 of 6 records rejected ...", None when none were)."""
    if rejections and fail_on_rejections:
        failed = f"fail_on_rejections: {rejections}"
        return (f"{error}; {failed}" if error else failed), None
    return error, (None if error else rejections)
