"""The `default` template: run >> deliver >> report (run >> report for a type without files)."""

from __future__ import annotations

from airflow.sdk import DAG

from comptoir.automation.catalog import TaskType
from comptoir.automation.definitions import TaskDefinition
from comptoir_airflow.templates import template
from comptoir_airflow.templates.base import attach_params, dag_arguments, run_deliver_report


@template("default")
def build(definition: TaskDefinition, task_type: TaskType) -> DAG:
    """run >> deliver >> report; `run` skips automatic runs in isolated or school mode."""
    dag = DAG(**dag_arguments(definition, task_type))
    run_deliver_report(dag, definition.to_json(), task_type, first=True)
    return attach_params(dag, definition, task_type)
