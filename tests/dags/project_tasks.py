"""The DAG the project's task file builds for one task, parsed anew (a run's conf stays in
the params of the DAG object it ran)."""

from __future__ import annotations

from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

ROOT = Path(__file__).resolve().parents[2]


def project_dag(task_id: str):  # type: ignore[no-untyped-def]
    """The DAG of `task_id` from `dags/comptoir_tasks.py`."""
    return DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags[task_id]
