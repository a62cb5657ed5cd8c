"""`restock_alert` through `runner.run_task`: the contract's worked example, a second run
that orders nothing more, a draft completed, an article without a supplier, unknown codes
(both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice.schema import (
    articles,
    depots,
    purchase_order_lines,
    purchase_orders,
    settings,
    stock_records,
    suppliers,
)

YEAR = dt.datetime.now(ZoneInfo("Europe/Paris")).year  # the run date's year (dossier zone)


def task(task_id: str = "reassort", **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": task_id, "type": "restock_alert", "site": "central",
        "options": options, "output": None})


def run(engine: Engine, definition: TaskDefinition) -> Report:
    return runner.run_task(definition, "manual-1", None, engine=engine, log=lambda _: None)


def business(report: Report) -> list[str]:
    return report.body.splitlines()[2:]


def worked_example(engine: Engine) -> Engine:
    """The contract's worked example: depot MAGR1, TRS-1..4 of FRA1 and FRA2."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAGR1", "name": "Magasin réassort 1", "is_store": True},
            {"id": 2, "code": "MAGR2", "name": "Magasin réassort 2", "is_store": True}])
        conn.execute(suppliers.insert(), [
            {"id": 1, "code": "FRA1", "name": "Fournisseur réassort 1"},
            {"id": 2, "code": "FRA2", "name": "Fournisseur réassort 2"}])
        conn.execute(articles.insert(), [
            {"id": 1, "code": "TRS-1", "name": "Article réassort 1", "supplier_id": 1,
             "purchase_price": Decimal("3.5000")},
            {"id": 2, "code": "TRS-2", "name": "Article réassort 2", "supplier_id": 1,
             "purchase_price": Decimal("1.2500")},
            {"id": 3, "code": "TRS-3", "name": "Article réassort 3", "supplier_id": 2,
             "purchase_price": Decimal("8.0000")},
            {"id": 4, "code": "TRS-4", "name": "Article réassort 4", "supplier_id": 2,
             "purchase_price": Decimal("2.0000")}])
        conn.execute(stock_records.insert(), [
            {"article_id": 1, "depot_id": 1, "quantity": Decimal(1),
             "alert_threshold": Decimal(5), "target_quantity": Decimal(10)},
            {"article_id": 2, "depot_id": 1, "quantity": Decimal(0),
             "alert_threshold": Decimal(3), "target_quantity": None},
            {"article_id": 3, "depot_id": 1, "quantity": Decimal(2),
             "alert_threshold": Decimal(5), "target_quantity": None},
            {"article_id": 4, "depot_id": 1, "quantity": Decimal(4),
             "alert_threshold": Decimal(5), "target_quantity": Decimal(12)}])
        confirmed = conn.execute(purchase_orders.insert().values(
            number="CFMAIN-1", supplier_id=2, depot_id=1, date=dt.date(YEAR, 1, 2),
            status="confirmed").returning(purchase_orders.c.id)).scalar_one()
        conn.execute(purchase_order_lines.insert(), [
            {"order_id": confirmed, "line_no": 1, "article_id": 3, "quantity": Decimal(4),
             "received_quantity": Decimal(0), "unit_price": Decimal("8.0000")}])
    return engine


@pytest.fixture
def dossier(engine: Engine) -> Engine:
    return worked_example(engine)


def orders(engine: Engine) -> dict[str, Any]:
    """number → (supplier, depot, status, reference, origin, [(article, qty, price)])."""
    with engine.connect() as conn:
        heads = conn.execute(
            select(purchase_orders.c.id, purchase_orders.c.number, purchase_orders.c.date,
                   purchase_orders.c.status, purchase_orders.c.reference,
                   purchase_orders.c.origin, suppliers.c.code.label("supplier"),
                   depots.c.code.label("depot"))
            .join(suppliers, suppliers.c.id == purchase_orders.c.supplier_id)
            .join(depots, depots.c.id == purchase_orders.c.depot_id)
            .where(purchase_orders.c.number != "CFMAIN-1")).all()
        found = {}
        for head in heads:
            rows = conn.execute(
                select(purchase_order_lines.c.line_no, articles.c.code,
                       purchase_order_lines.c.description, purchase_order_lines.c.quantity,
                       purchase_order_lines.c.unit_price)
                .join(articles, articles.c.id == purchase_order_lines.c.article_id)
                .where(purchase_order_lines.c.order_id == head.id)
                .order_by(purchase_order_lines.c.line_no)).all()
            found[head.number] = {
                "supplier": head.supplier, "depot": head.depot, "status": head.status,
                "reference": head.reference, "origin": head.origin, "date": head.date,
                "lines": [(r.line_no, r.code, r.description, Decimal(r.quantity),
                           Decimal(r.unit_price)) for r in rows]}
        return found


