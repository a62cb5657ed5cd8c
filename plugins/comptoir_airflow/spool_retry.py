"""The spool retry DAG: delivers pending files of every site's tasks, every 15 minutes."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from comptoir.automation.definitions import load_folder
from comptoir_airflow.operators import SpoolRetryOperator

DAG_ID = "comptoir_spool_retry"
DEFAULT_SITE = "central"


def sites() -> list[str]:
    """The sites of the tasks that deliver files (at least the default one)."""
    found = {d.site for d in load_folder().definitions if d.output is not None}
    return sorted(found or {DEFAULT_SITE})


def build_spool_retry_dag(schedule: str = "*/15 * * * *") -> DAG:
    """One task per site, each on its site's queue."""
    dag = DAG(
        dag_id=DAG_ID,
        dag_display_name="Spool retry",
        description="Delivers the files left in the spools by failed deliveries",
        schedule=schedule,
        start_date=datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=["Système", "spool", "comptoir"],
        doc_md=(
            "### Spool retry\n\nFiles wait in `var/spool/UPDATE-<task id>/` until they are "
            "delivered. A delivery that failed (server down, login refused, ...) leaves them "
            "there; this DAG tries again every 15 minutes, and every run of the task "
            "delivers its pending files first. Nothing is ever removed from a spool before "
            "its delivery succeeded.\n\nOne task per site, on the site's queue. Scheduled "
            "runs are skipped in isolated or school mode; trigger it by hand to force a try."
        ),
        default_args={"owner": "comptoir", "retries": 0},
    )
    for site in sites():
        SpoolRetryOperator(task_id=f"retry_{site}", site=site, queue=site, dag=dag)
    return dag
