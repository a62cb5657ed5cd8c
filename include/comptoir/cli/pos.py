"""`comptoir pos`: offline point-of-sale tickets (`spec/pos.md`).

One function per command, each registered on the `pos` group by `register(app)`:
`pos extract` (register side: tickets into a ticket file), `pos integrate` (server side:
ticket files into the dossier), `pos invoice` (tickets into invoices, delivery notes and
credit notes), `pos tickets` and `pos log` (the listings), `pos send` and `pos pilot`
(register side: transfer and pilot files), `pos base-files build|send|load` (the
registers' reference data), `pos modes list|set` and `pos registers list|set` (set-up).
Commands print a summary, write their report (`var/reports/pos/`, `--report` copies it)
and exit with the report's status: 0 done, 1 refused, 2 usage error, 3 partly done.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.cli.output import JSON_HELP

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: Exit status of a usage error (a bad range or date).
USAGE = 2
GROUPING_HELP = ("customer: one sales entry per document; account: one per register, day "
                 "and receivable account (*TPV<NN><first ticket>). Default: pos_grouping.")
#: The ticket filters and run options shared by `pos invoice`, `pos post`, `pos payments`.
UNTIL = typer.Option(None, "--until", help="Last sales day taken: a date YYYY-MM-DD, today "
                     "(default) or yesterday.")
STORES = typer.Option([], "--store", help="A store code (repeat for more); default every "
                      "store.")
REGISTERS = typer.Option(None, "--registers", help="Register codes FROM:TO (text order; "
                         "either side may be empty).")
CUSTOMERS = typer.Option(None, "--customers", help="Customer codes FROM:TO; anonymous "
                         "tickets match by the counter customer's code.")
TICKETS = typer.Option(None, "--tickets", help="Ticket numbers FROM:TO.")
DRY_RUN = typer.Option(False, "--dry-run", help="Do everything, then roll back: only the "
                       "report is written.")
REPORT = typer.Option(None, "--report", help="Copy the JSON report here.")
LOG_COLUMNS = ("at", "run_id", "step", "level", "file", "store", "register", "ticket", "rule",
               "message")


def register(app: typer.Typer) -> None:
    pos = typer.Typer(help="Point of sale: offline tickets, integration, invoicing.",
                      no_args_is_help=True)
    app.add_typer(pos, name="pos")
    pos.command("extract")(extract)
    pos.command("integrate")(integrate)
    pos.command("invoice")(invoice)
    pos.command("post")(post)
    pos.command("payments")(payments)
    pos.command("tickets")(tickets)
    pos.command("log")(log)
    pos.command("send")(send)
    pos.command("pilot")(pilot)
    pos.add_typer(base_files_app, name="base-files")
    pos.add_typer(modes_app, name="modes")
    pos.add_typer(registers_app, name="registers")


def invoice(
    until: str | None = UNTIL,
    store: list[str] = STORES,
    registers: str | None = REGISTERS,
    customers: str | None = CUSTOMERS,
    tickets_range: str | None = TICKETS,
    then_post: bool = typer.Option(False, "--post", help="Then post them (pos post, same "
                                   "filters); refused in classic accounting."),
    grouping: str | None = typer.Option(None, "--grouping", help="With --post: "
                                        + GROUPING_HELP),
    dry_run: bool = DRY_RUN,
    report: Path | None = REPORT,
) -> None:
    """Group the tickets not yet invoiced into invoices (F), delivery notes (B), credit notes (A).

    One document per customer, sales day, register and type. `--post` then runs `pos post`
    with the same filters (its own report); the exit status is the worse of the two.
    """
    from comptoir.accounting.pos_posting import GROUPINGS, post_tickets
    from comptoir.backoffice.settings import get_setting
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.invoicing import invoice_tickets

    filters = _filters(until, store, registers, customers, tickets_range)
    if grouping is not None and (not then_post or grouping not in GROUPINGS):
        err.print("[bold red]error:[/] --grouping goes with --post: write customer or "
                  "account", highlight=False)
        raise typer.Exit(USAGE)
    engine = dossier()
    if then_post:
        with engine.connect() as conn:
            classic = get_setting(conn, "pos_accounting") == "classic"
        if classic:
            err.print("[bold red]error:[/] pos_accounting is classic: --post is refused, "
                      "nothing was written; invoice, then post the documents with `comptoir "
                      "accounting post-documents` and the payments with `comptoir pos "
                      "payments`", highlight=False)
            raise typer.Exit(1)
    result = invoice_tickets(engine, filters, dry_run=dry_run)
    path = result.finish(copy_to=report)
    _invoice_summary(result.to_dict())
    out.print(f"report: {path}", highlight=False, markup=False)
    if not then_post or result.exit_code not in (0, 3) or dry_run:
        raise typer.Exit(int(result.exit_code))
    posted = post_tickets(engine, filters, grouping=grouping)
    posted.exit_code = max(int(posted.exit_code), int(result.exit_code))
    finish_posting(posted, None)


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


def _filters(until: str | None, store: list[str], registers: str | None,
             customers: str | None, tickets_range: str | None):  # type: ignore[no-untyped-def]
    from comptoir.pos.filters import FilterError, TicketFilters

    try:
        return TicketFilters.parse(until=until, stores=store, registers=registers,
                                   customers=customers, tickets=tickets_range)
    except FilterError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(USAGE) from None


def post(
    until: str | None = UNTIL,
    store: list[str] = STORES,
    registers: str | None = REGISTERS,
    customers: str | None = CUSTOMERS,
    tickets_range: str | None = TICKETS,
    grouping: str | None = typer.Option(None, "--grouping", help=GROUPING_HELP),
    dry_run: bool = DRY_RUN,
    report: Path | None = REPORT,
) -> None:
    """Direct posting: sales and treasury entries, receivables and lettering of the invoiced
    tickets. Refused (exit 1) when pos_accounting is classic."""
    from comptoir.accounting.pos_posting import GROUPINGS, post_tickets
    from comptoir.cli.open_dossier import dossier

    if grouping is not None and grouping not in GROUPINGS:
        err.print(f"[bold red]error:[/] --grouping {escape(grouping)!r}: write customer or "
                  "account", highlight=False)
        raise typer.Exit(USAGE)
    filters = _filters(until, store, registers, customers, tickets_range)
    result = post_tickets(dossier(), filters, grouping=grouping, dry_run=dry_run)
    finish_posting(result, report)


def payments(
    until: str | None = UNTIL,
    store: list[str] = STORES,
    registers: str | None = REGISTERS,
    customers: str | None = CUSTOMERS,
    tickets_range: str | None = TICKETS,
    dry_run: bool = DRY_RUN,
    report: Path | None = REPORT,
) -> None:
    """Classic accounting: treasury entries, receivables and lettering of the payments of
    invoiced tickets whose documents `accounting post-documents` posted. Refused (exit 1)
    when pos_accounting is direct."""
    from comptoir.accounting.pos_posting import integrate_payments
    from comptoir.cli.open_dossier import dossier

    filters = _filters(until, store, registers, customers, tickets_range)
    result = integrate_payments(dossier(), filters, dry_run=dry_run)
    finish_posting(result, report)


def finish_posting(result, report: Path | None) -> None:  # type: ignore[no-untyped-def]
    """Write the report of a posting command, print its summary, exit with its status."""
    path = result.finish(copy_to=report)
    data = result.to_dict()
    if data["error"]:
        err.print(f"[bold red]error:[/] {escape(data['error']['message'])}", highlight=False)
    else:
        letters = data["lettering"]
        what = "dry run, nothing written" if data["dry_run"] else "written"
        out.print(f"{data['command']}: {len(data['entries'])} entries, lettering "
                  f"{letters['full']} full and {letters['partial']} partial, "
                  f"{data['receivables_created']} receivables, "
                  f"{len(data['accounts_created'])} accounts created, "
                  f"{len(data['skipped'])} skipped ({what})", highlight=False, markup=False)
        for item in data["skipped"][:20]:
            out.print(f"  {item.get('store', '')} {item.get('register', '')} "
                      f"{item['rule']}: {item['message']}", highlight=False, markup=False)
        for item in data["warnings"][:20]:
            out.print(f"  warning {item['rule']}: {item['message']}", highlight=False,
                      markup=False)
    out.print(f"report: {path}", highlight=False, markup=False)
    raise typer.Exit(int(result.exit_code))


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


def integrate(
    files: list[Path] = typer.Argument(None, help="Ticket files (TicDeg…zip, ticdep…zip)."),
    inbox: Path | None = typer.Option(None, "--inbox", help="An inbox folder: every ticket "
                                      "file of its incoming/, filed in done/ or failed/."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Integrate ticket files: each ticket once, the bad ones alone set aside and logged."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.integration import integrate_files, integrate_inbox
    from comptoir.pos.report import Exit

    if bool(files) == (inbox is not None):
        err.print("[bold red]error:[/] give ticket files or --inbox DIR (one of them)")
        raise typer.Exit(Exit.USAGE)
    engine = dossier()
    if inbox is not None:
        result, outcomes = integrate_inbox(engine, inbox, dry_run=dry_run)
    else:
        result, outcomes = integrate_files(engine, files, dry_run=dry_run)
    for outcome in outcomes:
        _say(outcome.line())
        for rejection in outcome.rejections[:20]:
            where = f" line {rejection['line']}" if rejection["line"] is not None else ""
            _say(f"  ticket {rejection['ticket']}{where}: {rejection['rule']}: "
                 f"{rejection['message']}")
    if result.error is not None:
        err.print(f"[bold red]error:[/] {escape(result.error['message'])}", highlight=False)
    elif not outcomes:
        _say("no ticket file to integrate")
    path = result.finish(report)
    _say(f"{'dry run, nothing written; ' if dry_run else ''}report: {path}")
    raise typer.Exit(int(result.exit_code))


def extract(
    out_dir: Path = typer.Option(..., "--out", help="Folder the ticket file is written to."),
    kind: str = typer.Option("degraded", "--kind", help="degraded (the tickets taken "
                             "offline) or untransferred (every ticket of the days)."),
    store: str | None = typer.Option(None, "--store", help="Store code (default pos_store)."),
    register_code: str | None = typer.Option(None, "--register", help="Register code "
                                             "(default pos_register)."),
    until: str | None = typer.Option(None, "--until", help="untransferred: sales days up to "
                                     "this date (default today)."),
    include_extracted: bool = typer.Option(False, "--include-extracted", help="Also the "
                                           "tickets already extracted (resend a lost file)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Register side: write the tickets not yet extracted into a ticket file."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.extraction import extract_tickets
    from comptoir.pos.filters import parse_until

    day = parse_until(until) if until else None
    result = extract_tickets(dossier(), out_dir, kind=kind, store=store, register=register_code,
                             until=day, include_extracted=include_extracted)
    body = result.body
    if body["file"]:
        _say(f"{body['tickets']} tickets ({body['first_ticket']}–{body['last_ticket']}) "
                  f"of {body['store']} {body['register']} → {body['file']}")
    else:
        _say(f"nothing to extract for {body['store']} {body['register']}")
    _say(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


def log(
    since: str | None = typer.Option(None, "--since", help="From this date or instant "
                                     "(ISO 8601)."),
    run: str | None = typer.Option(None, "--run", help="Only this run's rows."),
    errors: bool = typer.Option(False, "--errors", help="Only refused files and rejected "
                                "tickets."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The POS log: refused files, rejected tickets, skipped items and warnings."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import pos_log
    from comptoir.cli.csv_listing import print_csv
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_json
    from comptoir.pos.report import Exit

    query = select(*(pos_log.c[name] for name in LOG_COLUMNS)).order_by(pos_log.c.at,
                                                                       pos_log.c.id)
    if since:
        try:
            start = dt.datetime.fromisoformat(since)
        except ValueError:
            err.print(f"[bold red]error:[/] --since {since!r}: write a date or an ISO instant")
            raise typer.Exit(Exit.USAGE) from None
        query = query.where(pos_log.c.at >= (start if start.tzinfo else
                                             start.replace(tzinfo=dt.UTC)))
    if run:
        query = query.where(pos_log.c.run_id == run)
    if errors:
        query = query.where(pos_log.c.level == "error")
    with dossier().connect() as conn:
        rows = conn.execute(query).all()
    records = [dict(row._mapping) for row in rows]
    if as_json:
        print_json(records)
    else:
        print_csv(LOG_COLUMNS, records)


def _say(text: str) -> None:
    """One line of a summary: names and messages printed as they are (no markup)."""
    out.print(text, highlight=False, markup=False)


def send(
    outbox: Path = typer.Option(..., "--outbox", help="Folder of the ticket files to send."),
    to: str | None = typer.Option(None, "--to", help="Mail each file to this address."),
    folder: Path | None = typer.Option(None, "--folder", help="Copy each file into this "
                                       "folder (LAN mode)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Register side: send the outbox's ticket files, oldest first; sent ones go to sent/."""
    from comptoir.pos.report import Exit
    from comptoir.pos.transfer import send_outbox

    if (to is None) == (folder is None):
        err.print("[bold red]error:[/] give --to ADDRESS or --folder DIR (one of them)")
        raise typer.Exit(Exit.USAGE)
    result = send_outbox(outbox, to=to, folder=folder)
    body = result.body
    for item in body["sent"]:
        out.print(escape(f"{item['file']}: {item['tickets']} tickets of {item['store']} "
                         f"{item['register']} sent to {item['to']}"))
    for item in body["failed"]:
        out.print(escape(f"{item['file']}: not sent ({item['rule']}): {item['message']}"))
    for warning in result.warnings:
        out.print(escape(f"warning: {warning['message']}"))
    if result.error and not body["failed"]:
        err.print(f"[bold red]error:[/] {escape(result.error['message'])}")
    elif body["sent"] or body["failed"]:
        out.print(escape(f"{len(body['sent'])} files sent, {len(body['failed'])} left in "
                         f"{outbox}"))
    else:
        out.print(escape(f"nothing to send in {outbox}"))
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


