"""Demo data for `defective_goods`: a sales day already updated (its `VT` movement posted)
whose tickets are exchanges of defective items, one per supplier policy.

The day is the eve of the demo's first sales day, on the first store's first register,
so the sales update's own demo days are left to it. Each exchange is a `defective` line
(−1) and a sale of the same article at the same price: the ticket's total and payments
are unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from comptoir.backoffice import schema as s

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

TICKETS = 6
REFERENCE = "Ventes du jour des échanges de défectueux (démo)"
POLICIES = ("adjustment", "supplier_return", "none")


def articles_per_policy(conn: Connection) -> list[tuple[int, str]]:
    """One (article id, policy) per policy: articles whose brand has exactly one supplier."""
    from comptoir.retail.defective_goods import brand_suppliers

    brands = {r.id for r in conn.execute(select(s.brands.c.id))}
    owners = {b: next(iter(x)) for b, x in brand_suppliers(conn, brands).items() if len(x) == 1}
    policy = dict(conn.execute(select(s.suppliers.c.id, s.suppliers.c.defective_policy)).all())
    found: dict[str, tuple[int, str]] = {}
    for article, brand in conn.execute(select(s.articles.c.id, s.articles.c.brand_id)
                                       .where(s.articles.c.brand_id.is_not(None))
                                       .order_by(s.articles.c.code)):
        wanted = policy.get(owners.get(brand))  # type: ignore[arg-type]
        if wanted in POLICIES and wanted not in found:
            found[wanted] = (article, wanted)
    return [found[p] for p in POLICIES if p in found]


def stage(engine: Engine) -> list[str]:
    """Write the updated day with its exchanges of defectives; what was staged."""
    from comptoir.demo.pos import write_degraded_tickets
    from comptoir.retail import numbering
    from comptoir.retail.stock_posting import Movement, MovementLine, post

    with engine.begin() as conn:
        store, register, depot_id, register_id = conn.execute(
            select(s.depots.c.code, s.registers.c.code, s.depots.c.id, s.registers.c.id)
            .join(s.registers, s.registers.c.depot_id == s.depots.c.id)
            .where(s.depots.c.is_store.is_(True))
            .order_by(s.depots.c.code, s.registers.c.code).limit(1)).one()
        if conn.execute(select(s.stock_movements.c.id)
                        .where(s.stock_movements.c.reference == REFERENCE)).first():
            return ["defective_goods: the exchanges of defective items are already staged"]
        first = conn.execute(select(func.min(s.sales_days.c.date))
                             .where(s.sales_days.c.stock_state == "pending")).scalar_one()
        day = first - timedelta(days=1)
        chosen = articles_per_policy(conn)
        made = write_degraded_tickets(conn, store, register, TICKETS, day)
        tickets = conn.execute(select(s.pos_tickets.c.id, s.pos_tickets.c.sales_day_id)
                               .where(s.pos_tickets.c.register_id == register_id,
                                      s.pos_tickets.c.number.between(made.first, made.last))
                               .order_by(s.pos_tickets.c.number)).all()
        prices = dict(conn.execute(select(s.articles.c.id, s.articles.c.sale_price)
                                   .where(s.articles.c.id.in_([a for a, _ in chosen]))).all())
        vats = {ticket: (rate, code) for ticket, rate, code in conn.execute(
            select(s.pos_ticket_lines.c.ticket_id, s.pos_ticket_lines.c.vat_rate,
                   s.pos_ticket_lines.c.vat_code_id)
            .where(s.pos_ticket_lines.c.ticket_id.in_([t for t, _ in tickets]),
                   s.pos_ticket_lines.c.vat_code_id.is_not(None)))}
        extra = []
        for (ticket, _), (article, _) in zip(tickets, chosen, strict=False):
            rate, code = vats[ticket]  # the VAT of the ticket's own sales, as the till had it
            price = Decimal(prices[article] or 10)
            base = 100 + conn.execute(select(func.max(s.pos_ticket_lines.c.line_no)).where(
                s.pos_ticket_lines.c.ticket_id == ticket)).scalar_one()
            for no, kind, sign in ((base, "defective", -1), (base + 1, "sale", 1)):
                extra.append({"ticket_id": ticket, "line_no": no, "kind": kind,
                              "article_id": article, "quantity": Decimal(sign),
                              "unit_price_incl_tax": price, "total_incl_tax": sign * price,
                              "vat_rate": rate, "vat_code_id": code})
        conn.execute(s.pos_ticket_lines.insert(), extra)
        sales_day = tickets[0].sales_day_id
        net: dict[int, Decimal] = defaultdict(Decimal)
        for article, quantity in conn.execute(
                select(s.pos_ticket_lines.c.article_id, s.pos_ticket_lines.c.quantity)
                .join(s.pos_tickets, s.pos_tickets.c.id == s.pos_ticket_lines.c.ticket_id)
                .where(s.pos_tickets.c.sales_day_id == sales_day,
                       s.pos_ticket_lines.c.article_id.is_not(None))):
            net[article] -= Decimal(quantity)
        [number] = numbering.reserve(conn, "VT", day.year)
        [vt] = post(conn, [Movement(number, "sale", day, depot_id,
                                    [MovementLine(a, q) for a, q in sorted(net.items())],
                                    reference=REFERENCE)])
        conn.execute(s.sales_days.update().where(s.sales_days.c.id == sales_day).values(
            status="closed", closed=True, stock_state="updated", stock_movement_id=vt.id))
    policies = ", ".join(p for _, p in chosen)
    return [f"defective_goods: {len(chosen)} exchanges of defective items ({policies}) in "
            f"{store} {register} on {day:%d/%m/%Y}, a day already updated ({number})"]
