"""`pos invoice`: tickets into invoices, delivery notes and credit notes (spec/pos.md)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import Engine, delete, func, select

from comptoir.backoffice import lock
from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.pos.filters import TicketFilters
from comptoir.pos.invoicing import LOCK_STEP, WAIT_ENV, invoice_tickets
from comptoir.pos.report import Exit
from tests.comptoir.pos.shop import DAY, Shop, paid_invoice, sale

NEXT_DAY = DAY + dt.timedelta(days=1)


def run(engine: Engine, *, until: dt.date = NEXT_DAY, dry_run: bool = False, **ranges):
    return invoice_tickets(engine, TicketFilters.parse(until=until.isoformat(), **ranges),
                           dry_run=dry_run)


def documents(engine: Engine) -> dict[str, dict]:
    """number → the document's header, with its customer and register codes."""
    d = s.sales_documents
    with engine.connect() as conn:
        rows = conn.execute(
            select(d, s.customers.c.code.label("customer"), s.registers.c.code.label("reg"))
            .join(s.customers, s.customers.c.id == d.c.customer_id)
            .join(s.registers, s.registers.c.id == d.c.register_id)).mappings().all()
    return {row["number"]: dict(row) for row in rows}


def tickets(engine: Engine) -> dict[int, tuple]:
    """ticket number → (integrated, document number)."""
    t = s.pos_tickets
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.number, t.c.integrated_at, s.sales_documents.c.number)
                            .outerjoin(s.sales_documents,
                                       s.sales_documents.c.id == t.c.integrated_document_id))
        return {number: (at is not None, doc) for number, at, doc in rows}


def lines_of(engine: Engine, number: str) -> list[tuple]:
    ln, d = s.sales_document_lines, s.sales_documents
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(ln.c.line_no, s.articles.c.code, ln.c.description, ln.c.quantity,
                   ln.c.unit_price, s.vat_codes.c.code, ln.c.total_excl_tax)
            .join(d, d.c.id == ln.c.document_id)
            .join(s.articles, s.articles.c.id == ln.c.article_id)
            .join(s.vat_codes, s.vat_codes.c.id == ln.c.vat_code_id)
            .where(d.c.number == number).order_by(ln.c.line_no))]


def taxes_of(engine: Engine, number: str) -> dict[str, tuple]:
    tx, d = s.sales_document_taxes, s.sales_documents
    with engine.connect() as conn:
        return {code: (rate, base, tax, total) for code, rate, base, tax, total in conn.execute(
            select(s.vat_codes.c.code, tx.c.rate, tx.c.base_excl_tax, tx.c.tax,
                   tx.c.total_incl_tax)
            .join(d, d.c.id == tx.c.document_id)
            .join(s.vat_codes, s.vat_codes.c.id == tx.c.vat_code_id)
            .where(d.c.number == number))}


