"""The `pos_accounting` task type ("Comptabilisation du point de vente"): the POS
documents and payments into the accounts (spec/pos.md, "Task types").

`method` direct (default: the `pos_accounting` setting) runs `pos post`: sales and
treasury entries, receivables and lettering of the invoiced tickets; classic runs
`accounting post-documents` (the invoices and credit notes) then `pos payments` (their
payments). Entries written emit an event on `comptoir://dossier/journal_entries`.
Scheduled with `"schedule": "asset:comptoir://dossier/sales_documents"` it runs each time
the POS invoicing made documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.automation.types.ticket_options import (
    GROUPING_DISPLAY,
    GROUPING_HELP,
    Grouping,
    TicketOptions,
)

if TYPE_CHECKING:
    from comptoir.automation.catalog import RunContext
    from comptoir.pos.report import RunReport

ASSET_URI = "comptoir://dossier/journal_entries"


class Options(TicketOptions):
    """Options of `pos_accounting`: how to post, and which tickets."""

    method: Literal["", "direct", "classic"] = Field(
        default="", title="Method",
        description="direct: pos post (sales and payments); classic: accounting "
        "post-documents, then pos payments. Empty: the pos_accounting setting.",
        json_schema_extra={"section": "Accounting", "values_display": {
            "": "The pos_accounting setting", "direct": "Direct (pos post)",
            "classic": "Classic (post-documents, then payments)"}})
    grouping: Grouping = Field(default="", title="Grouping", description=GROUPING_HELP,
                               json_schema_extra={"section": "Accounting",
                                                  "values_display": GROUPING_DISPLAY})


def posting_output(ctx: RunContext, reports: list[RunReport]) -> TaskOutput:
    """The task output of posting commands: summary lines, the asset event, the error."""
    lines: list[str] = []
    entries, errors = 0, []
    for report in reports:
        path = report.finish()
        body = report.body
        if report.error:
            lines.append(f"{report.command}: {report.error['message']}")
            errors.append(report.error["message"])
            continue
        entries += len(body["entries"])
        letters = body["lettering"]
        for item in body["skipped"][:20]:
            lines.append(f"skipped {item.get('store', '')} {item.get('register', '')} "
                         f"{item['rule']}: {item['message']}")
        for item in report.warnings[:20]:
            lines.append(f"warning {item['rule']}: {item['message']}")
        lines.append(f"{report.command}: {len(body['entries'])} entries, lettering "
                     f"{letters['full']} full and {letters['partial']} partial, "
                     f"{body['receivables_created']} receivables, "
                     f"{len(body['accounts_created'])} accounts created, "
                     f"{len(body['skipped'])} skipped (report {path})")
        if body["skipped"]:
            errors.append(f"{report.command}: {len(body['skipped'])} skipped (see the POS log)")
    for line in lines:
        ctx.log(line)
    assets: dict[str, dict[str, Any]] = (
        {ASSET_URI: {"task_id": ctx.task_id, "run_id": reports[-1].run_id,
                     "entries": entries}} if entries else {})
    return TaskOutput(summary=lines, assets=assets, error="; ".join(errors) or None)


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: direct or classic posting with the task's filters."""
    from comptoir.accounting.document_posting import post_documents
    from comptoir.accounting.pos_posting import integrate_payments, post_tickets
    from comptoir.backoffice.settings import get_setting

    filters = options.filters(ctx.moment.date())
    method = options.method
    if not method:
        with ctx.engine.connect() as conn:
            method = get_setting(conn, "pos_accounting") or "direct"
    if method == "direct":
        reports = [post_tickets(ctx.engine, filters, grouping=options.grouping or None)]
    else:
        documents = post_documents(ctx.engine, until=filters.until,
                                   customers_range=filters.customers)
        reports = [documents]
        if not documents.error:
            reports.append(integrate_payments(ctx.engine, filters))
    return posting_output(ctx, reports)


TASK_TYPE = TaskType(
    name="pos_accounting",
    title="Comptabilisation du point de vente",
    category=Category.AUTRES,
    description=(
        "Posts the invoiced POS tickets: sales entries of their invoices and credit notes, "
        "treasury entries per register journal, receivables with their state codes, and "
        "lettering by document number (direct); or the commercial-management posting of the "
        "documents, then the payments (classic). A second run writes nothing."
    ),
    options=Options,
    run=run,
    produces_files=False,
    asset_alias="comptoir-pos-accounting",
)
