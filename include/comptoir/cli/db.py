"""`comptoir db`: create and upgrade the dossier's schema."""

from __future__ import annotations

import typer
from rich.console import Console

from comptoir.cli.output import JSON_HELP, print_listing, stdout_is_terminal

out = Console()
err = Console(stderr=True, soft_wrap=True)


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="The dossier database: create it, upgrade it, see its state.",
                     no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("init")
    def init() -> None:
        """Create the dossier (or bring an existing one up to date)."""
        from comptoir.backoffice import migrate
        from comptoir.backoffice.engine import get_engine

        before = migrate.current_revision()
        migrate.upgrade()
        where = get_engine().url.render_as_string(hide_password=True)
        if before is None:
            out.print(f"dossier created at {where} (schema {migrate.head_revision()})")
        else:
            out.print(f"dossier at {where} already exists; schema now {migrate.head_revision()}")

    @db.command("upgrade")
    def upgrade(
        revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
    ) -> None:
        """Apply the schema migrations the dossier does not have yet."""
        from comptoir.backoffice import migrate

        before = migrate.current_revision()
        migrate.upgrade(revision=revision)
        out.print(f"schema upgraded: {before or 'empty'} -> {migrate.current_revision()}")

    @db.command("status")
    def status(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """Where the dossier is and which schema revision it has; exit 4 if not the newest."""
        from comptoir.backoffice import migrate
        from comptoir.backoffice.engine import get_engine

        current = migrate.current_revision()
        head = migrate.head_revision()
        state = "current" if current == head else "not created" if current is None else "outdated"
        where = get_engine().url.render_as_string(hide_password=True)
        document = {"dossier": where, "revision": current, "newest": head, "state": state}
        if as_json or not stdout_is_terminal():
            print_listing(tuple(document), [document], as_json=as_json, json_data=document)
        else:
            out.print(f"dossier: {where}", highlight=False, markup=False)
            out.print(f"schema:  {current or 'not created'} (newest: {head})", highlight=False)
        if state != "current":
            hint = ("run `comptoir db init` to create it" if current is None
                    else "run `comptoir db upgrade` to bring it up to date")
            err.print(hint, highlight=False, markup=False)
            raise typer.Exit(4)
