"""Properties of the stock-posting helper over random sequences of movements.

Without exits beyond the stock: the lots of a depot add up to its stock, a value is never
negative (and 0 when the stock is), an exit leaves the WAC as it was, a transfer keeps the
value it moves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from comptoir.backoffice import schema as s
from comptoir.retail.stock_posting import Movement, MovementLine, post

DEPOTS = ("P1", "P2", "P3")
ARTICLES = ("PLAIN", "LOTTED")

operation = st.tuples(
    st.sampled_from(("entry", "exit", "transfer")),
    st.sampled_from(ARTICLES),
    st.sampled_from(DEPOTS),
    st.sampled_from(DEPOTS),
    st.integers(1, 7),
    st.integers(1, 2000).map(lambda cents: Decimal(cents) / 100),
    st.sampled_from((None, "L1", "L2")),
)


def _state(conn) -> dict:
    r = s.stock_records.c
    return {(a, d): (q, v, w) for a, d, q, v, w in conn.execute(
        select(r.article_id, r.depot_id, r.quantity, r.value, r.wac))}


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=12))
def test_stock_and_lots_add_up_and_exits_keep_the_wac(engine, ops) -> None:
    with engine.connect() as conn, conn.begin() as outer:
        depot = {c: conn.execute(s.depots.insert().values(code=c, name=c))
                 .inserted_primary_key[0] for c in DEPOTS}
        article = {c: conn.execute(s.articles.insert().values(
            code=c, name=c, purchase_price=Decimal("2.5"), lot_managed=c == "LOTTED"))
            .inserted_primary_key[0] for c in ARTICLES}
        stock = {(a, d): 0 for a in ARTICLES for d in DEPOTS}
        for n, (kind, code, source, target, quantity, cost, lot) in enumerate(ops, 1):
            if kind != "entry" and stock[(code, source)] == 0:
                continue
            if kind != "entry":
                quantity = min(quantity, stock[(code, source)])
            if kind == "transfer" and source == target:
                continue
            lot_number = lot if code == "LOTTED" and kind == "entry" else None
            line = (MovementLine(article[code], Decimal(quantity), unit_cost=cost,
                                 lot_number=lot_number) if kind == "entry"
                    else MovementLine(article[code], Decimal(-quantity if kind == "exit"
                                                             else quantity)))
            pair, other = (article[code], depot[source]), (article[code], depot[target])
            before = _state(conn)
            post(conn, [Movement(f"M{n}", "transfer" if kind == "transfer" else "adjustment",
                                 dt.date(2025, 1, n), depot[source], [line],
                                 target_depot_id=depot[target] if kind == "transfer"
                                 else None)])
            after = _state(conn)
            stock[(code, source)] += quantity if kind == "entry" else -quantity
            if kind == "transfer":
                stock[(code, target)] += quantity
                moved = before[pair][1] - after[pair][1]
                assert after[other][1] - before.get(other, (0, 0, 0))[1] == moved
            if kind != "entry":
                assert after[pair][2] == before[pair][2]  # the WAC of the source
        records = _state(conn)
        lt = s.lots.c
        sums: dict = {}
        for a, d, q in conn.execute(select(lt.article_id, lt.depot_id, lt.quantity)):
            sums[(a, d)] = sums.get((a, d), 0) + q
        for (a, d), (q, v, _w) in records.items():
            assert q == stock[(next(c for c in ARTICLES if article[c] == a),
                               next(c for c in DEPOTS if depot[c] == d))]
            assert v >= 0
            if q == 0:
                assert v == 0
            if a == article["LOTTED"]:
                assert sums.get((a, d), 0) == q
        outer.rollback()
