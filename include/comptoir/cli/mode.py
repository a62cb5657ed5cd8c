"""`comptoir mode`: isolated mode and school mode (scheduled tasks skipped while on)."""

from __future__ import annotations

import typer
from rich.console import Console

out = Console()


def _switch(mode: str, state: str) -> None:
    from comptoir.automation import modes
    from comptoir.cli.open_dossier import dossier

    value = state.strip().lower()
    if value not in {"on", "off"}:
        raise typer.BadParameter("expected on or off")
    with dossier().begin() as conn:
        modes.set_mode(conn, mode, value == "on")
    out.print(f"{mode} mode {value}: scheduled tasks "
              + ("are skipped (start them by hand to run them)" if value == "on" else "run"))


def register(app: typer.Typer) -> None:
    mode = typer.Typer(help="Isolated and school modes: while one is on, scheduled tasks "
                       "are skipped; tasks started by hand run.", invoke_without_command=True)
    app.add_typer(mode, name="mode")

    @mode.callback()
    def status(ctx: typer.Context) -> None:
        """Without a sub-command: which modes are on."""
        if ctx.invoked_subcommand is not None:
            return
        from comptoir.automation import modes
        from comptoir.cli.open_dossier import dossier

        with dossier().connect() as conn:
            states = modes.modes_on(conn)
        for name, on in states.items():
            out.print(f"{name} mode: {'on' if on else 'off'}")
        out.print("(the Airflow Variables "
                  + ", ".join(modes.AIRFLOW_VARIABLES.values())
                  + " set to `on` in the UI switch the same modes on)")

    @mode.command("isolated")
    def isolated(state: str = typer.Argument(..., help="on or off")) -> None:
        """Switch isolated mode on or off."""
        _switch("isolated", state)

    @mode.command("school")
    def school(state: str = typer.Argument(..., help="on or off")) -> None:
        """Switch school mode on or off."""
        _switch("school", state)
