"""offline POS tickets: ticket files, invoicing and POS accounting (spec/pos.md)

Also the `pos_ticket_lines` columns `retail-tasks.md` shares with it (`article_code`,
`sub_family_id` and the check that a sales line names an article one way or another), so the
two issues do not alter that check twice.

Existing rows: `journal_entries.validated_on` takes the entry's `date` and `kind` the kind of
its journal (sales; bank or cash: treasury; else null); receivables become `due` with state
code `D10`; ticket payments are numbered per ticket in id order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NOW = sa.text("(CURRENT_TIMESTAMP)")
TICKET_LINE_KINDS = "kind IN ('sale', 'return', 'defective', 'invoice_payment', 'deposit')"
OLD_TICKET_LINE_KINDS = "kind IN ('sale', 'return', 'defective')"
ARTICLE = ("kind IN ('invoice_payment', 'deposit') OR article_id IS NOT NULL "
           "OR sub_family_id IS NOT NULL OR article_code IS NOT NULL")
DOCUMENT_REF = "kind NOT IN ('invoice_payment', 'deposit') OR document_ref IS NOT NULL"
STATUSES = "accounting_status IN ('not_posted', 'pos_pending', 'posted', 'excluded')"
OLD_STATUSES = "accounting_status IN ('not_posted', 'posted', 'excluded')"


def upgrade() -> None:
    with op.batch_alter_table("vat_codes") as batch:
        batch.add_column(sa.Column("tax_account", sa.String(length=20), nullable=True))
    with op.batch_alter_table("registers") as batch:
        batch.add_column(sa.Column("number", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("journal_code", sa.String(length=10), nullable=True))
    _upgrade_sales_documents()
    _upgrade_tickets()
    _create_pos_files_and_log()
    _upgrade_journal_entries()
    _upgrade_receivables()


def _upgrade_sales_documents() -> None:
    with op.batch_alter_table("sales_documents") as batch:
        batch.add_column(sa.Column("register_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_sales_documents_register_id_registers"),
                                 "registers", ["register_id"], ["id"])
        batch.drop_constraint(op.f("ck_sales_documents_accounting_status"), type_="check")
        batch.create_check_constraint(op.f("ck_sales_documents_accounting_status"),
                                      sa.text(STATUSES))
    op.create_table(
        "sales_document_taxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("vat_code_id", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("base_excl_tax", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("tax", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("total_incl_tax", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["sales_documents.id"],
            name=op.f("fk_sales_document_taxes_document_id_sales_documents")),
        sa.ForeignKeyConstraint(["vat_code_id"], ["vat_codes.id"],
                                name=op.f("fk_sales_document_taxes_vat_code_id_vat_codes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_document_taxes")),
        sa.UniqueConstraint("document_id", "vat_code_id", name="uq_sales_document_taxes_key"),
    )


def _upgrade_tickets() -> None:
    with op.batch_alter_table("pos_tickets") as batch:
        batch.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("source_file", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("extracted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("extract_file", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_pos_tickets_integrated_at"), ["integrated_at"])
        batch.create_index(op.f("ix_pos_tickets_posted_at"), ["posted_at"])
    with op.batch_alter_table("pos_ticket_lines") as batch:
        batch.add_column(sa.Column("article_code", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("sub_family_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("vat_code_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("document_ref", sa.String(length=30), nullable=True))
        batch.alter_column("kind", existing_type=sa.String(length=10),
                           type_=sa.String(length=20), existing_nullable=False,
                           existing_server_default="sale")
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(op.f("fk_pos_ticket_lines_sub_family_id_sub_families"),
                                 "sub_families", ["sub_family_id"], ["id"])
        batch.create_foreign_key(op.f("fk_pos_ticket_lines_vat_code_id_vat_codes"),
                                 "vat_codes", ["vat_code_id"], ["id"])
        batch.drop_constraint(op.f("ck_pos_ticket_lines_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_pos_ticket_lines_kind"),
                                      sa.text(TICKET_LINE_KINDS))
        batch.create_check_constraint(op.f("ck_pos_ticket_lines_article"), sa.text(ARTICLE))
        batch.create_check_constraint(op.f("ck_pos_ticket_lines_document_ref"),
                                      sa.text(DOCUMENT_REF))
    with op.batch_alter_table("pos_ticket_payments") as batch:
        batch.add_column(sa.Column("line_no", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
    payments = sa.table("pos_ticket_payments", sa.column("id"), sa.column("ticket_id"),
                        sa.column("line_no"))
    earlier = payments.alias("earlier")
    op.execute(payments.update().values(line_no=(
        sa.select(sa.func.count()).select_from(earlier)
        .where(earlier.c.ticket_id == payments.c.ticket_id, earlier.c.id <= payments.c.id)
        .scalar_subquery())))
    with op.batch_alter_table("pos_ticket_payments") as batch:
        batch.alter_column("line_no", existing_type=sa.Integer(), nullable=False)


def _create_pos_files_and_log() -> None:
    op.create_table(
        "pos_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("store", sa.String(length=40), nullable=True),
        sa.Column("register", sa.String(length=40), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("tickets", sa.Integer(), server_default="0", nullable=False),
        sa.Column("integrated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("already_integrated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint("kind IS NULL OR kind IN ('degraded', 'untransferred')",
                           name=op.f("ck_pos_files_kind")),
        sa.CheckConstraint("status IN ('done', 'failed')", name=op.f("ck_pos_files_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_files")),
    )
    op.create_index(op.f("ix_pos_files_name"), "pos_files", ["name"])
    op.create_index(op.f("ix_pos_files_run_id"), "pos_files", ["run_id"])
    op.create_index(op.f("ix_pos_files_sha256"), "pos_files", ["sha256"])
    op.create_table(
        "pos_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=True),
        sa.Column("store", sa.String(length=40), nullable=True),
        sa.Column("register", sa.String(length=40), nullable=True),
        sa.Column("ticket", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.CheckConstraint("level IN ('info', 'warning', 'error')",
                           name=op.f("ck_pos_log_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_log")),
    )
    op.create_index(op.f("ix_pos_log_at"), "pos_log", ["at"])
    op.create_index(op.f("ix_pos_log_run_id"), "pos_log", ["run_id"])


def _upgrade_journal_entries() -> None:
    with op.batch_alter_table("journal_entries") as batch:
        batch.add_column(sa.Column("document_ref", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("validated_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("register_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("run_id", sa.String(length=36), nullable=True))
    entries = sa.table("journal_entries", sa.column("journal_id"), sa.column("date"),
                       sa.column("validated_on"), sa.column("kind"))
    journals = sa.table("journals", sa.column("id"), sa.column("kind"))
    journal_kind = (sa.select(journals.c.kind).where(journals.c.id == entries.c.journal_id)
                    .scalar_subquery())
    op.execute(entries.update().values(
        validated_on=entries.c.date,
        kind=sa.case((journal_kind == "sales", "sales"),
                     (journal_kind.in_(["bank", "cash"]), "treasury"), else_=None)))
    with op.batch_alter_table("journal_entries") as batch:
        batch.alter_column("validated_on", existing_type=sa.Date(), nullable=False)
        batch.create_foreign_key(op.f("fk_journal_entries_register_id_registers"),
                                 "registers", ["register_id"], ["id"])
        batch.create_index(op.f("ix_journal_entries_run_id"), ["run_id"])
        batch.create_check_constraint(op.f("ck_journal_entries_kind"),
                                      sa.text("kind IS NULL OR kind IN ('sales', 'treasury')"))
    with op.batch_alter_table("journal_entry_lines") as batch:
        batch.add_column(sa.Column("lettered_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("payment_mode_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_journal_entry_lines_payment_mode_id_payment_modes"),
                                 "payment_modes", ["payment_mode_id"], ["id"])
    op.create_table(
        "journal_line_breakdowns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("document_ref", sa.String(length=40), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("lettering_code", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_journal_line_breakdowns_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["sales_documents.id"],
            name=op.f("fk_journal_line_breakdowns_document_id_sales_documents")),
        sa.ForeignKeyConstraint(
            ["line_id"], ["journal_entry_lines.id"],
            name=op.f("fk_journal_line_breakdowns_line_id_journal_entry_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_line_breakdowns")),
        sa.UniqueConstraint("line_id", "line_no", name="uq_journal_line_breakdowns_key"),
    )


def _upgrade_receivables() -> None:
    with op.batch_alter_table("receivables") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("state_code", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("entry_line_id", sa.Integer(), nullable=True))
    receivables = sa.table("receivables", sa.column("kind"), sa.column("state_code"))
    op.execute(receivables.update().values(kind="due", state_code="D10"))
    with op.batch_alter_table("receivables") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=10), nullable=False)
        batch.alter_column("state_code", existing_type=sa.String(length=3), nullable=False)
        batch.create_foreign_key(op.f("fk_receivables_entry_line_id_journal_entry_lines"),
                                 "journal_entry_lines", ["entry_line_id"], ["id"])
        batch.create_index(op.f("ix_receivables_document_id"), ["document_id"])
        batch.create_check_constraint(op.f("ck_receivables_kind"),
                                      sa.text("kind IN ('due', 'payment', 'deposit')"))
        batch.create_check_constraint(op.f("ck_receivables_state_code"),
                                      sa.text("length(state_code) = 3"))


def downgrade() -> None:
    _refuse_what_the_old_schema_cannot_hold()
    with op.batch_alter_table("receivables") as batch:
        batch.drop_constraint(op.f("ck_receivables_state_code"), type_="check")
        batch.drop_constraint(op.f("ck_receivables_kind"), type_="check")
        batch.drop_index(op.f("ix_receivables_document_id"))
        batch.drop_constraint(op.f("fk_receivables_entry_line_id_journal_entry_lines"),
                              type_="foreignkey")
        batch.drop_column("entry_line_id")
        batch.drop_column("reference")
        batch.drop_column("state_code")
        batch.drop_column("kind")
    op.drop_table("journal_line_breakdowns")
    with op.batch_alter_table("journal_entry_lines") as batch:
        batch.drop_constraint(op.f("fk_journal_entry_lines_payment_mode_id_payment_modes"),
                              type_="foreignkey")
        batch.drop_column("payment_mode_id")
        batch.drop_column("lettered_on")
    with op.batch_alter_table("journal_entries") as batch:
        batch.drop_constraint(op.f("ck_journal_entries_kind"), type_="check")
        batch.drop_index(op.f("ix_journal_entries_run_id"))
        batch.drop_constraint(op.f("fk_journal_entries_register_id_registers"),
                              type_="foreignkey")
        for column in ("run_id", "register_id", "kind", "validated_on", "document_ref"):
            batch.drop_column(column)
    op.drop_table("pos_log")
    op.drop_table("pos_files")
    with op.batch_alter_table("pos_ticket_payments") as batch:
        batch.drop_column("reference")
        batch.drop_column("line_no")
    with op.batch_alter_table("pos_ticket_lines") as batch:
        batch.drop_constraint(op.f("ck_pos_ticket_lines_document_ref"), type_="check")
        batch.drop_constraint(op.f("ck_pos_ticket_lines_article"), type_="check")
        batch.drop_constraint(op.f("ck_pos_ticket_lines_kind"), type_="check")
        batch.drop_constraint(op.f("fk_pos_ticket_lines_vat_code_id_vat_codes"),
                              type_="foreignkey")
        batch.drop_constraint(op.f("fk_pos_ticket_lines_sub_family_id_sub_families"),
                              type_="foreignkey")
        for column in ("document_ref", "vat_code_id", "sub_family_id", "article_code"):
            batch.drop_column(column)
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("kind", existing_type=sa.String(length=20),
                           type_=sa.String(length=10), existing_nullable=False,
                           existing_server_default="sale")
        batch.create_check_constraint(op.f("ck_pos_ticket_lines_kind"),
                                      sa.text(OLD_TICKET_LINE_KINDS))
    with op.batch_alter_table("pos_tickets") as batch:
        batch.drop_index(op.f("ix_pos_tickets_posted_at"))
        batch.drop_index(op.f("ix_pos_tickets_integrated_at"))
        for column in ("posted_at", "extract_file", "extracted_at", "source_file",
                       "received_at"):
            batch.drop_column(column)
    op.drop_table("sales_document_taxes")
    documents = sa.table("sales_documents", sa.column("accounting_status"))
    op.execute(documents.update().where(documents.c.accounting_status == "pos_pending")
               .values(accounting_status="not_posted"))
    with op.batch_alter_table("sales_documents") as batch:
        batch.drop_constraint(op.f("ck_sales_documents_accounting_status"), type_="check")
        batch.create_check_constraint(op.f("ck_sales_documents_accounting_status"),
                                      sa.text(OLD_STATUSES))
        batch.drop_constraint(op.f("fk_sales_documents_register_id_registers"),
                              type_="foreignkey")
        batch.drop_column("register_id")
    with op.batch_alter_table("registers") as batch:
        batch.drop_column("journal_code")
        batch.drop_column("number")
    with op.batch_alter_table("vat_codes") as batch:
        batch.drop_column("tax_account")


def _refuse_what_the_old_schema_cannot_hold() -> None:
    """Ticket lines without an article have no place in 0002: stop before changing anything."""
    lines = sa.table("pos_ticket_lines", sa.column("article_id"))
    count = op.get_bind().execute(
        sa.select(sa.func.count()).select_from(lines).where(lines.c.article_id.is_(None))
    ).scalar_one()
    if count:
        raise RuntimeError(
            f"cannot downgrade to 0002: {count} POS ticket lines have no article "
            "(account operations or sub-family sales); delete them first")
