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


def row_counts(url: str, tables: dict[str, str]) -> dict[str, int]:
    """Label → rows of the dossier table it names (`{"lines": "sales_document_lines"}`)."""
    from sqlalchemy import create_engine, func, select

    from comptoir.backoffice import schema as s

    engine = create_engine(url)
    with engine.connect() as conn:
        found = {label: conn.execute(select(func.count())
                                     .select_from(s.metadata.tables[table])).scalar_one()
                 for label, table in tables.items()}
    engine.dispose()
    return found
