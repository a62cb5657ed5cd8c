"""Reference data for POS tests: a store with two registers, VAT codes, articles,
customers (with the counter customer), payment modes, an invoice and an order; and
ticket files written with the real writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, insert, select

from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    payment_modes,
    registers,
    sales_documents,
    settings,
    vat_codes,
)
from comptoir.pos.ticket_file import write_ticket_file

PARIS = dt.timezone(dt.timedelta(hours=1))
CREATED = dt.datetime(2026, 1, 12, 18, 30, 5, tzinfo=PARIS)


def seed(engine: Engine) -> dict[str, int]:
    """Insert the reference data; return a few ids by name."""
    with engine.begin() as conn:
        store = conn.execute(insert(depots).values(code="MAG01", name="Magasin 1",
                                                   is_store=True)).inserted_primary_key[0]
        conn.execute(insert(registers), [
            {"depot_id": store, "code": "C1", "name": "Caisse 1", "number": 1},
            {"depot_id": store, "code": "C2", "name": "Caisse 2", "number": 2}])
        conn.execute(insert(vat_codes), [
            {"code": "N", "name": "Normal", "rate": "20.000", "tax_account": "445711"},
            {"code": "N2", "name": "Normal bis", "rate": "20.000", "tax_account": "445711"},
            {"code": "R", "name": "Reduced", "rate": "5.500", "tax_account": "445713"},
            {"code": "Z", "name": "Zero", "rate": "0.000", "tax_account": None}])
        vat = dict(conn.execute(select(vat_codes.c.code, vat_codes.c.id)).all())
        conn.execute(insert(articles), [
            {"code": "A1", "name": "Article one", "vat_code_id": vat["N2"]},
            {"code": "A2", "name": "Article two", "vat_code_id": vat["R"]}])
        conn.execute(insert(customers), [
            {"code": "CLI1", "name": "Customer one"},
            {"code": "CLI2", "name": "Customer two"},
            {"code": "COMPTOIR", "name": "Client comptoir"}])
        cust = dict(conn.execute(select(customers.c.code, customers.c.id)).all())
        modes = [
            ("ESP", "Cash", "531000", "EPV", False, False, False),
            ("CB", "Card", "511200", "BPV", False, False, False),
            ("CRED", "Credit", None, "C10", True, False, False),
            ("ACP", "Deposit used", "419100", "APV", False, True, False),
            ("BLC", "On account (BL)", None, "B10", False, False, True)]
        conn.execute(insert(payment_modes), [
            {"code": c, "name": n, "account": a, "state_code": s, "is_credit": credit,
             "is_deposit": deposit, "generates_delivery_note": bl}
            for c, n, a, s, credit, deposit, bl in modes])
        conn.execute(insert(sales_documents), [
            {"number": "FA2026-000001", "type": "F", "customer_id": cust["CLI1"],
             "date": dt.date(2026, 1, 2)},
            {"number": "CO2026-000001", "type": "C", "customer_id": cust["CLI1"],
             "date": dt.date(2026, 1, 2)}])
        conn.execute(insert(settings).values(key="pos_counter_customer", value="COMPTOIR"))
    return {"store": store, **{f"vat_{k}": v for k, v in vat.items()},
            **{f"customer_{k}": v for k, v in cust.items()}}


def sale(number: int, *, customer: str = "", total: str = "12.00", article: str = "A1",
         rate: str = "20", mode: str = "ESP", day: str = "2026-01-12",
         issued: str | None = None) -> tuple[list, list, list]:
    """One ticket of one sales line paid by one payment (rows for the writer)."""
    issued = issued or f"{day}T10:{number % 60:02d}:00+01:00"
    return ([(number, issued, day, customer, total)],
            [(number, 1, "sale", article, "1", total, "", rate, total, "")],
            [(number, 1, mode, total, "", "")])


def ticket_file(folder: Path, tickets: Sequence[tuple[list, list, list]], *,
                register: str = "C1", store: str = "MAG01", kind: str = "degraded",
                created: dt.datetime = CREATED) -> Path:
    """A ticket file of these tickets, written by the real writer."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_ticket_file(folder, kind, store, register,
                             [row for t in tickets for row in t[0]],
                             [row for t in tickets for row in t[1]],
                             [row for t in tickets for row in t[2]], created)
