"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, select
from sqlalchemy.exc import IntegrityError

from comptoir.backoffice import migrate
from comptoir.backoffice.schema import metadata, stock_records, tax_regimes, vat_codes


def test_dossier_is_at_the_newest_revision(dossier_url: str) -> None:
    assert migrate.current_revision(dossier_url) == migrate.head_revision()


def test_every_declared_table_exists(engine) -> None:
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_and_schema_do_not_drift(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)
    # Tables, columns, types, nullability, indexes, unique and foreign keys.
    assert diff == []


def test_check_constraints_match_the_schema(engine) -> None:
    """compare_metadata ignores CHECK constraints: compare their names table by table."""
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        declared = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == declared, table.name


def test_upgrade_is_idempotent(dossier_url: str) -> None:
    migrate.upgrade(dossier_url)
    assert migrate.current_revision(dossier_url) == migrate.head_revision()


def test_money_round_trips_as_decimal(engine) -> None:
    with engine.begin() as conn:
        conn.execute(vat_codes.insert().values(code="T1", name="Normal", rate=Decimal("20.000")))
        rate = conn.execute(select(vat_codes.c.rate)).scalar_one()
    assert rate == Decimal("20.000") and isinstance(rate, Decimal)


def test_codes_are_unique(engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(tax_regimes.insert(), [{"code": "FR", "name": "a"},
                                            {"code": "FR", "name": "b"}])


def test_foreign_keys_are_enforced(engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(stock_records.insert().values(article_id=999, depot_id=999))
