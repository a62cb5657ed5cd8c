"""Demo data for `season_end`: tickets older than the 24 months kept, in closed and
updated sales days of the first two stores (days of 30 and 29 months ago), and one day
of that time left open and pending, whose tickets the run keeps."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from comptoir.backoffice import schema as s

if TYPE_CHECKING:
    from sqlalchemy import Engine

TICKETS = 8
MONTHS_AGO = (30, 29)
DAYS = (3, 12, 21)


def months_ago(today: date, count: int) -> date:
    index = today.year * 12 + today.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def stage(engine: Engine) -> list[str]:
    """Write the old days and their tickets; what was staged."""
    from comptoir.demo.pos import write_degraded_tickets

    today = date.today()
    with engine.begin() as conn:
        pairs = conn.execute(
            select(s.depots.c.code, s.registers.c.code, s.registers.c.id)
            .join(s.registers, s.registers.c.depot_id == s.depots.c.id)
            .where(s.depots.c.is_store.is_(True))
            .order_by(s.depots.c.code, s.registers.c.code)).all()
        stores: dict[str, tuple[str, int]] = {}
        for store, register, register_id in pairs:
            stores.setdefault(store, (register, register_id))
        chosen = sorted(stores.items())[:2]
        oldest = months_ago(today, MONTHS_AGO[0])
        if conn.execute(select(s.sales_days.c.id).where(s.sales_days.c.date < oldest.replace(
                year=oldest.year + 1))).first():
            return ["season_end: the old sales days are already staged"]
        count = 0
        for store, (register, register_id) in chosen:
            for ago in MONTHS_AGO:
                month = months_ago(today, ago)
                for day in DAYS:
                    write_degraded_tickets(conn, store, register, TICKETS, month.replace(day=day))
                    count += TICKETS
            conn.execute(s.sales_days.update().where(s.sales_days.c.register_id == register_id,
                                                     s.sales_days.c.date < today.replace(day=1)
                                                     .replace(year=today.year - 2))
                         .values(status="closed", closed=True, stock_state="updated"))
        store, (register, register_id) = chosen[0]
        pending = months_ago(today, MONTHS_AGO[1]).replace(day=25)
        write_degraded_tickets(conn, store, register, 3, pending)
    return [f"season_end: {count} tickets of {months_ago(today, MONTHS_AGO[0]):%m/%Y} and "
            f"{months_ago(today, MONTHS_AGO[1]):%m/%Y} in {', '.join(c for c, _ in chosen)} "
            f"(closed, updated days) to archive, 3 in a pending day of {pending:%d/%m/%Y} kept"]
