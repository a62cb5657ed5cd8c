"""The `econnector_receive` task type ("Réception E-connecteur"): `fetch >> receive >> report`
on the inbox template (spec/econnector.md, "Task types").

The inbox is the connector's import folder, where the partner drops its files; with a
`source` (an SFTP or FTP folder) the fetch step first brings the partner's files there.
The reception is `comptoir connector receive`: its JSON report is kept under
`var/reports/econnector/<task id>/<run id>.json`, and the task report carries the summary
line and the items not synchronised, at level info, warning or error for the command's
exit 0, 3 or 1. The run fails on what would be exit 1, and when a file went to failed/.
A reception that wrote documents or customers emits `comptoir://dossier/sales_documents`
and `comptoir://dossier/customers`.

Decision: the trigger form cannot list the dossier's connectors (a DAG file reads no
database); `connector` is a text whose default is the definition's connector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, WithJsonSchema, field_validator

from comptoir.automation.catalog import Category, RunContext, TaskOutput, TaskType
from comptoir.automation.task_inbox import InboxOptions
from comptoir.exchange.endpoints import InboxSource

if TYPE_CHECKING:
    from comptoir.automation.task_inbox import TaskInbox
    from comptoir.econnector.sync_report import SyncReport

ASSET_ALIAS = "comptoir-econnector"
SALES_DOCUMENTS = "comptoir://dossier/sales_documents"
CUSTOMERS = "comptoir://dossier/customers"
#: Items not synchronised listed in the task report (the JSON report has them all).
LISTED_ITEMS = 50
CONNECTOR_HELP = ("The connector's code (comptoir connector list shows them), e.g. FACILI.")
SOURCE_HELP = (
    "Where the partner's files come from. Empty: the connector's import folder, where the "
    "partner drops them (its import_path setting). Otherwise an SFTP or FTP folder whose "
    "files are first fetched into the import folder: fill in the connection, the server "
    "folder and, if needed, the files to take (Import*.csv). Credentials stay in the Airflow "
    "connection."
)


class Options(InboxOptions):
    """Options of `econnector_receive`: the connector, a dry run, where files come from."""

    source: Annotated[InboxSource | None, WithJsonSchema({"type": ["object", "null"]})] = Field(
        default=None, title="Inbox", description=SOURCE_HELP,
        json_schema_extra={"section": "Inbox", "source_kinds": ["sftp", "ftp"],
                           "source_default": "The connector's import folder"})
    connector: str = Field(title="Connector", description=CONNECTOR_HELP, min_length=1,
                           max_length=20, json_schema_extra={"section": "Connector"})
    dry_run: bool = Field(default=False, title="Dry run",
                          description="Control everything, write nothing, move no file.",
                          json_schema_extra={"section": "Connector"})

    @field_validator("source")
    @classmethod
    def _server_folder(cls, value: Any) -> Any:
        if value is not None and value.kind not in ("sftp", "ftp"):
            raise ValueError("a connector receives from its import folder (leave source "
                             "empty) or from an SFTP or FTP folder")
        return value


def connector_task_inbox(task_id: str, options: Options) -> TaskInbox:
    """The connector's import folder, filled from `source` when one is given."""
    from comptoir.automation.task_inbox import TaskInbox
    from comptoir.backoffice.engine import get_engine
    from comptoir.econnector.files import connector_inbox
    from comptoir.econnector.settings import (
        ConnectorError,
        check_code,
        connectors_dir,
        load_connector,
    )
    from comptoir.exchange.endpoints import LocalInboxSource
    from comptoir.exchange.inbox import Inbox

    try:
        with get_engine().connect() as conn:
            connector = load_connector(conn, options.connector)
    except ConnectorError:
        if options.source is not None:
            raise  # nothing is fetched for a connector that does not exist
        # the reception step says it, with its summary line and report
        folder = connectors_dir() / check_code(options.connector) / "in"
        return TaskInbox(LocalInboxSource(kind="local", path=str(folder)),
                         Inbox(folder, flat=True))
    source = options.source or LocalInboxSource(
        kind="local", path=str(connector.import_folder), min_age_seconds=connector.min_age)
    return TaskInbox(source, connector_inbox(connector))


def report_lines(report: SyncReport, path: str) -> list[str]:
    """The task report's lines: the files not done, the items not synchronised, the report's
    path, and the summary line last (the line a listing of the runs shows)."""
    lines = report.detail_lines(LISTED_ITEMS)
    lines.append(f"Report: {path}")
    lines.append(report.summary())
    return lines


def save_report(task_id: str, report: SyncReport) -> str:
    """Keep the JSON report with the run (named by the synchronisation run id); its path."""
    from comptoir.automation.run_reports import save_run_report

    return save_run_report("econnector", task_id, report.run_id, report.as_json())


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: receive what waits in the connector's import folder."""
    from comptoir.econnector.reception import receive

    remote = options.source is not None
    report = receive(ctx.engine, options.connector, dry_run=options.dry_run,
                     min_age=0 if remote else None)
    lines = report_lines(report, save_report(ctx.task_id, report))
    failed = [f["file"] for f in report.files
              if f["outcome"] == "failed" and not report.dry_run]  # a dry run moves none
    error = report.error or (f"files not received (in failed/, or left in the import "
                             f"folder when the dossier refused the write): {', '.join(failed)}"
                             if failed else None)
    written = report.written if not report.dry_run else {}  # a dry run wrote nothing
    assets: dict[str, dict[str, Any]] = {}
    if written.get("sales_documents"):
        assets[SALES_DOCUMENTS] = {"task_id": ctx.task_id, "run_id": report.run_id,
                                   "documents": written["sales_documents"]}
    customers = written.get("customers_created", 0) + written.get("customers_updated", 0)
    if customers:
        assets[CUSTOMERS] = {"task_id": ctx.task_id, "run_id": report.run_id,
                             "customers": customers}
    warning = report.summary() if error is None and report.exit_code == 3 else None
    return TaskOutput(summary=lines, assets=assets, error=error, warning=warning)


TASK_TYPE = TaskType(
    name="econnector_receive",
    title="Réception E-connecteur",
    category=Category.IMPORT_EXPORT,
    description=(
        "Receives the partner application's files (customers, suppliers, contacts, "
        "documents) waiting in a connector's import folder, or fetched first from an SFTP "
        "or FTP folder: each document integrated once and whole, waiting for an article "
        "correspondence, or in error with its reason; files go to done/ or failed/ with "
        "their report, and the synchronisation history says what came."
    ),
    options=Options,
    run=run,
    produces_files=False,
    template="inbox",
    step="receive",
    asset_alias=ASSET_ALIAS,
    inbox=connector_task_inbox,
)
