"""The `comptoir` command. Each command group lives in its own module with `register(app)`."""

from __future__ import annotations

import importlib
import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.errors import ComptoirError

app = typer.Typer(
    name="comptoir",
    help="Comptoir: back-office automation for retail chains.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: Modules of this package that add commands (each defines `register(app)`).
COMMAND_MODULES = ["db", "settings", "tasks", "messages", "spool", "mode", "demo", "imports",
                   "nightly", "pos", "accounting", "connector", "connector_mappings",
                   "connector_sync", "connector_send", "users", "intersite", "intersite_send",
                   "intersite_receive", "airflow_ui"]

err = Console(stderr=True)


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"comptoir.cli.{name}").register(app)


_register()


def main() -> None:
    """Entry point: user mistakes are one clear line, never a traceback."""
    from sqlalchemy.exc import OperationalError

    logging.getLogger("comptoir").addHandler(logging.NullHandler())  # reports say why
    try:
        app()
    except ComptoirError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(getattr(exc, "exit_code", 1))
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        err.print(f"[bold red]error:[/] cannot use the dossier database: {escape(reason)}",
                  highlight=False)
        sys.exit(1)
