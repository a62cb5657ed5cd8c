"""Run one task's DAG now, through Airflow's own code path (`dag.test()`), and say how it went.

    python -m comptoir_airflow.run_task TASK_ID [--conf JSON]

Started by `comptoir tasks run` in the embedded Airflow environment. The run is a manual
run (isolated and school modes do not stop it) and does not wait for retries: whoever
started it is there to start it again. The last line printed is
`COMPTOIR-RUN {"run_id": ..., "state": ..., "tasks": {...}}`; the exit status is 0 when
the run succeeded, 1 when it failed, 2 when the DAG could not be found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

RESULT_MARKER = "COMPTOIR-RUN "


def _dag(task_id: str):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    dags_file = Path(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER", "dags")) / "comptoir_tasks.py"
    os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = task_id
    try:
        bag = DagBag(dag_folder=str(dags_file), safe_mode=False)
    finally:
        os.environ.pop("_AIRFLOW_PARSING_CONTEXT_DAG_ID", None)
    return bag.dags.get(task_id)


def run(task_id: str, conf: dict | None = None) -> dict:
    """Run the DAG of `task_id` once; return its run id, state and task states."""
    dag = _dag(task_id)
    if dag is None:
        return {"run_id": None, "state": "not_found", "tasks": {}}
    for task in dag.tasks:
        task.retries = 0
    dag_run = dag.test(run_conf=conf or None)
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = dag_run.get_task_instances(session=session)
        states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in tis}
    tasks = {task.task_id: states.get(task.task_id, "none") for task in dag.tasks}
    state = str(getattr(dag_run.state, "value", dag_run.state))
    return {"run_id": dag_run.run_id, "state": state, "tasks": tasks}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m comptoir_airflow.run_task")
    parser.add_argument("task_id")
    parser.add_argument("--conf", default=None, help="JSON object: options for this run")
    args = parser.parse_args(argv)
    conf = json.loads(args.conf) if args.conf else None
    result = run(args.task_id, conf)
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(result), flush=True)
    if result["state"] == "not_found":
        return 2
    return 0 if result["state"] == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
