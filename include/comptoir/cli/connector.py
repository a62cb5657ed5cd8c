"""`comptoir connector`: the partner CSV connector (`spec/econnector.md`).

The group is the module-level `connector_app`, so that other modules add their commands
to it (`connector_mappings`: correspondences; `connector_sync`: receive, pending,
history; `connector_send`: send). Every command of the group first warns on stderr about
the connectors in `at_start` reception mode whose import folder holds waiting files.
"""

from __future__ import annotations

import typer
from rich.console import Console

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

connector_app = typer.Typer(
    help="Partner CSV connector (Facilitime): settings, article correspondences, "
         "reception, sending and history.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(connector_app, name="connector")
