"""`comptoir connector receive` and `comptoir connector pending` (`spec/econnector.md`).

`receive` prints the summary line (`FACILI: 7 synchronised, 0 already received, 1 waiting,
2 in error`), then one line per file not done and per item not synchronised; `--report`
writes the JSON report. Exit status: 0 every item synchronised or already received (or
nothing to receive); 3 an item waiting or in error, or a file failed; 1 the reception
could not run (unknown connector, invalid settings, import folder unreadable, another
reception running), nothing written. `pending` lists what a reception would do now
(writes nothing; exit 0, or 1 as above); `--json` for scripts.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.cli.connector import connector_app
from comptoir.cli.output import JSON_HELP, print_json, print_listing

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """The commands are on `connector_app` (see the decorators below)."""


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


@connector_app.command("receive")
def receive_command(
    code: str = typer.Argument(..., help="The connector's code (FACILI)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Control everything, write "
                                 "nothing, move no file."),
    report: Path | None = typer.Option(None, "--report", help="Write the JSON report here."),
) -> None:
    """Receive the partner's files waiting in the connector's import folder."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.reception import receive
    from comptoir.exchange.files import atomic_write, json_bytes

    result = receive(dossier(), code, dry_run=dry_run)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(report, json_bytes(result.as_json()))
    if result.error is not None:
        err.print(f"[bold red]error:[/] {escape(result.error)}", highlight=False)
        raise typer.Exit(1)
    _say(result.summary() + (" (dry run: nothing written)" if dry_run else ""))
    for line in result.detail_lines():
        _say(f"  {line}")
    raise typer.Exit(result.exit_code)


@connector_app.command("pending")
def pending_command(
    code: str = typer.Argument(..., help="The connector's code (FACILI)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List what waits for reception: files, external codes, documents, third parties."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.pending import pending

    found = pending(dossier(), code)
    if as_json:
        print_json(found)
        return
    sections = (("files", ("name", "kind", "records")),
                ("articles", ("external_code", "label", "status", "article")),
                ("documents", ("identifier", "label", "status")),
                ("third_parties", ("type", "code", "status")))
    for name, columns in sections:
        _say(f"{name.replace('_', ' ').capitalize()}:")
        print_listing(columns, found[name])
