"""Automated tasks: one Airflow DAG per task definition of the tasks folder.

The definitions are the JSON files of `tasks/` (or `COMPTOIR_TASKS_DIR`); each becomes a
DAG from its type's template (`comptoir_airflow.dag_factory`). An invalid definition
shows up as a DAG tagged `invalid definition` that explains what to fix; the others load.
When Airflow runs one task, only that task's DAG is built (parsing context).
"""

from comptoir_airflow.dag_factory import build_all

globals().update({f"comptoir_task__{dag_id}": dag for dag_id, dag in build_all().items()})
