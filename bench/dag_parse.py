"""Parse time of `dags/comptoir_tasks.py` with 1,000 task definitions in the tasks folder.

    python bench/dag_parse.py [COUNT]

Writes COUNT definitions (exports per store, maintenances, backups; every delivery
method) into a temporary tasks folder, then times what the dag-processor does with the
file: import it and bag its DAGs (`DagBag`), after one warm-up parse that loads the
imports. Also times the parse Airflow does to run one task (parsing context set).
Exits 1 when the full parse takes 2 seconds or more.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_SECONDS = 2.0

DELIVERIES = [
    {"method": "local", "path": "bench"},
    {"method": "sftp", "conn_id": "sftp_partner", "directory": "/in"},
    {"method": "ftp", "conn_id": "ftp_partner", "directory": "in"},
    {"method": "email", "to": "compta@example.com", "subject": "Export"},
]
ENTITIES = ["customers", "stock", "sales_documents", "articles", "suppliers", "pos_tickets"]


def definition(n: int) -> dict:
    kind = n % 10
    base = {"id": f"bench-{n:04d}", "name": f"Bench task {n}", "site": f"mag-{n % 6 + 1:02d}",
            "schedule": f"{n % 60} {n % 24} * * *"}
    if kind == 8:
        return {**base, "type": "db_maintenance", "options": {"vacuum": n % 2 == 0}}
    if kind == 9:
        return {**base, "type": "db_backup", "options": {"retention": 5},
                "output": {"delivery": DELIVERIES[0]}}
    entity = ENTITIES[n % len(ENTITIES)]
    per_store = entity in {"customers", "stock", "sales_documents", "pos_tickets"}
    return {**base, "type": "export_data",
            "options": {"entity": entity, "separator": ";", "encoding": "cp1252"},
            "output": {"filename": f"{entity}-{{mag:code}}-{{y}}{{m}}{{d}}.csv" if per_store
                       else f"{entity}-{{y}}{{m}}{{d}}.csv",
                       "delivery": DELIVERIES[n % len(DELIVERIES)]},
            "report": {"email": "it@example.com"} if n % 7 == 0 else {}}


def main(count: int = 1000) -> int:
    folder = Path(tempfile.mkdtemp(prefix="comptoir-bench-tasks-"))
    for n in range(count):
        (folder / f"bench-{n:04d}.json").write_text(
            json.dumps({"comptoir_tasks": 1, "tasks": [definition(n)]}), encoding="utf-8")
    os.environ["COMPTOIR_TASKS_DIR"] = str(folder)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    sys.path.insert(0, str(ROOT / "plugins"))

    from airflow.dag_processing.dagbag import DagBag

    dag_file = str(ROOT / "dags" / "comptoir_tasks.py")
    DagBag(dag_folder=dag_file)  # warm-up: imports, as in a running dag-processor
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        bag = DagBag(dag_folder=dag_file)
        runs.append(time.perf_counter() - started)
    if bag.import_errors or len(bag.dags) != count:
        print(f"unexpected parse result: {len(bag.dags)} DAGs, errors {bag.import_errors}")
        return 1
    os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = "bench-0500"
    started = time.perf_counter()
    one = DagBag(dag_folder=dag_file)
    single = time.perf_counter() - started
    del os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"]
    best, median = min(runs), statistics.median(runs)
    print(f"dags/comptoir_tasks.py with {count} definitions: {len(bag.dags)} DAGs, "
          f"{sum(len(d.tasks) for d in bag.dags.values())} tasks")
    print(f"  full parse: best {best:.2f} s, median {median:.2f} s (limit {LIMIT_SECONDS} s)")
    print(f"  parse to run one task (parsing context): {single * 1000:.0f} ms, "
          f"{len(one.dags)} DAG built")
    return 0 if median < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
