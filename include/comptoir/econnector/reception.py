"""A reception: the files waiting in a connector's import folder, into the dossier.

Files are taken in kind order (customers, suppliers, contacts, documents), then by name, so
a document may use a customer created by the same reception. Each file is written in one
transaction — its records and its history rows together — then moved: to
`done/<day>/` with `NAME.report.json`, or to `failed/<day>/` when it cannot be processed as
a whole (nothing of it written); a documents file with a waiting document stays where it
is, and the next reception reads it again (its documents already created are then
`already_received`). A crash between the commit and the move leaves the file to be read
again, never duplicated. Two receptions of one connector never run at once: the second
stops at once (`error`, exit 1). A dry run controls everything in one transaction rolled
back at the end, so its states are those a real run would give; nothing is written, no
file moves, nothing goes to the history.

A file's warnings (unknown columns) are said on the summary's lines and in the task
report (the JSON report keeps the contract's shape). A file received
but that could not be moved (permissions, disk full) keeps outcome `done` with an
`error` saying so: the next reception finds its records already received. A reception
stopped part-way (the dossier's lock past its wait) says so, and its run is closed in
the history with what it did. done/ and failed/ are dated in the dossier's time zone.

Decision: a documents file with a malformed record (not the header's number of fields)
fails whole — the record could belong to any document, and a document is created whole
or not at all; in a third-party file it is an item in error (`invalid_value`).
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from comptoir.backoffice import lock
from comptoir.backoffice.schema import tax_regimes
from comptoir.backoffice.settings import get_setting
from comptoir.econnector.batch import Batch, Detail
from comptoir.econnector.documents import DOCUMENT_COLUMNS, DOCUMENT_MANDATORY, receive_documents
from comptoir.econnector.files import connector_inbox, waiting_files
from comptoir.econnector.settings import Connector, ConnectorError, check_code, load_connector
from comptoir.econnector.sync_report import (
    Item,
    SyncReport,
    finish_run,
    now,
    record_items,
    start_run,
)
from comptoir.econnector.third_parties import (
    CONTACT_COLUMNS,
    CONTACT_MANDATORY,
    PARTY_COLUMNS,
    PARTY_MANDATORY,
    receive_contacts,
    receive_parties,
)
from comptoir.exchange.errors import InboxError
from comptoir.exchange.files import LockBusy, locked
from comptoir.imports.errors import ImportFileError
from comptoir.imports.loader import WriteError
from comptoir.imports.readers import RawFile, read_csv

__all__ = ["COLUMNS", "WAIT_ENV", "receive"]

#: Seconds a reception waits for the dossier's lock of its connector (default 600).
WAIT_ENV = "COMPTOIR_CONNECTOR_LOCK_WAIT"

#: Kind → (known columns, mandatory columns).
COLUMNS = {"customers": (tuple(PARTY_COLUMNS), PARTY_MANDATORY),
           "suppliers": (tuple(PARTY_COLUMNS), PARTY_MANDATORY),
           "contacts": (tuple(CONTACT_COLUMNS), CONTACT_MANDATORY),
           "documents": (DOCUMENT_COLUMNS, DOCUMENT_MANDATORY)}
_ENCODINGS = {"utf-8": "utf-8", "windows-1252": "cp1252"}
#: The report's `written` counts, every one shown (0 included).
_WRITTEN = ("sales_documents", "customers_created", "customers_updated", "suppliers_created",
            "suppliers_updated", "contacts_created", "contacts_updated")
_NOT_OURS = "not a connector file (ImportClients*, ImportFournisseurs*, ImportContacts*, " \
            "ImportDocuments*, .csv or .txt)"


class _FileFailed(Exception):
    """The file as a whole cannot be processed: nothing of it is written."""


def receive(engine: Engine, code: str, *, dry_run: bool = False,
            detail: Detail | None = None, min_age: float | None = None) -> SyncReport:
    """Receive what waits in the connector's import folder; the report says what happened.

    `detail` (for `connector pending`) collects the articles, documents and third parties
    seen. `min_age` overrides the connector's `min_age_seconds` (0 for files a task has
    just fetched from a server: they are complete). The report's `error` is set (exit 1)
    when the reception could not run at all.
    """
    report = SyncReport(code.strip().upper(), "in", now(engine), dry_run=dry_run)
    report.written.update(dict.fromkeys(_WRITTEN, 0))
    started = False
    try:
        report.connector = check_code(code)
        with engine.connect() as conn:
            connector = load_connector(conn, code)
            connector.check(conn)
            regime, purchases = _dossier_settings(conn)
        with _exclusive(connector, dry_run):
            waiting = waiting_files(connector, min_age=min_age)
            if not dry_run:
                with engine.begin() as conn:
                    start_run(conn, report)
                started = True
            if dry_run:
                for path in waiting.others:
                    report.files.append(_file_entry(path.name, None, None, 0, "failed",
                                                    _NOT_OURS))
                _dry_run(engine, connector, report, waiting.files, regime, purchases, detail)
            else:
                for path in waiting.others:
                    _refuse(engine, connector, report, path, None, _NOT_OURS)
                for path, kind in waiting.files:
                    _receive_file(engine, connector, report, path, kind, regime, purchases)
    except (ConnectorError, _Busy, lock.DossierBusy) as exc:
        report.error = str(exc)
    except OSError as exc:
        report.error = f"cannot read the import folder: {exc.strerror or exc}"
    if started and report.error is not None:
        report.error += ("; the files received before it are in the dossier and in done/ "
                         "(see files)")
    report.finished_at = now(engine)
    if started:  # also after an error: the history says what the run did until then
        with engine.begin() as conn:
            finish_run(conn, report)
    return report


class _Busy(Exception):
    """Another reception of the connector is running."""


@contextlib.contextmanager
def _exclusive(connector: Connector, dry_run: bool) -> Iterator[None]:
    """The connector's reception lock (not for a dry run, which writes nothing)."""
    if dry_run:
        yield
        return
    folder = connector_inbox(connector).root
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as held:
        try:  # only the lock's own refusal means another reception is running
            held.enter_context(locked(folder / ".reception.lock", wait=False))
        except LockBusy:
            raise _Busy(f"another reception of connector {connector.code} is running: "
                        "nothing was read or written; try again when it has finished"
                        ) from None
        yield


