"""`comptoir intersite`: inter-site orders by e-mail (`spec/intersite.md`).

The group is the module-level `intersite_app`, so that other modules add their commands
to it (`intersite_send`: the distributor side — orders, send, supplier-email;
`intersite_receive`: the central side — sites, receive).
"""

from __future__ import annotations

import typer

intersite_app = typer.Typer(
    help="Inter-site orders by e-mail: a distributor's purchase orders sent to the central "
         "base, received there as customer orders.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(intersite_app, name="intersite")
