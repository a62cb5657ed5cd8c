"""The systematic controls of every entity with a CODE: required, invalid_value,
duplicate_in_file, already_exists (create) and not_found (modify)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from comptoir.backoffice.schema import vat_codes
from comptoir.imports.service import run_import
from tests.comptoir.imports.conftest import count, fetch, found, rows

EXISTING = {"regimes": ("FR", "tax_regimes"), "vat": ("N", "vat_codes"),
            "revision_indexes": ("SYNTEC", "revision_indexes"), "depots": ("D1", "depots"),
            "suppliers": ("S1", "suppliers"), "customers": ("C1", "customers"),
            "articles": ("A1", "articles")}


@pytest.mark.parametrize("entity", list(EXISTING))
def test_create_and_modify_modes_reject_each_systematic_mistake(entity, dossier, files,
                                                               imp) -> None:
    existing, table = EXISTING[entity]
    before = count(dossier, table)
    path = files(f"{entity}.csv", "CODE;DESIG\n"
                 "N1;New one\n"
                 ";No code\n"
                 "N3;\n"
                 "N1;Again\n"
                 f"{existing};Exists already\n"
                 f"{'X' * 41};Too long a code\n")
    report = imp(entity, path)
    assert found(report) == {(3, "required"), (4, "required"), (5, "duplicate_in_file"),
                             (6, "already_exists"), (7, "invalid_value")}
    assert (report.records, report.accepted, report.rejected) == (6, 1, 5)
    assert report.exit_code == 3
    assert count(dossier, table) == before + 1
    assert rows(dossier, f"SELECT name FROM {table} WHERE code = 'N1'") == [("New one",)]

    # modify mode: the code must exist; only existing records are updated
    path = files(f"{entity}.csv", "CODE;DESIG\n"
                 f"{existing};Renamed\n"
                 "NOPE;Missing\n"
                 ";No code\n"
                 f"{existing};Twice\n")
    report = imp(entity, path, mode="modify")
    assert found(report) == {(3, "not_found"), (4, "required"), (5, "duplicate_in_file")}
    assert rows(dossier, f"SELECT name FROM {table} WHERE code = :c", c=existing) == [
        ("Renamed",)]
    assert rows(dossier, f"SELECT COUNT(*) FROM {table} WHERE code = 'NOPE'") == [(0,)]


def test_modify_mode_changes_only_the_columns_present_and_filled(dossier, files, imp) -> None:
    path = files("customers.csv", "CODE;DESIG;EMAIL;VILLE\nC1;;c1@example.org;\n")
    report = imp("customers", path, mode="modify")
    assert report.exit_code == 0, report.rejections
    got = rows(dossier, "SELECT name, email, city, import_batch_id FROM customers "
               "WHERE code = 'C1'")
    assert got == [("Customer one", "c1@example.org", None, report.batch_id)]


def test_modify_mode_needs_the_code_column(dossier, files, imp) -> None:
    report = imp("customers", files("customers.csv", "DESIG\nX\n"), mode="modify")
    assert report.exit_code == 1
    assert "mandatory column CODE missing" in report.error


@pytest.mark.parametrize("entity", ["customer_addresses", "stocks", "bom", "sales_documents"])
def test_create_only_entities_refuse_modify_mode(entity, files, tmp_path) -> None:
    report = run_import(entity, files(f"{entity}.csv", "X\n1\n"), mode="modify",
                        url=f"sqlite:///{tmp_path / 'never-opened.db'}",
                        report_dir=tmp_path / "report", data_docs=False)
    assert not (tmp_path / "never-opened.db").exists()
    assert report.exit_code == 1
    assert "only be imported in create mode" in report.error


def test_vat_rate_must_be_a_percentage_at_least_zero(dossier, files, imp) -> None:
    path = files("vat.csv", "CODE;DESIG;TAUX\nV1;Ok;5,5\nV2;Negative;-1\nV3;Text;abc\nV4;Empty;\n")
    report = imp("vat", path)
    assert found(report) == {(3, "invalid_value"), (4, "invalid_value")}
    v = vat_codes.c
    assert fetch(dossier, select(v.code, v.rate).where(v.code.in_(["V1", "V4"]))
                 .order_by(v.code)) == [("V1", Decimal("5.5")), ("V4", Decimal(0))]


def test_a_code_that_exists_is_refused_for_that_alone(dossier, files, imp) -> None:
    """already_exists (create) and not_found (modify) decide alone: the record's other
    fields are not controlled, so a re-run of a big file costs one control per record."""
    path = files("customers.csv", "CODE;DESIG;REGIME_CODE;EMAIL\n"
                 "C1;;NOPE;not-an-email\n"
                 "N1;;NOPE;\n")
    report = imp("customers", path)
    assert found(report) == {(2, "already_exists"), (3, "required"), (3, "unknown_regime")}

    path = files("customers.csv", "CODE;DESIG;REGIME_CODE\nGONE;;NOPE\nC1;;NOPE\n")
    report = imp("customers", path, mode="modify")
    assert found(report) == {(2, "not_found"), (3, "unknown_regime")}
