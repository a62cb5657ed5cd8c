"""The `econnector_send` task type ("Envoi E-connecteur"): a scheduled `comptoir connector
send` (spec/econnector.md, "Task types").

The snapshots (`Articles.csv`, `Clients.csv`, `Contacts.csv`) are written in the
connector's export folder, which the partner application reads itself: the type has no
`output`. `articles` and `customers` left empty send what the connector's settings say.
The task report carries the summary line and the records left out, at level info,
warning or error for the command's exit 0, 3 or 1; the run fails on what would be exit 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.automation.types.econnector_receive import CONNECTOR_HELP, save_report

if TYPE_CHECKING:
    from comptoir.automation.catalog import RunContext

#: Records left out listed in the task report (the JSON report has them all).
LISTED_ITEMS = 50


class Options(BaseModel):
    """Options of `econnector_send`: the connector, and what to send."""

    model_config = ConfigDict(extra="forbid")

    connector: str = Field(title="Connector", description=CONNECTOR_HELP, min_length=1,
                           max_length=20, json_schema_extra={"section": "Connector"})
    articles: bool | None = Field(
        default=None, title="Send articles",
        description="Empty: as the connector's send_articles setting says.",
        json_schema_extra={"section": "Connector"})
    customers: bool | None = Field(
        default=None, title="Send customers",
        description="Empty: as the connector's send_customers setting says.",
        json_schema_extra={"section": "Connector"})


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: write the connector's snapshots in its export folder."""
    from comptoir.econnector.sending import send

    report = send(ctx.engine, options.connector, articles=options.articles,
                  customers=options.customers)
    lines = []
    for item in report.items[:LISTED_ITEMS]:
        lines.append(f"{item.type} {item.identifier}: left out ({item.rule}) "
                     f"{'; '.join(item.messages)}")
    if len(report.items) > LISTED_ITEMS:
        lines.append(f"... and {len(report.items) - LISTED_ITEMS} more records left out")
    lines.append(f"Report: {save_report(ctx.task_id, report)}")
    lines.append(report.summary())
    warning = report.summary() if report.error is None and report.exit_code == 3 else None
    return TaskOutput(summary=lines, error=report.error, warning=warning)


TASK_TYPE = TaskType(
    name="econnector_send",
    title="Envoi E-connecteur",
    category=Category.IMPORT_EXPORT,
    description=(
        "Writes the partner application's snapshots of articles, customers and their "
        "contacts (as the connector's settings select them) in the connector's export "
        "folder, each under a temporary name then renamed, so the partner never reads half "
        "a file; a record the file's encoding cannot hold is left out and reported."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
