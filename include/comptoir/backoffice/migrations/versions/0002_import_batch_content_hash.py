"""import batches remember the SHA-256 of their file

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_import_batches_content_sha256"), ["content_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_index(batch.f("ix_import_batches_content_sha256"))
        batch.drop_column("content_sha256")
