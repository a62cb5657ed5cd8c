"""The accounting listings as functions: balance, lettering lines, receivables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from comptoir.accounting.listings import balance, lettering_rows, receivable_rows
from tests.comptoir.accounting.ledger_rows import DAY, Ledger, cr, dr

D = Decimal


@pytest.fixture
def ledger(engine) -> Ledger:  # type: ignore[no-untyped-def]
    """An invoice of 120.00 and its payment (2026), an entry of 2025, one open credit sale."""
    found = Ledger(engine)
    found.account("411000", "Clients", lettrable=True, kind="customer")
    found.account("411900", "Clients divers", lettrable=True, kind="customer")
    found.account("707000", "Ventes")
    found.entry("VE", 1, [dr("411000", "120.00", customer="CLI1", document_ref="FA1",
                             lettering_code="A", lettered_on=DAY),
                          cr("707000", "100.00"), cr("445711", "20.00")], document_ref="FA1")
    found.entry("CA", 1, [dr("530000", "120.00"),
                          cr("411000", "120.00", customer="CLI1", document_ref="FA1",
                             lettering_code="A", lettered_on=DAY)])
    found.entry("VE", 2, [dr("411900", "60.00", customer="CLI2"), cr("707000", "60.00")],
                document_ref="FA2")
    found.entry("VE", 1, [dr("411000", "7.00", customer="CLI2"), cr("707000", "7.00")],
                date=dt.date(2025, 12, 31))
    return found


def test_balance_per_account_then_total(ledger, engine) -> None:
    with engine.connect() as conn:
        found = balance(conn, start=dt.date(2026, 1, 1))
    assert found.balanced
    assert [(r["account"], r["debit"], r["credit"], r["balance"]) for r in found.records] == [
        ("411000", D("120.00"), D("120.00"), D("0.00")),
        ("411900", D("60.00"), D("0.00"), D("60.00")),
        ("445711", D("0.00"), D("20.00"), D("-20.00")),
        ("530000", D("120.00"), D("0.00"), D("120.00")),
        ("707000", D("0.00"), D("160.00"), D("-160.00")),
        ("TOTAL", D("300.00"), D("300.00"), D("0.00"))]
    assert found.records[0]["name"] == "Clients" and found.records[-1]["name"] == ""


def test_balance_period_bounds_are_inclusive(ledger, engine) -> None:
    with engine.connect() as conn:
        only_2025 = balance(conn, until=dt.date(2025, 12, 31))
        everything = balance(conn)
        nothing = balance(conn, start=dt.date(2027, 1, 1))
    assert [r["account"] for r in only_2025.records] == ["411000", "707000", "TOTAL"]
    assert everything.records[-1]["debit"] == D("307.00")
    assert nothing.records == [{"account": "TOTAL", "name": "", "debit": D("0.00"),
                                "credit": D("0.00"), "balance": D("0.00")}]
    assert nothing.balanced


def test_balance_sums_exact_cents_and_sees_an_imbalance(ledger, engine) -> None:
    ledger.entry("OD", 1, [*(dr("471000", "0.10") for _ in range(10)), cr("707000", "0.99")])
    with engine.connect() as conn:
        found = balance(conn, start=dt.date(2026, 1, 1))
    suspense = next(r for r in found.records if r["account"] == "471000")
    assert suspense["debit"] == D("1.00")
    assert not found.balanced
    assert found.records[-1]["balance"] == D("0.01")


def test_lettering_lines_of_lettrable_accounts(ledger, engine) -> None:
    with engine.connect() as conn:
        rows = list(lettering_rows(conn))
        only = list(lettering_rows(conn, account="411900"))
        cli1 = list(lettering_rows(conn, customer="CLI1"))
    assert [(r["account"], r["customer"], r["document_ref"], r["entry"], r["line"], r["debit"],
             r["credit"], r["lettering_code"], r["lettered_on"]) for r in rows] == [
        ("411000", "CLI1", "FA1", "CA2026-00000001", 2, D("0.00"), D("120.00"), "A", DAY),
        ("411000", "CLI1", "FA1", "VE2026-00000001", 1, D("120.00"), D("0.00"), "A", DAY),
        ("411000", "CLI2", "VE2025-00000001", "VE2025-00000001", 1, D("7.00"), D("0.00"),
         None, None),
        ("411900", "CLI2", "FA2", "VE2026-00000002", 1, D("60.00"), D("0.00"), None, None)]
    assert rows[0]["journal"] == "CA" and rows[0]["date"] == DAY
    assert [r["entry"] for r in only] == ["VE2026-00000002"]
    assert {r["customer"] for r in cli1} == {"CLI1"} and len(cli1) == 2


def test_receivables_with_position_and_remaining(ledger, engine) -> None:
    fa1 = ledger.document("FA1", "CLI1")
    fa2 = ledger.document("FA2", "CLI2")
    ledger.receivable("CLI1", "due", "D10", "248.69", paid="100.69", state="partially_paid",
                      document_id=fa1, due_date=dt.date(2026, 2, 11))
    ledger.receivable("CLI1", "payment", "BPV", "100.69", paid="100.69", state="paid",
                      document_id=fa1, mode="CB")
    ledger.receivable("CLI2", "due", "C10", "60.00", document_id=fa2, mode="CRED")
    ledger.receivable("CLI2", "deposit", "APV", "100.00", mode="ACP", reference="CC1",
                      state="cancelled")
    with engine.connect() as conn:
        rows = list(receivable_rows(conn))
        opened = list(receivable_rows(conn, open_only=True))
        of_fa1 = list(receivable_rows(conn, document="FA1"))
        of_cli2 = list(receivable_rows(conn, customer="CLI2"))
    assert [(r["customer"], r["document"], r["kind"], r["state_code"], r["position"],
             r["state"], r["amount"], r["paid_amount"], r["remaining"], r["payment_mode"],
             r["reference"]) for r in rows] == [
        ("CLI1", "FA1", "payment", "BPV", "PV", "paid", D("100.69"), D("100.69"), D("0.00"),
         "CB", None),
        ("CLI1", "FA1", "due", "D10", "10", "partially_paid", D("248.69"), D("100.69"),
         D("148.00"), None, None),
        ("CLI2", None, "deposit", "APV", "PV", "cancelled", D("100.00"), D("0.00"),
         D("100.00"), "ACP", "CC1"),
        ("CLI2", "FA2", "due", "C10", "10", "open", D("60.00"), D("0.00"), D("60.00"),
         "CRED", None)]
    assert [(r["document"], r["state_code"]) for r in opened] == [("FA1", "D10"),
                                                                  ("FA2", "C10")]
    assert [r["state_code"] for r in of_fa1] == ["BPV", "D10"]
    assert {r["customer"] for r in of_cli2} == {"CLI2"} and len(of_cli2) == 2
