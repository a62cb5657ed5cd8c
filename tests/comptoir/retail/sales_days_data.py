"""The `sales_correction` worked example as data, and readers for its tests.

Depots `MAGT1` "Magasin test 1", `MAGT2`, `MAGT3` (stores), registers `C1`, `C2` in
MAGT1 (and `C1` in MAGT2); articles `TSC-A`, `TSC-B`; stock TSC-A MAGT1 5, MAGT2 10 (WAC
4), MAGT3 0; family `ZZZ` with sub-family `DIV`; five open `pending` days.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice import schema as s

D = Decimal
MAGT1, MAGT2, MAGT3 = 1, 2, 3
C1, C2, C1_MAGT2 = 1, 2, 3
TSC_A, TSC_B = 1, 2
DIV = 1


def task(task_id: str = "maj-ventes", **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": task_id, "type": "sales_correction", "site": "central",
        "options": options, "output": None})


def run(engine: Engine, definition: TaskDefinition, run_id: str = "manual-1") -> Report:
    return runner.run_task(definition, run_id, None, engine=engine, log=lambda _: None)


def business(report: Report) -> list[str]:
    return report.body.splitlines()[2:]


def reference_data(conn: Connection) -> None:
    conn.execute(s.depots.insert(), [
        {"id": MAGT1, "code": "MAGT1", "name": "Magasin test 1", "is_store": True},
        {"id": MAGT2, "code": "MAGT2", "name": "Magasin test 2", "is_store": True},
        {"id": MAGT3, "code": "MAGT3", "name": "Magasin test 3", "is_store": True}])
    conn.execute(s.registers.insert(), [
        {"id": C1, "depot_id": MAGT1, "code": "C1", "name": "Caisse 1"},
        {"id": C2, "depot_id": MAGT1, "code": "C2", "name": "Caisse 2"},
        {"id": C1_MAGT2, "depot_id": MAGT2, "code": "C1", "name": "Caisse 1"}])
    conn.execute(s.articles.insert(), [
        {"id": TSC_A, "code": "TSC-A", "name": "Article A", "purchase_price": D("3.5")},
        {"id": TSC_B, "code": "TSC-B", "name": "Article B", "purchase_price": D("2")}])
    conn.execute(s.families.insert().values(id=1, code="ZZZ", name="ZZZ Divers"))
    conn.execute(s.sub_families.insert().values(id=DIV, family_id=1, code="DIV",
                                                name="Divers"))


def day(conn: Connection, register: int, date: dt.date, lines: list[dict[str, Any]],
        depot: int = MAGT1, total: Decimal | None = None) -> int:
    """A pending open day of `register` with one ticket (the register's next) of `lines`."""
    t = s.pos_tickets.c
    ticket = 1 + conn.execute(select(func.count()).where(t.register_id == register)
                              ).scalar_one()
    day_id = conn.execute(s.sales_days.insert().values(
        depot_id=depot, register_id=register, date=date)).inserted_primary_key[0]
    amount = total if total is not None else sum((x["total_incl_tax"] for x in lines), D(0))
    ticket_id = conn.execute(s.pos_tickets.insert().values(
        depot_id=depot, register_id=register, number=ticket, sales_day_id=day_id,
        issued_at=dt.datetime.combine(date, dt.time(10), dt.UTC), total_incl_tax=amount)
    ).inserted_primary_key[0]
    conn.execute(s.pos_ticket_lines.insert(), [
        {"ticket_id": ticket_id, "line_no": n, "unit_price_incl_tax": D(5), "kind": "sale",
         "article_id": None, "article_code": None, **line} for n, line in enumerate(lines, 1)])
    return day_id


def sale(article: int, quantity: int | str, total: str = "5") -> dict[str, Any]:
    return {"article_id": article, "quantity": D(quantity), "total_incl_tax": D(total)}


def worked_example(engine: Engine) -> Engine:
    with engine.begin() as conn:
        reference_data(conn)
        conn.execute(s.stock_records.insert(), [
            {"article_id": TSC_A, "depot_id": MAGT1, "quantity": D(5), "value": D(20),
             "wac": D(4)},
            {"article_id": TSC_A, "depot_id": MAGT2, "quantity": D(10), "value": D(40),
             "wac": D(4)},
            {"article_id": TSC_A, "depot_id": MAGT3, "quantity": D(0), "value": D(0),
             "wac": D(0)}])
        day(conn, C1, dt.date(2025, 3, 3), [sale(TSC_A, 2, "12")])
        day(conn, C1, dt.date(2025, 3, 4), [sale(TSC_A, 6, "36")])
        day(conn, C1, dt.date(2025, 3, 5), [sale(TSC_B, 1, "5")])
        day(conn, C2, dt.date(2025, 3, 5), [
            {"article_code": "ZX-404", "quantity": D(1), "total_incl_tax": D(5)},
            {"article_id": TSC_A, "kind": "return", "quantity": D(1),
             "total_incl_tax": D(6)}], total=D(-1))
        day(conn, C1, dt.date(2025, 3, 6), [sale(TSC_A, 1, "6")])
    return engine


# --- readers ------------------------------------------------------------------------------


def stock(engine: Engine, article: int, depot: int) -> Decimal | None:
    r = s.stock_records.c
    with engine.connect() as conn:
        found = conn.execute(select(r.quantity).where(r.article_id == article,
                                                      r.depot_id == depot)).scalar()
    return None if found is None else D(found).normalize()


def movements(engine: Engine) -> list[tuple]:
    """(number, kind, date, depot, target, [(article code, quantity, lot)]) by number."""
    m, ln, a, dep = (s.stock_movements.c, s.stock_movement_lines.c, s.articles.c,
                     s.depots.c)
    with engine.connect() as conn:
        codes = dict(conn.execute(select(dep.id, dep.code)).all())
        heads = conn.execute(select(m.id, m.number, m.kind, m.date, m.depot_id,
                                    m.target_depot_id).order_by(m.number)).all()
        out = []
        for h in heads:
            lines = conn.execute(select(a.code, ln.quantity, ln.lot_number)
                                 .join(s.articles, a.id == ln.article_id)
                                 .where(ln.movement_id == h.id).order_by(ln.line_no)).all()
            out.append((h.number, h.kind, h.date, codes[h.depot_id],
                        codes.get(h.target_depot_id),
                        [(c, D(q).normalize(), lot) for c, q, lot in lines]))
    return out


def days(engine: Engine) -> dict[tuple[dt.date, str, str], tuple]:
    """(date, store, register) → (stock_state, status, closed, movement number, errors)."""
    sd, r, dep, m = s.sales_days.c, s.registers.c, s.depots.c, s.stock_movements.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(sd.date, dep.code.label("store"), r.code.label("register"),
                   sd.stock_state, sd.status, sd.closed, m.number, sd.stock_errors,
                   sd.stock_updated_at)
            .join(s.registers, r.id == sd.register_id).join(s.depots, dep.id == sd.depot_id)
            .outerjoin(s.stock_movements, m.id == sd.stock_movement_id)).all()
    return {(x.date, x.store, x.register): (x.stock_state, x.status, bool(x.closed),
                                            x.number, x.stock_errors) for x in rows}


def log_rows(engine: Engine) -> list[tuple]:
    msg = s.messages.c
    with engine.connect() as conn:
        return [tuple(x) for x in conn.execute(
            select(msg.task_id, msg.run_id, msg.level, msg.title, msg.body)
            .where(msg.category == "Mise à jour des ventes").order_by(msg.id))]


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()
