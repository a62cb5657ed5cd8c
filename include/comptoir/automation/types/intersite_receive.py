"""The `intersite_receive` task type ("Réception des commandes inter-sites"): `fetch >>
receive >> report` on the inbox template (spec/intersite.md, "Task types").

The source is a mailbox the reception reads itself, message by message
(`comptoir.intersite.remote`): IMAP and POP3 through Airflow's connector
(`RunContext.connector`), a folder of `.eml` files directly. The fetch step extracts
nothing (`TaskType.fetch`): it opens the mailbox and says how many messages wait. The
reception is `comptoir intersite receive`: its JSON report is kept under
`var/reports/intersite/<task id>/<run id>.json`; the task report lists every rejection
and ends with the summary line, at level info, warning or error for the command's exit 0,
3 or 1 (the run fails only on 1). A reception that created documents emits
`comptoir://dossier/sales_documents` through the alias `comptoir-intersite`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator

from comptoir.automation.catalog import Category, RunContext, TaskOutput, TaskType
from comptoir.automation.task_inbox import InboxOptions
from comptoir.exchange.endpoints import InboxSource

if TYPE_CHECKING:
    from comptoir.intersite.reception_report import ReceptionReport

ASSET_ALIAS = "comptoir-intersite"
SALES_DOCUMENTS = "comptoir://dossier/sales_documents"
SECTION = "Reception"
SOURCE_HELP = (
    "The mailbox the distributors' orders arrive in: an IMAP mailbox (every message whose "
    "key the dossier does not know, read or not; processed ones are moved to the processed "
    "mailbox, Comptoir/Commandes inter-sites unless another is given; rejected ones are "
    "marked read and left for a person), a POP3 mailbox (messages stay on the server; the "
    "dossier remembers their UIDL) or a folder of .eml files (relative to var/mail). Fill in "
    "the fields below that the kind uses. Mail is never deleted. Credentials stay in the "
    "Airflow connection."
)


class Options(InboxOptions):
    """Options of `intersite_receive`: the mailbox, the prices, acknowledgements, dry run."""

    source: Annotated[InboxSource, WithJsonSchema({"type": "object"})] = Field(  # type: ignore[assignment]
        title="Mailbox", description=SOURCE_HELP,
        json_schema_extra={"section": "Mailbox",
                           "source_kinds": ["imap", "pop3", "mail_folder"]})
    prices: Literal["order", "catalogue"] = Field(
        default="order", title="Prices",
        json_schema_extra={"section": SECTION, "values_display": {
            "order": "As ordered", "catalogue": "Catalogue sale prices"}},
        description="order: each line's unit price as the distributor ordered it (else the "
        "article's sale price); catalogue: the articles' sale prices.")
    acknowledge: bool = Field(
        default=False, title="Acknowledge",
        description="Answer each processed message to its sender with the state of each of "
        "its orders (needs the setting intersite_ack_from). Rejected messages are never "
        "answered.", json_schema_extra={"section": SECTION})
    dry_run: bool = Field(
        default=False, title="Dry run",
        description="Read and check everything; write, move, flag and send nothing.",
        json_schema_extra={"section": SECTION})

    @field_validator("source")
    @classmethod
    def _mailbox(cls, value: Any) -> Any:
        if value.kind not in ("imap", "pop3", "mail_folder"):
            raise ValueError("inter-site orders are read from a mailbox: imap, pop3 or "
                             "mail_folder")
        from comptoir.intersite.source_defaults import intersite_source

        return intersite_source(value)  # the processed folder said in the trigger form


def check_source(task_id: str, options: Options, connector: Any,
                 log: Callable[[str], None]) -> list[str]:
    """The fetch step: the mailbox opened, how many messages wait (nothing extracted)."""
    from comptoir.backoffice.engine import get_engine
    from comptoir.intersite.remote import intersite_source, waiting
    from comptoir.intersite.sources import source_name

    count = waiting(get_engine(), options.source, connector)
    return [f"{count} message(s) waiting in {source_name(intersite_source(options.source))}"]


def report_lines(report: ReceptionReport, path: str | None) -> list[str]:
    """Every rejection and warning, the report's path, and the summary line last."""
    lines: list[str] = []
    if report.error is not None:
        lines.append(f"Error: {report.error}")
    for message in report.messages:
        where = message["where"]
        if message["state"] == "rejected":
            lines.append(f"{where}: rejected, {message['rule']}: {message['message']}")
        elif message["message"]:
            lines.append(f"{where}: {message['message']}")
        for order in message["orders"]:
            if order["state"] == "rejected":
                lines.append(f"{where} {order['id']}: {order['rule']}: {order['message']}")
    if path is not None:
        lines.append(f"Report: {path}")
    lines.append(report.summary() + (" (dry run: nothing written)" if report.dry_run else ""))
    return lines


def save_report(task_id: str, run_id: str, report: ReceptionReport) -> str:
    """Keep the JSON report with the run; its path."""
    from comptoir.automation.run_reports import save_run_report

    return save_run_report("intersite", task_id, run_id, report.as_json())


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: receive the orders waiting in the mailbox."""
    from comptoir.intersite.remote import receive_source

    mailer = None
    if options.acknowledge and not options.dry_run:
        given = getattr(ctx.connector, "mailer", None)
        mailer = given() if callable(given) else None
    report = receive_source(ctx.engine, options.source, ctx.connector,  # type: ignore[arg-type]
                            prices=options.prices, acknowledge=options.acknowledge,
                            dry_run=options.dry_run, mailer=mailer)
    lines = report_lines(report, save_report(ctx.task_id, ctx.run_id, report))
    created = report.counts()["orders_created"]
    assets: dict[str, dict[str, Any]] = {}
    if created and not report.dry_run:
        assets[SALES_DOCUMENTS] = {"task_id": ctx.task_id, "run_id": ctx.run_id,
                                   "documents": created}
    warning = report.summary() if report.exit_status == 3 else None
    return TaskOutput(summary=lines, assets=assets, error=report.error, warning=warning)


TASK_TYPE = TaskType(
    name="intersite_receive",
    title="Réception des commandes inter-sites",
    category=Category.IMPORT_EXPORT,
    description=(
        "Reads the distributors' purchase orders sent by e-mail (IMAP, POP3 or a folder of "
        ".eml files) and records each as one customer order of the site's customer: "
        "forged senders, malformed attachments and unknown articles are rejected with "
        "their reason, an order is never created twice, mail is never deleted."
    ),
    options=Options,
    run=run,
    produces_files=False,
    template="inbox",
    step="receive",
    asset_alias=ASSET_ALIAS,
    fetch=check_source,
)
