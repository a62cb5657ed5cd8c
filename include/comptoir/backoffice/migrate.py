"""Schema migrations of the dossier (Alembic), callable from the CLI, tests and operators."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from comptoir.backoffice.engine import database_url, get_engine
from comptoir.errors import ComptoirError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the dossier at `url` (default: the configured one)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the dossier's schema to `revision` (creates it when empty)."""
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """The revision the dossier is at (None when it was never migrated)."""
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


class DossierNotReady(ComptoirError):
    """The dossier has no schema yet, or an older one than this code."""


def require_current(url: str | None = None) -> None:
    """Raise DossierNotReady unless the dossier's schema is the one this code expects."""
    current, head = current_revision(url), head_revision()
    if current == head:
        return
    where = get_engine(url).url.render_as_string(hide_password=True)
    if current is None:
        raise DossierNotReady(f"the dossier at {where} is not created yet: run `comptoir db init`")
    raise DossierNotReady(f"the dossier at {where} has schema {current}, this version needs "
                          f"{head}: run `comptoir db upgrade`")
