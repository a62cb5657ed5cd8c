"""A small shop for invoicing tests: reference data, and tickets written straight in.

Stores `MAG01` (registers `C1`, `C2`) and `MAG02` (`C1`); VAT codes `T1` 20 %, `T2` 10 %,
`T3` 5.5 %, `T0` 0 %, with tax accounts; payment modes `CB`, `ESP` and `BLV` (makes
delivery notes); customers `CPT` (the counter customer, set as `pos_counter_customer`),
`CLI1`, `CLI2`; articles `A20`, `A10`, `A55`, `A00` at those rates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting

DAY = dt.date(2026, 1, 12)
VAT = {"T1": "20", "T2": "10", "T3": "5.5", "T0": "0"}
ARTICLES = {"A20": "T1", "A10": "T2", "A55": "T3", "A00": "T0"}


@dataclass(frozen=True)
class Line:
    """A ticket line: a sale (a return when the quantity is negative) or an account operation."""

    article: str | None
    quantity: str = "1"
    price: str = "10.00"
    kind: str | None = None
    document: str | None = None

    def values(self) -> dict[str, Any]:
        quantity, price = Decimal(self.quantity), Decimal(self.price)
        kind = self.kind or ("return" if quantity < 0 else "sale")
        return {"kind": kind, "quantity": quantity, "unit_price_incl_tax": price,
                "total_incl_tax": (quantity * price).quantize(Decimal("0.01")),
                "document_ref": self.document}


def sale(article: str = "A20", quantity: str = "1", price: str = "10.00") -> Line:
    return Line(article, quantity, price)


def paid_invoice(amount: str, invoice: str = "FA2025-000001") -> Line:
    return Line(None, "1", amount, kind="invoice_payment", document=invoice)


@dataclass
class Shop:
    """The reference data's ids, and `ticket()` to write tickets."""

    engine: Engine
    ids: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        with self.engine.begin() as conn:
            self._reference(conn)

    def _add(self, conn: Connection, kind: str, key: str, table: Any, **values: Any) -> int:
        new = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
        self.ids.setdefault(kind, {})[key] = new
        return new

    def _reference(self, conn: Connection) -> None:
        for store in ("MAG01", "MAG02"):
            self._add(conn, "store", store, s.depots, code=store, name=store, is_store=True)
        for store, register in (("MAG01", "C1"), ("MAG01", "C2"), ("MAG02", "C1")):
            self._add(conn, "register", f"{store}/{register}", s.registers,
                      depot_id=self.ids["store"][store], code=register, name=register)
        for n, (code, rate) in enumerate(VAT.items(), 1):
            self._add(conn, "vat", code, s.vat_codes, code=code, name=f"{rate} %",
                      rate=Decimal(rate), tax_account=f"44571{n}")
        for code, vat in ARTICLES.items():
            self._add(conn, "article", code, s.articles, code=code, name=f"Article {code}",
                      vat_code_id=self.ids["vat"][vat])
        for code, delivery in (("CB", False), ("ESP", False), ("BLV", True)):
            self._add(conn, "mode", code, s.payment_modes, code=code, name=code,
                      generates_delivery_note=delivery)
        for code in ("CPT", "CLI1", "CLI2"):
            self._add(conn, "customer", code, s.customers, code=code, name=f"Client {code}")
        set_setting(conn, "pos_counter_customer", "CPT")

    def sales_day(self, conn: Connection, store: str, register: str, day: dt.date) -> int:
        register_id = self.ids["register"][f"{store}/{register}"]
        found = conn.execute(select(s.sales_days.c.id).where(
            s.sales_days.c.register_id == register_id, s.sales_days.c.date == day)
        ).scalar_one_or_none()
        if found is not None:
            return found
        return conn.execute(s.sales_days.insert().values(
            depot_id=self.ids["store"][store], register_id=register_id, date=day,
            status="closed")).inserted_primary_key[0]

    def ticket(self, number: int, *lines: Line, store: str = "MAG01", register: str = "C1",
               day: dt.date = DAY, customer: str | None = None, mode: str = "CB",
               vat_code: bool = True) -> int:
        """Write one ticket (lines in order, paid whole by `mode`); its id."""
        with self.engine.begin() as conn:
            rows = [line.values() for line in lines]
            total = sum((row["total_incl_tax"] for row in rows), Decimal("0.00"))
            ticket = conn.execute(s.pos_tickets.insert().values(
                depot_id=self.ids["store"][store],
                register_id=self.ids["register"][f"{store}/{register}"], number=number,
                issued_at=dt.datetime.combine(day, dt.time(10), dt.UTC),
                sales_day_id=self.sales_day(conn, store, register, day),
                customer_id=self.ids["customer"][customer] if customer else None,
                degraded=True, total_incl_tax=total)).inserted_primary_key[0]
            if rows:
                conn.execute(s.pos_ticket_lines.insert(), [
                    row | {"ticket_id": ticket, "line_no": no,
                           "article_id": self.ids["article"].get(line.article or ""),
                           "article_code": line.article,
                           "vat_rate": Decimal(VAT[ARTICLES[line.article]]) if line.article
                           else Decimal(0),
                           "vat_code_id": self.ids["vat"][ARTICLES[line.article]]
                           if line.article and vat_code else None}
                    for no, (line, row) in enumerate(zip(lines, rows, strict=True), 1)])
            conn.execute(s.pos_ticket_payments.insert().values(
                ticket_id=ticket, line_no=1, payment_mode_id=self.ids["mode"][mode],
                amount=total))
            return ticket
