"""`comptoir connector send`: write the connector's snapshot files (`spec/econnector.md`).

Prints the summary line, then one line per record left out; `--report` writes the
report's JSON (also when the sending could not run: its `error` says why). Exit 0 every
record written (or nothing to send), 3 some left out, 1 nothing written (the reason on
stderr).
"""

from __future__ import annotations

from pathlib import Path

import typer

from comptoir.cli.connector import connector_app, err, out


@connector_app.command("send")
def send_command(
    code: str = typer.Argument(..., help="The connector's code."),
    articles: bool | None = typer.Option(
        None, "--articles/--no-articles",
        help="Send Articles.csv, or not (default: as send_articles says)."),
    customers: bool | None = typer.Option(
        None, "--customers/--no-customers",
        help="Send Clients.csv (and Contacts.csv with send_contacts on), or not (default: "
             "as send_customers says)."),
    report: Path | None = typer.Option(None, "--report", help="Write the JSON report here."),
) -> None:
    """Write the articles and customers files into the connector's export folder."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.sending import send
    from comptoir.exchange.files import atomic_write, json_bytes

    result = send(dossier(), code, articles=articles, customers=customers)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(report, json_bytes(result.as_json()))
    if result.error is not None:
        err.print(f"error: {result.summary()}", highlight=False, markup=False)
    else:
        out.print(result.summary(), highlight=False, markup=False)
    for item in result.items:
        out.print(f"  {item.file} {item.type} {item.identifier}: {item.rule}: "
                  f"{'; '.join(item.messages)}", highlight=False, markup=False)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """The command is added to `comptoir.cli.connector.connector_app` on import."""
