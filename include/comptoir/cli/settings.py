"""`comptoir settings`: read and change the dossier's settings."""

from __future__ import annotations

import typer
from rich.console import Console

from comptoir.cli.output import JSON_HELP, print_listing

out = Console()


def register(app: typer.Typer) -> None:
    settings = typer.Typer(help="Dossier settings (default regime, purchases module, ...).",
                           no_args_is_help=True)
    app.add_typer(settings, name="settings")

    @settings.command("get")
    def get(key: str = typer.Argument(..., help="Setting name.")) -> None:
        """Print one setting's value (empty when unset)."""
        from comptoir.backoffice.settings import get_setting
        from comptoir.cli.open_dossier import dossier

        with dossier().connect() as conn:
            value = get_setting(conn, key)
        print(value if value is not None else "")

    @settings.command("set")
    def set_(
        key: str = typer.Argument(..., help="Setting name."),
        value: str = typer.Argument(..., help="New value."),
    ) -> None:
        """Change one setting."""
        from comptoir.backoffice.settings import set_setting
        from comptoir.cli.open_dossier import dossier

        with dossier().begin() as conn:
            stored = set_setting(conn, key, value)
        out.print(f"{key} = {stored}")

    @settings.command("list")
    def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """Every known setting, its value and what it means."""
        from comptoir.backoffice.settings import KNOWN, all_settings
        from comptoir.cli.open_dossier import dossier

        with dossier().connect() as conn:
            values = all_settings(conn)
        print_listing(("setting", "value", "meaning"),
                      [(key, value, KNOWN[key].description) for key, value in values.items()],
                      as_json=as_json, console=out)
