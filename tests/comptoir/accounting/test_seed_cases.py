"""The seed's cases of POS accounting, entry by entry (spec/pos.md, "Direct posting",
"Classic accounting"), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.pos.report import Exit
from tests.comptoir.accounting.books import (
    NEXT_DAY,
    Books,
    Commands,
    breakdowns,
    entries,
    receivables,
)
from tests.comptoir.pos.shop import DAY, Line, sale


@pytest.fixture(params=["api", "cli"])
def run(request, engine, dossier_url, comptoir_home, monkeypatch) -> Commands:  # type: ignore[no-untyped-def]
    """The commands, through the Python API and through the `comptoir` CLI."""
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", dossier_url)
    return Commands(engine, request.param)


def test_grouping_by_account_one_sales_entry_with_a_breakdown_per_invoice(engine, run) -> None:
    books = Books(engine)
    with engine.begin() as conn:
        conn.execute(update(s.customers).where(s.customers.c.code.in_(["CLI1", "CLI2"]))
                     .values(account="411900"))
    books.ticket(148, sale("A20", "1", "159.90"), customer="CLI1")
    books.ticket(149, sale("A20", "1", "200.00"), customer="CLI2")
    report = run.invoice_and_post(grouping="account")
    assert report.exit_code == Exit.DONE
    found = entries(engine)
    assert found["VE2026-00000001"]["ref"] == "*TPV01148"
    assert found["VE2026-00000001"]["lines"] == [
        ("411900", None, "359.90", "0.00", "*TPV01148", "A"),
        ("707000", None, "0.00", "299.92", None, None),
        ("445711", None, "0.00", "59.98", None, None),
    ]
    assert found["MAG01C12026-00000001"]["ref"] == "*TPV01148"
    assert found["MAG01C12026-00000001"]["lines"] == [
        ("511200", None, "359.90", "0.00", None, None),
        ("411900", None, "0.00", "359.90", "*TPV01148", "A"),
    ]
    assert breakdowns(engine) == [
        ("MAG01C12026-00000001", "FA2026-000001", "CLI1", "159.90", "A"),
        ("MAG01C12026-00000001", "FA2026-000002", "CLI2", "200.00", "A"),
        ("VE2026-00000001", "FA2026-000001", "CLI1", "159.90", "A"),
        ("VE2026-00000001", "FA2026-000002", "CLI2", "200.00", "A"),
    ]
    sales = next(e for e in report.body["entries"] if e["kind"] == "sales")
    assert sales["breakdowns"] == [
        {"document": "FA2026-000001", "customer": "CLI1", "amount": "159.90"},
        {"document": "FA2026-000002", "customer": "CLI2", "amount": "200.00"}]
    assert report.body["lettering"] == {"full": 1, "partial": 0}


def test_grouping_by_customer_one_entry_per_document_lettered_by_its_number(engine, run) -> None:
    books = Books(engine)
    books.ticket(1, sale("A20", "1", "12.00"), customer="CLI1")
    books.ticket(2, sale("A10", "1", "5.50"), customer="CLI1", mode="ESP")
    report = run.invoice_and_post()
    found = entries(engine)
    assert found["VE2026-00000001"]["lines"] == [
        ("411000", "CLI1", "17.50", "0.00", "FA2026-000001", "A"),
        ("707000", None, "0.00", "10.00", None, None),
        ("445711", None, "0.00", "2.00", None, None),
        ("707000", None, "0.00", "5.00", None, None),
        ("445712", None, "0.00", "0.50", None, None),
    ]
    # one document, no account operation: the treasury entry carries its number
    assert found["MAG01C12026-00000001"]["ref"] == "FA2026-000001"
    assert found["MAG01C12026-00000001"]["lines"] == [
        ("511200", None, "12.00", "0.00", None, None),
        ("530000", None, "5.50", "0.00", None, None),
        ("411000", "CLI1", "0.00", "17.50", "FA2026-000001", "A"),
    ]
    assert receivables(engine) == [
        ("CLI1", "FA2026-000001", "payment", "BPV", "12.00", "12.00", "paid", "FA2026-000001"),
        ("CLI1", "FA2026-000001", "payment", "EPV", "5.50", "5.50", "paid", "FA2026-000001"),
    ]
    assert sorted(report.body["accounts_created"]) == [
        "411000", "445711", "445712", "511200", "530000", "707000"]


def test_partial_payment_of_an_invoice_at_the_register(engine, run) -> None:
    books = Books(engine)
    books.document("FA2025-000001", "F", "CLI1", "248.69", day=DAY)
    assert run.post_documents(DAY).exit_code == Exit.DONE
    books.pay(500, [Line(None, "1", "100.69", kind="invoice_payment",
                         document="FA2025-000001")], [("CB", "100.69")],
              customer="CLI1", day=NEXT_DAY)
    report = run.invoice_and_post()
    assert report.exit_code == Exit.DONE
    found = entries(engine)
    assert found["VE2026-00000001"]["lines"][0] == (
        "411000", "CLI1", "248.69", "0.00", "FA2025-000001", "a")
    assert found["MAG01C12026-00000001"]["ref"] == "*TPV01500"
    assert found["MAG01C12026-00000001"]["lines"] == [
        ("511200", None, "100.69", "0.00", None, None),
        ("411000", "CLI1", "0.00", "100.69", "FA2025-000001", "a"),
    ]
    assert receivables(engine) == [
        ("CLI1", "FA2025-000001", "due", "D10", "148.00", "0.00", "open", "FA2025-000001"),
        ("CLI1", "FA2025-000001", "payment", "BPV", "100.69", "100.69", "paid",
         "FA2025-000001"),
    ]
    assert report.body["lettering"] == {"full": 0, "partial": 1}


def test_the_rest_of_a_partly_paid_invoice_letters_it_in_full(engine, run) -> None:
    books = Books(engine)
    books.document("FA2025-000001", "F", "CLI1", "248.69", day=DAY)
    run.post_documents(DAY)
    books.pay(500, [Line(None, "1", "100.69", kind="invoice_payment",
                         document="FA2025-000001")], [("CB", "100.69")], customer="CLI1")
    run.invoice_and_post()
    books.pay(501, [Line(None, "1", "148.00", kind="invoice_payment",
                         document="FA2025-000001")], [("ESP", "148.00")], customer="CLI1",
              day=NEXT_DAY)
    run.invoice_and_post()
    codes = {line[5] for entry in entries(engine).values() for line in entry["lines"]
             if line[4] == "FA2025-000001"}
    assert codes == {"B"}                    # the partial `a` replaced by a full code
    assert [r[3:7] for r in receivables(engine) if r[2] == "due"] == [
        ("D10", "0.00", "0.00", "paid")]


def test_credit_sale_leaves_the_invoice_unlettered_and_its_receivable_open(engine, run) -> None:
    books = Books(engine)
    due = NEXT_DAY.replace(day=28)
    books.pay(7, [sale("A20", "1", "60.00")], [("CRED", "60.00", None, due)],
              customer="CLI2")
    report = run.invoice_and_post()
    found = entries(engine)
    assert list(found) == ["VE2026-00000001"]          # no payment: no treasury entry
    assert found["VE2026-00000001"]["lines"][0] == (
        "411000", "CLI2", "60.00", "0.00", "FA2026-000001", None)
    assert receivables(engine) == [
        ("CLI2", "FA2026-000001", "due", "C10", "60.00", "0.00", "open", "FA2026-000001")]
    assert report.body["lettering"] == {"full": 0, "partial": 0}


def test_deposit_on_an_order_then_used_to_pay_its_invoice(engine, run) -> None:
    books = Books(engine)
    books.document("CC2026-000001", "C", "CLI2", "664.00", status="excluded")
    books.pay(10, [Line(None, "1", "100.00", kind="deposit", document="CC2026-000001")],
              [("CB", "100.00")], customer="CLI2")
    run.invoice_and_post()
    found = entries(engine)
    assert found["MAG01C12026-00000001"]["lines"] == [
        ("511200", None, "100.00", "0.00", None, None),
        ("411000", "CLI2", "0.00", "100.00", "CC2026-000001", None),
    ]
    assert receivables(engine) == [
        ("CLI2", "CC2026-000001", "deposit", "APV", "100.00", "0.00", "open",
         "CC2026-000001")]
    books.document("FA2026-000001", "F", "CLI2", "664.00", day=NEXT_DAY)
    run.post_documents(NEXT_DAY)
    books.pay(11, [Line(None, "1", "664.00", kind="invoice_payment",
                        document="FA2026-000001")],
              [("ACP", "100.00", "CC2026-000001"), ("CB", "564.00")], customer="CLI2",
              day=NEXT_DAY)
    report = run.invoice_and_post()
    assert report.exit_code == Exit.DONE and report.warnings == []
    found = entries(engine)
    assert found["MAG01C12026-00000002"]["lines"] == [
        ("511200", None, "564.00", "0.00", None, None),
        ("411000", "CLI2", "100.00", "0.00", "CC2026-000001", "A"),
        ("411000", "CLI2", "0.00", "664.00", "FA2026-000001", "B"),
    ]
    assert found["MAG01C12026-00000001"]["lines"][1][5] == "A"
    assert found["VE2026-00000001"]["lines"][0][5] == "B"
    assert [r for r in receivables(engine) if r[6] != "paid"] == []
    assert sorted((r[2], r[3], r[4], r[6]) for r in receivables(engine)) == [
        ("deposit", "APV", "100.00", "paid"),
        ("due", "D10", "0.00", "paid"),
        ("payment", "APV", "100.00", "paid"),
        ("payment", "BPV", "564.00", "paid"),
    ]


def test_posting_is_refused_in_classic_mode_and_payments_in_direct_mode(engine, run) -> None:
    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1")
    run.invoice()
    refused = run.payments()
    assert refused.exit_code == Exit.REFUSED
    assert "pos post" in refused.error["message"]
    with engine.begin() as conn:
        set_setting(conn, "pos_accounting", "classic")
    refused = run.post()
    assert refused.exit_code == Exit.REFUSED
    assert "post-documents" in refused.error["message"]
    assert "pos payments" in refused.error["message"]
    assert entries(engine) == {}


def test_classic_accounting_posts_documents_then_collects_payments(engine, run) -> None:
    books = Books(engine)
    with engine.begin() as conn:
        set_setting(conn, "pos_accounting", "classic")
    books.ticket(1, sale("A20", "1", "30.00"), customer="CLI1", mode="ESP")
    books.pay(2, [sale("A20", "1", "70.00")], [("CB", "20.00"), ("CRED", "50.00")],
              customer="CLI2")
    run.invoice()
    early = run.payments()
    assert early.exit_code == Exit.DONE and early.body["entries"] == []   # not posted yet
    assert run.post_documents(NEXT_DAY).exit_code == Exit.DONE
    assert receivables(engine) == [
        ("CLI1", "FA2026-000001", "due", "D10", "30.00", "0.00", "open", "FA2026-000001"),
        ("CLI2", "FA2026-000002", "due", "D10", "70.00", "0.00", "open", "FA2026-000002"),
    ]
    report = run.payments()
    assert report.exit_code == Exit.DONE
    assert [e["kind"] for e in report.body["entries"]] == ["treasury", "treasury"]
    assert receivables(engine) == [
        ("CLI1", "FA2026-000001", "due", "D10", "0.00", "0.00", "paid", "FA2026-000001"),
        ("CLI1", "FA2026-000001", "payment", "E30", "30.00", "30.00", "paid",
         "FA2026-000001"),
        ("CLI2", "FA2026-000002", "due", "C10", "50.00", "0.00", "open", "FA2026-000002"),
        ("CLI2", "FA2026-000002", "due", "D10", "0.00", "0.00", "paid", "FA2026-000002"),
        ("CLI2", "FA2026-000002", "payment", "B30", "20.00", "20.00", "paid",
         "FA2026-000002"),
    ]
    found = entries(engine)
    assert found["VE2026-00000001"]["lines"][0][5] == "A"     # 30.00 paid in cash
    assert found["VE2026-00000002"]["lines"][0][5] == "b"     # 20.00 of 70.00: partial
