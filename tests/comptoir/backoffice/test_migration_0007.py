"""Migration 0007: `stock_records` gets PostgreSQL fill factor 50 (room for in-page updates),
reset by the downgrade; SQLite has no fill factor and the migration leaves it alone."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import STOCK_FILLFACTOR


def options(url: str) -> list[str] | None:
    with get_engine(url).connect() as conn:
        return conn.execute(text("SELECT reloptions FROM pg_class "
                                 "WHERE relname = 'stock_records'")).scalar_one()


def test_0007_sets_the_fill_factor_and_its_downgrade_resets_it(dossier_url: str) -> None:
    migrate.upgrade(dossier_url)
    engine = get_engine(dossier_url)
    if engine.dialect.name == "postgresql":
        assert options(dossier_url) == [f"fillfactor={STOCK_FILLFACTOR}"]
    command.downgrade(migrate.alembic_config(dossier_url), "0006")
    assert migrate.current_revision(dossier_url) == "0006"
    if engine.dialect.name == "postgresql":
        assert options(dossier_url) is None
    migrate.upgrade(dossier_url)
    assert migrate.current_revision(dossier_url) == migrate.head_revision()
    with engine.connect() as conn:  # the table itself is untouched on both databases
        assert conn.execute(text("SELECT COUNT(*) FROM stock_records")).scalar_one() == 0
