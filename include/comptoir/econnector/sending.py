"""Sending (`comptoir connector send`): the connector's snapshot files of articles,
customers and contacts, written in its export folder (`spec/econnector.md`, "Sending").

What is sent: `articles` / `customers` given True or False, or None for what the settings
say (`send_articles` / `send_customers` not `none`). Forced with the setting at `none`,
articles are the exportable ones and customers all of them. `Contacts.csv` goes with
`Clients.csv` when `send_contacts` is on. Files: `Articles.csv`, `Clients.csv`,
`Contacts.csv` (`comptoir.econnector.send_records`, `snapshot_csv`).

Every file is first written whole under a hidden temporary name in the export folder
(created on first use); only when all of them are written are they renamed over the
previous ones, so a failure (folder not writable, disk full) leaves every previous
snapshot in place and no temporary file behind. The reading is one snapshot of the
dossier (REPEATABLE READ on PostgreSQL).

A record the encoding cannot write is left out and reported (state `error`, rule
`unencodable`, type `article` / `customer` / `contact`, identifier the code — a contact's
`CLIENT_CODE / NOM` —, no line); a customer left out takes its contacts with it.

The report (`SendReport`, direction `out`): exit 0 every record written (also when
nothing is to be sent), 3 some left out, 1 nothing written (`error`: unknown connector,
export folder not writable, `send_depot` gone). Summary lines:
`FACILI: sent Articles.csv (120), Clients.csv (2000); 1 left out`,
`FACILI: nothing to send (send_articles is none, send_customers is none)` (or
`no articles` / `no customers` for what the options turned off),
`FACILI: <error>`. History: a `sync_runs` row for every sending of a known connector,
and `sync_history` rows: one per file written (entity = its kind, external id = the file
name, status `ok`, "N records written") and one per record left out.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, select

from comptoir.backoffice.schema import depots
from comptoir.econnector import send_records as records
from comptoir.econnector.settings import Connector, ConnectorError, load_connector
from comptoir.econnector.snapshot_csv import CsvFormat, SnapshotWriter
from comptoir.econnector.sync_report import (
    Item,
    SyncReport,
    finish_run,
    now,
    record_items,
    start_run,
)
from comptoir.errors import ComptoirError
from comptoir.exchange.files import fsync_folder, write_durably

__all__ = ["FILES", "SendReport", "plan", "send"]

#: Kind → the file it is sent in, in sending order.
FILES = {"articles": "Articles.csv", "customers": "Clients.csv", "contacts": "Contacts.csv"}
_TYPES = {"articles": "article", "customers": "customer", "contacts": "contact"}
_COLUMNS = {"articles": records.ARTICLE_COLUMNS, "customers": records.CUSTOMER_COLUMNS,
            "contacts": records.CONTACT_COLUMNS}


class SendError(ComptoirError):
    """The sending cannot run (nothing was written)."""


@dataclass
class SendReport(SyncReport):
    """The report of a sending: its summary names the files sent."""

    nothing: str | None = None
    """Why nothing was to be sent (None when something was)."""

    def summary(self) -> str:
        """`FACILI: sent Articles.csv (120), Clients.csv (2000); 1 left out`."""
        if self.error is not None:
            return super().summary()
        if self.nothing is not None:
            return f"{self.connector}: nothing to send ({self.nothing})"
        sent = ", ".join(f"{f['file']} ({f['records']})" for f in self.files)
        return f"{self.connector}: sent {sent}; {self.counts()['error']} left out"


def plan(connector: Connector, *, articles: bool | None = None,
         customers: bool | None = None) -> dict[str, str]:
    """Kind → its selection mode (`exportable`/`filter`, `all`/`filter`), in file order."""
    chosen: dict[str, str] = {}
    for kind, wanted, key, forced in (("articles", articles, "send_articles", "exportable"),
                                      ("customers", customers, "send_customers", "all")):
        mode = connector.get(key)
        if wanted is None and mode != "none":
            chosen[kind] = mode
        elif wanted:
            chosen[kind] = forced if mode == "none" else mode
    if "customers" in chosen and connector.send_contacts:
        chosen["contacts"] = chosen["customers"]
    return chosen


def send(engine: Engine, code: str, *, articles: bool | None = None,
         customers: bool | None = None) -> SyncReport:
    """Write the connector's snapshot files; the report (its `exit_code`: 0, 3 or 1)."""
    report = SendReport(connector=(code or "").strip().upper(), direction="out",
                        started_at=now(engine))
    try:
        with engine.connect() as conn:
            connector = load_connector(conn, code)
    except ConnectorError as exc:
        report.error = str(exc)
        report.finished_at = now(engine)
        return report
    report.connector = connector.code
    chosen = plan(connector, articles=articles, customers=customers)
    if not chosen:
        report.nothing = ", ".join(
            f"{key} is none" if wanted is None else f"no {kind}"
            for kind, wanted, key in (("articles", articles, "send_articles"),
                                      ("customers", customers, "send_customers")))
    with engine.begin() as conn:
        start_run(conn, report)
    written: list[Item] = []
    try:
        if chosen:
            written = _send_files(engine, connector, chosen, report)
    except (OSError, ComptoirError) as exc:
        _failed(report, _reason(exc, connector))
    except Exception as exc:
        _failed(report, f"the sending failed: {exc}; nothing was sent")
        _close(engine, report, [])
        raise
    _close(engine, report, written)
    return report


