"""The `pos_invoicing` task type ("Intégration des tickets en gestion commerciale"):
`pos invoice` as a DAG (spec/pos.md, "Task types").

The tickets not yet invoiced, up to a sales day (`yesterday` by default), become one
invoice, delivery note or credit note per customer, day, register and type. Documents
made emit an event on `comptoir://dossier/sales_documents`. Scheduled with
`"schedule": "asset:comptoir://dossier/pos_tickets"` it runs each time tickets were
integrated. `post` then posts them (`pos post`, direct accounting only; its entries
emit an event on `comptoir://dossier/journal_entries`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

ASSET_URI = "comptoir://dossier/sales_documents"
class Options(TicketOptions):
    """Options of `pos_invoicing`: which tickets to invoice, and whether to post them."""

    post: bool = Field(
        default=False, title="Post them",
        description="Then post the documents made (pos post, direct accounting only).",
        json_schema_extra={"section": "Accounting"})
    grouping: Grouping = Field(default="", title="Grouping of the posting",
                               description=GROUPING_HELP,
                               json_schema_extra={"section": "Accounting",
                                                  "values_display": GROUPING_DISPLAY})


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: `pos invoice` with the task's filters."""
    from comptoir.pos.invoicing import invoice_tickets

    filters = options.filters(ctx.moment.date())
    report = invoice_tickets(ctx.engine, filters)
    path = report.finish()
    body = report.body
    if report.error:
        return TaskOutput(summary=[report.error["message"]], error=report.error["message"])
    made = body["documents_created"]
    lines = [f"{d['type']} {d['number']} {d['customer']} {d['date']} {d['store']} "
             f"{d['register']}: {len(d['tickets'])} tickets, {d['total_incl_tax']} incl. tax"
             for d in body["documents"][:50]]
    for item in body["skipped"][:20]:
        lines.append(f"skipped {item['store']} {item['register']} {item['ticket']}: "
                     f"{item['rule']}: {item['message']}")
    lines.append(f"{body['tickets_invoiced']} tickets invoiced up to {filters.until}: "
                 f"{made['F']} invoices, {made['B']} delivery notes, {made['A']} credit "
                 f"notes; {len(body['skipped'])} skipped (report {path})")
    for line in lines:
        ctx.log(line)
    documents = made["F"] + made["B"] + made["A"]
    assets = ({ASSET_URI: {"task_id": ctx.task_id, "run_id": report.run_id,
                           "documents": documents}} if documents else {})
    error = (f"{len(body['skipped'])} tickets skipped (see the POS log)"
             if body["skipped"] else None)
    if options.post:
        from comptoir.accounting.pos_posting import post_tickets
        from comptoir.automation.types.pos_accounting import posting_output

        posted = posting_output(ctx, [post_tickets(ctx.engine, filters,
                                                   grouping=options.grouping or None)])
        lines += posted.summary
        assets |= posted.assets
        error = "; ".join(e for e in (error, posted.error) if e) or None
    return TaskOutput(summary=lines, assets=assets, error=error)


TASK_TYPE = TaskType(
    name="pos_invoicing",
    title="Intégration des tickets en gestion commerciale",
    category=Category.AUTRES,
    description=(
        "Turns the POS tickets not yet invoiced into commercial documents: one invoice, "
        "delivery note (a ticket paid with a mode that makes delivery notes) or credit note "
        "per customer, sales day, register and type, with VAT per rate; the document number "
        "is written back on each ticket. A second run invoices nothing."
    ),
    options=Options,
    run=run,
    produces_files=False,
    asset_alias="comptoir-pos-invoicing",
)
