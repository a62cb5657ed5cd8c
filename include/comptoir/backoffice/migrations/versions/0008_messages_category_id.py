"""task reports paged newest first: index `messages (category, id)`

The Comptoir UI pages the task reports of one category by id, newest first. Without this
index the database finds every report of the category through `(category, target)` and
sorts them all for each page (0.4 s at 100,000 reports on SQLite); with it, a page reads
the newest entries of the index and stops.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_category_id", "messages", ["category", "id"])


def downgrade() -> None:
    op.drop_index("ix_messages_category_id", table_name="messages")
