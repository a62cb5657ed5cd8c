"""Run DAGs now, through Airflow's own code path (`dag.test()`), and say how each went.

    python -m comptoir_airflow.run_task DAG_ID [DAG_ID ...] [--conf JSON]

Started by `comptoir tasks run` and `comptoir nightly` in the embedded Airflow environment;
several DAGs in one process pay Airflow's start-up once. A run is a manual run (isolated
and school modes do not stop it) and does not wait for retries: whoever started it is there
to start it again. After each DAG a line `COMPTOIR-RUN {"dag_id": ..., "run_id": ...,
"state": ..., "tasks": {...}}` is printed; the exit status is 0 when every run succeeded,
1 when one failed, 2 when a DAG could not be found, 3 when Airflow could not be prepared
(see `comptoir_airflow.preparation`).

Runs started this way on one Airflow home take turns, through lock files of its
`comptoir-locks/` folder: `run-<DAG id>.lock` for the whole run of one DAG, and
`runs.lock` around `dag.test()`, which writes every DAG of the folder into the metadata
database (two first runs at once, even of different DAGs, would insert the same rows).
Whoever has to wait is told so in one line.

Each task instance's log is also written where the Airflow UI reads it (the Airflow
home's task log folder, see `comptoir_airflow.task_logs`): `dag.test()` alone writes none.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from comptoir import paths
from comptoir.embedded import RESULT_MARKER
from comptoir.exchange.files import locked
from comptoir_airflow.preparation import notice, prepared
from comptoir_airflow.task_logs import task_log_files

RUNS_LOCK = "runs.lock"


def _dag(dag_id: str):  # type: ignore[no-untyped-def]
    """The DAG `dag_id`: a task's DAG is built alone (parsing context), others from dags/."""
    from airflow.dag_processing.dagbag import DagBag

    dags = Path(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER", "dags"))
    os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = dag_id
    try:
        found = DagBag(dag_folder=str(dags / "comptoir_tasks.py"), safe_mode=False).dags.get(dag_id)
        if found is None:
            found = DagBag(dag_folder=str(dags), safe_mode=False).dags.get(dag_id)
    finally:
        os.environ.pop("_AIRFLOW_PARSING_CONTEXT_DAG_ID", None)
    return found


def run(task_id: str, conf: dict | None = None) -> dict:
    """Run the DAG of `task_id` once; return its run id, state and task states."""
    dag = _dag(task_id)
    if dag is None:
        return {"dag_id": task_id, "run_id": None, "state": "not_found", "tasks": {}}
    for task in dag.tasks:
        task.retries = 0
    from airflow.utils.session import create_session

    locks = paths.airflow_locks_dir()
    same = f"another run of {task_id} is in progress: waiting for it to finish"
    other = "another run is using this Airflow home: waiting for it to finish"
    with locked(locks / f"run-{task_id}.lock", on_wait=lambda: notice(same)), \
            locked(locks / RUNS_LOCK, on_wait=lambda: notice(other)):
        with task_log_files():
            dag_run = dag.test(run_conf=conf or None)
        with create_session() as session:
            tis = dag_run.get_task_instances(session=session)
            states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in tis}
    tasks = {task.task_id: states.get(task.task_id, "none") for task in dag.tasks}
    state = str(getattr(dag_run.state, "value", dag_run.state))
    return {"dag_id": task_id, "run_id": dag_run.run_id, "state": state, "tasks": tasks}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m comptoir_airflow.run_task")
    parser.add_argument("dag_ids", nargs="+", metavar="DAG_ID")
    parser.add_argument("--conf", default=None, help="JSON object: options for this run")
    args = parser.parse_args(argv)
    if args.conf and len(args.dag_ids) > 1:
        parser.error("--conf goes with one DAG")
    conf = json.loads(args.conf) if args.conf else None
    if not prepared():
        return 3
    states = []
    for dag_id in args.dag_ids:
        result = run(dag_id, conf)
        states.append(result["state"])
        sys.stdout.flush()
        print(RESULT_MARKER + json.dumps(result), flush=True)
    if "not_found" in states:
        return 2
    return 0 if all(state == "success" for state in states) else 1


if __name__ == "__main__":
    sys.exit(main())
