"""inter-site orders by e-mail: users, known sites and their senders, mails handled
(spec/intersite.md)

New `users`, `intersite_sites`, `intersite_site_senders`, `intersite_mails`;
`intersite_messages.mail_id`; `purchase_orders.sent_message_id`. The unique index on the
origin of exchanged sales documents came with 0004.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "intersite_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_intersite_sites_customer_id_customers")),
        sa.ForeignKeyConstraint(["depot_id"], ["depots.id"],
                                name=op.f("fk_intersite_sites_depot_id_depots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intersite_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_intersite_sites_code")),
    )
    op.create_table(
        "intersite_site_senders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["intersite_sites.id"],
                                name=op.f("fk_intersite_site_senders_site_id_intersite_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intersite_site_senders")),
        sa.UniqueConstraint("address", name=op.f("uq_intersite_site_senders_address")),
    )
    op.create_index(op.f("ix_intersite_site_senders_site_id"), "intersite_site_senders",
                    ["site_id"])
    op.create_table(
        "intersite_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("source", sa.String(length=250), nullable=True),
        sa.Column("uid", sa.String(length=120), nullable=True),
        sa.Column("sender", sa.String(length=250), nullable=True),
        sa.Column("subject", sa.String(length=250), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.CheckConstraint("outcome IN ('processed', 'rejected')",
                           name=op.f("ck_intersite_mails_outcome")),
        sa.ForeignKeyConstraint(["site_id"], ["intersite_sites.id"],
                                name=op.f("fk_intersite_mails_site_id_intersite_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intersite_mails")),
        sa.UniqueConstraint("key", name=op.f("uq_intersite_mails_key")),
    )
    op.create_index("ix_intersite_mails_source_uid", "intersite_mails", ["source", "uid"])
    with op.batch_alter_table("intersite_messages") as batch:
        batch.add_column(sa.Column("mail_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_intersite_messages_mail_id_intersite_mails"),
                                 "intersite_mails", ["mail_id"], ["id"])
    with op.batch_alter_table("purchase_orders") as batch:
        batch.add_column(sa.Column("sent_message_id", sa.String(length=250), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("sent_message_id")
    with op.batch_alter_table("intersite_messages") as batch:
        batch.drop_constraint(batch.f("fk_intersite_messages_mail_id_intersite_mails"),
                              type_="foreignkey")
        batch.drop_column("mail_id")
    op.drop_index("ix_intersite_mails_source_uid", table_name="intersite_mails")
    op.drop_table("intersite_mails")
    op.drop_index(op.f("ix_intersite_site_senders_site_id"), table_name="intersite_site_senders")
    op.drop_table("intersite_site_senders")
    op.drop_table("intersite_sites")
    op.drop_table("users")
