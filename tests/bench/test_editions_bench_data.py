"""The editions benchmark's data set (`bench/_editions_data.py`), tiny, on both databases:
a chain's year of tickets as the tills would have written them — one sales day per
register and trading day, lines of every kind at both VAT rates, payments in four modes
that add up to the ticket's total but for the odd one out."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from comptoir.backoffice.dossier_time import aware
from comptoir.backoffice.schema import pos_ticket_lines, pos_tickets, sales_days

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _editions_data import LINES, ZONE, Shape, census, generate  # noqa: E402

TINY = Shape(stores=2, registers=2, days=3, tickets=10, articles=20, mismatch=7)


def _expected_lines(shape: Shape) -> tuple[Counter, Counter]:
    """Lines by kind and by rate, from the generator's own rules."""
    kinds, rates = Counter(), Counter()
    for k in range(shape.all_tickets):
        for no in range(1, LINES[k % len(LINES)] + 1):
            h, a = 3 * k + no, (7 * k + 131 * no) % shape.articles + 1
            kinds["return" if h % 50 == 7 else "defective" if h % 200 == 11 else "sale"] += 1
            rates["5.5" if a % 4 == 0 else "20"] += 1
    return kinds, rates


def test_the_benchmark_shape_is_the_contracts() -> None:
    shape = Shape()
    days = shape.trading_days()
    assert (len(days), days[0], days[-1]) == (310, dt.date(2025, 1, 2), dt.date(2025, 12, 31))
    assert not [d for d in days if d.isoweekday() == 7 or (d.month, d.day) == (5, 1)]
    assert (shape.stores * shape.registers * shape.days, shape.all_tickets, shape.lines,
            shape.payments) == (46_500, 6_200_000, 13_950_000, 6_820_000)


def test_a_tiny_year_has_the_promised_shape(engine: Engine) -> None:
    generate(engine, TINY)
    found = census(engine)
    kinds, rates = _expected_lines(TINY)
    assert {k: found[k] for k in ("stores", "registers", "sales_days", "trading_days",
                                  "tickets", "lines", "payments", "first_day",
                                  "last_day", "per_store_day")} == {
        "stores": 2, "registers": 4, "sales_days": 12, "trading_days": 3, "tickets": 60,
        "lines": TINY.lines, "payments": TINY.payments,
        "first_day": "2025-01-02", "last_day": "2025-01-04",
        "per_store_day": (10, 10)}
    assert (TINY.lines, TINY.payments) == (134, 66)
    assert found["kinds"] == kinds and set(kinds) == {"sale", "return", "defective"}
    assert {f"{Decimal(r).normalize():f}": n for r, n in found["rates"].items()} == rates
    assert set(rates) == {"20", "5.5"}
    # k % 20: < 11 CB, < 17 ESP, < 19 CHQ, else BA; and the six k % 10 = 4 split by BA
    assert found["modes"] == {"CB": 33, "ESP": 18, "CHQ": 6, "BA": 3 + 6}
    assert found["mistotalled"] == 0              # a ticket's total is its lines'
    assert found["unbalanced"] == 9               # k % 7 = 3: 1,00 € short


def test_tickets_belong_to_their_day_register_and_store(engine: Engine) -> None:
    generate(engine, TINY)
    t, d, ln = pos_tickets.c, sales_days.c, pos_ticket_lines.c
    zone = ZoneInfo(ZONE)
    with engine.connect() as conn:
        rows = conn.execute(select(t.issued_at, t.depot_id, t.register_id, d.date,
                                   d.depot_id, d.register_id)
                            .join(sales_days, d.id == t.sales_day_id)).all()
        negative = conn.execute(select(func.count()).where(
            ln.kind != "sale", (ln.quantity >= 0) | (ln.total_incl_tax >= 0))).scalar_one()
        numbers = conn.execute(select(func.count()).select_from(
            select(t.register_id, t.number).distinct().subquery())).scalar_one()
    assert len(rows) == 60 and numbers == 60
    for issued, store, register, day, day_store, day_register in rows:
        local = aware(issued, zone)
        assert local.date() == day and 9 <= local.hour < 19
        assert (store, register) == (day_store, day_register)
    assert negative == 0                          # returns and defectives are negative
