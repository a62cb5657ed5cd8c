"""The demo's offline registers: two tills lost their link to the server today.

Each keeps selling on its own dossier — here a copy of the demo dossier under
`var/pos/registers/` (what loading the base files gives a register) — and writes degraded
tickets; `pos extract` puts them in a ticket file, and the file is dropped (the LAN mode of
`pos send`) into the inbox of the server's `pos_tickets` task, which integrates it in the
nightly batch.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine

from comptoir import paths
from comptoir.exchange.inbox import Inbox

__all__ = ["DEMO_POS_TASK", "OFFLINE_REGISTERS", "StagedTickets", "stage_for_task"]

#: The demo's ticket integration task (tasks/pos-tickets.json).
DEMO_POS_TASK = "pos-tickets"
#: (store, register, tickets) of the registers that sold offline today.
OFFLINE_REGISTERS = (("MAG01", "C2", 24), ("MAG02", "C1", 16))


@dataclass(frozen=True)
class StagedTickets:
    """A register's ticket file, dropped into the task's inbox."""

    store: str
    register: str
    tickets: int
    file: Path


def offline_register(server: Engine, store: str, register: str, count: int,
                     day: dt.date) -> tuple[Engine, int]:
    """A register dossier (a copy of the server's) that sold `count` tickets offline."""
    from comptoir.backoffice.settings import set_setting
    from comptoir.demo.pos import write_degraded_tickets

    folder = paths.home() / "pos" / "registers"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{store}-{register}.db"
    target.unlink(missing_ok=True)
    with (closing(sqlite3.connect(str(server.url.database))) as source,
          closing(sqlite3.connect(target)) as copy):
        source.backup(copy)  # WAL included: a plain file copy could miss recent writes
    engine = create_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        set_setting(conn, "pos_store", store)
        set_setting(conn, "pos_register", register)
        written = write_degraded_tickets(conn, store, register, count, day)
    return engine, written.count


def stage_for_task(server: Engine, task_id: str = DEMO_POS_TASK,
                   day: dt.date | None = None) -> list[StagedTickets] | None:
    """Offline sales on the demo's registers, extracted and dropped into the inbox of task
    `task_id`; None if that task is not defined (or the dossier is not the SQLite one)."""
    from comptoir.automation.definitions import InvalidDefinition, UnknownTask, find
    from comptoir.automation.task_inbox import task_inbox
    from comptoir.automation.types.pos_tickets import Options
    from comptoir.pos.extraction import extract_tickets

    try:
        definition = find(task_id)
    except (UnknownTask, InvalidDefinition):
        return None
    options = definition.typed_options()
    if not isinstance(options, Options) or server.dialect.name != "sqlite":
        return None
    inbox: Inbox = task_inbox(definition.id, options).inbox
    day = day or dt.date.today()
    staged = []
    for store, register, count in OFFLINE_REGISTERS:
        engine, written = offline_register(server, store, register, count, day)
        report = extract_tickets(engine, paths.home() / "pos" / "outbox", store=store,
                                 register=register)
        engine.dispose()
        made = Path(report.body["file"])
        dropped = inbox.receive(made.name, made.read_bytes())
        made.unlink()
        staged.append(StagedTickets(store, register, written, dropped))
    return staged
