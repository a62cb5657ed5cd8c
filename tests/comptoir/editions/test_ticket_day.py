"""A ticket's day in SQL: its sales day's date, else the local date of `issued_at` in the
dossier's zone (a ticket at 23:30 in Paris in winter is 22:30 UTC the same day; one at
00:30 is 23:30 UTC the day before)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select

from comptoir.backoffice.schema import depots, pos_tickets, registers, sales_days
from comptoir.editions.ticket_day import ticket_day

PARIS = ZoneInfo("Europe/Paris")


def test_sales_day_first_then_local_date(engine: Engine) -> None:
    with engine.begin() as conn:
        depot = conn.execute(insert(depots).values(code="MAG01", name="Magasin 1",
                                                   is_store=True).returning(depots.c.id)
                             ).scalar_one()
        register = conn.execute(insert(registers).values(code="C1", name="Caisse 1",
                                                         depot_id=depot)
                                .returning(registers.c.id)).scalar_one()
        day = conn.execute(insert(sales_days).values(depot_id=depot, register_id=register,
                                                     date=dt.date(2026, 1, 5))
                           .returning(sales_days.c.id)).scalar_one()
        moments = {1: dt.datetime(2026, 1, 6, 23, 30, tzinfo=PARIS),
                   2: dt.datetime(2026, 1, 7, 0, 30, tzinfo=PARIS),
                   3: dt.datetime(2026, 1, 7, 10, 0, tzinfo=PARIS)}
        for number, moment in moments.items():
            stored = moment if engine.dialect.name == "postgresql" else moment.replace(
                tzinfo=None)
            conn.execute(insert(pos_tickets).values(
                depot_id=depot, register_id=register, number=number, issued_at=stored,
                sales_day_id=day if number == 3 else None))
        when = ticket_day(conn, pos_tickets, sales_days)
        found = dict(conn.execute(
            select(pos_tickets.c.number, when)
            .select_from(pos_tickets.outerjoin(
                sales_days, sales_days.c.id == pos_tickets.c.sales_day_id))).all())
    assert found == {1: dt.date(2026, 1, 6), 2: dt.date(2026, 1, 7), 3: dt.date(2026, 1, 5)}