def pilot(
    file: Path = typer.Argument(..., help="The pilot file: one action per line."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and print the plan."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Run a pilot file: EXTRACT, SEND_MAIL, COPY, INTEGRATE, LOAD_BASE (and Divalto's lines)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.pilot import run_pilot

    result = run_pilot(dossier(), file, dry_run=dry_run)
    for action in result.body["actions"]:
        name = action["action"] or "-"
        out.print(escape(f"line {action['line']}: {name} ({action['status']}) "
                         f"{action['message']}"))
    if result.error:
        err.print(f"[bold red]error:[/] {escape(result.error['message'])}")
    path = result.finish(report)
    out.print(f"{'dry run, nothing run; ' if dry_run else ''}report: {path}")
    raise typer.Exit(int(result.exit_code))


# --------------------------------------------------------------------------- base files

base_files_app = typer.Typer(help="Base files for the registers: build, send, load.",
                             no_args_is_help=True)


def _refused_base_run(command: str, exc: Exception):  # type: ignore[no-untyped-def]
    """A base-files run that could not be done (a bad list, an unknown register...): exit 1."""
    from comptoir.pos.list_files import ListFileError
    from comptoir.pos.report import RunReport

    result = RunReport(command)
    result.body.update({"file": None, "members": {}, "recipients": [], "written": None})
    result.refuse("bad_list" if isinstance(exc, ListFileError) else "cannot_run", str(exc))
    return result


def _print_base_report(result) -> None:  # type: ignore[no-untyped-def]
    """The summary of a base-files report: file, members and rows, recipients, written."""
    from rich.markup import escape

    body = result.body
    if result.error and body.get("file") is None:
        err.print(f"[bold red]error:[/] {escape(result.error['message'])}")
        return
    if result.error:
        out.print(escape(f"{body.get('file')}: refused ({result.error['rule']}): "
                         f"{result.error['message']}"))
        return
    members = ", ".join(f"{name} {rows}" for name, rows in body.get("members", {}).items())
    out.print(f"{body.get('file')}: {members}")
    if body.get("recipients"):
        out.print(f"mailed to {', '.join(body['recipients'])}")
    if body.get("copied_to"):
        out.print(f"copied to {body['copied_to']}")
    if body.get("written") is not None:
        out.print(f"{body['written']} rows or files written")
    for warning in result.warnings:
        out.print(f"warning ({warning['rule']}): {warning['message']}")


@base_files_app.command("build")
def base_files_build(
    store: str = typer.Option(..., "--store", help="Store code."),
    register_code: str = typer.Option(..., "--register", help="Register code."),
    list_file: Path | None = typer.Option(None, "--list", help="List file (DEBUT LISTE … "
                                          "FIN LISTE): members and specific files."),
    out_dir: Path = typer.Option(..., "--out", help="Folder the package is written to."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Server side: write a register's base package (PvBase<store><register><time>.zip)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.errors import ComptoirError
    from comptoir.pos.base_files import build_base_package

    try:
        result = build_base_package(dossier(), store, register_code, out_dir,
                                    list_file=list_file)
    except ComptoirError as exc:
        result = _refused_base_run("pos base-files build", exc)
    _print_base_report(result)
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


@base_files_app.command("send")
def base_files_send(
    store: str = typer.Option(..., "--store", help="Store code."),
    register_code: str = typer.Option(..., "--register", help="Register code."),
    list_file: Path | None = typer.Option(None, "--list", help="List file: members and "
                                          "specific files."),
    mail_list: Path | None = typer.Option(None, "--mail-list", help="List file of e-mail "
                                          "addresses: one message to all."),
    folder: Path | None = typer.Option(None, "--folder", help="Copy the package into this "
                                       "folder (LAN)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Server side: build a register's base package and mail it, or copy it to a folder."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.base_files import send_base_package
    from comptoir.pos.report import Exit

    if (mail_list is None) == (folder is None):
        err.print("[bold red]error:[/] give --mail-list LISTFILE or --folder DIR (one of them)")
        raise typer.Exit(Exit.USAGE)
    from comptoir.errors import ComptoirError

    try:
        result = send_base_package(dossier(), store, register_code, list_file=list_file,
                                   mail_list=mail_list, folder=folder)
    except ComptoirError as exc:
        result = _refused_base_run("pos base-files send", exc)
    _print_base_report(result)
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


@base_files_app.command("load")
def base_files_load(
    file: Path = typer.Argument(..., help="A base package (PvBase…zip)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Register side: load a base package into this dossier (upserts by code, once)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.base_files import load_base_package

    result = load_base_package(dossier(), file)
    _print_base_report(result)
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


# --------------------------------------------------------------------------- set-up

modes_app = typer.Typer(help="Payment modes: list, create or update one.", no_args_is_help=True)
registers_app = typer.Typer(help="Registers: list, create or update one.", no_args_is_help=True)


@modes_app.command("list")
def modes_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The payment modes (CSV with `;`)."""
    from comptoir.cli.csv_listing import print_csv
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_json
    from comptoir.pos.setup import MODE_COLUMNS, list_modes

    with dossier().connect() as conn:
        rows = list_modes(conn)
    if as_json:
        print_json(rows)
    else:
        print_csv(MODE_COLUMNS, rows)


@modes_app.command("set")
def modes_set(
    code: str = typer.Argument(..., help="The mode's code."),
    name: str | None = typer.Option(None, "--name"),
    account: str | None = typer.Option(None, "--account", help='Its account ("" clears it).'),
    state: str | None = typer.Option(None, "--state", help="Receivable state code (3 "
                                     "characters: EPV, BPV, C10...)."),
    credit: bool | None = typer.Option(None, "--credit/--no-credit"),
    deposit: bool | None = typer.Option(None, "--deposit/--no-deposit"),
    lettrable: bool | None = typer.Option(None, "--lettrable/--no-lettrable"),
    delivery_note: bool | None = typer.Option(None, "--delivery-note/--no-delivery-note",
                                              help="Tickets paid with it become delivery "
                                              "notes."),
) -> None:
    """Create or update a payment mode (a new one: flags not given off, lettrable on)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.setup import set_mode

    with dossier().begin() as conn:
        done = set_mode(conn, code, name=name, account=account, state=state,
                        flags={"is_credit": credit, "is_deposit": deposit,
                               "lettrable": lettrable, "generates_delivery_note": delivery_note})
    _say(f"payment mode {code} {done}")


@registers_app.command("list")
def registers_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The registers (CSV with `;`): store, register, name, number, journal."""
    from comptoir.cli.csv_listing import print_csv
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_json
    from comptoir.pos.setup import REGISTER_COLUMNS, list_registers

    with dossier().connect() as conn:
        rows = list_registers(conn)
    if as_json:
        print_json(rows)
    else:
        print_csv(REGISTER_COLUMNS, rows)


@registers_app.command("set")
def registers_set(
    store: str = typer.Argument(..., help="An existing store's code."),
    code: str = typer.Argument(..., help="The register's code."),
    name: str | None = typer.Option(None, "--name"),
    number: int | None = typer.Option(None, "--number", help="0 to 99 (the NN of *TPV<NN>)."),
    journal: str | None = typer.Option(None, "--journal", help="Its treasury journal code."),
) -> None:
    """Create or update a register of an existing store."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.setup import set_register

    with dossier().begin() as conn:
        done = set_register(conn, store, code, name=name, number=number, journal=journal)
    _say(f"register {store} {code} {done}")
