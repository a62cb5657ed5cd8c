"""DAG templates: one DAG per task definition of the tasks folder.

A task type names its template (`TaskType.template`): a name registered here with
`@template("name")`, or `"package.module:function"` imported on first use, so a type
from elsewhere (imports, retail, ...) brings its own DAG shape without touching this
module. A builder gets the definition and its type and returns a DAG; it should start
from `dag_arguments()` and end with `attach_params()` so every DAG has the same id,
schedule, tags, documentation, owner, retries, queue and trigger form.

The default template: `run` (produce files into the spool) >> `deliver` >> `report`
(always runs; writes the report and fails the run if a step failed). Types that write no
file: `run` >> `report`.

A definition that is invalid becomes a DAG of its own, marked as such (tag `invalid
definition`, the message in its documentation, one task that fails with it): Airflow
records import errors per DAG *file*, and this file builds every task's DAG, so raising
would hide all the valid tasks. `comptoir tasks validate` lists the same errors.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param, get_parsing_context

from comptoir.automation import catalog
from comptoir.automation.definitions import (
    DefinitionError,
    Loaded,
    TaskDefinition,
    definition_file,
    load_folder,
    read_file,
)
from comptoir_airflow.operators import (
    DeliverOperator,
    InvalidDefinitionOperator,
    ProduceOperator,
    ReportOperator,
)

__all__ = ["INVALID_TAG", "attach_params", "build_all", "build_dag", "dag_arguments",
           "invalid_dag", "template"]

Builder = Callable[[TaskDefinition, catalog.TaskType], DAG]

INVALID_TAG = "invalid definition"
START = datetime(2024, 1, 1)
RETRY_DELAY = timedelta(minutes=5)
_TEMPLATES: dict[str, Builder] = {}


def template(name: str) -> Callable[[Builder], Builder]:
    """Register a DAG template under `name`."""

    def register(builder: Builder) -> Builder:
        _TEMPLATES[name] = builder
        return builder

    return register


def _builder(name: str) -> Builder:
    if name not in _TEMPLATES:
        module, _, attr = name.partition(":")
        if not attr:
            raise LookupError(f"no DAG template {name!r}; registered: {', '.join(_TEMPLATES)}")
        _TEMPLATES[name] = getattr(importlib.import_module(module), attr)
    return _TEMPLATES[name]


def doc_md(definition: TaskDefinition, task_type: catalog.TaskType) -> str:
    """The DAG's documentation: what the type does, then what this definition asks."""
    lines = [
        f"### {task_type.title} — {definition.name or definition.id}",
        "",
        task_type.description,
        "",
        f"**Definition** `{definition.source.name if definition.source else definition.id}`: "
        f"{definition.summary()}",
        "",
        f"- Type: `{task_type.name}` ({task_type.category.value})",
        f"- Site (queue): `{definition.site}`",
        f"- Schedule: `{definition.schedule}` ({definition.timezone})" if definition.schedule
        else "- Schedule: manual start only",
    ]
    if definition.output is not None:
        lines.append(f"- Files: `{definition.filename}` → {definition.output.delivery.describe()}")
    report = definition.report
    lines.append(
        f"- Report: on success {'yes' if report.on_success else 'no'}, on error "
        f"{'yes' if report.on_error else 'no'}"
        + (f", mailed to {', '.join(report.email)}" if report.email else "")
    )
    if definition.run_once:
        lines.append("- Runs once: the definition is removed after its first success")
    lines += ["", "Options (the trigger form can override them for one run):", ""]
    lines += [f"- `{key}`: `{value!r}`" for key, value in definition.options.items()] or ["- none"]
    return "\n".join(lines)


def dag_arguments(definition: TaskDefinition, task_type: catalog.TaskType) -> dict[str, Any]:
    """The DAG arguments every template shares."""
    tags = [task_type.category.value, task_type.name, definition.site]
    if not definition.enabled:
        tags.append("disabled")
    return {
        "dag_id": definition.id,
        "dag_display_name": definition.name or definition.id,
        "description": (definition.name or task_type.title)[:200],
        "schedule": definition.schedule if definition.enabled else None,
        "start_date": START.replace(tzinfo=ZoneInfo(definition.timezone)),
        "catchup": False,
        "max_active_runs": 1,
        "tags": tags,
        "doc_md": doc_md(definition, task_type),
        "default_args": {
            "owner": definition.owner,
            "retries": definition.retries,
            "retry_delay": RETRY_DELAY,
            "queue": definition.site,
        },
    }


def attach_params(dag: DAG, definition: TaskDefinition, task_type: catalog.TaskType) -> DAG:
    """The type's options as the DAG's params, the definition's values as defaults.

    Set after the tasks, item by item: `DAG(params=...)` checks every schema against the
    JSON-Schema meta-schema and copies the params into each task (about 1 ms per
    option), and the values were validated by the options model already.
    """
    values = definition.typed_options().model_dump(mode="json")
    for name, spec in task_type.params_spec(values).items():
        spec = dict(spec)
        default = spec.pop("default", None)
        description = spec.pop("description", None)
        dag.params[name] = Param(default, description=description, **spec)
    return dag


@template("default")
def default_template(definition: TaskDefinition, task_type: catalog.TaskType) -> DAG:
    """run >> deliver >> report (run >> report for types that write no file)."""
    dag = DAG(**dag_arguments(definition, task_type))
    data = definition.to_json()
    steps = ["run", "deliver"] if task_type.produces_files else ["run"]
    run = ProduceOperator(task_id="run", definition=data, dag=dag)
    last = run
    if task_type.produces_files:
        last = DeliverOperator(task_id="deliver", definition=data, dag=dag)
        run >> last
    report = ReportOperator(task_id="report", definition=data, steps=steps, dag=dag,
                            trigger_rule="all_done", retries=0)
    last >> report
    return attach_params(dag, definition, task_type)


def build_dag(definition: TaskDefinition) -> DAG:
    """The DAG of one valid definition, from its type's template."""
    task_type = definition.task_type
    return _builder(task_type.template)(definition, task_type)


def _invalid_id(error: DefinitionError, taken: set[str]) -> str:
    if error.task_id and re.match(r"^[A-Za-z0-9_.-]{1,200}$", str(error.task_id)) \
            and error.task_id not in taken:
        return str(error.task_id)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", error.path.stem)[:180]
    return f"invalid.{stem}"


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
