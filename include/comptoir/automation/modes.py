"""Isolated mode and school mode: while either is on, scheduled runs are skipped.

A mode is on when the dossier's setting says so (`comptoir mode isolated on`, setting
`isolated_mode` / `school_mode`) or when the Airflow Variable of the same meaning does
(`comptoir_isolated_mode` / `comptoir_school_mode` = `on`, switchable in the UI under
Admin > Variables). Runs started by hand (UI, CLI, backfill) always execute.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from comptoir.backoffice.settings import get_setting, set_setting
from comptoir.errors import ComptoirError

__all__ = ["AIRFLOW_VARIABLES", "BY_HAND", "MODES", "UnknownMode", "is_on", "modes_on",
           "set_mode", "skip_reason"]

MODES: dict[str, str] = {"isolated": "isolated_mode", "school": "school_mode"}
"""Mode name -> dossier setting."""

AIRFLOW_VARIABLES: dict[str, str] = {
    "isolated": "comptoir_isolated_mode", "school": "comptoir_school_mode",
}
"""Mode name -> Airflow Variable."""

BY_HAND = frozenset({"manual", "backfill"})
"""Airflow run types started by a person; every other run type is automatic."""

_LABELS = {"isolated": "isolated mode", "school": "school mode"}


class UnknownMode(ComptoirError):
    """A mode other than `isolated` or `school`."""


def is_on(value: str | None) -> bool:
    """`on`, `true`, `yes`, `1` (any case) mean on."""
    return (value or "").strip().lower() in {"on", "true", "yes", "1"}


def _check(mode: str) -> str:
    if mode not in MODES:
        raise UnknownMode(f"unknown mode {mode!r}: use {' or '.join(MODES)}")
    return mode


def modes_on(conn: Connection) -> dict[str, bool]:
    """Each mode and whether the dossier has it on."""
    return {mode: is_on(get_setting(conn, key)) for mode, key in MODES.items()}


def set_mode(conn: Connection, mode: str, on: bool) -> None:
    """Switch a mode in the dossier."""
    set_setting(conn, MODES[_check(mode)], "on" if on else "off")


def skip_reason(
    run_type: str,
    dossier: Mapping[str, bool],
    variables: Mapping[str, str | None] | None = None,
) -> str | None:
    """Why an automatic run must not execute, or None when it must."""
    if run_type in BY_HAND:
        return None
    variables = variables or {}
    for mode in MODES:
        sources = []
        if dossier.get(mode):
            sources.append(f"dossier setting {MODES[mode]}")
        if is_on(variables.get(AIRFLOW_VARIABLES[mode])):
            sources.append(f"Airflow Variable {AIRFLOW_VARIABLES[mode]}")
        if sources:
            return (f"Skipped: {_LABELS[mode]} is on ({', '.join(sources)}); scheduled runs "
                    "do nothing, start the task by hand to run it")
    return None
