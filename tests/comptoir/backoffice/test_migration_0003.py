"""Migration 0003 (POS schema): existing rows are carried over, and it can be undone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import inspect, text

from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine

POS_TABLES = {"sales_document_taxes", "journal_line_breakdowns", "pos_log", "pos_files"}


def _downgrade(url: str, revision: str) -> None:
    command.downgrade(migrate.alembic_config(url), revision)


def _rows_of_0002(conn) -> None:  # type: ignore[no-untyped-def]
    """Rows written by the 0002 schema, with references between the tables 0003 rebuilds."""
    stamp = datetime(2026, 1, 12, 10, tzinfo=UTC)
    statements = [
        "INSERT INTO depots (id, code, name, is_store) VALUES (1, 'MAG01', 'Lyon', true)",
        "INSERT INTO registers (id, depot_id, code, name) VALUES (1, 1, 'C1', 'Caisse 1')",
        "INSERT INTO customers (id, code, name) VALUES (1, 'CLI1', 'Client')",
        "INSERT INTO articles (id, code, name) VALUES (1, 'ART1', 'Article')",
        "INSERT INTO payment_modes (id, code, name) VALUES (1, 'CB', 'Carte'), (2, 'ESP', 'Esp')",
        "INSERT INTO accounts (id, number, name) VALUES (1, '411000', 'Clients')",
        "INSERT INTO journals (id, code, name, kind) VALUES (1, 'VE', 'Ventes', 'sales'), "
        "(2, 'BQ', 'Banque', 'bank'), (3, 'OD', 'Divers', 'misc')",
        "INSERT INTO sales_documents (id, number, type, customer_id, date, accounting_status) "
        "VALUES (1, 'FA2026-000001', 'F', 1, '2026-01-12', 'posted')",
        "INSERT INTO sales_document_lines (document_id, line_no, article_id) VALUES (1, 1, 1)",
        "INSERT INTO pos_tickets (id, depot_id, register_id, number, issued_at, "
        "integrated_document_id, total_incl_tax) VALUES (1, 1, 1, 7, :stamp, 1, 12)",
        "INSERT INTO pos_ticket_lines (ticket_id, line_no, kind, article_id, quantity, "
        "unit_price_incl_tax, total_incl_tax) VALUES (1, 1, 'sale', 1, 1, 12, 12)",
        "INSERT INTO pos_ticket_payments (id, ticket_id, payment_mode_id, amount) "
        "VALUES (10, 1, 2, 2), (11, 1, 1, 10)",
        "INSERT INTO journal_entries (id, journal_id, number, date, label, document_id) VALUES "
        "(1, 1, 'VE1', '2026-01-12', 'Vente', 1), (2, 2, 'BQ1', '2026-01-13', 'Remise', NULL), "
        "(3, 3, 'OD1', '2026-01-14', 'Divers', NULL)",
        "INSERT INTO journal_entry_lines (entry_id, line_no, account_id, debit) "
        "VALUES (1, 1, 1, 12)",
        "INSERT INTO receivables (customer_id, document_id, amount, due_date) "
        "VALUES (1, 1, 12, '2026-02-11')",
    ]
    for sql in statements:
        conn.execute(text(sql), {"stamp": stamp} if ":stamp" in sql else {})
    if conn.dialect.name == "postgresql":
        for table in ("depots", "registers", "customers", "articles", "payment_modes",
                      "accounts", "journals", "sales_documents", "pos_tickets",
                      "pos_ticket_payments", "journal_entries"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))


def test_0003_carries_existing_rows_over_and_downgrades(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    _downgrade(dossier_url, "0002")
    assert migrate.current_revision(dossier_url) == "0002"
    assert not POS_TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        _rows_of_0002(conn)

    migrate.upgrade(dossier_url, "0003")
    with engine.connect() as conn:
        entries = conn.execute(text(
            "SELECT number, validated_on, kind FROM journal_entries ORDER BY id")).all()
        receivable = conn.execute(text("SELECT kind, state_code FROM receivables")).one()
        payments = conn.execute(text(
            "SELECT id, line_no FROM pos_ticket_payments ORDER BY id")).all()
        lines = conn.execute(text("SELECT count(*) FROM sales_document_lines")).scalar_one()
    assert [(n, str(v), k) for n, v, k in entries] == [
        ("VE1", "2026-01-12", "sales"), ("BQ1", "2026-01-13", "treasury"),
        ("OD1", "2026-01-14", None)]
    assert tuple(receivable) == ("due", "D10")
    assert [tuple(p) for p in payments] == [(10, 1), (11, 2)]
    assert lines == 1  # rebuilt parent tables keep their children

    with engine.begin() as conn:
        conn.execute(text("UPDATE sales_documents SET accounting_status = 'pos_pending'"))
    _downgrade(dossier_url, "0002")
    with engine.connect() as conn:
        status = conn.execute(text("SELECT accounting_status FROM sales_documents")).scalar_one()
        columns = {c["name"] for c in inspect(conn).get_columns("pos_ticket_lines")}
    assert status == "not_posted"
    assert "article_code" not in columns and "document_ref" not in columns
    migrate.upgrade(dossier_url)
    assert migrate.current_revision(dossier_url) == migrate.head_revision()


def test_downgrade_refuses_lines_without_article(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO depots (id, code, name, is_store) VALUES (1, 'MAG01', 'Lyon', true)"))
        conn.execute(text("INSERT INTO registers (id, depot_id, code, name) "
                          "VALUES (1, 1, 'C1', 'Caisse 1')"))
        conn.execute(text("INSERT INTO pos_tickets (id, depot_id, register_id, number, issued_at) "
                          "VALUES (1, 1, 1, 1, :at)"), {"at": datetime(2026, 1, 12, tzinfo=UTC)})
        conn.execute(text(
            "INSERT INTO pos_ticket_lines (ticket_id, line_no, kind, quantity, "
            "unit_price_incl_tax, total_incl_tax, document_ref) "
            "VALUES (1, 1, 'invoice_payment', 1, 100.69, 100.69, 'FA2026-000001')"))
    with pytest.raises(RuntimeError, match="1 POS ticket lines have no article"):
        _downgrade(dossier_url, "0002")
    assert migrate.current_revision(dossier_url) == migrate.head_revision()
    with engine.connect() as conn:
        total = conn.execute(text("SELECT total_incl_tax FROM pos_ticket_lines")).scalar_one()
    assert Decimal(str(total)) == Decimal("100.69")
