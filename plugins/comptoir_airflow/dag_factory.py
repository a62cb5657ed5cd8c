"""One DAG per task definition of the tasks folder, from its type's template.

A task type names its template (`TaskType.template`: `default` or `inbox`), which
`comptoir_airflow.templates` looks up by name. Every template starts from
`templates.base.dag_arguments()` and ends with `attach_params()`, so every DAG has the
same id, schedule, tags, documentation, owner, retries, queue and trigger form.

A definition that is invalid becomes a DAG of its own, marked as such (tag `invalid
definition`, the message in its documentation, one task that fails with it): Airflow
records import errors per DAG *file*, and this file builds every task's DAG, so raising
would hide all the valid tasks. `comptoir tasks validate` lists the same errors.
"""

from __future__ import annotations

from airflow.sdk import DAG, get_parsing_context

from comptoir.automation.definitions import (
    TASK_ID_MAX,
    DefinitionError,
    Loaded,
    TaskDefinition,
    definition_file,
    load_folder,
    read_file,
)
from comptoir.exchange.names import is_identifier, to_identifier
from comptoir_airflow.operators import InvalidDefinitionOperator
from comptoir_airflow.templates import builder
from comptoir_airflow.templates.base import START

__all__ = ["INVALID_TAG", "build_all", "build_dag", "invalid_dag"]

INVALID_TAG = "invalid definition"


def build_dag(definition: TaskDefinition) -> DAG:
    """The DAG of one valid definition, from its type's template."""
    task_type = definition.task_type
    return builder(task_type.template)(definition, task_type)


def _invalid_id(error: DefinitionError, taken: set[str]) -> str:
    if is_identifier(error.task_id, TASK_ID_MAX) and error.task_id not in taken:
        return str(error.task_id)
    return f"invalid.{to_identifier(error.path.stem, 180)}"


def invalid_dag(error: DefinitionError, dag_id: str) -> DAG:
    """A DAG that shows an invalid definition: its message in the docs, a failing task."""
    dag = DAG(
        dag_id=dag_id,
        dag_display_name=f"⚠ invalid definition: {error.path.name}",
        description=f"INVALID: {error.message}"[:200],
        schedule=None,
        start_date=START,
        catchup=False,
        tags=[INVALID_TAG],
        doc_md=(
            f"### ⚠ Invalid task definition `{error.path.name}`\n\n"
            f"{error}\n\nFix the file in the tasks folder; `comptoir tasks validate` "
            "checks every definition. Until then this task does not run."
        ),
        default_args={"owner": "comptoir", "retries": 0},
    )
    InvalidDefinitionOperator(task_id="definition_invalid", problem=str(error), dag=dag)
    return dag


def _wanted(dag_id: str | None) -> Loaded:
    """The definitions to build: all, or only `dag_id`'s when a task runs (parsing context)."""
    if dag_id and not dag_id.startswith("invalid."):
        own = definition_file(dag_id)
        if own.is_file():
            valid, errors = read_file(own)
            loaded = Loaded([d for d in valid if d.id == dag_id],
                            [e for e in errors if e.task_id in (dag_id, None)])
            if loaded.definitions or loaded.errors:
                return loaded
        everything = load_folder()
        return Loaded([d for d in everything.definitions if d.id == dag_id],
                      [e for e in everything.errors if e.task_id == dag_id])
    return load_folder()


def build_all() -> dict[str, DAG]:
    """Every task's DAG (only the one being run, when Airflow runs a task)."""
    loaded = _wanted(get_parsing_context().dag_id)
    dags: dict[str, DAG] = {}
    for definition in loaded.definitions:
        try:
            dags[definition.id] = build_dag(definition)
        except Exception as exc:  # a broken template must not hide the other tasks
            loaded.errors.append(DefinitionError(
                definition.source or definition_file(definition.id), definition.id,
                f"cannot build its DAG: {type(exc).__name__}: {exc}"))
    for error in loaded.errors:
        dag_id = base = _invalid_id(error, set(dags))
        suffix = 1
        while dag_id in dags:
            suffix += 1
            dag_id = f"{base}.{suffix}"
        dags[dag_id] = invalid_dag(error, dag_id)
    return dags
