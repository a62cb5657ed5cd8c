"""`comptoir` commands of the inter-site orders (filled in by the intersite work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing yet."""
