"""A fresh PostgreSQL database for a benchmark (`make bench` skips `_` modules)."""

from __future__ import annotations


def database(server: str, name: str, drop: bool = False) -> str:
    """Create the database `name` afresh on `server` (or only drop it); its URL (psycopg 3)."""
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')
    found = make_url(server).set(database=name, drivername="postgresql+psycopg")
    return found.render_as_string(hide_password=False)
