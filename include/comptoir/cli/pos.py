"""`comptoir pos`: offline point-of-sale tickets (`spec/pos.md`).

One function per command, each registered on the `pos` group by `register(app)`:
`pos invoice` (tickets into invoices, delivery notes and credit notes) and `pos tickets`
(the listing). Commands print a summary, write their report (`var/reports/pos/`,
`--report` copies it) and exit with the report's status: 0 done, 1 refused, 2 usage
error, 3 partly done.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.cli.output import JSON_HELP

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: Exit status of a usage error (a bad range or date).
USAGE = 2


def register(app: typer.Typer) -> None:
    pos = typer.Typer(help="Point of sale: offline tickets, invoicing.", no_args_is_help=True)
    app.add_typer(pos, name="pos")
    pos.command("invoice")(invoice)
    pos.command("tickets")(tickets)


def invoice(
    until: str | None = typer.Option(None, "--until", help="Last sales day taken: a date "
                                     "YYYY-MM-DD, today (default) or yesterday."),
    store: list[str] = typer.Option([], "--store", help="A store code (repeat for more); "
                                    "default every store."),
    registers: str | None = typer.Option(None, "--registers", help="Register codes FROM:TO "
                                         "(text order; either side may be empty)."),
    customers: str | None = typer.Option(None, "--customers", help="Customer codes FROM:TO; "
                                         "anonymous tickets match by the counter customer's "
                                         "code."),
    tickets_range: str | None = typer.Option(None, "--tickets", help="Ticket numbers FROM:TO."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything, then roll back: "
                                 "only the report is written."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Group the tickets not yet invoiced into invoices (F), delivery notes (B), credit notes (A).

    One document per customer, sales day, register and type. Posting is a separate step.
    """
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.filters import FilterError, TicketFilters
    from comptoir.pos.invoicing import invoice_tickets

    try:
        filters = TicketFilters.parse(until=until, stores=store, registers=registers,
                                      customers=customers, tickets=tickets_range)
    except FilterError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(USAGE) from None
    result = invoice_tickets(dossier(), filters, dry_run=dry_run)
    path = result.finish(copy_to=report)
    _invoice_summary(result.to_dict())
    out.print(f"report: {path}", highlight=False, markup=False)
    raise typer.Exit(int(result.exit_code))


def _invoice_summary(data: dict) -> None:
    if data["error"]:
        err.print(f"[bold red]error:[/] {escape(data['error']['message'])}", highlight=False)
        return
    made = data["documents_created"]
    what = "dry run, nothing written" if data["dry_run"] else "written"
    out.print(f"pos invoice: {data['tickets_selected']} tickets selected, "
              f"{data['tickets_invoiced']} invoiced, {data['tickets_without_sales']} without "
              f"sales part, {len(data['skipped'])} skipped; documents F {made['F']}, "
              f"B {made['B']}, A {made['A']} ({what})", highlight=False, markup=False)
    for item in data["skipped"][:20]:
        out.print(f"  {item['store']} {item['register']} {item['ticket']} {item['rule']}: "
                  f"{item['message']}", highlight=False, markup=False)
    if len(data["skipped"]) > 20:
        out.print(f"  ... {len(data['skipped']) - 20} more in the report", highlight=False)


def tickets(
    store: str | None = typer.Option(None, "--store", help="Only this store."),
    register_code: str | None = typer.Option(None, "--register", help="Only this register."),
    tickets_range: str | None = typer.Option(None, "--tickets", help="Ticket numbers FROM:TO."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List the tickets (CSV with `;`): their day, customer, total and invoicing document."""
    from comptoir.cli.csv_listing import listing_record, print_csv
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_json
    from comptoir.pos.filters import FilterError, parse_range
    from comptoir.pos.ticket_listing import TICKET_COLUMNS, ticket_rows

    try:
        numbers = parse_range(tickets_range, numbers=True, option="tickets")
    except FilterError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(USAGE) from None
    with dossier().connect() as conn:
        rows = (listing_record(row, amounts=("total_incl_tax",)) for row in
                ticket_rows(conn, store=store, register=register_code, tickets=numbers))
        if as_json:
            print_json(list(rows))
        else:
            print_csv(TICKET_COLUMNS, rows)
