"""What every template shares: the DAG's arguments, its documentation, its trigger form."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Asset, BaseOperator, Param

from comptoir.automation.catalog import TaskType
from comptoir.automation.definitions import ASSET_SCHEDULE, TaskDefinition
from comptoir_airflow.operators import DeliverOperator, ReportOperator, RunOperator

__all__ = ["START", "UNPAUSE_NOTE", "attach_params", "dag_arguments", "doc_md", "option_value",
           "options_table", "run_deliver_report"]

START = datetime(2024, 1, 1)
UNPAUSE_NOTE = (
    "**Dry runs**: untick *Unpause on trigger* in the trigger dialog. A paused DAG that is "
    "unpaused may first start its latest scheduled run, which takes the waiting files for real "
    "before the dry run sees them."
)
RETRY_DELAY = timedelta(minutes=5)


def doc_md(definition: TaskDefinition, task_type: TaskType) -> str:
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
        f"- Steps: {' >> '.join([*task_type.steps, 'report'])}",
        f"- Site (queue): `{definition.site}`",
        f"- Schedule: `{definition.schedule}` ({definition.timezone})" if definition.schedule
        else "- Schedule: manual start only",
    ]
    if definition.output is not None:
        lines.append(f"- Files: `{definition.file_names}` → "
                     f"{definition.output.delivery.describe()}")
    report = definition.report
    lines.append(
        f"- Report: on success {'yes' if report.on_success else 'no'}, on error "
        f"{'yes' if report.on_error else 'no'}"
        + (f", mailed to {', '.join(report.email)}" if report.email else "")
    )
    if definition.run_once:
        lines.append("- Runs once: the definition is removed after its first success")
    if task_type.template == "inbox":
        lines += ["", UNPAUSE_NOTE]
    lines += ["", "Options this definition sets (the trigger form can change them for one "
              "run; the others have the type's default):", ""]
    lines += options_table(definition.options, task_type) if definition.options else ["none"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, on one line."""
    return " ".join(text.split()).replace("|", "\\|")


def option_value(value: Any, display: dict[str, str] | None = None) -> str:
    """An option's value for people: labels for choices, lists and objects as plain text."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(option_value(item, display) for item in value) or "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {option_value(item)}" for key, item in value.items()) \
            or "(empty)"
    code = f"`{json.dumps(value)[1:-1] if isinstance(value, str) else value}`"
    if display and str(value) in display:
        return f"{display[str(value)]} ({code})"
    return "(empty)" if value == "" else code


def options_table(options: dict[str, Any], task_type: TaskType) -> list[str]:
    """The options as a Markdown table: option (title and name), value."""
    fields = task_type.options.model_fields
    rows = ["| Option | Value |", "| --- | --- |"]
    for key, value in options.items():
        field = fields.get(key)
        extra = field.json_schema_extra if field and isinstance(field.json_schema_extra,
                                                                dict) else {}
        display = extra.get("values_display")
        title = f"{field.title} (`{key}`)" if field and field.title else f"`{key}`"
        rows.append(f"| {_cell(title)} | {_cell(option_value(value, display))} |")
    return rows


def schedule(definition: TaskDefinition) -> str | list[Asset] | None:
    """The DAG's schedule: a cron or preset as is; `asset:<uri>` as that asset."""
    if definition.schedule and definition.schedule.startswith(ASSET_SCHEDULE):
        return [Asset(definition.schedule[len(ASSET_SCHEDULE):])]
    return definition.schedule


def dag_arguments(definition: TaskDefinition, task_type: TaskType) -> dict[str, Any]:
    """The DAG arguments every template shares."""
    tags = [task_type.category.value, task_type.name, definition.site]
    if not definition.enabled:
        tags.append("disabled")
    return {
        "dag_id": definition.id,
        "dag_display_name": definition.name or definition.id,
        "description": (definition.name or task_type.title)[:200],
        "schedule": schedule(definition) if definition.enabled else None,
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


def attach_params(dag: DAG, definition: TaskDefinition, task_type: TaskType) -> DAG:
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


def run_deliver_report(dag: DAG, data: dict[str, Any], task_type: TaskType, *,
                       first: bool) -> RunOperator:
    """The steps every template ends with: run (>> deliver) >> report; the run step.

    `first`: the run step starts the DAG (it skips automatic runs in isolated or school
    mode). The report step always runs and fails the run if a step did.
    """
    run = RunOperator(task_id=task_type.step, definition=data, first=first,
                      asset_alias=task_type.asset_alias, dag=dag)
    last: BaseOperator = run
    if task_type.produces_files:
        last = DeliverOperator(task_id="deliver", definition=data, run_step_id=task_type.step,
                               dag=dag)
        run >> last
    last >> ReportOperator(task_id="report", definition=data, steps=task_type.steps, dag=dag,
                           trigger_rule="all_done", retries=0)
    return run
