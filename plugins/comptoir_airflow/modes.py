"""Isolated and school modes as seen from a running Airflow task."""

from __future__ import annotations

from typing import Any

from comptoir.automation import modes


def _variable(name: str) -> str | None:
    from airflow.sdk import Variable

    try:
        value = Variable.get(name, default=None)
    except Exception:  # a Variable backend that is down must not stop the task
        return None
    return None if value is None else str(value)


def skip_reason(context: Any) -> str | None:
    """Why this run must do nothing (an automatic run while a mode is on), else None."""
    raw = getattr(context["dag_run"], "run_type", "manual")
    run_type = str(getattr(raw, "value", raw))
    if run_type in modes.BY_HAND:
        return None
    from comptoir.backoffice.engine import get_engine

    with get_engine().connect() as conn:
        dossier = modes.modes_on(conn)
    variables = {name: _variable(name) for name in modes.AIRFLOW_VARIABLES.values()}
    return modes.skip_reason(run_type, dossier, variables)
