"""The DAG template of `imports` (`TaskType.template = "comptoir_airflow.imports_template:build"`).

    fetch  >>  import_files  >>  report

- `fetch`: skipped (and says why) for an automatic run while isolated or school mode is
  on; brings the files of an SFTP/FTP folder or IMAP mailbox into the task's inbox
  (nothing to do for a local folder);
- `import_files`: imports the waiting files in dependency order, files each in done/ or
  failed/ with its report, and emits one asset event per entity written
  (`comptoir://dossier/<entity>`, through the alias `comptoir-imports`);
- `report`: the framework's report step (always runs): the task report message, the log,
  the e-mail; fails the run when a step failed or a file went to failed/.

Same DAG arguments (id, schedule, tags, docs, owner, retries, queue = site) and trigger
form (the options) as every template.
"""

from __future__ import annotations

from airflow.sdk import DAG

from comptoir.automation.catalog import TaskType
from comptoir.automation.definitions import TaskDefinition
from comptoir_airflow.dag_factory import attach_params, dag_arguments
from comptoir_airflow.imports_operators import FetchInboxOperator, ImportFilesOperator
from comptoir_airflow.operators import ReportOperator

__all__ = ["STEPS", "build"]

STEPS = ["fetch", "import_files"]


def build(definition: TaskDefinition, task_type: TaskType) -> DAG:
    """fetch >> import_files >> report."""
    dag = DAG(**dag_arguments(definition, task_type))
    data = definition.to_json()
    fetch = FetchInboxOperator(task_id="fetch", definition=data, dag=dag)
    load = ImportFilesOperator(task_id="import_files", definition=data, dag=dag)
    report = ReportOperator(task_id="report", definition=data, steps=STEPS, dag=dag,
                            trigger_rule="all_done", retries=0)
    fetch >> load >> report
    return attach_params(dag, definition, task_type)
