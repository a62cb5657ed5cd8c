"""The spool retry: its DAG (every 15 minutes, one task per site), and the command.

    python -m comptoir_airflow.spool_retry [TASK]

delivers what waits in every spool of this machine (or TASK's), as `comptoir spool retry`
asks; prints each task's outcome, then a line `COMPTOIR-SPOOL [outcomes as JSON]`; exit
status 0 when nothing is left, 1 when a delivery failed, 3 when Airflow could not be
prepared (see `comptoir_airflow.preparation`).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from airflow.sdk import DAG

from comptoir.automation.definitions import delivering_sites
from comptoir_airflow.operators import SpoolRetryOperator

DAG_ID = "comptoir_spool_retry"
DEFAULT_SITE = "central"


def sites() -> list[str]:
    """The sites of the tasks that deliver files (at least the default one).

    Read from the definition files without validating them: this runs at every parse.
    """
    return sorted(delivering_sites() or {DEFAULT_SITE})


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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module's documentation)."""
    from comptoir.automation import runner
    from comptoir.embedded import SPOOL_MARKER
    from comptoir_airflow.exchange.factory import transport_for
    from comptoir_airflow.preparation import prepared

    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print("usage: python -m comptoir_airflow.spool_retry [TASK]", file=sys.stderr)
        return 2
    if not prepared():  # connections may live in the metadata database
        return 3
    outcomes = runner.retry_spools(transport_for, task_id=args[0] if args else None,
                                   log=print)
    print(SPOOL_MARKER + json.dumps([o.to_dict() for o in outcomes]), flush=True)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