def count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_one_document_per_customer_day_register_and_type(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, sale("A10", "2", "5.00"), customer="CLI1")     # same group as 1
    shop.ticket(3, sale(), customer="CLI1", mode="BLV")           # delivery note
    shop.ticket(4, sale(), customer="CLI2")                       # other customer
    shop.ticket(5, sale(), customer="CLI1", day=NEXT_DAY)         # other day
    shop.ticket(6, sale(), customer="CLI1", register="C2")        # other register
    shop.ticket(7, sale())                                        # anonymous: counter
    shop.ticket(8, sale("A20", "-1", "4.00"))                     # return, group stays > 0
    shop.ticket(9, sale("A20", "-2", "4.00"), customer="CLI2", day=NEXT_DAY)  # credit note
    report = run(engine)
    assert report.exit_code == Exit.DONE
    made = {(d["type"], d["customer"], d["date"], d["register"]): (d["number"], d["tickets"])
            for d in report.body["documents"]}
    assert made == {
        ("F", "CLI1", "2026-01-12", "C1"): ("FA2026-000001", [1, 2]),
        ("B", "CLI1", "2026-01-12", "C1"): ("BL2026-000001", [3]),
        ("F", "CLI2", "2026-01-12", "C1"): ("FA2026-000002", [4]),
        ("F", "CPT", "2026-01-12", "C1"): ("FA2026-000003", [7, 8]),
        ("F", "CLI1", "2026-01-12", "C2"): ("FA2026-000004", [6]),
        ("F", "CLI1", "2026-01-13", "C1"): ("FA2026-000005", [5]),
        ("A", "CLI2", "2026-01-13", "C1"): ("AV2026-000001", [9]),
    }
    assert report.body["documents_created"] == {"F": 5, "B": 1, "A": 1}
    assert report.body["tickets_selected"] == report.body["tickets_invoiced"] == 9
    assert report.body["documents_truncated"] is False
    written = documents(engine)
    assert {(d["type"], d["customer"], d["date"].isoformat(), d["reg"], d["number"])
            for d in written.values()} == {(*key, number) for key, (number, _) in made.items()}
    # the number is written back on every ticket
    assert tickets(engine) == {1: (True, "FA2026-000001"), 2: (True, "FA2026-000001"),
                               3: (True, "BL2026-000001"), 4: (True, "FA2026-000002"),
                               5: (True, "FA2026-000005"), 6: (True, "FA2026-000004"),
                               7: (True, "FA2026-000003"), 8: (True, "FA2026-000003"),
                               9: (True, "AV2026-000001")}
    invoice = written["FA2026-000001"]
    assert (invoice["source"], invoice["depot_id"], invoice["reference"]) == (
        "pos", shop.ids["store"]["MAG01"], "Tickets MAG01 C1 1-2")
    assert invoice["total_incl_tax"] == Decimal("20.00")
    assert written["AV2026-000001"]["total_incl_tax"] == Decimal("-8.00")
    assert lines_of(engine, "FA2026-000001") == [
        (1, "A20", "Article A20", Decimal("1.000"), Decimal("8.3333"), "T1", Decimal("8.33")),
        (2, "A10", "Article A10", Decimal("2.000"), Decimal("4.5455"), "T2", Decimal("9.09")),
    ]


def test_numbers_follow_the_highest_of_their_series_per_year(engine) -> None:
    shop = Shop(engine)
    customer = shop.ids["customer"]["CLI1"]
    with engine.begin() as conn:
        conn.execute(s.sales_documents.insert(), [
            {"number": number, "type": "B" if number.startswith("BL") else "F",
             "customer_id": customer, "date": DAY}
            for number in ("FA2026-000007", "FA2026-000041", "FA2026-00000X", "FA2025-000100",
                           "BL2026-000003", "XX2026-000999")])
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, sale(), customer="CLI2")
    shop.ticket(3, sale(), customer="CLI1", day=dt.date(2025, 12, 31))
    shop.ticket(4, sale(), customer="CLI1", mode="BLV")
    shop.ticket(5, sale("A20", "-1"), customer="CLI1", day=dt.date(2025, 12, 31),
                register="C2")
    report = run(engine)
    assert sorted(d["number"] for d in report.body["documents"]) == [
        "AV2025-000001", "BL2026-000004", "FA2025-000101", "FA2026-000042", "FA2026-000043"]
    assert tickets(engine)[2] == (True, "FA2026-000043")


