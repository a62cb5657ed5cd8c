"""Customers and suppliers: default regime, unknown_regime and its auto-creation, bank
details; other customer addresses."""

from __future__ import annotations

import pytest

from comptoir.backoffice.settings import set_setting
from tests.comptoir.imports.conftest import count, found, rows

GOOD_IBAN = "FR76 3000 6000 0112 3456 7890 189"


def _default_regime(engine, code: str) -> None:
    with engine.begin() as conn:
        set_setting(conn, "default_regime", code)


@pytest.mark.parametrize("entity", ["customers", "suppliers"])
def test_empty_regime_gets_the_default_and_unknown_regime_is_rejected(entity, dossier, files,
                                                                       imp) -> None:
    _default_regime(dossier, "EU")
    path = files(f"{entity}.csv", "CODE;DESIG;REGIME_CODE\nN1;Default;\nN2;France;FR\n"
                 "N3;Unknown;XX\n")
    report = imp(entity, path)
    assert found(report) == {(4, "unknown_regime")}
    assert rows(dossier, f"SELECT t.code, r.code FROM {entity} t JOIN tax_regimes r "
                "ON r.id = t.regime_id WHERE t.code LIKE 'N%' ORDER BY t.code") == [
        ("N1", "EU"), ("N2", "FR")]


@pytest.mark.parametrize("entity", ["customers", "suppliers"])
def test_auto_create_regimes_creates_the_unknown_regime(entity, dossier, files, imp) -> None:
    path = files(f"{entity}.csv", "CODE;DESIG;REGIME_CODE\nN1;One;XX\nN2;Two;XX\n")
    report = imp(entity, path, auto_create_regimes=True)
    assert report.exit_code == 0
    assert report.written["tax_regimes"] == 1
    assert rows(dossier, "SELECT name, import_batch_id FROM tax_regimes WHERE code = 'XX'") == [
        ("XX", report.batch_id)]
    assert rows(dossier, f"SELECT COUNT(*) FROM {entity} t JOIN tax_regimes r ON "
                "r.id = t.regime_id WHERE r.code = 'XX'") == [(2,)]


def test_unknown_default_regime_is_unknown_regime(dossier, files, imp) -> None:
    _default_regime(dossier, "GONE")
    report = imp("suppliers", files("suppliers.csv", "CODE;DESIG\nN1;One\n"))
    assert found(report) == {(2, "unknown_regime")}
    assert "GONE" in report.rejections[0].message


def test_bank_details(dossier, files, imp) -> None:
    path = files("customers.csv", "CODE;DESIG;IBAN;RIB_BANQUE;RIB_GUICHET;RIB_COMPTE;RIB_CLE\n"
                 f"K1;Good IBAN;{GOOD_IBAN};;;;\n"
                 "K2;Good RIB;;30006;00001;12345678901;89\n"
                 f"K3;Both coherent;{GOOD_IBAN};30006;00001;12345678901;89\n"
                 "K4;Check digits;FR7730006000011234567890189;;;;\n"
                 "K5;BBAN format;FR763000600001123456789018;;;;\n"
                 "K6;Unknown country;ZZ7630006000011234567890189;;;;\n"
                 "K7;RIB key;;30006;00001;12345678901;88\n"
                 "K8;RIB incomplete;;30006;00001;;\n"
                 f"K9;Not coherent;{GOOD_IBAN};30006;00001;12345678902;86\n"
                 "K10;German IBAN;DE89 3704 0044 0532 0130 00;;;;\n"
                 "K11;RIB malformed;;3000X;00001;12345678901;89\n")
    report = imp("customers", path)
    assert found(report) == {(line, "bank_details") for line in (5, 6, 7, 8, 9, 10, 12)}
    by_line = {r.line: r for r in report.rejections}
    assert by_line[5].field == "IBAN" and "check digits" in by_line[5].message
    assert by_line[8].field == "RIB_CLE"
    assert by_line[10].field == "IBAN" and "does not match the RIB" in by_line[10].message
    assert rows(dossier, "SELECT iban FROM customers WHERE code = 'K1'") == [
        ("FR7630006000011234567890189",)]


def test_customer_addresses(dossier, files, imp) -> None:
    body = ("PROPRIO_CODE;DESIG;ADRESSE1;CP;VILLE;PAYS\n"
            "C1;Depot;1 rue A;75001;Paris;fr\n"
            "C1;Depot;1 rue A;75001;Paris;FR\n"
            "NOPE;Home;2 rue B;75002;Paris;FR\n"
            ";Nobody;3 rue C;75003;Paris;FR\n"
            "C2;Office;4 rue D;75004;Paris;FRA\n")
    report = imp("customer_addresses", files("customer_addresses.csv", body))
    assert found(report) == {(3, "duplicate_in_file"), (4, "unknown_customer"),
                             (5, "required"), (6, "invalid_value")}
    assert rows(dossier, "SELECT c.code, a.name, a.country, a.import_batch_id FROM "
                "customer_addresses a JOIN customers c ON c.id = a.customer_id") == [
        ("C1", "Depot", "FR", report.batch_id)]
    again = imp("customer_addresses", files("customer_addresses.csv", body))
    assert (2, "already_exists") in found(again)
    assert count(dossier, "customer_addresses") == 1
