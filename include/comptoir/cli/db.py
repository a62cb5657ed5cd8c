"""`comptoir db`: create and upgrade the dossier's schema."""

from __future__ import annotations

import typer
from rich.console import Console

out = Console()


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
    def status() -> None:
        """Where the dossier is and which schema revision it has."""
        from comptoir.backoffice import migrate
        from comptoir.backoffice.engine import get_engine

        current = migrate.current_revision()
        head = migrate.head_revision()
        out.print(f"dossier: {get_engine().url.render_as_string(hide_password=True)}")
        out.print(f"schema:  {current or 'not created'} (newest: {head})")
        if current != head:
            out.print("run `comptoir db upgrade` to bring it up to date")
            raise typer.Exit(4)
