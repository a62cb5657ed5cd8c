"""What `sales_correction` writes, in bulk: movements, days, ticket lines, the log.

Every movement goes through `comptoir.retail.stock_posting.post` (one call for the run),
numbered by `comptoir.retail.numbering.reserve` (one reservation per prefix and year);
days and lines are updated with executemany statements, ticket totals by one `UPDATE`
per chunk of tickets. Nothing here is per day or per line.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select, update

from comptoir.backoffice.schema import messages, pos_ticket_lines, pos_tickets, sales_days
from comptoir.retail import numbering
from comptoir.retail.sales_days_plan import (
    Correction,
    Fix,
    Outcome,
    Plan,
    error_text,
    quantity_text,
)
from comptoir.retail.sales_days_read import chunks
from comptoir.retail.stock_posting import Movement, MovementLine, depot_costs, post, round_money

__all__ = ["LOG_CATEGORY", "Names", "Written", "write"]

LOG_CATEGORY = "Mise à jour des ventes"
KINDS = {"VT": "sale", "EC": "kit_split", "TR": "transfer", "AV": "sales_adjustment"}
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Names:
    """Codes for the texts: articles, depots, the misc sub-family `FAMILY/SUB`."""

    articles: dict[int, str]
    depots: dict[int, str]
    misc_sub_family: str | None


@dataclass(frozen=True, slots=True)
class Written:
    corrections: int  # EC, TR and AV movements created
    log: list[str]


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _fix_text(fix: Fix, names: Names, outcome: Outcome) -> str:
    issue, day = fix.issue, outcome.day
    head = (f"Ticket {issue.ticket_number} ligne {issue.line_no} ({day.store} {day.register} "
            f"{_date(day.date)}) : ")
    if fix.what == "misc":
        return f"{head}code inconnu {issue.code} → sous-famille {names.misc_sub_family}"
    if fix.what == "article":
        return f"{head}code inconnu {issue.code} → article {names.articles[fix.article_id or 0]}"
    return (f"{head}retour corrigé {quantity_text(issue.quantity)} → "
            f"{quantity_text(-issue.quantity)}")


def _correction_text(number: str, c: Correction, names: Names) -> list[str]:
    day, art = c.day, names.articles
    store = names.depots[c.target_depot_id or c.depot_id]
    of_day = f"(journée {_date(day.date)} caisse {day.register})"
    if c.prefix == "EC":
        (kit, count, _), *parts = c.lines
        gives = ", ".join(f"{art[a]} {quantity_text(q, sign=True)}" for a, q, _ in parts)
        return [f"{number} {_date(c.date)} Éclatement {store} {art[kit]} "
                f"{quantity_text(count)} → {gives}"]
    if c.prefix == "TR":
        return [f"{number} {_date(c.date)} Transfert {names.depots[c.depot_id]} → {store} "
                f"{art[a]} {quantity_text(q)} {of_day}" for a, q, _ in c.lines]
    return [f"{number} {_date(c.date)} Ajustement des ventes {store} {art[a]} "
            f"{quantity_text(q, sign=True)} {of_day}" for a, q, _ in c.lines]


def _kit_values(conn: Connection, plan: Plan) -> None:
    """Share each kit's value among its components (pro rata BOM price × quantity)."""
    splits = [c for o in plan.outcomes for c in o.corrections if c.prefix == "EC"]
    if not splits:
        return
    costs = depot_costs(conn, {(c.lines[0][0], c.depot_id) for c in splits})
    for split in splits:
        kit, count, _ = split.lines[0]
        value = round_money(-count * costs[(kit, split.depot_id)])
        parts = split.lines[1:]
        weights = split.weights
        if not any(weights):
            weights = [q for _, q, _ in parts]
        total = sum(weights, ZERO)
        shares = [round_money(value * weight / total) for weight in weights[:-1]]
        shares.append(value - sum(shares, ZERO))  # the last line takes the remainder
        shared = [(a, q, share) for (a, q, _), share in zip(parts, shares, strict=True)]
        split.lines[1:] = shared


