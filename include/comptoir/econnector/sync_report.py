"""The synchronisation report of a reception or a sending, and its place in the history.

A report (`spec/econnector.md`, "The synchronisation report") has one item per record —
per record left out for a sending — with its state, rule and messages. Every run that is
not a dry run is recorded: one `sync_runs` row, and `sync_history` rows (one per item for
a reception; one per file and one per record left out for a sending). A reception writes
the items of a file in that file's transaction, so the history never says more, or less,
than what the dossier holds.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, update

from comptoir.backoffice.schema import sync_history, sync_runs
from comptoir.imports import loader

__all__ = ["STATES", "STATUS", "Item", "SyncReport", "finish_run", "now", "record_items",
           "start_run"]

#: The states of an item, in report order.
STATES = ("synchronised", "already_received", "waiting", "error")
#: Item state → `sync_history.status`.
STATUS = {"synchronised": "ok", "already_received": "skipped", "waiting": "waiting",
          "error": "error"}
_LABELS = {"synchronised": "synchronised", "already_received": "already received",
           "waiting": "waiting", "error": "in error"}


@dataclass
class Item:
    """One record of a reception (or one record left out of a sending)."""

    file: str
    line: int | None
    type: str
    identifier: str
    state: str
    rule: str | None = None
    messages: list[str] = field(default_factory=list)
    label: str | None = None
    local_ref: str | None = None
    """The document number or third-party code in the dossier (history only)."""

    def as_json(self) -> dict[str, Any]:
        """The item as the report shows it."""
        return {"file": self.file, "line": self.line, "type": self.type,
                "identifier": self.identifier, "label": self.label, "state": self.state,
                "rule": self.rule, "messages": list(self.messages)}


def now(engine_or_conn: Engine | Connection) -> dt.datetime:
    """Now, in the dossier's time zone, to the second."""
    from comptoir.automation.runner import dossier_now

    engine = engine_or_conn if isinstance(engine_or_conn, Engine) else engine_or_conn.engine
    return dossier_now(engine).replace(microsecond=0)


@dataclass
class SyncReport:
    """What a reception (`direction` in) or a sending (out) did."""

    connector: str
    direction: str
    started_at: dt.datetime
    dry_run: bool = False
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    finished_at: dt.datetime | None = None
    error: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    unmapped: dict[str, dict[str, Any]] = field(default_factory=dict)
    """External code → {"label", "documents"} (reception)."""
    written: Counter[str] = field(default_factory=Counter)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    """File → what its reader warned about (unknown columns): said, not in the JSON."""

    def counts(self) -> dict[str, int]:
        """The items by state, every type together."""
        found = Counter(item.state for item in self.items)
        return {state: found.get(state, 0) for state in STATES}

    @property
    def exit_code(self) -> int:
        """0 everything synchronised (or already received), 3 something not, 1 not run."""
        if self.error is not None:
            return 1
        counts = self.counts()
        if counts["waiting"] or counts["error"]:
            return 3
        if any(f.get("outcome") == "failed" or f.get("error") for f in self.files):
            return 3  # a file refused, or received but not moved to done/
        return 0

    def summary(self) -> str:
        """`FACILI: 7 synchronised, 0 already received, 1 waiting, 2 in error`."""
        if self.error is not None:
            return f"{self.connector}: {self.error}"
        counts = self.counts()
        return f"{self.connector}: " + ", ".join(
            f"{counts[state]} {_LABELS[state]}" for state in STATES)

    def detail_lines(self, limit: int | None = None) -> list[str]:
        """The files not done (or with something to say) and the items not synchronised,
        one line each (at most `limit` items, then how many more)."""
        lines = []
        for entry in self.files:
            notes = [*([entry["error"]] if entry.get("error") else []),
                     *(f"warning: {w}" for w in self.warnings.get(entry["file"], []))]
            if entry.get("outcome") != "done" or notes:
                lines.append(f"{entry['file']}: {entry.get('outcome')}"
                             + (f": {'; '.join(notes)}" if notes else ""))
        late = [i for i in self.items if i.state not in ("synchronised", "already_received")]
        for item in late[:limit]:
            lines.append(f"{item.file}:{item.line} {item.type} {item.identifier or '(empty)'}: "
                         f"{item.state} ({item.rule}) {'; '.join(item.messages)}")
        if limit is not None and len(late) > limit:
            lines.append(f"... and {len(late) - limit} more items not synchronised")
        return lines

    def as_json(self) -> dict[str, Any]:
        """The report document (`--report`, the task's report)."""
        return {
            "connector": self.connector, "direction": self.direction, "run_id": self.run_id,
            "dry_run": self.dry_run, "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at), "error": self.error,
            "files": self.files, "items": [item.as_json() for item in self.items],
            "unmapped": [{"external_code": code, **value}
                         for code, value in sorted(self.unmapped.items())],
            "counts": self.counts(), "written": dict(self.written),
        }

    def file_part(self, name: str) -> dict[str, Any]:
        """The part of the report about one file (`NAME.report.json`)."""
        document = self.as_json()
        document["files"] = [f for f in self.files if f["file"] == name]
        document["items"] = [i for i in document["items"] if i["file"] == name]
        document["unmapped"] = [u for u in document["unmapped"]
                                if any(d in _file_documents(self, name) for d in u["documents"])]
        mine = [i for i in self.items if i.file == name]
        found = Counter(i.state for i in mine)
        document["counts"] = {state: found.get(state, 0) for state in STATES}
        return document


def _file_documents(report: SyncReport, name: str) -> set[str]:
    return {i.identifier.split(" / ")[0] for i in report.items
            if i.file == name and i.type == "document"}


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def start_run(conn: Connection, report: SyncReport) -> None:
    """The run's `sync_runs` row (finished by `finish_run`)."""
    conn.execute(insert(sync_runs).values(
        id=report.run_id, connector=report.connector, direction=report.direction,
        started_at=report.started_at))


def record_items(conn: Connection, report: SyncReport, items: list[Item], *,
                 entity: str | None = None) -> None:
    """History rows of `items` (in `conn`'s transaction), one per item.

    Written in bulk: COPY on PostgreSQL, one executemany on SQLite (a file's 100,000 items
    are columns built once, not 100,000 parameter dicts sent one by one).
    """
    if not items:
        return
    loader.insert(conn, sync_history, pd.DataFrame({
        "connector": report.connector, "direction": report.direction,
        "entity": [entity or item.type for item in items],
        "external_id": [item.identifier[:120] for item in items],
        "status": [STATUS.get(item.state, item.state) for item in items],
        "message": ["; ".join(item.messages) for item in items],
        "run_id": report.run_id,
        "file": [item.file[:255] for item in items],
        "line": pd.array([item.line for item in items], dtype="Int64"),
        "local_ref": [(item.local_ref or None) and item.local_ref[:60] for item in items]}))


def finish_run(conn: Connection, report: SyncReport) -> None:
    """Close the run's `sync_runs` row with its files, counts and error."""
    conn.execute(update(sync_runs).where(sync_runs.c.id == report.run_id).values(
        finished_at=report.finished_at, files=json.dumps(report.files, ensure_ascii=False),
        counts=json.dumps(report.counts()), error=report.error))