def test_vat_per_code_rounded_half_away_with_the_difference_on_the_largest_line(
        engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale("A20", "1", "1.00"), sale("A55", "1", "10.55"),
                sale("A20", "2", "1.00"), customer="CLI1")
    shop.ticket(2, sale("A10", "3", "3.33"), sale("A00", "1", "2.00"), customer="CLI1")
    shop.ticket(3, sale("A20", "-1", "0.03"), customer="CLI2")
    report = run(engine)
    invoice, credit = report.body["documents"]
    assert invoice["taxes"] == [
        {"vat_code": "T0", "rate": "0", "base": "2.00", "tax": "0.00"},
        {"vat_code": "T1", "rate": "20", "base": "2.50", "tax": "0.50"},
        {"vat_code": "T2", "rate": "10", "base": "9.08", "tax": "0.91"},
        {"vat_code": "T3", "rate": "5.5", "base": "10.00", "tax": "0.55"},
    ]
    assert (invoice["total_excl_tax"], invoice["total_tax"], invoice["total_incl_tax"]) == (
        "23.58", "1.96", "25.54")
    # T1: 1.00 → own VAT 0.17, base 0.83; 2.00 → 0.33, 1.67: Σ 2.50 = the base, no difference
    # T2: 9.99 → VAT 0.91 (9.0818...), base 9.08
    assert lines_of(engine, invoice["number"]) == [
        (1, "A20", "Article A20", Decimal("1.000"), Decimal("0.8333"), "T1", Decimal("0.83")),
        (2, "A55", "Article A55", Decimal("1.000"), Decimal("10.0000"), "T3", Decimal("10.00")),
        (3, "A20", "Article A20", Decimal("2.000"), Decimal("0.8333"), "T1", Decimal("1.67")),
        (4, "A10", "Article A10", Decimal("3.000"), Decimal("3.0273"), "T2", Decimal("9.08")),
        (5, "A00", "Article A00", Decimal("1.000"), Decimal("2.0000"), "T0", Decimal("2.00")),
    ]
    # -0.03 at 20 %: the VAT -0.005 rounds away from zero to -0.01
    assert credit["type"] == "A" and credit["taxes"] == [
        {"vat_code": "T1", "rate": "20", "base": "-0.02", "tax": "-0.01"}]
    assert taxes_of(engine, credit["number"]) == {
        "T1": (Decimal("20.000"), Decimal("-0.02"), Decimal("-0.01"), Decimal("-0.03"))}
    header = documents(engine)[invoice["number"]]
    assert (header["total_excl_tax"], header["total_tax"], header["total_incl_tax"]) == (
        Decimal("23.58"), Decimal("1.96"), Decimal("25.54"))
    assert sum(line[-1] for line in lines_of(engine, invoice["number"])) == Decimal("23.58")


def test_the_rounding_difference_goes_to_the_largest_line_of_the_rate(engine) -> None:
    shop = Shop(engine)
    # three lines of 1.00 at 20 %: own VAT 0.17 each (bases 0.83), the code's VAT 0.50:
    # base 2.50 = 2.49 + 0.01, put on the largest line (the first of equals)...
    shop.ticket(1, sale("A20", "1", "1.00"), sale("A20", "1", "1.00"), sale("A20", "1", "1.00"),
                customer="CLI1")
    # ...here on the 1.30 line, the largest although it comes second
    shop.ticket(2, sale("A20", "1", "1.00"), sale("A20", "1", "1.30"), sale("A20", "1", "1.00"),
                customer="CLI2")
    # a credit note: the same, negative, on the line largest in absolute value
    shop.ticket(3, sale("A20", "-1", "1.00"), sale("A20", "-1", "1.30"),
                sale("A20", "-1", "1.00"), customer="CLI1", register="C2")
    report = run(engine)
    by_customer = {(d["customer"], d["register"]): d["number"] for d in report.body["documents"]}

    def bases(number: str) -> list[Decimal]:
        return [line[-1] for line in lines_of(engine, number)]

    assert bases(by_customer["CLI1", "C1"]) == [Decimal("0.84"), Decimal("0.83"),
                                                Decimal("0.83")]
    # 1.00 → 0.83, 1.30 → own VAT 0.22, 1.08: Σ 2.74; 3.30 → VAT 0.55, base 2.75
    assert bases(by_customer["CLI2", "C1"]) == [Decimal("0.83"), Decimal("1.09"),
                                                Decimal("0.83")]
    assert bases(by_customer["CLI1", "C2"]) == [Decimal("-0.83"), Decimal("-1.09"),
                                                Decimal("-0.83")]
    shop.ticket(4, sale("A20", "1", "1.00"), sale("A20", "1", "1.00"), sale("A20", "-1", "1.00"),
                sale("A20", "1", "1.00"), customer="CLI2", register="C2")
    # -1.00's own base -0.83; 1.00 ×3 → 0.83 each: Σ 1.66; total 2.00 → VAT 0.33, base 1.67
    later = run(engine).body["documents"][0]["number"]
    assert bases(later) == [Decimal("0.84"), Decimal("0.83"), Decimal("-0.83"),
                            Decimal("0.83")]
    for number in documents(engine):
        header = documents(engine)[number]
        taxes = taxes_of(engine, number)
        assert sum(bases(number)) == sum(t[1] for t in taxes.values()) == header[
            "total_excl_tax"]
        assert header["total_tax"] == sum(t[2] for t in taxes.values())
        assert header["total_incl_tax"] == header["total_excl_tax"] + header["total_tax"]


