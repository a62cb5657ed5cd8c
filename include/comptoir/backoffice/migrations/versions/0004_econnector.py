"""partner CSV connector: sync runs, history per item, correspondence labels (spec/econnector.md)

`suppliers.family`; `article_correspondences.label` and `created_at`; the new `sync_runs`;
`sync_history` gains its run, file, line and local reference, and the status `waiting`;
a unique index on `sales_documents.origin` over the documents of the connector and of
inter-site orders, so that two runs at once cannot create one document twice. Undone,
`waiting` history rows become `error` (the old check has no `waiting`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NOW = sa.text("(CURRENT_TIMESTAMP)")
EXCHANGED_ORIGIN = "source IN ('econnector', 'intersite')"
STATUSES = "status IN ('ok', 'error', 'skipped', 'waiting')"
OLD_STATUSES = "status IN ('ok', 'error', 'skipped')"


def upgrade() -> None:
    with op.batch_alter_table("suppliers") as batch:
        batch.add_column(sa.Column("family", sa.String(length=40), nullable=True))
    with op.batch_alter_table("article_correspondences") as batch:
        batch.add_column(sa.Column("label", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                                   server_default=NOW))
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("connector", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("files", sa.Text(), nullable=True),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_sync_runs_direction")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_history") as batch:
        batch.add_column(sa.Column("run_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("file", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("line", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("local_ref", sa.String(length=60), nullable=True))
        batch.create_foreign_key(batch.f("fk_sync_history_run_id_sync_runs"), "sync_runs",
                                 ["run_id"], ["id"])
        batch.create_index(batch.f("ix_sync_history_run_id"), ["run_id"])
        batch.create_index("ix_sync_history_connector_created_at",
                           ["connector", "created_at"])
        batch.drop_constraint(batch.f("ck_sync_history_status"), type_="check")
        batch.create_check_constraint(batch.f("ck_sync_history_status"), STATUSES)
    op.create_index("uq_sales_documents_exchanged_origin", "sales_documents", ["origin"],
                    unique=True, sqlite_where=sa.text(EXCHANGED_ORIGIN),
                    postgresql_where=sa.text(EXCHANGED_ORIGIN))


def downgrade() -> None:
    op.drop_index("uq_sales_documents_exchanged_origin", table_name="sales_documents")
    # the old status check has no `waiting`: such items become errors (still not received)
    op.execute(sa.text("UPDATE sync_history SET status = 'error' WHERE status = 'waiting'"))
    with op.batch_alter_table("sync_history") as batch:
        batch.drop_constraint(batch.f("ck_sync_history_status"), type_="check")
        batch.create_check_constraint(batch.f("ck_sync_history_status"), OLD_STATUSES)
        batch.drop_index("ix_sync_history_connector_created_at")
        batch.drop_index(batch.f("ix_sync_history_run_id"))
        batch.drop_constraint(batch.f("fk_sync_history_run_id_sync_runs"), type_="foreignkey")
        batch.drop_column("local_ref")
        batch.drop_column("line")
        batch.drop_column("file")
        batch.drop_column("run_id")
    op.drop_table("sync_runs")
    with op.batch_alter_table("article_correspondences") as batch:
        batch.drop_column("created_at")
        batch.drop_column("label")
    with op.batch_alter_table("suppliers") as batch:
        batch.drop_column("family")
