"""`comptoir intersite sites` and `comptoir intersite receive`: the central side.

`sites add|list|remove` keep the known sites (`spec/intersite.md`, Identities).
`receive` reads a mailbox and records the orders of known sites as customer orders; it
prints the summary line, `--report` writes the JSON report. Exit status: 0 nothing
rejected; 3 a message or an order rejected; 1 the mailbox could not be read, the source
is invalid or the dossier has no known site (nothing written). A mail folder is read
here; IMAP and POP3 mailboxes in a subprocess of the Airflow plugins
(`comptoir_airflow.intersite_receive`), which resolves the Airflow connection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.cli.intersite import intersite_app
from comptoir.cli.output import JSON_HELP, print_listing

if TYPE_CHECKING:
    from comptoir.intersite.reception_report import ReceptionReport

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

sites_app = typer.Typer(help="Known sites: the distributors whose orders the central base "
                        "receives by e-mail.", no_args_is_help=True)
intersite_app.add_typer(sites_app, name="sites")

SITE_COLUMNS = ("code", "name", "customer", "depot", "senders")


def _receive_remote(source: Any, prices: str, acknowledge: bool, dry_run: bool
                    ) -> ReceptionReport:
    """The reception of an IMAP or POP3 source, in a subprocess that loads Airflow."""
    from comptoir.cli.airflow_process import AirflowUnavailable, last_line, log_file, run_module
    from comptoir.intersite.reception_report import ReceptionReport
    from comptoir.intersite.remote import RESULT_MARKER
    from comptoir.intersite.sources import failed, source_name

    args = [source.model_dump_json(exclude_unset=True), "--prices", prices]
    args += ["--acknowledge"] if acknowledge else []
    args += ["--dry-run"] if dry_run else []
    log = log_file("intersite-receive")
    try:
        _, output = run_module("comptoir_airflow.intersite_receive", args, log=log)
    except AirflowUnavailable as exc:
        return failed(source_name(source), dry_run, str(exc))
    found = [line[len(RESULT_MARKER):] for line in output.splitlines()
             if line.startswith(RESULT_MARKER)]
    if not found:
        return failed(source_name(source), dry_run,
                      f"the reception did not complete: {last_line(output)} (see {log})")
    data = json.loads(found[-1])
    return ReceptionReport(source=data["source"], dry_run=data["dry_run"],
                           started_at=data["started_at"], finished_at=data["finished_at"],
                           error=data["error"], messages=data["messages"],
                           acknowledgements=data["acknowledgements"],
                           warnings=data.get("warnings", 0))


def register(app: typer.Typer) -> None:
    """The commands are on `intersite_app` (see the decorators below)."""


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


@sites_app.command("add")
def sites_add(
    site: str = typer.Argument(..., help="The site's code (its intersite_site_code)."),
    customer: str = typer.Option(..., "--customer", help="The customer that represents it."),
    sender: list[str] = typer.Option(..., "--sender",
                                     help="A From address of its mails (repeatable)."),
    depot: str | None = typer.Option(None, "--depot", help="The depot of its orders."),
    name: str | None = typer.Option(None, "--name", help="Its name."),
) -> None:
    """Add a known site; nothing written when anything is refused."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.intersite.sites import add_site

    with dossier().begin() as conn:
        added = add_site(conn, site, customer=customer, senders=sender, depot=depot, name=name)
    _say(f"site {added.code} added")


@sites_app.command("list")
def sites_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The known sites, their customer, depot and senders."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.intersite.sites import list_sites

    with dossier().connect() as conn:
        rows = list_sites(conn)
    print_listing(SITE_COLUMNS, rows, as_json=as_json, console=out)


@sites_app.command("remove")
def sites_remove(site: str = typer.Argument(..., help="The site's code.")) -> None:
    """Forget a known site and its senders (the orders received stay)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.intersite.sites import remove_site

    with dossier().begin() as conn:
        remove_site(conn, site)
    _say(f"site {site} removed")


@intersite_app.command("receive")
def receive_command(
    imap: str | None = typer.Option(None, "--imap", help="An Airflow IMAP connection."),
    mailbox: str = typer.Option("INBOX", "--mailbox", help="The IMAP folder to read."),
    processed_mailbox: str | None = typer.Option(None, "--processed-mailbox",
                                                 help="Where processed IMAP messages go "
                                                 "(default Comptoir/Commandes inter-sites; "
                                                 "an empty name: left in place, read)."),
    pop3: str | None = typer.Option(None, "--pop3", help="An Airflow POP3 connection."),
    mail_folder: str | None = typer.Option(None, "--mail-folder",
                                           help="A folder of .eml files (relative: under "
                                           "COMPTOIR_HOME/mail/)."),
    source: str | None = typer.Option(None, "--source", help="A mail source as JSON."),
    prices: str = typer.Option("order", "--prices",
                               help="order: the order's unit prices; catalogue: the "
                               "articles' sale prices."),
    acknowledge: bool = typer.Option(False, "--acknowledge",
                                     help="Answer each processed message."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Read and check everything; write, move, send nothing."),
    report: Path | None = typer.Option(None, "--report", help="Write the JSON report here."),
) -> None:
    """Receive the inter-site orders waiting in a mailbox."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.exchange.files import atomic_write
    from comptoir.intersite.sources import (
        SourceError,
        failed,
        parse_source,
        receive_mail_folder,
        source_name,
        stored_source,
    )

    engine = dossier()
    given = [option for option, value in (("--imap", imap), ("--pop3", pop3),
                                          ("--mail-folder", mail_folder),
                                          ("--source", source)) if value is not None]
    name = "(none)"
    try:
        if len(given) > 1:
            raise SourceError(f"{' and '.join(given)}: give one source at most")
        if prices not in ("order", "catalogue"):
            raise SourceError(f"--prices {prices!r}: expected order or catalogue")
        if imap is None and (processed_mailbox is not None or mailbox != "INBOX"):
            raise SourceError("--mailbox and --processed-mailbox go with --imap")
        if imap is not None:
            fields: dict[str, Any] = {"kind": "imap", "conn_id": imap, "mailbox": mailbox}
            if processed_mailbox is not None:
                fields["processed_mailbox"] = processed_mailbox or None
            chosen = parse_source(fields)
        elif pop3 is not None:
            chosen = parse_source({"kind": "pop3", "conn_id": pop3})
        elif mail_folder is not None:
            chosen = parse_source({"kind": "mail_folder", "path": mail_folder})
        elif source is not None:
            chosen = parse_source(source)
        else:
            chosen = stored_source(engine)
        name = source_name(chosen)
        if chosen.kind == "mail_folder":
            result = receive_mail_folder(engine, chosen, prices=prices,  # type: ignore[arg-type]
                                         acknowledge=acknowledge, dry_run=dry_run)
        else:
            result = _receive_remote(chosen, prices, acknowledge, dry_run)
    except SourceError as exc:
        result = failed(name, dry_run, str(exc))
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(report, (json.dumps(result.as_json(), ensure_ascii=False, indent=2)
                              + "\n").encode("utf-8"))
    if result.error is not None:
        err.print(f"[bold red]error:[/] {escape(result.error)}", highlight=False)
        raise typer.Exit(1)
    _say(result.summary() + (" (dry run: nothing written)" if dry_run else ""))
    for message in result.messages:
        if message["state"] == "rejected":
            _say(f"  {message['where']}: rejected, {message['rule']}: {message['message']}")
        for order in message["orders"]:
            if order["state"] == "rejected":
                _say(f"  {message['where']} {order['id']}: {order['rule']}: {order['message']}")
    raise typer.Exit(result.exit_status)
