"""JSON reports kept with a task's run: `var/reports/<kind>/<task id>/<run id>.json`."""

from __future__ import annotations

from typing import Any

__all__ = ["save_run_report"]


def save_run_report(kind: str, task_id: str, run_id: str, document: Any) -> str:
    """Write the run's JSON report (atomically); its path."""
    from comptoir import paths
    from comptoir.exchange.files import atomic_write, json_bytes
    from comptoir.exchange.names import to_identifier

    target = paths.reports_dir() / kind / to_identifier(task_id) / f"{to_identifier(run_id)}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, json_bytes(document))
    return str(target)