def test_tickets_without_sales_part_are_marked_without_a_document(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, paid_invoice("100.69"), customer="CLI1")
    shop.ticket(2, customer="CLI1")
    shop.ticket(3, paid_invoice("5.00"), sale(), customer="CLI1")
    report = run(engine)
    assert report.body["tickets_without_sales"] == 2
    assert report.body["tickets_invoiced"] == 1
    assert tickets(engine) == {1: (True, None), 2: (True, None), 3: (True, "FA2026-000001")}
    # the account operation is no document line
    assert [line[1] for line in lines_of(engine, "FA2026-000001")] == ["A20"]
    assert documents(engine)["FA2026-000001"]["total_incl_tax"] == Decimal("10.00")


def test_anonymous_tickets_without_counter_customer_are_skipped_and_logged(engine) -> None:
    shop = Shop(engine)
    with engine.begin() as conn:
        conn.execute(delete(s.settings).where(s.settings.c.key == "pos_counter_customer"))
    shop.ticket(1, sale())
    shop.ticket(2, sale(), customer="CLI1")
    report = run(engine)
    assert report.exit_code == Exit.PARTIAL
    assert report.body["skipped"] == [{
        "store": "MAG01", "register": "C1", "ticket": 1, "rule": "no_counter_customer",
        "message": report.body["skipped"][0]["message"]}]
    assert "pos_counter_customer" in report.body["skipped"][0]["message"]
    assert tickets(engine) == {1: (False, None), 2: (True, "FA2026-000001")}
    with engine.connect() as conn:
        log = conn.execute(select(s.pos_log.c.run_id, s.pos_log.c.step, s.pos_log.c.level,
                                  s.pos_log.c.rule, s.pos_log.c.store, s.pos_log.c.register,
                                  s.pos_log.c.ticket)).all()
    assert log == [(report.run_id, "invoice", "warning", "no_counter_customer", "MAG01", "C1",
                    1)]
    # a counter customer the dossier lacks skips them too; once it exists, they invoice
    with engine.begin() as conn:
        set_setting(conn, "pos_counter_customer", "NOBODY")
    again = run(engine)
    assert again.exit_code == Exit.PARTIAL and "'NOBODY'" in again.body["skipped"][0]["message"]
    with engine.begin() as conn:
        set_setting(conn, "pos_counter_customer", "CPT")
    assert run(engine).exit_code == Exit.DONE
    assert tickets(engine)[1] == (True, "FA2026-000002")


