"""retail task types: sales days applied to the stock, defective vouchers, sales history,
store traffic, inventories, customer merges, task watermarks (spec/retail-tasks.md)

`pos_ticket_lines.article_id` nullable, `article_code`, `sub_family_id` and the article check
came with 0003; this adds `correction` and `defective_movement_id`.

Existing rows: every sales day becomes `stock_state = 'updated'` — days recorded before
this migration are taken as already reflected in the stock (they have no `VT` movement, so
the defective goods never take their lines); suppliers keep their `defective_policy`, only
the default of new ones becomes `adjustment`; ticket lines keep their article, with no
correction and no defective voucher. Undone, `sales_adjustment` and `kit_split` movements
become `adjustment` (the old kind check has neither; their stock effect is kept) and the
new tables are dropped with their rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NOW = sa.text("(CURRENT_TIMESTAMP)")
MOVEMENT_KINDS = ("kind IN ('initial', 'sale', 'return', 'adjustment', 'transfer', "
                  "'defective_destruction', 'supplier_return', 'sales_adjustment', "
                  "'kit_split')")
OLD_MOVEMENT_KINDS = ("kind IN ('initial', 'sale', 'return', 'adjustment', 'transfer', "
                      "'defective_destruction', 'supplier_return')")
CORRECTION = "correction IS NULL OR correction IN ('misc_article', 'return_sign')"
STOCK_STATE = "stock_state IN ('pending', 'updated', 'error')"
DEFECTIVE_LINE = "kind = 'defective'"
TARGETED = "target IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("stock_movements") as batch:
        batch.add_column(sa.Column("supplier_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("created_by_run", sa.String(length=250), nullable=True))
        batch.create_foreign_key(op.f("fk_stock_movements_supplier_id_suppliers"),
                                 "suppliers", ["supplier_id"], ["id"])
        batch.drop_constraint(op.f("ck_stock_movements_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_stock_movements_kind"),
                                      sa.text(MOVEMENT_KINDS))
    with op.batch_alter_table("pos_ticket_lines") as batch:
        batch.add_column(sa.Column("correction", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("defective_movement_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_pos_ticket_lines_defective_movement_id_stock_movements"),
            "stock_movements", ["defective_movement_id"], ["id"])
        batch.create_check_constraint(op.f("ck_pos_ticket_lines_correction"),
                                      sa.text(CORRECTION))
    with op.batch_alter_table("sales_days") as batch:
        batch.add_column(sa.Column("stock_state", sa.String(length=10), nullable=False,
                                   server_default="pending"))
        batch.add_column(sa.Column("stock_movement_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("stock_errors", sa.Text(), nullable=True))
        batch.add_column(sa.Column("stock_updated_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.create_foreign_key(op.f("fk_sales_days_stock_movement_id_stock_movements"),
                                 "stock_movements", ["stock_movement_id"], ["id"])
        batch.create_check_constraint(op.f("ck_sales_days_stock_state"),
                                      sa.text(STOCK_STATE))
        batch.create_index("ix_sales_days_stock_state_date", ["stock_state", "date"])
        batch.create_index("ix_sales_days_depot_date", ["depot_id", "date"])
    days = sa.table("sales_days", sa.column("stock_state"))
    op.execute(days.update().values(stock_state="updated"))
    with op.batch_alter_table("suppliers") as batch:
        batch.alter_column("defective_policy", existing_type=sa.String(length=20),
                           existing_nullable=False, existing_server_default="none",
                           server_default="adjustment")
    with op.batch_alter_table("stock_records") as batch:
        batch.add_column(sa.Column("target_quantity", sa.Numeric(precision=15, scale=3),
                                   nullable=True))
    with op.batch_alter_table("purchase_orders") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=120), nullable=True))
    with op.batch_alter_table("sales_documents") as batch:
        batch.add_column(sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("pos_tickets") as batch:
        batch.create_index("ix_pos_tickets_depot_issued_at", ["depot_id", "issued_at"])
        batch.create_index("ix_pos_tickets_customer_issued_at", ["customer_id", "issued_at"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("target", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_messages_category_target", ["category", "target"])
    # partial indexes last, outside the batches: a SQLite table copy would lose their WHERE
    op.create_index("ix_pos_ticket_lines_defective_movement_id", "pos_ticket_lines",
                    ["defective_movement_id"], sqlite_where=sa.text(DEFECTIVE_LINE),
                    postgresql_where=sa.text(DEFECTIVE_LINE))
    op.create_index("uq_messages_task_run_target", "messages", ["task_id", "run_id", "target"],
                    unique=True, sqlite_where=sa.text(TARGETED),
                    postgresql_where=sa.text(TARGETED))
    _create_tables()


def _create_tables() -> None:
    op.create_table(
        "task_state",
        sa.Column("task_id", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.PrimaryKeyConstraint("task_id", "key", name=op.f("pk_task_state")),
    )
    op.create_table(
        "sales_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("sub_family_id", sa.Integer(), nullable=True),
        sa.Column("article_code", sa.String(length=40), nullable=True),
        sa.Column("tickets", sa.Integer(), server_default="0", nullable=False),
        sa.Column("quantity", sa.Numeric(precision=15, scale=3), server_default="0",
                  nullable=False),
        sa.Column("amount_incl_tax", sa.Numeric(precision=15, scale=2), server_default="0",
                  nullable=False),
        sa.Column("amount_excl_tax", sa.Numeric(precision=15, scale=2), server_default="0",
                  nullable=False),
        sa.Column("cost", sa.Numeric(precision=15, scale=2), server_default="0",
                  nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_sales_history_article_id_articles")),
        sa.ForeignKeyConstraint(["depot_id"], ["depots.id"],
                                name=op.f("fk_sales_history_depot_id_depots")),
        sa.ForeignKeyConstraint(["sub_family_id"], ["sub_families.id"],
                                name=op.f("fk_sales_history_sub_family_id_sub_families")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_history")),
    )
    op.create_index("uq_sales_history_key", "sales_history",
                    ["month", "depot_id", sa.text("coalesce(article_id, 0)"),
                     sa.text("coalesce(sub_family_id, 0)"),
                     sa.text("coalesce(article_code, '')")], unique=True)
    op.create_table(
        "history_months",
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("tickets", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lines", sa.Integer(), server_default="0", nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.ForeignKeyConstraint(["depot_id"], ["depots.id"],
                                name=op.f("fk_history_months_depot_id_depots")),
        sa.PrimaryKeyConstraint("depot_id", "month", name=op.f("pk_history_months")),
    )
    op.create_table(
        "store_traffic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=True),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.CheckConstraint("visitors >= 0", name=op.f("ck_store_traffic_visitors")),
        sa.CheckConstraint("hour IS NULL OR hour BETWEEN 0 AND 23",
                           name=op.f("ck_store_traffic_hour")),
        sa.ForeignKeyConstraint(["depot_id"], ["depots.id"],
                                name=op.f("fk_store_traffic_depot_id_depots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_traffic")),
    )
    op.create_index("uq_store_traffic_key", "store_traffic",
                    ["depot_id", "date", sa.text("coalesce(hour, -1)")], unique=True)
    op.create_table(
        "inventories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="prepared", nullable=False),
        sa.Column("blind", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_by_run", sa.String(length=250), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.CheckConstraint("status IN ('prepared', 'counted', 'validated', 'cancelled')",
                           name=op.f("ck_inventories_status")),
        sa.ForeignKeyConstraint(["depot_id"], ["depots.id"],
                                name=op.f("fk_inventories_depot_id_depots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventories")),
        sa.UniqueConstraint("number", name=op.f("uq_inventories_number")),
    )
    op.create_index(op.f("ix_inventories_depot_id"), "inventories", ["depot_id"])
    op.create_table(
        "inventory_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(length=60), nullable=True),
        sa.Column("expected_quantity", sa.Numeric(precision=15, scale=3), nullable=False),
        sa.Column("wac", sa.Numeric(precision=15, scale=4), server_default="0",
                  nullable=False),
        sa.Column("counted_quantity", sa.Numeric(precision=15, scale=3), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_inventory_lines_article_id_articles")),
        sa.ForeignKeyConstraint(["inventory_id"], ["inventories.id"],
                                name=op.f("fk_inventory_lines_inventory_id_inventories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_lines")),
        sa.UniqueConstraint("inventory_id", "line_no", name="uq_inventory_lines_key"),
    )
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("master_id", sa.Integer(), nullable=False),
        sa.Column("merged_code", sa.String(length=40), nullable=False),
        sa.Column("merged_name", sa.String(length=120), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.ForeignKeyConstraint(["master_id"], ["customers.id"],
                                name=op.f("fk_customer_merges_master_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
    )
    op.create_index(op.f("ix_customer_merges_master_id"), "customer_merges", ["master_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_merges_master_id"), table_name="customer_merges")
    op.drop_table("customer_merges")
    op.drop_table("inventory_lines")
    op.drop_index(op.f("ix_inventories_depot_id"), table_name="inventories")
    op.drop_table("inventories")
    op.drop_index("uq_store_traffic_key", table_name="store_traffic")
    op.drop_table("store_traffic")
    op.drop_table("history_months")
    op.drop_index("uq_sales_history_key", table_name="sales_history")
    op.drop_table("sales_history")
    op.drop_table("task_state")
    op.drop_index("uq_messages_task_run_target", table_name="messages")
    op.drop_index("ix_pos_ticket_lines_defective_movement_id", table_name="pos_ticket_lines")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_category_target")
        batch.drop_column("expires_at")
        batch.drop_column("target")
    with op.batch_alter_table("pos_tickets") as batch:
        batch.drop_index("ix_pos_tickets_customer_issued_at")
        batch.drop_index("ix_pos_tickets_depot_issued_at")
    with op.batch_alter_table("sales_documents") as batch:
        batch.drop_column("printed_at")
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("stock_records") as batch:
        batch.drop_column("target_quantity")
    with op.batch_alter_table("suppliers") as batch:
        batch.alter_column("defective_policy", existing_type=sa.String(length=20),
                           existing_nullable=False, existing_server_default="adjustment",
                           server_default="none")
    with op.batch_alter_table("sales_days") as batch:
        batch.drop_index("ix_sales_days_depot_date")
        batch.drop_index("ix_sales_days_stock_state_date")
        batch.drop_constraint(op.f("ck_sales_days_stock_state"), type_="check")
        batch.drop_constraint(op.f("fk_sales_days_stock_movement_id_stock_movements"),
                              type_="foreignkey")
        for column in ("stock_updated_at", "stock_errors", "stock_movement_id", "stock_state"):
            batch.drop_column(column)
    with op.batch_alter_table("pos_ticket_lines") as batch:
        batch.drop_constraint(op.f("ck_pos_ticket_lines_correction"), type_="check")
        batch.drop_constraint(
            op.f("fk_pos_ticket_lines_defective_movement_id_stock_movements"),
            type_="foreignkey")
        batch.drop_column("defective_movement_id")
        batch.drop_column("correction")
    movements = sa.table("stock_movements", sa.column("kind"))
    op.execute(movements.update().where(movements.c.kind.in_(["sales_adjustment", "kit_split"]))
               .values(kind="adjustment"))
    with op.batch_alter_table("stock_movements") as batch:
        batch.drop_constraint(op.f("ck_stock_movements_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_stock_movements_kind"),
                                      sa.text(OLD_MOVEMENT_KINDS))
        batch.drop_constraint(op.f("fk_stock_movements_supplier_id_suppliers"),
                              type_="foreignkey")
        batch.drop_column("created_by_run")
        batch.drop_column("supplier_id")
