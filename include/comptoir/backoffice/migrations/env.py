"""Alembic environment: migrates the dossier the caller names (see backoffice.migrate)."""

from __future__ import annotations

from alembic import context

from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            _run(conn)
        return
    with engine.connect() as conn:
        _run_without_foreign_keys(conn)


def _run_without_foreign_keys(conn) -> None:  # type: ignore[no-untyped-def]
    """SQLite: batch mode copies a table and drops the original, which foreign keys of other
    tables' rows would forbid. They are off while the migrations run (the pragma only takes
    effect outside a transaction) and every reference is checked before the commit."""
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()
    try:
        with conn.begin():
            _run(conn)
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left {len(broken)} broken references, "
                                   f"first: {tuple(broken[0])}")
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `comptoir db upgrade`")
run_migrations()
