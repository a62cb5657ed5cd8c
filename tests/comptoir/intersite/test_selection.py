"""`comptoir intersite orders` and `supplier-email`: what would be sent, with its totals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from comptoir.cli import app
from comptoir.errors import ComptoirError
from tests.comptoir.intersite.distributor import CENTRAL, order, reference


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["intersite", *args], env={"COMPTOIR_FORCE_TERMINAL": ""})


def numbers(*args: str) -> list[str]:
    result = run("orders", "--json", *args)
    assert result.exit_code == 0, result.output
    return [item["number"] for item in json.loads(result.stdout)]


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home):  # type: ignore[no-untyped-def]
    reference(engine)
    return engine


def test_json_listing_is_the_contracts(dossier) -> None:
    order(dossier, "CF2026-000001", [("ART001358", "48", "5.55"), ("ART2", "3", "1.005"),
                                     ("ART2", "1", "2.3333")])
    result = run("orders", "--json")
    assert result.exit_code == 0, result.output
    # 266.40 at 20 % → 53.28; 3.015 → 3.02 and 2.3333 → 2.33 at 5.5 %: 5.35 → 0.29 (0.29425)
    assert json.loads(result.stdout) == [
        {"number": "CF2026-000001", "date": "2026-01-11", "supplier": "FOU0001",
         "status": "confirmed", "sent_at": None, "follow_up_user": "s.lefevre",
         "reference": "Réassort 11/01", "lines": 3, "total_excl_tax": "271.75",
         "total_incl_tax": "325.32"}]


def test_totals_round_half_up_to_the_cent(dossier) -> None:
    order(dossier, "CF1", [("ART001358", "1", "0.0050")])   # 0.005 → 0.01; VAT 0.002 → 0.00
    order(dossier, "CF2", [("ART001358", "1.5", None)])     # no price: 0
    listed = {o["number"]: (o["total_excl_tax"], o["total_incl_tax"])
              for o in json.loads(run("orders", "--json").stdout)}
    assert listed == {"CF1": ("0.01", "0.01"), "CF2": ("0.00", "0.00")}


def test_default_is_confirmed_never_sent_orders_of_suppliers_with_an_address(dossier) -> None:
    order(dossier, "CF-OK")
    order(dossier, "CF-DRAFT", status="draft")
    order(dossier, "CF-SENT", status="pending", sent_at=dt.datetime(2026, 1, 12, 9, 0))
    order(dossier, "CF-NOADDR", supplier="FOU0002")
    assert numbers() == ["CF-OK"]
    assert numbers("--all") == ["CF-DRAFT", "CF-OK", "CF-SENT"]
    assert numbers("--supplier", "FOU0002") == ["CF-NOADDR"]
    assert numbers("--supplier", "FOU0002", "--supplier", "FOU0001") == ["CF-OK", "CF-NOADDR"]


def test_order_is_by_supplier_date_and_number(dossier) -> None:
    run("supplier-email", "FOU0002", "b@central.example")
    order(dossier, "B2", supplier="FOU0002", date=dt.date(2026, 1, 1))
    order(dossier, "A9", date=dt.date(2026, 1, 2))
    order(dossier, "A2", date=dt.date(2026, 1, 3))
    order(dossier, "A1", date=dt.date(2026, 1, 3))
    assert numbers() == ["A9", "A1", "A2", "B2"]


def test_dates_are_inclusive_in_both_forms_and_follow_up_filters(dossier) -> None:
    for day in (10, 11, 12, 13):
        order(dossier, f"CF{day}", date=dt.date(2026, 1, day),
              follow_up="s.lefevre" if day % 2 else "a.martin")
    assert numbers("--date-from", "11/01/2026", "--date-to", "2026-01-12") == ["CF11", "CF12"]
    assert numbers("--follow-up", "a.martin") == ["CF10", "CF12"]


@pytest.mark.parametrize("args", [("--date-from", "31/02/2026"), ("--date-to", "2026/01/01"),
                                  ("--supplier", "NOPE")])
def test_a_bad_date_or_an_unknown_supplier_exits_1(dossier, args) -> None:
    result = run("orders", *args)
    assert result.exit_code == 1 and isinstance(result.exception, ComptoirError)


def test_supplier_email_prints_sets_and_clears(dossier) -> None:
    assert run("supplier-email", "FOU0001").stdout == f"{CENTRAL}\n"
    assert run("supplier-email", "FOU0002").stdout == "\n"
    assert run("supplier-email", "FOU0002", "commandes@central.example").exit_code == 0
    assert run("supplier-email", "FOU0002").stdout == "commandes@central.example\n"
    assert run("supplier-email", "FOU0002", "--clear").exit_code == 0
    assert run("supplier-email", "FOU0002").stdout == "\n"


@pytest.mark.parametrize("args", [("FOU0002", "nope"), ("NOPE",), ("FOU0001", "a@b.example",
                                                                    "--clear")])
def test_supplier_email_mistakes_exit_1_and_change_nothing(dossier, args) -> None:
    result = run("supplier-email", *args)
    assert result.exit_code == 1 and isinstance(result.exception, ComptoirError)
    assert run("supplier-email", "FOU0001").stdout == f"{CENTRAL}\n"
    assert run("supplier-email", "FOU0002").stdout == "\n"
