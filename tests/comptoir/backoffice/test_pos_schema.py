"""The POS tables and their checks refuse what spec/pos.md says cannot be stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from comptoir.backoffice import schema as s


def _ids(conn: Connection) -> dict[str, int]:
    """One of each row a ticket line, a receivable or an entry refers to."""
    ids: dict[str, int] = {}

    def add(key: str, table: Any, /, **values: Any) -> None:
        ids[key] = conn.execute(table.insert().values(**values)).inserted_primary_key[0]

    add("depot", s.depots, code="MAG01", name="Lyon", is_store=True)
    add("register", s.registers, depot_id=ids["depot"], code="C1", name="Caisse 1",
        number=1, journal_code="MAG01C1")
    add("vat", s.vat_codes, code="T1", name="20 %", rate=Decimal("20"), tax_account="445711")
    add("article", s.articles, code="ART1", name="Article", vat_code_id=ids["vat"])
    add("customer", s.customers, code="CLI1", name="Client")
    add("mode", s.payment_modes, code="CB", name="Carte", account="511200", state_code="BPV")
    add("journal", s.journals, code="VE", name="Ventes", kind="sales")
    add("document", s.sales_documents, number="FA2026-000001", type="F",
        customer_id=ids["customer"], date=date(2026, 1, 12), accounting_status="pos_pending",
        register_id=ids["register"], source="pos")
    add("ticket", s.pos_tickets, depot_id=ids["depot"], register_id=ids["register"], number=1,
        issued_at=datetime(2026, 1, 12, 10, tzinfo=UTC), total_incl_tax=Decimal("12.00"))
    return ids


def _line(ids: dict[str, int], **values: Any) -> dict[str, Any]:
    row = {"ticket_id": ids["ticket"], "line_no": 1, "kind": "sale", "quantity": Decimal(1),
           "unit_price_incl_tax": Decimal("12.00"), "total_incl_tax": Decimal("12.00")}
    return row | values


def _refused(engine, table: Any, row: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(table.insert().values(**row))


@pytest.fixture
def ids(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return _ids(conn)


def test_a_sales_line_names_its_article_one_way_or_another(engine, ids) -> None:
    _refused(engine, s.pos_ticket_lines, _line(ids))
    _refused(engine, s.pos_ticket_lines, _line(ids, kind="return", quantity=Decimal(-1)))
    with engine.begin() as conn:
        conn.execute(s.pos_ticket_lines.insert(), [
            _line(ids, line_no=1, article_id=ids["article"], article_code="ART1",
                  vat_code_id=ids["vat"]),
            _line(ids, line_no=2, article_id=None, article_code="ZX-404", vat_code_id=None),
        ])


def test_account_operations_carry_a_document_and_no_article(engine, ids) -> None:
    with engine.begin() as conn:
        conn.execute(s.pos_ticket_lines.insert(), [
            _line(ids, line_no=1, kind="invoice_payment", document_ref="FA2026-000001"),
            _line(ids, line_no=2, kind="deposit", document_ref="CC2026-000007"),
        ])
        kinds = conn.execute(select(s.pos_ticket_lines.c.kind)
                             .order_by(s.pos_ticket_lines.c.line_no)).scalars().all()
    assert kinds == ["invoice_payment", "deposit"]
    _refused(engine, s.pos_ticket_lines, _line(ids, line_no=3, kind="deposit"))
    _refused(engine, s.pos_ticket_lines,
             _line(ids, line_no=3, kind="discount", article_id=ids["article"]))


def test_payments_are_numbered_and_may_name_an_order(engine, ids) -> None:
    row = {"ticket_id": ids["ticket"], "payment_mode_id": ids["mode"], "amount": Decimal(12)}
    _refused(engine, s.pos_ticket_payments, row)
    with engine.begin() as conn:
        conn.execute(s.pos_ticket_payments.insert().values(**row, line_no=1,
                                                           reference="CC2026-000007"))


def test_receivables_kind_and_state_code(engine, ids) -> None:
    row = {"customer_id": ids["customer"], "document_id": ids["document"],
           "amount": Decimal("12.00"), "due_date": date(2026, 2, 11)}
    _refused(engine, s.receivables, row | {"kind": "refund", "state_code": "D10"})
    _refused(engine, s.receivables, row | {"kind": "due", "state_code": "D1"})
    _refused(engine, s.receivables, row | {"kind": "due"})
    with engine.begin() as conn:
        conn.execute(s.receivables.insert(), [
            row | {"kind": "due", "state_code": "D10"},
            row | {"kind": "payment", "state_code": "BPV", "state": "paid",
                   "payment_mode_id": ids["mode"]},
            row | {"kind": "deposit", "state_code": "APV", "reference": "CC2026-000007"},
        ])


def test_journal_entries_need_a_validation_date_and_a_known_kind(engine, ids) -> None:
    row = {"journal_id": ids["journal"], "number": "VE2026-00000001", "date": date(2026, 1, 12),
           "label": "Ventes", "document_ref": "FA2026-000001", "run_id": "0" * 36}
    _refused(engine, s.journal_entries, row | {"kind": "sales"})
    _refused(engine, s.journal_entries, row | {"kind": "misc", "validated_on": date(2026, 1, 13)})
    with engine.begin() as conn:
        conn.execute(s.journal_entries.insert(), [
            row | {"kind": "sales", "validated_on": date(2026, 1, 13)},
            row | {"number": "OD2026-00000001", "kind": None, "validated_on": date(2026, 1, 13)},
        ])


def test_documents_accept_pos_pending_only_among_new_statuses(engine, ids) -> None:
    row = {"type": "F", "customer_id": ids["customer"], "date": date(2026, 1, 12)}
    _refused(engine, s.sales_documents, row | {"number": "FA2", "accounting_status": "pending"})
    with engine.begin() as conn:
        status = conn.execute(select(s.sales_documents.c.accounting_status)
                              .where(s.sales_documents.c.id == ids["document"])).scalar_one()
    assert status == "pos_pending"


def test_one_tax_row_per_document_and_vat_code(engine, ids) -> None:
    row = {"document_id": ids["document"], "vat_code_id": ids["vat"], "rate": Decimal(20),
           "base_excl_tax": Decimal("10.00"), "tax": Decimal("2.00"),
           "total_incl_tax": Decimal("12.00")}
    with engine.begin() as conn:
        conn.execute(s.sales_document_taxes.insert().values(**row))
    _refused(engine, s.sales_document_taxes, row)


def test_pos_files_and_log_keep_to_their_value_sets(engine) -> None:
    _refused(engine, s.pos_files, {"name": "TicDeg.zip", "status": "partial"})
    _refused(engine, s.pos_files, {"name": "TicDeg.zip", "status": "done", "kind": "full"})
    _refused(engine, s.pos_log, {"run_id": "r", "step": "integrate", "level": "debug",
                                 "message": "m"})
    with engine.begin() as conn:
        conn.execute(s.pos_files.insert().values(name="TicDegMAG01C120260112183005.zip",
                                                 sha256="a" * 64, kind="degraded",
                                                 status="done", tickets=3, integrated=3))
        conn.execute(s.pos_log.insert().values(run_id="r", step="integrate", level="error",
                                               rule="bad_zip", message="not a zip"))
        file = conn.execute(select(s.pos_files)).one()
        log = conn.execute(select(s.pos_log)).one()
    assert file.processed_at is not None and file.rejected == 0
    assert log.at is not None


def test_breakdowns_are_numbered_per_entry_line(engine, ids) -> None:
    with engine.begin() as conn:
        entry = conn.execute(s.journal_entries.insert().values(
            journal_id=ids["journal"], number="VE2026-00000001", date=date(2026, 1, 12),
            validated_on=date(2026, 1, 13), label="Ventes", kind="sales",
        )).inserted_primary_key[0]
        account = conn.execute(s.accounts.insert().values(
            number="411000", name="Clients", kind="customer", lettrable=True,
        )).inserted_primary_key[0]
        line = conn.execute(s.journal_entry_lines.insert().values(
            entry_id=entry, line_no=1, account_id=account, debit=Decimal("12.00"),
            payment_mode_id=ids["mode"], lettered_on=date(2026, 1, 13),
        )).inserted_primary_key[0]
    row = {"line_id": line, "line_no": 1, "document_id": ids["document"],
           "document_ref": "FA2026-000001", "customer_id": ids["customer"],
           "amount": Decimal("12.00")}
    with engine.begin() as conn:
        conn.execute(s.journal_line_breakdowns.insert().values(**row))
    _refused(engine, s.journal_line_breakdowns, row)
