"""The `inbox` template: fetch >> run >> deliver >> report, for types that receive files.

- `fetch`: fills the task's inbox from its source (local folder: nothing to do; SFTP,
  FTP, IMAP, POP3, a folder of `.eml` files); skips automatic runs in isolated or school
  mode, which skips the whole run;
- `run` (the type's step name, `import_files` for imports): the type's core function over
  the files waiting in the inbox, asset events through the type's alias;
- `deliver` (types that write files) and `report`, as in the default template.
"""

from __future__ import annotations

from airflow.sdk import DAG

from comptoir.automation.catalog import TaskType
from comptoir.automation.definitions import TaskDefinition
from comptoir_airflow.operators import FetchOperator
from comptoir_airflow.templates import template
from comptoir_airflow.templates.base import attach_params, dag_arguments, run_deliver_report


@template("inbox")
def build(definition: TaskDefinition, task_type: TaskType) -> DAG:
    """fetch >> run >> deliver >> report."""
    dag = DAG(**dag_arguments(definition, task_type))
    data = definition.to_json()
    fetch = FetchOperator(task_id="fetch", definition=data, first=True, dag=dag)
    fetch >> run_deliver_report(dag, data, task_type, first=False)
    return attach_params(dag, definition, task_type)
