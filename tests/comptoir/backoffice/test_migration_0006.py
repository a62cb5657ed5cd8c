"""Migration 0006 (retail task types): existing rows carried over, the unique expression
indexes, undo and redo; the company settings the retail editions print."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.settings import SettingError, set_setting

NEW_TABLES = {"task_state", "sales_history", "history_months", "store_traffic", "inventories",
              "inventory_lines", "customer_merges"}
STAMP = datetime(2026, 3, 5, 10, tzinfo=UTC)


def _downgrade(url: str, revision: str) -> None:
    command.downgrade(migrate.alembic_config(url), revision)


def _rows_of_0005(conn) -> None:  # type: ignore[no-untyped-def]
    for statement in [
        "INSERT INTO depots (id, code, name, is_store) VALUES (1, 'MAGT1', 'Magasin', true)",
        "INSERT INTO registers (id, depot_id, code, name) VALUES (1, 1, 'C1', 'Caisse 1')",
        "INSERT INTO sales_days (id, depot_id, register_id, date, status) "
        "VALUES (1, 1, 1, '2026-03-05', 'open')",
        "INSERT INTO suppliers (id, code, name, defective_policy) "
        "VALUES (1, 'F1', 'Retour', 'supplier_return')",
        "INSERT INTO suppliers (id, code, name) VALUES (2, 'F2', 'Par defaut')",
        "INSERT INTO articles (id, code, name, supplier_id) VALUES (1, 'TSC-A', 'A', 1)",
        "INSERT INTO pos_tickets (id, depot_id, register_id, number, issued_at, sales_day_id) "
        "VALUES (1, 1, 1, 1, :stamp, 1)",
        "INSERT INTO pos_ticket_lines (id, ticket_id, line_no, kind, article_id, quantity, "
        "unit_price_incl_tax, total_incl_tax) VALUES (1, 1, 1, 'defective', 1, -1, 6, -6)",
        "INSERT INTO messages (category, task_id, run_id, level, title) "
        "VALUES ('Rapports de tâches', 't', 'r', 'info', 'avant')",
    ]:
        conn.execute(text(statement), {"stamp": STAMP} if ":stamp" in statement else {})


def test_0006_carries_existing_rows_over(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    _downgrade(dossier_url, "0005")
    assert not NEW_TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        _rows_of_0005(conn)
    migrate.upgrade(dossier_url, "0006")
    with engine.begin() as conn:
        day = conn.execute(text("SELECT stock_state, stock_movement_id, stock_errors, status "
                                "FROM sales_days")).one()
        assert tuple(day) == ("updated", None, None, "open")
        policies = conn.execute(text("SELECT code, defective_policy FROM suppliers "
                                     "ORDER BY code")).all()
        assert [tuple(p) for p in policies] == [("F1", "supplier_return"), ("F2", "none")]
        line = conn.execute(text("SELECT article_id, kind, correction, defective_movement_id "
                                 "FROM pos_ticket_lines")).one()
        assert tuple(line) == (1, "defective", None, None)
        assert conn.execute(text("SELECT target FROM messages")).scalar_one() is None
        # what is new takes the new defaults
        conn.execute(text("INSERT INTO suppliers (id, code, name) VALUES (3, 'F3', 'Neuf')"))
        conn.execute(text("INSERT INTO sales_days (id, depot_id, register_id, date) "
                          "VALUES (2, 1, 1, '2026-03-06')"))
        assert conn.execute(text("SELECT defective_policy FROM suppliers WHERE id = 3")
                            ).scalar_one() == "adjustment"
        assert conn.execute(text("SELECT stock_state FROM sales_days WHERE id = 2")
                            ).scalar_one() == "pending"


def _refused(engine, statement: str, first: dict, duplicate: dict) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text(statement), first)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(statement), duplicate)


def _depot(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO depots (id, code, name) VALUES (1, 'MAGT1', 'M')"))
        conn.execute(text("INSERT INTO depots (id, code, name) VALUES (2, 'MAGT2', 'M2')"))


def test_sales_history_is_unique_with_null_keys(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    _depot(engine)
    insert = ("INSERT INTO sales_history (month, depot_id, article_id, sub_family_id, "
              "article_code) VALUES ('2025-03-01', :depot, NULL, NULL, :code)")
    _refused(engine, insert, {"depot": 1, "code": "ZX-404"}, {"depot": 1, "code": "ZX-404"})
    _refused(engine, insert, {"depot": 1, "code": None}, {"depot": 1, "code": None})
    with engine.begin() as conn:  # another store, or another code, is another row
        conn.execute(text(insert), {"depot": 2, "code": "ZX-404"})
        conn.execute(text(insert), {"depot": 1, "code": "ZX-405"})


def test_store_traffic_is_unique_per_hour_and_whole_day(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    _depot(engine)
    insert = ("INSERT INTO store_traffic (depot_id, date, hour, visitors) "
              "VALUES (1, '2025-03-05', :hour, :visitors)")
    _refused(engine, insert, {"hour": None, "visitors": 120}, {"hour": None, "visitors": 121})
    _refused(engine, insert, {"hour": 10, "visitors": 12}, {"hour": 10, "visitors": 13})
    with engine.begin() as conn:
        conn.execute(text(insert), {"hour": 11, "visitors": 0})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(insert), {"hour": 12, "visitors": -1})


def test_a_live_message_target_is_unique_per_run(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    insert = ("INSERT INTO messages (category, task_id, run_id, level, title, target) "
              "VALUES ('Live message', 'live', 'run1', 'info', 'Bonjour', :target)")
    _refused(engine, insert, {"target": "MAGT1/C1"}, {"target": "MAGT1/C1"})
    with engine.begin() as conn:  # other targets, and untargeted messages, repeat freely
        conn.execute(text(insert), {"target": "MAGT1/C2"})
        conn.execute(text(insert), {"target": None})
        conn.execute(text(insert), {"target": None})


def test_0006_downgrades_and_upgrades_again(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO depots (id, code, name) VALUES (1, 'MAGT1', 'M')"))
        conn.execute(text("INSERT INTO stock_movements (id, number, kind, date, depot_id) "
                          "VALUES (1, 'AV2025-000001', 'sales_adjustment', '2025-03-05', 1), "
                          "(2, 'EC2025-000001', 'kit_split', '2025-03-04', 1)"))
        conn.execute(text("INSERT INTO task_state (task_id, key, value) "
                          "VALUES ('t', 'watermark', '42')"))
    _downgrade(dossier_url, "0005")
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind FROM stock_movements ORDER BY id")).scalars()
        assert list(kinds) == ["adjustment", "adjustment"]
        assert not NEW_TABLES & set(inspect(conn).get_table_names())
        assert "stock_state" not in {c["name"] for c in inspect(conn).get_columns("sales_days")}
    migrate.upgrade(dossier_url)
    assert migrate.current_revision(dossier_url) == migrate.head_revision()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO store_traffic (depot_id, date, visitors) "
                          "VALUES (1, '2025-03-05', 3)"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO store_traffic (depot_id, date, visitors) "
                          "VALUES (1, '2025-03-05', 4)"))
    # the partial index of 0004 survives the table copies of the round trip
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, code, name) VALUES (1, 'CLI1', 'C')"))
        conn.execute(text("INSERT INTO sales_documents (number, type, customer_id, date, "
                          "origin, source) VALUES ('I1', 'C', 1, '2026-01-12', 'W1', "
                          "'import'), ('I2', 'C', 1, '2026-01-12', 'W1', 'import')"))
        conn.execute(text("INSERT INTO sales_documents (number, type, customer_id, date, "
                          "origin, source) VALUES ('E1', 'C', 1, '2026-01-12', 'W1', "
                          "'econnector')"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO sales_documents (number, type, customer_id, date, "
                          "origin, source) VALUES ('E2', 'C', 1, '2026-01-12', 'W1', "
                          "'econnector')"))


@pytest.mark.parametrize(("key", "value", "stored"), [
    ("company_siret", "732 829 320 00074", "73282932000074"),
    ("company_vat_number", "fr 40 303265045", "FR40303265045"),
    ("company_address", " 12 rue de la Paix ", "12 rue de la Paix"),
    ("company_postcode", "75002", "75002"),
    ("company_city", "Paris", "Paris"),
    ("invoice_footer", "Pénalités de retard : 3 fois le taux légal", "Pénalités de retard : "
     "3 fois le taux légal"),
])
def test_company_settings_store_a_clean_value(engine, key: str, value: str, stored: str) -> None:
    with engine.begin() as conn:
        assert set_setting(conn, key, value) == stored


@pytest.mark.parametrize(("key", "value"), [
    ("company_siret", "73282932000075"),  # fails the Luhn check
    ("company_siret", "732829320"),  # a SIREN
    ("company_vat_number", "40303265045"),
    ("company_vat_number", "FR4"),
    ("company_vat_number", "FR40303265045123456"),
])
def test_bad_company_settings_are_refused(engine, key: str, value: str) -> None:
    with engine.begin() as conn, pytest.raises(SettingError, match=f"invalid value .* for {key}"):
        set_setting(conn, key, value)
