"""Big files on PostgreSQL: foreign keys checked once at the end and secondary indexes
built once at the end, never left off or invalid."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from comptoir.backoffice.schema import customers, tax_regimes
from comptoir.imports import bulk
from comptoir.imports.bulk import (
    relax_foreign_keys,
    relax_indexes,
    restore_foreign_keys,
    restore_indexes,
)
from tests.comptoir.imports.conftest import count, rows

EXPECTED_INDEXES = {"ix_customers_import_batch_id", "uq_customers_code"}
EXPECTED_KEYS = {"fk_customers_regime_id_tax_regimes", "fk_customers_store_id_depots",
                 "fk_customers_import_batch_id_import_batches"}


def customer_indexes(engine) -> dict[str, bool]:
    """Indexes of `customers` and whether they are valid and unique."""
    return {name: (valid, unique) for name, valid, unique in rows(
        engine, "SELECT c.relname, i.indisvalid, i.indisunique FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'customers'::regclass")}


def customer_keys(engine) -> dict[str, bool]:
    """Foreign keys of `customers` and whether PostgreSQL holds them valid."""
    return dict(rows(engine, "SELECT conname, convalidated FROM pg_constraint "
                             "WHERE conrelid = 'customers'::regclass AND contype = 'f'"))


def test_a_big_file_is_written_and_every_key_is_back_and_valid(engine, files, imp,
                                                                 monkeypatch) -> None:
    monkeypatch.setattr(bulk, "BULK_BYTES", 0)  # every file counts as big
    with engine.begin() as conn:
        conn.execute(tax_regimes.insert().values(code="FR", name="France"))
    body = "".join(f"C{n:03d};Client {n};FR\n" for n in range(7))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    report = imp("customers", files("customers.csv", f"CODE;DESIG;REGIME_CODE\n{body}"),
                 chunk_rows=3)
    validated = {s.split()[-1].strip('"') for s in statements if "VALIDATE CONSTRAINT" in s}

    assert (report.accepted, report.rejected, report.error) == (7, 0, None)
    assert count(engine, "customers") == 7
    if engine.dialect.name == "postgresql":
        assert validated == EXPECTED_KEYS  # checked once, at the end
        assert customer_keys(engine) == dict.fromkeys(EXPECTED_KEYS, True)
    else:
        assert validated == set()


def test_a_row_that_breaks_a_relaxed_key_rolls_back_everything(engine) -> None:
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            assert relax_foreign_keys(conn, [customers]) == []  # SQLite keeps row checks
        return
    with pytest.raises(IntegrityError, match="fk_customers_regime_id_tax_regimes"), \
            engine.begin() as conn:
        keys = relax_foreign_keys(conn, [customers])
        assert {k.name for k in keys} == EXPECTED_KEYS
        conn.execute(customers.insert().values(code="X", name="orphan", regime_id=999))
        restore_foreign_keys(conn, keys)
    assert count(engine, "customers") == 0
    assert customer_keys(engine) == dict.fromkeys(EXPECTED_KEYS, True)


ALL_INDEXES = {"pk_customers": (True, True), "uq_customers_code": (True, True),
               "ix_customers_import_batch_id": (True, False)}


def test_a_big_file_into_a_small_table_rebuilds_its_indexes_once(engine, files, imp,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(bulk, "BULK_BYTES", 0)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    body = "".join(f"C{n:03d};Client {n}\n" for n in range(7))
    report = imp("customers", files("customers.csv", f"CODE;DESIG\n{body}"), chunk_rows=3)

    assert (report.accepted, report.error) == (7, None)
    assert count(engine, "customers") == 7
    if engine.dialect.name == "postgresql":
        rebuilt = [s for s in statements if "CREATE INDEX" in s or "UNIQUE (code)" in s]
        assert len(rebuilt) == len(EXPECTED_INDEXES)  # built once, after the slices
        assert customer_indexes(engine) == ALL_INDEXES
        again = imp("customers", files("customers.csv", f"CODE;DESIG\n{body}"))
        assert {r.rule for r in again.rejections} == {"already_exists"}


def test_a_big_file_into_a_bigger_table_keeps_its_indexes(engine, files, imp,
                                                         monkeypatch) -> None:
    monkeypatch.setattr(bulk, "BULK_BYTES", 0)
    with engine.begin() as conn:
        conn.execute(customers.insert(), [{"code": f"OLD{n}", "name": "x" * 100}
                                          for n in range(200)])
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    report = imp("customers", files("customers.csv", "CODE;DESIG\nN1;New\n"))

    assert (report.accepted, report.error) == (1, None)
    assert not [s for s in statements if "DROP INDEX" in s or "CREATE INDEX" in s]


def test_a_duplicate_that_reaches_a_rebuilt_unique_index_rolls_back_everything(engine) -> None:
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            assert relax_indexes(conn, customers) == []
        return
    with pytest.raises(IntegrityError, match="uq_customers_code"), engine.begin() as conn:
        indexes = relax_indexes(conn, customers)
        assert {i.name for i in indexes} == EXPECTED_INDEXES
        conn.execute(customers.insert(), [{"code": "SAME", "name": "one"},
                                          {"code": "SAME", "name": "two"}])
        restore_indexes(conn, indexes)
    assert count(engine, "customers") == 0
    assert customer_indexes(engine) == ALL_INDEXES
