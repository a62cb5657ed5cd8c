"""Properties of `sales_correction` over random sales days (SQLite: the rules are the same
on both databases, the worked example runs on both).

From stock ≥ 0: after a run no stock is below zero (no updated day left one negative),
every updated day has its `VT` with the day's net quantities, every day taken is updated
or in error, and a second run creates nothing and changes no day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from comptoir.backoffice import schema as s
from tests.comptoir.retail.sales_days_data import (
    C1,
    C1_MAGT2,
    C2,
    MAGT1,
    MAGT2,
    MAGT3,
    TSC_A,
    TSC_B,
    count,
    day,
    days,
    reference_data,
    run,
    task,
)

D = Decimal
TABLES = (s.messages, s.pos_ticket_lines, s.pos_tickets, s.sales_days, s.lots,
          s.stock_movement_lines, s.stock_movements, s.stock_records, s.sub_families,
          s.families, s.articles, s.registers, s.depots, s.counters)
REGISTER_DEPOT = {C1: MAGT1, C2: MAGT1, C1_MAGT2: MAGT2}

line = st.tuples(st.sampled_from((TSC_A, TSC_B)), st.sampled_from(("sale", "return")),
                 st.integers(1, 4))
sales_day = st.tuples(st.sampled_from(tuple(REGISTER_DEPOT)), st.integers(1, 6),
                      st.lists(line, min_size=1, max_size=3))
scenario = st.fixed_dictionaries({
    "stock": st.dictionaries(st.tuples(st.sampled_from((TSC_A, TSC_B)),
                                       st.sampled_from((MAGT1, MAGT2, MAGT3))),
                             st.integers(0, 5), max_size=6),
    "days": st.lists(sales_day, min_size=1, max_size=8),
    "method": st.sampled_from(("transfers", "adjustments")),
    "givers": st.sampled_from((["MAGT3", "MAGT2"], ["MAGT2", "MAGT1"])),
    "fix_returns": st.booleans(),
})


def stage(engine: Engine, data: dict) -> None:
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(table.delete())
        reference_data(conn)
        conn.execute(s.stock_records.insert(), [
            {"article_id": a, "depot_id": d, "quantity": D(q), "value": D(q * 2),
             "wac": D(2)} for (a, d), q in data["stock"].items()] or [
            {"article_id": TSC_A, "depot_id": MAGT3, "quantity": D(0), "value": D(0),
             "wac": D(0)}])
        seen = set()
        for register, offset, lines in data["days"]:
            if (register, offset) in seen:
                continue
            seen.add((register, offset))
            day(conn, register, dt.date(2025, 3, offset), [
                {"article_id": a, "kind": kind, "quantity": D(q if kind == "sale" else
                                                                -q if n % 2 else q),
                 "total_incl_tax": D(q)} for n, (a, kind, q) in enumerate(lines)],
                depot=REGISTER_DEPOT[register])


def net_per_day(engine: Engine) -> dict[str, dict[int, Decimal]]:
    """VT number → article → −(net quantity of its day's lines)."""
    sd, t, ln, m = s.sales_days.c, s.pos_tickets.c, s.pos_ticket_lines.c, s.stock_movements.c
    out: dict[str, dict[int, Decimal]] = defaultdict(dict)
    with engine.connect() as conn:
        for number, article, quantity in conn.execute(
                select(m.number, ln.article_id, ln.quantity)
                .select_from(s.pos_ticket_lines.join(s.pos_tickets, t.id == ln.ticket_id)
                             .join(s.sales_days, sd.id == t.sales_day_id)
                             .join(s.stock_movements, m.id == sd.stock_movement_id))):
            out[number][article] = out[number].get(article, D(0)) - D(quantity)
    return {n: {a: q for a, q in x.items() if q} for n, x in out.items()}


def vt_lines(engine: Engine) -> dict[str, dict[int, Decimal]]:
    m, ln = s.stock_movements.c, s.stock_movement_lines.c
    out: dict[str, dict[int, Decimal]] = defaultdict(dict)
    with engine.connect() as conn:
        numbers = conn.execute(select(m.number).where(m.kind == "sale")).scalars().all()
        for number, article, quantity in conn.execute(
                select(m.number, ln.article_id, ln.quantity)
                .join(s.stock_movements, m.id == ln.movement_id).where(m.kind == "sale")):
            out[number][article] = out[number].get(article, D(0)) + D(quantity)
    return {n: out.get(n, {}) for n in numbers}


@pytest.mark.parametrize("dossier_url", ["sqlite"], indirect=True)
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(scenario)
def test_no_updated_day_leaves_a_negative_stock_and_a_rerun_creates_nothing(
        engine: Engine, data: dict) -> None:
    stage(engine, data)
    options = {"method": data["method"], "transfer_stores": data["givers"],
               "fix_returns": data["fix_returns"]}
    report = run(engine, task(**options))
    assert report.level in ("info", "warning"), report.body
    with engine.connect() as conn:
        quantities = conn.execute(select(s.stock_records.c.quantity)).scalars().all()
    assert all(D(q) >= 0 for q in quantities)
    state = days(engine)
    assert {v[0] for v in state.values()} <= {"updated", "error"}
    assert sum(v[0] == "updated" for v in state.values()) == count(
        engine, s.stock_movements.select().where(s.stock_movements.c.kind == "sale")
        .subquery())
    assert vt_lines(engine) == net_per_day(engine)

    movements = count(engine, s.stock_movements)
    again = run(engine, task(**options), "manual-2")
    assert again.level in ("info", "warning"), again.body
    assert count(engine, s.stock_movements) == movements
    assert days(engine) == state