def test_a_sales_line_without_vat_code_skips_its_ticket(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1", vat_code=False)
    shop.ticket(2, sale(), customer="CLI1")
    report = run(engine)
    assert report.exit_code == Exit.PARTIAL
    assert [(i["ticket"], i["rule"]) for i in report.body["skipped"]] == [
        (1, "unknown_vat_rate")]
    assert tickets(engine) == {1: (False, None), 2: (True, "FA2026-000001")}


def test_filters_select_by_day_store_register_customer_and_number(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, sale(), customer="CLI1", day=NEXT_DAY)
    shop.ticket(3, sale(), customer="CLI1", store="MAG02")
    shop.ticket(4, sale(), customer="CLI1", register="C2")
    shop.ticket(5, sale())                                   # anonymous → CPT
    shop.ticket(6, sale(), customer="CLI2")
    shop.ticket(7, sale(), customer="CLI2")

    def invoiced_by(**filters) -> list[int]:  # type: ignore[no-untyped-def]
        report = run(engine, **filters)
        return sorted(n for d in report.body["documents"] for n in d["tickets"])

    assert invoiced_by(until=DAY, tickets="6:6") == [6]
    assert invoiced_by(until=DAY, stores=["MAG02"]) == [3]
    assert invoiced_by(until=DAY, registers="C2:") == [4]
    assert invoiced_by(until=DAY, customers="CPT:CPT") == [5]     # anonymous, by the counter
    assert invoiced_by(until=DAY, customers=":CLI1") == [1]
    assert invoiced_by(until=DAY) == [7]                          # 2 is after --until
    assert invoiced_by() == [2]
    assert invoiced_by() == []


def test_a_second_run_invoices_nothing_and_late_tickets_get_a_new_document(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    first = run(engine)
    assert first.body["documents_created"] == {"F": 1, "B": 0, "A": 0}
    second = run(engine)
    assert second.exit_code == Exit.DONE
    assert (second.body["tickets_selected"], second.body["documents"],
            second.body["documents_created"]) == (0, [], {"F": 0, "B": 0, "A": 0})
    shop.ticket(2, sale("A20", "1", "7.00"), customer="CLI1")   # same customer, day, register
    late = run(engine)
    assert [(d["number"], d["tickets"]) for d in late.body["documents"]] == [
        ("FA2026-000002", [2])]
    assert documents(engine)["FA2026-000001"]["total_incl_tax"] == Decimal("10.00")
    assert count(engine, s.sales_document_lines) == 2


def test_a_sales_day_whose_tickets_are_all_invoiced_becomes_integrated(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, paid_invoice("3.00"), customer="CLI2")
    shop.ticket(3, sale(), customer="CLI1", register="C2")

    def statuses() -> dict[str, str]:
        with engine.connect() as conn:
            return dict(conn.execute(select(s.registers.c.code, s.sales_days.c.status)
                                     .join(s.registers,
                                           s.registers.c.id == s.sales_days.c.register_id))
                        .tuples().all())

    run(engine, tickets="1:1")
    assert statuses() == {"C1": "closed", "C2": "closed"}
    run(engine, registers="C1:C1")
    assert statuses() == {"C1": "integrated", "C2": "closed"}


def test_a_dry_run_reports_everything_and_writes_nothing(engine) -> None:
    shop = Shop(engine)
    with engine.begin() as conn:
        conn.execute(delete(s.settings).where(s.settings.c.key == "pos_counter_customer"))
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, sale())
    dry = run(engine, dry_run=True)
    assert dry.dry_run and dry.exit_code == Exit.PARTIAL
    assert count(engine, s.sales_documents) == count(engine, s.pos_log) == 0
    assert tickets(engine) == {1: (False, None), 2: (False, None)}
    real = run(engine)

    def body(report) -> str:  # type: ignore[no-untyped-def]
        return json.dumps(report.body, sort_keys=True)

    assert body(dry) == body(real)
    assert count(engine, s.sales_documents) == 1


def test_accounting_status_follows_the_type_and_the_pos_accounting_setting(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, sale(), customer="CLI1", mode="BLV")
    shop.ticket(3, sale("A20", "-1"), customer="CLI2")
    run(engine)
    with engine.begin() as conn:
        set_setting(conn, "pos_accounting", "classic")
    shop.ticket(4, sale(), customer="CLI1", day=NEXT_DAY)
    shop.ticket(5, sale("A20", "-1"), customer="CLI2", day=NEXT_DAY)
    shop.ticket(6, sale(), customer="CLI1", mode="BLV", day=NEXT_DAY)
    run(engine)
    assert {n: d["accounting_status"] for n, d in documents(engine).items()} == {
        "FA2026-000001": "pos_pending", "BL2026-000001": "excluded",
        "AV2026-000001": "pos_pending", "FA2026-000002": "not_posted",
        "AV2026-000002": "not_posted", "BL2026-000002": "excluded"}


def test_a_run_waiting_too_long_for_the_lock_is_refused(engine, monkeypatch) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    monkeypatch.setenv(WAIT_ENV, "0.2")
    with engine.connect() as other:
        other.begin()
        lock.acquire(other, LOCK_STEP, 1)
        report = run(engine)
        other.rollback()
    assert report.exit_code == Exit.REFUSED and report.error["rule"] == "dossier_busy"
    assert tickets(engine) == {1: (False, None)}
    assert run(engine).exit_code == Exit.DONE