def write(conn: Connection, plan: Plan, names: Names, *, task_id: str, run_id: str,
          misc_sub_family_id: int | None, close_days: bool, now: dt.datetime) -> Written:
    """Post the corrections and the days' VT, update days and lines, log the corrections."""
    _kit_values(conn, plan)
    done = [o for o in plan.outcomes if o.updated]
    wanted: Counter[tuple[str, int]] = Counter()
    for outcome in done:
        for c in outcome.corrections:
            wanted[(c.prefix, c.date.year)] += 1
        wanted[("VT", outcome.day.date.year)] += 1
    numbers = {key: iter(numbering.reserve(conn, key[0], key[1], count))
               for key, count in sorted(wanted.items())}
    run = f"{task_id}:{run_id}"
    vt: dict[int, str] = {}
    log: list[str] = []

    def movements() -> Iterator[Movement]:  # built as post() takes them: never held twice
        for outcome in done:
            day = outcome.day
            log.extend(_fix_text(fix, names, outcome) for fix in outcome.fixes)
            for c in outcome.corrections:
                number = next(numbers[(c.prefix, c.date.year)])
                log.extend(_correction_text(number, c, names))
                yield Movement(
                    number, KINDS[c.prefix], c.date, c.depot_id,
                    [MovementLine(a, q, value=v) for a, q, v in c.lines], c.target_depot_id,
                    f"Correction des ventes {day.store} {day.register} {_date(day.date)}",
                    {"created_by_run": run})
            number = next(numbers[("VT", day.date.year)])
            vt[day.id] = number
            sold = [MovementLine(a, -q) for a, q in sorted(outcome.net.items()) if q]
            outcome.net = {}  # in the movement now: a million lines are not held twice
            yield Movement(
                number, "sale", day.date, day.depot_id, sold,
                reference=f"Journée {day.store} {day.register} {_date(day.date)}",
                extra={"created_by_run": run})

    ids = {m.number: m.id for m in post(conn, movements(), validated_at=now)}
    _days(conn, plan, {d: ids[n] for d, n in vt.items()}, names, close_days, now)
    _lines(conn, done, misc_sub_family_id)
    if log:
        conn.execute(messages.insert().values(
            category=LOG_CATEGORY, task_id=task_id, run_id=run_id, level="info",
            title=f"{task_id}: mouvements de correction", body="\n".join(log),
            created_at=now))
    return Written(sum(len(o.corrections) for o in done), log)


def _days(conn: Connection, plan: Plan, movement: dict[int, int], names: Names,
          close_days: bool, now: dt.datetime) -> None:
    sd = sales_days.c
    updated: dict[str, Any] = {"stock_state": "updated", "stock_errors": None,
                               "stock_movement_id": bindparam("_movement"),
                               "stock_updated_at": now}
    if close_days:
        updated |= {"closed": True, "closed_at": func.coalesce(sd.closed_at, now),
                    "status": case((sd.status == "open", "closed"), else_=sd.status)}
    rows = [{"_id": d, "_movement": m} for d, m in movement.items()]
    if rows:
        conn.execute(update(sales_days).where(sd.id == bindparam("_id")).values(updated), rows)
    errors = [{"_id": o.day.id,
               "_errors": "\n".join(error_text(e, names.articles) for e in o.errors)}
              for o in plan.outcomes if not o.updated]
    if errors:
        conn.execute(update(sales_days).where(sd.id == bindparam("_id"))
                     .values(stock_state="error", stock_errors=bindparam("_errors")), errors)


def _lines(conn: Connection, done: list[Outcome], misc_sub_family_id: int | None) -> None:
    ln = pos_ticket_lines.c
    fixes = [f for o in done for f in o.fixes]
    misc = [{"_id": f.issue.line_id} for f in fixes if f.what == "misc"]
    if misc:
        conn.execute(update(pos_ticket_lines).where(ln.id == bindparam("_id"))
                     .values(sub_family_id=misc_sub_family_id, correction="misc_article"),
                     misc)
    found = [{"_id": f.issue.line_id, "_article": f.article_id} for f in fixes
             if f.what == "article"]
    if found:
        conn.execute(update(pos_ticket_lines).where(ln.id == bindparam("_id"))
                     .values(article_id=bindparam("_article")), found)
    returns = [f.issue for f in fixes if f.what == "return"]
    if not returns:
        return
    conn.execute(update(pos_ticket_lines).where(ln.id == bindparam("_id"), ln.quantity > 0)
                 .values(quantity=-ln.quantity, total_incl_tax=-ln.total_incl_tax,
                         correction="return_sign"), [{"_id": i.line_id} for i in returns])
    t = pos_tickets.c
    total = (select(func.coalesce(func.sum(ln.total_incl_tax), 0))
             .where(ln.ticket_id == t.id).scalar_subquery())
    for chunk in chunks(i.ticket_id for i in returns):
        conn.execute(update(pos_tickets).where(t.id.in_(chunk)).values(total_incl_tax=total))
