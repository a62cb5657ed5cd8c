"""The users directory: who follows purchase orders, and the address they send from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, select

from comptoir.backoffice.schema import users
from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import check_address

__all__ = ["User", "UserError", "find_user", "list_users", "remove_user", "set_user"]

_LOGIN = re.compile(r"[^\s\x00-\x1f\x7f]{1,60}")


class UserError(ComptoirError):
    """An unknown user, an invalid login, name or address."""


@dataclass(frozen=True)
class User:
    """One user of the directory."""

    login: str
    name: str | None
    email: str | None


def _login(login: str) -> str:
    login = login.strip()
    if not _LOGIN.fullmatch(login):
        raise UserError(f"invalid login {login!r}: 1 to 60 characters, no space")
    return login


def find_user(conn: Connection, login: str) -> User | None:
    """The user `login`, or None."""
    row = conn.execute(select(users.c.login, users.c.name, users.c.email)
                       .where(users.c.login == login.strip())).first()
    return None if row is None else User(*row)


def set_user(conn: Connection, login: str, email: str, name: str | None = None) -> User:
    """Create or update `login` with its address (a name given replaces the stored one)."""
    login = _login(login)
    try:
        email = check_address(email)
    except ValueError as exc:
        raise UserError(f"user {login}: {exc}") from None
    if name is not None:
        name = name.strip() or None
        if name is not None and len(name) > 120:
            raise UserError(f"user {login}: the name is longer than 120 characters")
    values: dict[str, str | None] = {"email": email}
    if name is not None:
        values["name"] = name
    if conn.execute(users.update().where(users.c.login == login).values(**values)).rowcount == 0:
        conn.execute(users.insert().values(login=login, name=name, email=email))
    found = find_user(conn, login)
    assert found is not None
    return found


def list_users(conn: Connection) -> list[User]:
    """Every user, by login."""
    return [User(*row) for row in conn.execute(
        select(users.c.login, users.c.name, users.c.email).order_by(users.c.login))]


def remove_user(conn: Connection, login: str) -> None:
    """Remove `login` from the directory; `UserError` when it is not there."""
    if conn.execute(users.delete().where(users.c.login == login.strip())).rowcount == 0:
        raise UserError(f"unknown user {login.strip()!r}")