CF1, CF2 = f"CF{YEAR}-000001", f"CF{YEAR}-000002"
EXPECTED = {
    CF1: [(1, "TRS-1", "Article réassort 1", Decimal(9), Decimal("3.5")),
          (2, "TRS-2", "Article réassort 2", Decimal(6), Decimal("1.25"))],
    CF2: [(1, "TRS-4", "Article réassort 4", Decimal(8), Decimal(2))],
}


def test_the_worked_example_and_a_second_run(dossier: Engine) -> None:
    report = run(dossier, task())
    assert report.level == "info", report.body
    assert business(report) == [
        f"Commande {CF1} créée : fournisseur FRA1 Fournisseur réassort 1, dépôt MAGR1, "
        "2 lignes",
        f"Commande {CF2} créée : fournisseur FRA2 Fournisseur réassort 2, dépôt MAGR1, "
        "1 ligne"]
    found = orders(dossier)
    assert {n: o["lines"] for n, o in found.items()} == EXPECTED
    assert found[CF1]["supplier"] == "FRA1" and found[CF2]["supplier"] == "FRA2"
    for order in found.values():
        assert order["depot"] == "MAGR1"
        assert order["status"] == "draft"
        assert order["reference"] == "Réapprovisionnement stock d'alerte"
        assert order["origin"] == "restock_alert:reassort"
        assert abs((order["date"] - dt.date.today()).days) <= 1
    again = run(dossier, task())
    assert again.level == "info", again.body
    assert business(again) == ["Aucun article sous son stock d'alerte"]
    assert orders(dossier) == found


def test_a_draft_of_the_task_is_completed(dossier: Engine) -> None:
    run(dossier, task())
    with dossier.begin() as conn:  # sales since: TRS-1 down by 6, TRS-3 down by 2
        conn.execute(stock_records.update().where(stock_records.c.article_id == 1)
                     .values(quantity=Decimal(-5)))
        conn.execute(stock_records.update().where(stock_records.c.article_id == 3)
                     .values(quantity=Decimal(0)))
    report = run(dossier, task())
    assert report.level == "info", report.body
    assert business(report) == [
        f"Commande {CF1} complétée : 1 ligne",
        f"Commande {CF2} complétée : 1 ligne"]
    found = orders(dossier)
    assert found[CF1]["lines"][0][3] == Decimal(15)  # 9 + 6
    assert [line[1:4] for line in found[CF2]["lines"]] == [
        ("TRS-4", "Article réassort 4", Decimal(8)),
        ("TRS-3", "Article réassort 3", Decimal(6))]  # 10 − (0 + 4 confirmed)
    # another task's drafts are open orders too: it orders nothing
    assert business(run(dossier, task("autre"))) == ["Aucun article sous son stock d'alerte"]


def test_without_open_orders_and_with_filters(dossier: Engine) -> None:
    report = run(dossier, task(include_open_orders=False, suppliers=["FRA2"],
                               target_factor="2.5"))
    assert business(report) == [
        f"Commande {CF1} créée : fournisseur FRA2 Fournisseur réassort 2, dépôt MAGR1, "
        "2 lignes"]
    assert [line[1:4] for line in orders(dossier)[CF1]["lines"]] == [
        ("TRS-3", "Article réassort 3", Decimal(11)),  # 12.5 − 2 → 10.5 → 11
        ("TRS-4", "Article réassort 4", Decimal(8))]
    assert business(run(dossier, task(depots=["MAGR2"]))) == [
        "Aucun article sous son stock d'alerte"]


def test_articles_without_a_supplier_leave_a_warning(dossier: Engine) -> None:
    with dossier.begin() as conn:
        conn.execute(articles.update().where(articles.c.id.in_([1, 2]))
                     .values(supplier_id=None))
    report = run(dossier, task())
    assert report.level == "warning", report.body
    assert business(report)[-1] == "2 articles sans fournisseur"
    assert [line[1] for o in orders(dossier).values() for line in o["lines"]] == ["TRS-4"]
    with dossier.begin() as conn:
        conn.execute(settings.insert().values(key="default_supplier", value="FRA1"))
    report = run(dossier, task())
    assert report.level == "info", report.body
    assert business(report) == [
        f"Commande {CF2} créée : fournisseur FRA1 Fournisseur réassort 1, dépôt MAGR1, "
        "2 lignes"]


@pytest.mark.parametrize(("options", "message"), [
    ({"depots": ["MAGR1", "NOPE"]}, "unknown depot code(s) in option depots: NOPE"),
    ({"suppliers": ["ZZZ", "FRA1", "AAA"]},
     "unknown supplier code(s) in option suppliers: AAA, ZZZ"),
])
def test_unknown_codes_fail_before_writing(dossier: Engine, options: dict[str, Any],
                                           message: str) -> None:
    report = run(dossier, task(**options))
    assert report.level == "error"
    assert message in report.body
    assert orders(dossier) == {}


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="target_factor"):
        task(target_factor="0.5")
    with pytest.raises(ValueError, match="depot"):
        task(depot=["MAGR1"])