def _lock(conn: Connection, connector: Connector) -> None:
    """The dossier's lock of this connector's receptions, first in the transaction.

    Receptions of one connector from two machines (which the folder lock cannot see)
    write their files one after the other.
    """
    lock.acquire(conn, f"econnector.{connector.code}", lock.wait_seconds(WAIT_ENV))


def _dossier_settings(conn: Connection) -> tuple[int | None, bool]:
    regime_code = get_setting(conn, "default_regime")
    regime = None
    if regime_code:
        regime = conn.execute(select(tax_regimes.c.id).where(tax_regimes.c.code == regime_code)
                              ).scalar_one_or_none()
    return regime, (get_setting(conn, "purchases_module") or "on") == "on"


def _file_entry(name: str, kind: str | None, encoding: str | None, records: int,
                outcome: str, error: str | None) -> dict[str, object]:
    return {"file": name, "kind": kind, "encoding": encoding, "records": records,
            "outcome": outcome, "error": error}


def _warn(report: SyncReport, raw: RawFile) -> None:
    """The reader's warnings (unknown columns) for the summary and the task report."""
    if raw.warnings:
        report.warnings[raw.name] = [notice.message for notice in raw.warnings]


def _read(connector: Connector, path: Path, kind: str) -> RawFile:
    known, mandatory = COLUMNS[kind]
    try:
        raw = read_csv(path, sep=connector.get("separator"), known=known, mandatory=mandatory)
    except ImportFileError as exc:
        raise _FileFailed(str(exc)) from None
    if kind == "documents" and raw.malformed:
        bad = raw.malformed[0]
        more = f" (and {len(raw.malformed) - 1} more)" if len(raw.malformed) > 1 else ""
        raise _FileFailed(f"{path.name}: line {bad.line}: {bad.message}{more}; a document is "
                          "received whole, so the file is refused")
    return raw


def _frame(raw: RawFile, kind: str) -> pd.DataFrame:
    frame = raw.frame
    for column in COLUMNS[kind][0]:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    return frame


