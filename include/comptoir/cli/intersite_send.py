"""`comptoir intersite orders | send | supplier-email`: the distributor side.

`send` prints the summary line, then one line per order left out and per message not
sent; `--report` writes the report's JSON (also when nothing could be done: its `error`
says why). Exit 0 every selected order sent (or nothing to send), 3 some not sent, 1
nothing could be done (the reason on stderr).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from comptoir.cli.intersite import intersite_app
from comptoir.cli.output import JSON_HELP, print_listing
from comptoir.exchange.endpoints import DEFAULT_SMTP_CONN_ID
from comptoir.exchange.mail import Mailer

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_SUPPLIER = typer.Option([], "--supplier", help="This supplier's orders (repeat the option); "
                         "default: every supplier with an order address.")
_FROM = typer.Option(None, "--date-from", help="Orders dated on or after (DD/MM/YYYY or "
                     "YYYY-MM-DD).")
_TO = typer.Option(None, "--date-to", help="Orders dated on or before (DD/MM/YYYY or "
                   "YYYY-MM-DD).")
_FOLLOW = typer.Option(None, "--follow-up", help="Orders followed by this user (login).")
_ALL = typer.Option(False, "--all", help="Every order: drafts and orders already sent too.")


def _selection(suppliers: list[str], date_from: str | None, date_to: str | None,
               follow_up: str | None, include_all: bool):  # type: ignore[no-untyped-def]
    from comptoir.intersite.selection import Selection, parse_day

    return Selection(
        suppliers=tuple(suppliers),
        date_from=None if date_from is None else parse_day(date_from, "--date-from"),
        date_to=None if date_to is None else parse_day(date_to, "--date-to"),
        follow_up=follow_up, include_all=include_all)


@intersite_app.command("orders")
def orders_command(supplier: list[str] = _SUPPLIER, date_from: str | None = _FROM,
                   date_to: str | None = _TO, follow_up: str | None = _FOLLOW,
                   include_all: bool = _ALL,
                   as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The purchase orders to send to the central base (by default: confirmed, never sent)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.intersite.selection import select_orders

    selection = _selection(supplier, date_from, date_to, follow_up, include_all)
    with dossier().connect() as conn:
        found = select_orders(conn, selection)
    columns = ("number", "date", "supplier", "status", "sent_at", "follow_up_user",
               "reference", "lines", "total_excl_tax", "total_incl_tax")
    rows = [order.listing() for order in found]
    print_listing(columns, rows, as_json=as_json, console=out)


@intersite_app.command("supplier-email")
def supplier_email_command(
    supplier: str = typer.Argument(..., help="The supplier's code."),
    address: str | None = typer.Argument(None, help="The new order address."),
    clear: bool = typer.Option(False, "--clear", help="Remove the order address."),
) -> None:
    """Print a supplier's order address (empty line when none), or set or clear it."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.errors import ComptoirError
    from comptoir.intersite.suppliers import order_address, set_order_address

    if clear and address is not None:
        raise ComptoirError("give an address or --clear, not both")
    if not clear and address is None:
        with dossier().connect() as conn:
            print(order_address(conn, supplier) or "")
        return
    with dossier().begin() as conn:
        stored = set_order_address(conn, supplier, None if clear else address)
    print(stored or "")


def mailer(conn_id: str) -> Mailer:
    """The mail backend (`COMPTOIR_MAIL_BACKEND`): `.eml` files, or the SMTP connection."""
    from comptoir.exchange.mail import FileMailer, mail_backend

    if mail_backend() == "file":
        return FileMailer()
    from comptoir.cli.smtp_process import AirflowSmtpMailer

    return AirflowSmtpMailer(conn_id)


@intersite_app.command("send")
def send_command(
    user: str = typer.Option(..., "--user", help="Who sends: the From is this user's address."),
    supplier: list[str] = _SUPPLIER, date_from: str | None = _FROM, date_to: str | None = _TO,
    follow_up: str | None = _FOLLOW, include_all: bool = _ALL,
    order: list[str] = typer.Option([], "--order", help="Send only this order (repeat)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Leave this order out (repeat)."),
    recipient: str | None = typer.Option(
        None, "--recipient", help="The order address of a supplier that has none (stored)."),
    smtp_conn_id: str = typer.Option(DEFAULT_SMTP_CONN_ID, "--smtp-conn-id",
                                     help="The Airflow SMTP connection (backend smtp)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Build the messages, send nothing."),
    report: Path | None = typer.Option(None, "--report", help="Write the JSON report here."),
) -> None:
    """Send the selected orders to the central base: one e-mail per supplier."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.errors import ComptoirError
    from comptoir.exchange.files import atomic_write, json_bytes
    from comptoir.intersite.sending import SendRequest, SendResult, send_orders

    try:
        request = SendRequest(user=user, selection=_selection(
            supplier, date_from, date_to, follow_up, include_all), orders=tuple(order),
            exclude=tuple(exclude), recipient=recipient, dry_run=dry_run)
        result = send_orders(dossier(), request, mailer(smtp_conn_id))
    except ComptoirError as exc:
        result = SendResult(site=None, user=user, dry_run=dry_run, error=str(exc))
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(report, json_bytes(result.as_json()))
    if result.error is not None:
        err.print(f"error: {result.error}", highlight=False, markup=False)
        raise typer.Exit(1)
    out.print(result.summary(), highlight=False, markup=False)
    for item in result.not_sent:
        out.print(f"  {item.order}: {item.rule}: {item.message}", highlight=False, markup=False)
    for message in result.messages:
        if message.state != "sent":
            out.print(f"  {message.supplier} ({', '.join(message.orders)}): {message.error}",
                      highlight=False, markup=False)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """The commands are added to `comptoir.cli.intersite.intersite_app` on import."""
