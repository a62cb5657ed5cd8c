"""Articles: unknown_vat and its auto-creation, unknown_supplier / default supplier,
prices and flags, stock records in every depot; depots get stock records too."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from comptoir.backoffice.schema import articles, vat_codes
from comptoir.backoffice.settings import set_setting
from tests.comptoir.imports.conftest import count, fetch, found, rows

HEADER = ("CODE;DESIG;TVA_CODE;FOURNISSEUR_CODE;PRIX_ACHAT;PRIX_VENTE;FAMILLE;MARQUE;UNITE;"
          "GERE_LOTS;ASSEMBLE;DISPONIBLE_EXPORT\n")


def test_article_rules(dossier, files, imp) -> None:
    path = files("articles.csv", HEADER +
                 "N1;Good;N;S1;10,50;19.99;F1;B1;PCE;O;non;1\n"
                 "N2;Unknown VAT;ZZ;S1;;;;;;;;\n"
                 "N3;Unknown supplier;N;S9;;;;;;;;\n"
                 "N4;Bad price;N;S1;dix;-1;;;;;;\n"
                 "N5;Bad flag;N;S1;;;;;;peut-etre;;\n"
                 "N6;Unknown family is left empty;N;S1;;;F9;B9;;;;\n"
                 "N7;Too precise;N;S1;1,23456;;;;;;;\n")
    report = imp("articles", path)
    assert found(report) == {(3, "unknown_vat"), (4, "unknown_supplier"), (5, "invalid_value"),
                             (6, "invalid_value"), (8, "invalid_value")}
    fields = {(r.line, r.field) for r in report.rejections}
    assert {(5, "PRIX_ACHAT"), (5, "PRIX_VENTE"), (6, "GERE_LOTS"), (8, "PRIX_ACHAT")} <= fields
    assert {w.message for w in report.warnings} == {
        "FAMILLE F9: not in the dossier's families, left empty",
        "MARQUE B9: not in the dossier's brands, left empty"}
    assert rows(dossier, "SELECT family_id, brand_id FROM articles WHERE code = 'N6'") == [
        (None, None)]
    a = articles.c
    got = fetch(dossier, select(a.purchase_price, a.sale_price, a.unit, a.lot_managed,
                                a.assembled, a.exportable).where(a.code == "N1"))
    assert got == [(Decimal("10.5"), Decimal("19.99"), "PCE", True, False, True)]
    assert rows(dossier, "SELECT v.code, s.code, f.code, b.code FROM articles a "
                "JOIN vat_codes v ON v.id = a.vat_code_id JOIN suppliers s ON s.id = "
                "a.supplier_id JOIN families f ON f.id = a.family_id JOIN brands b ON "
                "b.id = a.brand_id WHERE a.code = 'N1'") == [("N", "S1", "F1", "B1")]


def test_new_article_gets_a_stock_record_in_every_depot(dossier, files, imp) -> None:
    report = imp("articles", files("articles.csv", "CODE;DESIG\nN1;One\nN2;Two\n"))
    assert report.written == {"articles": 2, "stock_records": 4}
    assert rows(dossier, "SELECT COUNT(*) FROM stock_records s JOIN articles a ON "
                "a.id = s.article_id WHERE a.code IN ('N1', 'N2') AND s.import_batch_id = :b",
                b=report.batch_id) == [(4,)]
    a = articles.c
    assert fetch(dossier, select(a.lot_managed, a.assembled, a.exportable)
                 .where(a.code == "N1")) == [(False, False, True)]


def test_new_depot_gets_a_stock_record_for_every_article(dossier, files, imp) -> None:
    report = imp("depots", files("depots.csv", "CODE;DESIG;VILLE\nD9;New store;Lyon\n"))
    assert report.written == {"depots": 1, "stock_records": 4}
    assert rows(dossier, "SELECT COUNT(*) FROM stock_records s JOIN depots d ON "
                "d.id = s.depot_id WHERE d.code = 'D9'") == [(4,)]


def test_auto_create_vat_creates_the_code_with_rate_zero(dossier, files, imp) -> None:
    report = imp("articles", files("articles.csv", "CODE;DESIG;TVA_CODE\nN1;One;Z0\n"),
                 auto_create_vat=True)
    assert report.exit_code == 0
    v = vat_codes.c
    assert fetch(dossier, select(v.name, v.rate, v.import_batch_id).where(v.code == "Z0")) == [
        ("Z0", Decimal(0), report.batch_id)]


def test_without_purchases_module_every_article_gets_the_default_supplier(dossier, files,
                                                                          imp) -> None:
    with dossier.begin() as conn:
        set_setting(conn, "purchases_module", "off")
        set_setting(conn, "default_supplier", "S2")
    report = imp("articles", files("articles.csv", "CODE;DESIG;FOURNISSEUR_CODE\n"
                                   "N1;One;S9\nN2;Two;\n"))
    assert report.exit_code == 0
    assert any("FOURNISSEUR_CODE is ignored" in w.message for w in report.warnings)
    assert rows(dossier, "SELECT a.code, s.code FROM articles a JOIN suppliers s ON "
                "s.id = a.supplier_id WHERE a.code LIKE 'N%' ORDER BY a.code") == [
        ("N1", "S2"), ("N2", "S2")]


def test_an_unknown_default_supplier_is_a_file_level_error(dossier, files, imp) -> None:
    with dossier.begin() as conn:
        set_setting(conn, "purchases_module", "off")
        set_setting(conn, "default_supplier", "S9")
    report = imp("articles", files("articles.csv", "CODE;DESIG\nN1;One\n"))
    assert report.exit_code == 1 and "default_supplier" in report.error
    assert count(dossier, "articles") == 4