def _handle(conn: Connection, batch: Batch, raw: RawFile, kind: str) -> None:
    frame = _frame(raw, kind)
    for bad in raw.malformed:
        batch.add(Item(batch.file, bad.line, kind.rstrip("s"), bad.key or "", "error",
                       "invalid_value", [bad.message]))
    if kind == "documents":
        receive_documents(conn, batch, frame)
    elif kind == "contacts":
        receive_contacts(conn, batch, frame)
    else:
        receive_parties(conn, batch, frame, kind.rstrip("s"))
    batch.items.sort(key=lambda item: (item.line or 0))


def _outcome(batch: Batch) -> str:
    waiting = any(i.state == "waiting" for i in batch.items)
    return "waiting" if waiting else "done"


def _receive_file(engine: Engine, connector: Connector, report: SyncReport, path: Path,
                  kind: str, regime: int | None, purchases: bool) -> None:
    """One file: read, write in one transaction with its history, then move it."""
    try:
        raw = _read(connector, path, kind)
    except _FileFailed as exc:
        _refuse(engine, connector, report, path, kind, str(exc))
        return
    batch = Batch(connector, path.name, report, regime, purchases)
    encoding = _ENCODINGS.get(raw.encoding, raw.encoding)
    written, unmapped = report.written.copy(), copy.deepcopy(report.unmapped)
    try:
        with engine.begin() as conn:
            _lock(conn, connector)
            _handle(conn, batch, raw, kind)
            record_items(conn, report, batch.items)
    except (DBAPIError, WriteError) as exc:
        report.written, report.unmapped = written, unmapped  # nothing of the file is written
        orig = getattr(exc, "orig", None) or exc
        reason = (str(orig).strip().splitlines() or [type(exc).__name__])[0]
        report.files.append(_file_entry(path.name, kind, encoding, raw.table.num_rows,
                                        "failed", f"not written, left in the import folder "
                                        f"for the next reception: {reason}"))
        return
    report.items += batch.items
    outcome = _outcome(batch)
    report.files.append(_file_entry(path.name, kind, encoding, raw.table.num_rows +
                                    len(raw.malformed), outcome, None))
    _warn(report, raw)
    if outcome == "done":
        try:
            _file_away(connector_inbox(connector).done, path, report)
        except OSError as exc:  # written and recorded: read again, it is already_received
            report.files[-1]["error"] = (f"received, but could not be moved to done/ "
                                         f"({exc.strerror or exc}): the next reception reads "
                                         "it again and finds it already received")


def _refuse(engine: Engine, connector: Connector, report: SyncReport, path: Path,
            kind: str | None, reason: str) -> None:
    """File a file that cannot be processed as a whole in failed/ (nothing written)."""
    report.files.append(_file_entry(path.name, kind, None, 0, "failed", reason))
    _file_away(connector_inbox(connector).failed, path, report)


def _file_away(move: Callable[..., Path], path: Path, report: SyncReport) -> None:
    """Move a file read by this reception (done/ or failed/) with its part of the report.

    A reception of the connector on another machine (which the folder lock cannot see)
    may have filed it meanwhile: its records are then in the dossier, nothing is lost.
    """
    try:
        move(path, report.file_part(path.name), day=report.started_at.date())
    except InboxError:
        if os.path.lexists(path):
            raise


def _dry_run(engine: Engine, connector: Connector, report: SyncReport,
             files: list[tuple[Path, str]], regime: int | None, purchases: bool,
             detail: Detail | None) -> None:
    """Every file controlled in one transaction, rolled back: the states a run would give."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            _lock(conn, connector)  # also starts SQLite's transaction: savepoints nest in it
            for path, kind in files:
                try:
                    raw = _read(connector, path, kind)
                except _FileFailed as exc:
                    report.files.append(_file_entry(path.name, kind, None, 0, "failed",
                                                    str(exc)))
                    continue
                batch = Batch(connector, path.name, report, regime, purchases, detail)
                with conn.begin_nested():
                    _handle(conn, batch, raw, kind)
                report.items += batch.items
                records = raw.table.num_rows + len(raw.malformed)
                report.files.append(_file_entry(path.name, kind, _ENCODINGS.get(
                    raw.encoding, raw.encoding), records, _outcome(batch), None))
                _warn(report, raw)
        finally:
            outer.rollback()