def _reason(exc: Exception, connector: Connector) -> str:
    if isinstance(exc, ComptoirError):
        return str(exc)
    detail = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return (f"cannot write in the export folder {connector.get('export_path')}: "
            f"{detail}{where}; nothing was sent")


def _failed(report: SendReport, error: str) -> None:
    report.error = error
    report.files.clear()
    report.items.clear()


def _close(engine: Engine, report: SendReport, written: list[Item]) -> None:
    """Finish the run: its history rows (files written, records left out) and counts."""
    report.finished_at = now(engine)
    with engine.begin() as conn:
        record_items(conn, report, ([] if report.error else written) + report.items)
        finish_run(conn, report)


@contextlib.contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection reading one state of the dossier (rolled back at the end)."""
    conn = engine.connect()
    try:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn
    finally:
        conn.close()


def _send_files(engine: Engine, connector: Connector, chosen: dict[str, str],
                report: SendReport) -> list[Item]:
    """Write every chosen file under a temporary name, then rename them all; the history
    items of the files written."""
    folder = connector.export_folder
    folder.mkdir(parents=True, exist_ok=True)
    fmt = CsvFormat.of(connector)
    temporaries: dict[str, Path] = {}
    counts: dict[str, int] = {}
    left_customers: set[str] = set()
    try:
        with _reading(engine) as conn:
            for kind, mode in chosen.items():
                chunks = _chunks(conn, connector, kind, mode, fmt)
                if kind == "contacts":
                    chunks = _without(chunks, left_customers)
                temporary = folder / f".{FILES[kind]}.{uuid.uuid4().hex}.part"
                temporaries[kind] = temporary
                write_durably(temporary, _writer(kind, chunks, fmt, report, counts,
                                                 left_customers))
        for kind, temporary in temporaries.items():
            os.replace(temporary, folder / FILES[kind])
        fsync_folder(folder)
    finally:
        for temporary in temporaries.values():
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    written = []
    for kind in chosen:
        report.files.append({"file": FILES[kind], "kind": kind, "records": counts[kind],
                             "outcome": "done", "error": None})
        written.append(Item(FILES[kind], None, kind, FILES[kind], "synchronised",
                            messages=[f"{counts[kind]} records written"]))
    return written


def _chunks(conn: Connection, connector: Connector, kind: str, mode: str,
            fmt: CsvFormat) -> Iterator[pa.Table]:
    if kind == "articles":
        return records.article_chunks(conn, connector, mode, fmt, _send_depot(conn, connector))
    if kind == "customers":
        return records.customer_chunks(conn, connector, mode)
    return records.contact_chunks(conn, connector, mode)


def _send_depot(conn: Connection, connector: Connector) -> int:
    """The id of the depot whose stock is sent; `SendError` when it no longer exists."""
    code = connector.get("send_depot")
    found = conn.execute(select(depots.c.id).where(depots.c.code == code)).scalar()
    if found is None:
        raise SendError(f"connector {connector.code}: send_depot {code!r} is not a depot of "
                        "the dossier (comptoir connector set ... send_depot CODE); nothing "
                        "was sent")
    return int(found)


def _without(chunks: Iterator[pa.Table], customers: set[str]) -> Iterator[pa.Table]:
    """The contacts of the customers not left out (read once the customers are written)."""
    for chunk in chunks:
        if customers:
            left = pa.array(sorted(customers), type=pa.string())
            chunk = chunk.filter(pc.invert(pc.is_in(chunk["CLIENT_CODE"], value_set=left)))
        yield chunk


def _writer(kind: str, chunks: Iterator[pa.Table], fmt: CsvFormat, report: SendReport,
            counts: dict[str, int], left_customers: set[str]) -> Callable[[BinaryIO], None]:
    """The function writing one file into its open temporary file."""
    def write(handle: BinaryIO) -> None:
        writer = SnapshotWriter(handle, fmt, _COLUMNS[kind])
        for chunk in chunks:
            for left in writer.write(chunk):
                identifier = _identifier(kind, chunk, left.row)
                if kind == "customers":
                    left_customers.add(identifier)
                report.items.append(Item(FILES[kind], None, _TYPES[kind], identifier,
                                         "error", "unencodable", left.messages))
        counts[kind] = writer.records
    return write


def _identifier(kind: str, chunk: pa.Table, row: int) -> str:
    if kind == "contacts":
        return f"{chunk['CLIENT_CODE'][row].as_py()} / {chunk['NOM'][row].as_py()}"
    return str(chunk["CODE"][row].as_py())
