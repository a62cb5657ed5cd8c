"""The dossier as CLI commands use it: checked to exist and be current first."""

from __future__ import annotations

from sqlalchemy import Engine


def dossier() -> Engine:
    """The configured dossier's engine; a clear error when it is missing or outdated."""
    from comptoir.backoffice.engine import get_engine
    from comptoir.backoffice.migrate import require_current

    require_current()
    return get_engine()
