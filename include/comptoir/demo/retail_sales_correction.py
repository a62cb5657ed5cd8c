"""Demo data for `sales_correction`: a ticket with the three errors the task corrects.

The demo's sales days are all `pending` (new days are, since the retail migration): the
nightly task applies them to the stores' stock, and their shortages are real (the stock
was not drawn for the sales). This stage adds, on the first store's last pending day at
register C1, one ticket holding an unknown code (`ZX-404`, put on the sub-family `ZZZ/DIV`
this stage creates, as a dossier configures it), a return keyed as a sale, and a sale of 4
of an article the store has none of and the next store has plenty of (covered by a
transfer). Run once after a fresh fill: a second call finds its ticket and adds nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from comptoir.backoffice import schema as s

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

UNKNOWN = "ZX-404"
SHORT = Decimal(4)


def _misc_sub_family(conn: Connection) -> None:
    family = conn.execute(select(s.families.c.id).where(s.families.c.code == "ZZZ")
                          ).scalar_one_or_none()
    if family is None:
        family = conn.execute(s.families.insert().values(code="ZZZ", name="ZZZ Divers")
                              ).inserted_primary_key[0]
    if conn.execute(select(s.sub_families.c.id).where(
            s.sub_families.c.family_id == family, s.sub_families.c.code == "DIV")).first():
        return
    conn.execute(s.sub_families.insert().values(family_id=family, code="DIV",
                                                name="Divers"))


def stage(engine: Engine) -> list[str]:
    """Add the ticket in error; the lines `make demo` prints."""
    sd, r, dep, t, ln, st, a = (s.sales_days.c, s.registers.c, s.depots.c, s.pos_tickets.c,
                                s.pos_ticket_lines.c, s.stock_records.c, s.articles.c)
    with engine.begin() as conn:
        if conn.execute(select(ln.id).where(ln.article_code == UNKNOWN)).first():
            return []
        stores = conn.execute(select(dep.id, dep.code).where(dep.is_store.is_(True))
                              .order_by(dep.code).limit(2)).all()
        if len(stores) < 2:
            return []
        (store, code), (other, other_code) = stores
        day = conn.execute(
            select(sd.id, sd.date, sd.register_id)
            .join(s.registers, r.id == sd.register_id)
            .where(sd.depot_id == store, r.code == "C1", sd.stock_state == "pending",
                   sd.date < dt.date.today())
            .order_by(sd.date.desc()).limit(1)).first()
        sold = conn.execute(
            select(ln.article_id, ln.unit_price_incl_tax, ln.vat_rate, ln.vat_code_id)
            .join(s.pos_tickets, t.id == ln.ticket_id)
            .where(t.sales_day_id == (day.id if day else None), ln.kind == "sale",
                   ln.article_id.is_not(None)).limit(1)).first()
        mine = select(st.article_id).where(st.depot_id == store, st.quantity > 0)
        short = conn.execute(
            select(a.id, a.code, a.sale_price)
            .join(s.stock_records, st.article_id == a.id)
            .where(st.depot_id == other, st.quantity >= 2 * SHORT, a.id.not_in(mine),
                   a.assembled.is_(False))
            .order_by(a.code).limit(1)).first()
        if day is None or sold is None or short is None:
            return []
        _misc_sub_family(conn)
        number = 1 + conn.execute(select(func.max(t.number)).where(
            t.register_id == day.register_id)).scalar_one()
        price = Decimal(short.sale_price or 10).quantize(Decimal("0.01"))
        unit = Decimal(sold.unit_price_incl_tax)
        lines = [
            {"line_no": 1, "kind": "sale", "article_id": None, "article_code": UNKNOWN,
             "quantity": Decimal(1), "unit_price_incl_tax": Decimal(5),
             "total_incl_tax": Decimal(5)},
            {"line_no": 2, "kind": "return", "article_id": sold.article_id,
             "article_code": None, "quantity": Decimal(1), "unit_price_incl_tax": unit,
             "total_incl_tax": unit},
            {"line_no": 3, "kind": "sale", "article_id": short.id, "article_code": None,
             "quantity": SHORT, "unit_price_incl_tax": price,
             "total_incl_tax": SHORT * price}]
        ticket = conn.execute(s.pos_tickets.insert().values(
            depot_id=store, register_id=day.register_id, number=number,
            issued_at=dt.datetime.combine(day.date, dt.time(17, 30), dt.UTC),
            sales_day_id=day.id, total_incl_tax=5 + unit + SHORT * price)
        ).inserted_primary_key[0]
        vat = {"vat_rate": sold.vat_rate, "vat_code_id": sold.vat_code_id}  # as the till sold
        conn.execute(s.pos_ticket_lines.insert(),
                     [{"ticket_id": ticket, **x, **vat} for x in lines])
        # the customer paid what the till should have charged (the return credited, as in
        # the contract's example): once corrected, lines and payments add up
        mode = conn.execute(select(s.pos_ticket_payments.c.payment_mode_id)
                            .join(s.pos_tickets, t.id == s.pos_ticket_payments.c.ticket_id)
                            .where(t.sales_day_id == day.id).limit(1)).scalar_one()
        conn.execute(s.pos_ticket_payments.insert().values(
            ticket_id=ticket, line_no=1, payment_mode_id=mode, amount=5 - unit + SHORT * price))
    return [f"sales day {code} C1 {day.date:%d/%m/%Y}: ticket {number} with the unknown code "
            f"{UNKNOWN}, a return keyed as a sale, and {SHORT} × {short.code} that {code} "
            f"lacks ({other_code} has some): sales-correction corrects and transfers"]
