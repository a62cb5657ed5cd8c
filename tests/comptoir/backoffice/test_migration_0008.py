"""Migration 0008: the index that pages the task reports newest first, and its downgrade."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine


def indexes(url: str) -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in inspect(get_engine(url)).get_indexes("messages")}


def test_0008_adds_the_category_id_index_and_its_downgrade_drops_it(dossier_url: str) -> None:
    assert indexes(dossier_url)["ix_messages_category_id"] == ["category", "id"]
    command.downgrade(migrate.alembic_config(dossier_url), "0007")
    assert "ix_messages_category_id" not in indexes(dossier_url)
    get_engine(dossier_url).dispose()
    migrate.upgrade(dossier_url)
    assert migrate.current_revision(dossier_url) == "0008"
    assert indexes(dossier_url)["ix_messages_category_id"] == ["category", "id"]
