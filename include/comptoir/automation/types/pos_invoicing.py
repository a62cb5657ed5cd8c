"""The `pos_invoicing` task type ("Intégration des tickets en gestion commerciale"):
`pos invoice` as a DAG (spec/pos.md, "Task types").

The tickets not yet invoiced, up to a sales day (`yesterday` by default), become one
invoice, delivery note or credit note per customer, day, register and type. Documents
made emit an event on `comptoir://dossier/sales_documents`. Scheduled with
`"schedule": "asset:comptoir://dossier/pos_tickets"` it runs each time tickets were
integrated. Posting (`post`, `grouping`) belongs to the POS accounting and is not offered
yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from comptoir.automation.catalog import Category, TaskOutput, TaskType

if TYPE_CHECKING:
    from comptoir.automation.catalog import RunContext

ASSET_URI = "comptoir://dossier/sales_documents"
RANGE_HELP = "FROM:TO, inclusive; either side may be empty (C1:C3, :C0050). Empty: all."


class Options(BaseModel):
    """Options of `pos_invoicing`: which tickets to invoice."""

    model_config = ConfigDict(extra="forbid")

    until: str = Field(
        default="yesterday", title="Last sales day",
        description="The last sales day invoiced: yesterday, today or a date YYYY-MM-DD.",
        json_schema_extra={"section": "Tickets", "examples": ["yesterday", "today"]},
    )
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Only the tickets of these stores (codes). Empty: every store.",
        json_schema_extra={"section": "Tickets"},
    )
    registers: str = Field(default="", title="Registers",
                           description=f"Register codes {RANGE_HELP}",
                           json_schema_extra={"section": "Tickets"})
    customers: str = Field(
        default="", title="Customers",
        description=f"Customer codes {RANGE_HELP} Anonymous tickets match by the counter "
        "customer's code.", json_schema_extra={"section": "Tickets"})
    tickets: str = Field(default="", title="Ticket numbers",
                         description=f"Ticket numbers {RANGE_HELP}",
                         json_schema_extra={"section": "Tickets"})

    @field_validator("until", "registers", "customers", "tickets")
    @classmethod
    def _readable(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        from comptoir.pos.filters import FilterError, parse_range, parse_until

        try:
            if info.field_name == "until":
                parse_until(value)
            else:
                parse_range(value, numbers=info.field_name == "tickets",
                            option=info.field_name)
        except FilterError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: `pos invoice` with the task's filters."""
    from comptoir.pos.filters import TicketFilters
    from comptoir.pos.invoicing import invoice_tickets

    filters = TicketFilters.parse(until=options.until, stores=options.stores,
                                  registers=options.registers, customers=options.customers,
                                  tickets=options.tickets, today=ctx.moment.date())
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
