"""Demo data for `passage_counters`: the door counters of the stores on the days they sold.

One file per store (`comptages-<store>.csv`), hourly counts from 9 to 19 for each sales day
of the dossier, about four visitors per ticket, dropped into the inbox of the task
`passage-counters`; MAG01's file also holds a row for an unknown store (MAG99), which the
report names. The demo's sales are in its reference week, so the nightly run (the last 7
days) imports the counts; the rates of that week come with `period custom`.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy import Engine

TASK = "passage-counters"
#: Share of the day's visitors per hour, 9 to 19.
PROFILE = (3, 5, 7, 8, 9, 8, 9, 10, 9, 6, 4)


def hourly(visitors: int) -> list[int]:
    """The day's visitors spread over the hours 9 to 19 (the last hour takes the rest)."""
    shares = [visitors * weight // sum(PROFILE) for weight in PROFILE]
    shares[-1] += visitors - sum(shares)
    return shares


def stage(engine: Engine) -> list[str]:
    """Drop the counter files into the task's inbox; what was staged (nothing if undefined)."""
    from sqlalchemy import func, select

    from comptoir.backoffice.schema import depots, pos_tickets, sales_days
    from comptoir.demo.retail import inbox_of

    inbox = inbox_of(TASK)
    if inbox is None:
        return []
    with engine.connect() as conn:
        days = conn.execute(
            select(depots.c.code, sales_days.c.date, func.count(pos_tickets.c.id))
            .join(sales_days, sales_days.c.depot_id == depots.c.id)
            .join(pos_tickets, pos_tickets.c.sales_day_id == sales_days.c.id)
            .where(depots.c.is_store.is_(True))
            .group_by(depots.c.code, sales_days.c.date)
            .order_by(depots.c.code, sales_days.c.date)).all()
    per_store: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    for code, day, tickets in days:
        per_store[code].append((day, tickets))
    if not per_store:
        return []
    an_hour_ago = time.time() - 3600
    for index, (code, store_days) in enumerate(sorted(per_store.items())):
        rows = ["MAGASIN;DATE;HEURE;ENTREES"]
        for day, tickets in store_days:
            visitors = tickets * (4 + index % 3)
            rows += [f"{code};{day:%d/%m/%Y};{hour};{count}"
                     for hour, count in zip(range(9, 20), hourly(visitors), strict=True)]
        if index == 0:
            rows.append(f"MAG99;{store_days[0][0]:%d/%m/%Y};12;40")
        name = f"comptages-{code}.csv"
        if (inbox.incoming / name).exists():
            continue
        path = inbox.receive(name, ("\r\n".join(rows) + "\r\n").encode("utf-8"))
        os.utime(path, (an_hour_ago, an_hour_ago))
    first = min(day for store_days in per_store.values() for day, _ in store_days)
    last = max(day for store_days in per_store.values() for day, _ in store_days)
    return [f"door counters of {len(per_store)} stores, {first:%d/%m/%Y} to {last:%d/%m/%Y}, "
            f"dropped into {inbox.incoming} (one row for an unknown store, MAG99); the rates "
            f"of those days: comptoir tasks run {TASK} --set period=custom "
            f"--set date_from={first} --set date_to={last}"]
