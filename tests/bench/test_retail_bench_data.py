"""The retail benchmark's data set (`bench/_retail_data.py`), tiny, on both databases: the
days pending, the tickets and their lines as the POS would have written them, and every
kind of trouble `sales_correction` has to correct present."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice.dossier_time import aware
from comptoir.backoffice.schema import (
    pos_ticket_lines,
    pos_ticket_payments,
    pos_tickets,
    purchase_orders,
    sales_days,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _retail_data import ZONE, Shape, census, generate, season_start  # noqa: E402

TINY = Shape(stores=2, registers=2, days=3, lines=500, tickets=217, articles=100, kits=2)
START = dt.date(2025, 3, 3)


def test_the_benchmark_shape_is_the_contracts() -> None:
    shape = Shape.bench()
    assert (shape.stores * shape.registers * shape.days, shape.tickets, shape.lines,
            shape.articles, shape.kits) == (4_500, 435_000, 1_000_000, 20_000, 200)
    small = Shape.bench(20_000)
    small.check()
    assert (small.articles, small.kits, small.tickets) == (400, 4, 8_700)


def test_season_start_puts_a_third_of_the_days_before_the_cut_off() -> None:
    assert season_start(dt.date(2026, 12, 3)) == dt.date(2026, 8, 22)   # cut-off 01/09
    assert season_start(dt.date(2026, 2, 10)) == dt.date(2025, 10, 22)  # cut-off 01/11


def test_a_tiny_chain_has_every_kind_of_trouble(engine: Engine) -> None:
    generate(engine, TINY, START)
    found = census(engine)
    assert {k: found[k] for k in ("stores", "depots", "days", "days_pending", "lines",
                                  "articles", "pairs", "kits", "misc_sub_family")} == {
        "stores": 2, "depots": 3, "days": 12, "days_pending": 12, "lines": 500,
        "articles": 100, "pairs": 200, "kits": 2, "misc_sub_family": 1}
    assert found["tickets"] == found["payments"] == 216
    assert found["unknown_codes"] == 2           # k = 199, 399
    assert found["return_errors"] == 1           # k = 250
    assert found["short_pairs"] == 9             # (a + s) % 20 = 0, kits excepted
    assert found["kits_on_short"] == 2
    assert found["alerts"] == 20


def test_tickets_are_whole_and_dated_by_their_day(engine: Engine) -> None:
    generate(engine, TINY, START)
    t, ln, p, d = pos_tickets.c, pos_ticket_lines.c, pos_ticket_payments.c, sales_days.c
    zone = ZoneInfo(ZONE)
    with engine.connect() as conn:
        lines = dict(conn.execute(select(ln.ticket_id, func.sum(ln.total_incl_tax))
                                  .group_by(ln.ticket_id)).all())
        paid = dict(conn.execute(select(p.ticket_id, p.amount)).all())
        tickets = conn.execute(select(t.id, t.total_incl_tax, t.issued_at, d.date)
                               .join(sales_days, d.id == t.sales_day_id)).all()
        per_day = conn.execute(select(d.date, func.count()).select_from(sales_days)
                               .group_by(d.date).order_by(d.date)).all()
    assert len(tickets) == 216
    for ticket, total, issued, day in tickets:
        assert Decimal(total) == Decimal(lines[ticket]) == Decimal(paid[ticket])
        assert aware(issued, zone).date() == day
    assert per_day == [(START + dt.timedelta(days=n), 4) for n in range(3)]


def test_restock_alert_finds_work_in_it(engine: Engine) -> None:
    generate(engine, TINY, START)
    definition = TaskDefinition.model_validate({
        "id": "bench-reassort", "type": "restock_alert", "site": "central", "options": {}})
    report = runner.run_task(definition, "bench-1", None, engine=engine, log=lambda _: None)
    assert report.level == "info", report.body
    with engine.connect() as conn:
        orders = conn.execute(select(func.count()).select_from(purchase_orders)).scalar_one()
    created = [line for line in report.body.splitlines()
               if line.startswith("Commande CF") and " créée : " in line]
    assert orders > 0 and len(created) == orders
