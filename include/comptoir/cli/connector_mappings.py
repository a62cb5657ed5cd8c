"""`comptoir connector` commands (filled in by the econnector work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Commands are added to `comptoir.cli.connector.connector_app`."""
