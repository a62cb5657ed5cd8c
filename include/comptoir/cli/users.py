"""`comptoir users`: the users directory (who follows purchase orders, their address)."""

from __future__ import annotations

import typer
from rich.console import Console

from comptoir.cli.output import JSON_HELP, print_listing

out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="The users who follow purchase orders and their e-mail address "
                             "(the sender of the inter-site orders they send).",
                        no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("set")
    def set_(
        login: str = typer.Argument(..., help="The user's login (as in the orders' follow-up)."),
        email: str = typer.Option(..., "--email", help="The user's e-mail address."),
        name: str | None = typer.Option(None, "--name", help="The user's name."),
    ) -> None:
        """Add a user, or change a user's address (and name)."""
        from comptoir.cli.open_dossier import dossier
        from comptoir.intersite.users import set_user

        with dossier().begin() as conn:
            user = set_user(conn, login, email, name)
        out.print(f"{user.login}: {user.email}", highlight=False, markup=False)

    @users.command("list")
    def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """Every user, by login."""
        from comptoir.cli.open_dossier import dossier
        from comptoir.intersite.users import list_users

        with dossier().connect() as conn:
            found = list_users(conn)
        print_listing(("login", "name", "email"),
                      [(u.login, u.name, u.email) for u in found], as_json=as_json, console=out)

    @users.command("remove")
    def remove(login: str = typer.Argument(..., help="The user's login.")) -> None:
        """Remove a user from the directory."""
        from comptoir.cli.open_dossier import dossier
        from comptoir.intersite.users import remove_user

        with dossier().begin() as conn:
            remove_user(conn, login)
        out.print(f"{login.strip()}: removed", highlight=False, markup=False)
