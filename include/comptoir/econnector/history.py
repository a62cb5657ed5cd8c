"""A connector's history read back: its runs, newest first, with their items if asked.

`list_runs` gives the documents of `comptoir connector history --json`
(`spec/econnector.md`, "History"): one per run of `sync_runs`, with its files' names, its
counts and its error; with `items=True` each run also carries its `sync_history` rows in
the report's item shape. It reads by code only, so a deleted connector's history (which
`delete` keeps) is listed as any other. Times are ISO 8601 in the dossier's time zone on
both databases (SQLite keeps the wall-clock time it was given, without its offset).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, Select, select

from comptoir.backoffice.dossier_time import dossier_zone, local_iso
from comptoir.backoffice.schema import sync_history, sync_runs
from comptoir.econnector.settings import check_code
from comptoir.econnector.sync_report import STATUS

__all__ = ["DIRECTIONS", "list_runs"]

#: The directions of a run: a reception (`in`) or a sending (`out`).
DIRECTIONS = ("in", "out")
_STATE = {status: state for state, status in STATUS.items()}


def _runs_query(code: str, direction: str | None, since: dt.date | None,
                zone: dt.tzinfo, limit: int | None) -> Select[Any]:
    query = select(sync_runs).where(sync_runs.c.connector == code)
    if direction is not None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r}: expected in or out")
        query = query.where(sync_runs.c.direction == direction)
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), zone)
        query = query.where(sync_runs.c.started_at >= start)
    query = query.order_by(sync_runs.c.started_at.desc(), sync_runs.c.finished_at.desc(),
                           sync_runs.c.id)
    return query.limit(limit) if limit is not None else query


def _item(row: Any) -> dict[str, Any]:
    """A history row in the report's item shape (label and rule are not kept)."""
    return {"file": row.file, "line": row.line, "type": row.entity,
            "identifier": row.external_id, "label": None,
            "state": _STATE.get(row.status, row.status), "rule": None,
            "messages": row.message.split("; ") if row.message else []}


def _items_by_run(conn: Connection, runs: Select[Any]) -> dict[str, list[dict[str, Any]]]:
    chosen = runs.with_only_columns(sync_runs.c.id).subquery()
    rows = conn.execute(select(sync_history)
                        .where(sync_history.c.run_id.in_(select(chosen.c.id)))
                        .order_by(sync_history.c.id))
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.run_id, []).append(_item(row))
    return found


def list_runs(conn: Connection, code: str, *, direction: str | None = None,
              since: dt.date | None = None, limit: int | None = None,
              items: bool = False) -> list[dict[str, Any]]:
    """The runs of connector `code`, newest first (`--json` of `connector history`).

    `direction` `in` or `out`; `since` keeps the runs started that day or later (dossier
    time); `limit` the newest N; `items` adds each run's history rows. A code that never
    ran (or does not exist) has no runs; an invalid code is a `ConnectorError`.
    """
    code = check_code(code)
    zone = dossier_zone(conn)
    query = _runs_query(code, direction, since, zone, limit)
    runs = conn.execute(query).all()
    by_run = _items_by_run(conn, query) if items and runs else {}
    listed = []
    for run in runs:
        files = json.loads(run.files) if run.files else []
        document: dict[str, Any] = {
            "run_id": run.id, "direction": run.direction,
            "started_at": local_iso(run.started_at, zone),
            "finished_at": local_iso(run.finished_at, zone),
            "files": [f["file"] for f in files],
            "counts": json.loads(run.counts) if run.counts else None, "error": run.error}
        if items:
            document["items"] = by_run.get(run.id, [])
        listed.append(document)
    return listed
