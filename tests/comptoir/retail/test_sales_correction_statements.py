"""`sales_correction` is set-based: the SQL statements of a run do not grow with the days
(counted with SQLAlchemy's `before_cursor_execute`, both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event

from comptoir.backoffice import schema as s
from tests.comptoir.retail.sales_days_data import (
    C1,
    C2,
    MAGT1,
    MAGT2,
    TSC_A,
    TSC_B,
    business,
    day,
    reference_data,
    run,
    sale,
    task,
)

D = Decimal
KIT = 10


def stage(engine: Engine, weeks: int) -> None:
    """`weeks` × 5 days on two registers: shortages, unknown codes, returns keyed positive."""
    with engine.begin() as conn:
        reference_data(conn)
        conn.execute(s.articles.insert().values(id=KIT, code="KIT-1", name="Kit",
                                                assembled=True))
        conn.execute(s.bom_lines.insert().values(
            parent_article_id=KIT, line_no=1, component_article_id=TSC_B, quantity=D(1),
            price=D(2), kind="assembly"))
        conn.execute(s.stock_records.insert(), [
            {"article_id": TSC_A, "depot_id": MAGT2, "quantity": D(10_000), "value": D(0),
             "wac": D(0)},
            {"article_id": KIT, "depot_id": MAGT1, "quantity": D(weeks * 5), "value": D(0),
             "wac": D(0)}])
        start = dt.date(2025, 1, 6)
        for n in range(weeks * 5):
            date = start + dt.timedelta(days=n)
            day(conn, C1, date, [sale(TSC_A, 3), sale(TSC_B, 1)])
            lines: list[dict[str, Any]] = [sale(TSC_A, 1)]
            if n % 5 == 0:
                lines.append({"article_code": "ZX-404", "quantity": D(1),
                              "total_incl_tax": D(5)})
            if n % 5 == 1:
                lines.append({"article_id": TSC_A, "kind": "return", "quantity": D(1),
                              "total_incl_tax": D(5)})
            day(conn, C2, date, lines)


def statements(engine: Engine) -> tuple[int, list[str]]:
    seen: list[str] = []

    def count(*_: Any) -> None:
        seen.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        report = run(engine, task(stores=["MAGT1"], method="transfers",
                                  transfer_stores=["MAGT2"], misc_sub_family="ZZZ/DIV",
                                  fix_returns=True, split_kits=True))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), business(report)


def test_the_statements_do_not_grow_with_the_days(engine: Engine) -> None:
    stage(engine, 1)
    few, report = statements(engine)
    assert report[-1].startswith("10 journées traitées : 10 à jour, 0 toujours en erreur")
    with engine.begin() as conn:  # the same shape ten times longer, in a later year
        for table in (s.pos_ticket_lines, s.pos_tickets, s.sales_days, s.lots,
                      s.stock_movement_lines, s.stock_movements, s.stock_records,
                      s.bom_lines, s.messages, s.sub_families, s.families, s.articles,
                      s.registers, s.depots, s.counters):
            conn.execute(table.delete())
    stage(engine, 10)
    many, report = statements(engine)
    assert report[-1].startswith("100 journées traitées : 100 à jour, 0 toujours en erreur")
    assert many == few
    assert few < 120
