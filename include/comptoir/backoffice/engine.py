"""The dossier's database: URL resolution and engine creation.

SQLite (embedded default) and PostgreSQL (real deployments) are both first-class.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from comptoir import paths
from comptoir.errors import ComptoirError


class DatabaseUrlError(ComptoirError):
    """The dossier URL cannot be understood."""


def database_url(url: str | None = None) -> str:
    """The dossier URL: `url`, else `COMPTOIR_DATABASE_URL`, else the SQLite file in `var/`."""
    raw = url or os.environ.get("COMPTOIR_DATABASE_URL") or f"sqlite:///{paths.dossier_file()}"
    return normalize_url(raw)


def normalize_url(raw: str) -> str:
    """Accept the URLs a user types and pick our drivers (psycopg 3 for PostgreSQL)."""
    raw = raw.strip()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"cannot read the database URL {raw!r}: expected sqlite:///PATH or "
            "postgresql://USER@HOST/DATABASE"
        ) from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise DatabaseUrlError(
            f"unsupported database {backend!r} in {url.render_as_string(hide_password=True)}: "
            "Comptoir runs on SQLite or PostgreSQL"
        )
    return url.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite dossier."""
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_ENGINES: dict[str, Engine] = {}


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The engine for the dossier (one per URL and process)."""
    resolved = database_url(url)
    if resolved not in _ENGINES:
        _ENGINES[resolved] = _create(resolved)
    return _ENGINES[resolved]


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (tests, forks)."""
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()
