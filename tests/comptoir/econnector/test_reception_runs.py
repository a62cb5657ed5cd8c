"""Receptions as runs: idempotency, crashes, concurrency, dry runs, history, exit statuses.

`spec/econnector.md`, "Files after a reception", "The synchronisation report" and
"History". SQLite and PostgreSQL (two real processes too).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import OperationalError

from comptoir.backoffice import schema as s
from comptoir.econnector import documents
from comptoir.econnector.reception import receive
from comptoir.exchange.files import locked
from comptoir.exchange.inbox import Inbox
from tests.comptoir.econnector.partner import (
    DOCUMENT_COLUMNS,
    count,
    document_rows,
    drop,
    mapped_dossier,
    today,
    tree,
)

PARTY = ("CODE", "NOM", "VILLE")
CONTACT = ("TIERS_TYPE", "TIERS_CODE", "NOM")


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> dict[str, Any]:
    return mapped_dossier(engine)


def _origins(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(s.sales_documents.c.origin)).scalars())


def _snapshot(engine: Engine) -> dict[str, Any]:
    """What a reception may write, to compare before and after."""
    with engine.connect() as conn:
        tables = {t.name: conn.execute(select(t).order_by(*t.primary_key.columns)).all()
                  for t in (s.customers, s.suppliers, s.customer_contacts,
                            s.supplier_contacts, s.sales_documents, s.sales_document_lines,
                            s.sales_document_taxes, s.sync_runs, s.sync_history)}
        tables["counters"] = conn.execute(
            select(s.counters).where(s.counters.c.name.in_(["econnector.C", "econnector.B"]))
        ).all()
    return tables


def _docs(count: int, start: int = 1) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for n in range(start, start + count):
        rows += document_rows(f"D{n}", "CLI1", ("X1", "1", None), ("X1", "2", "3"))
    return rows


# ---------------------------------------------------------------------------- idempotency

def test_a_file_dropped_twice_creates_nothing_the_second_time(engine: Engine,
                                                              dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportDocuments.csv", DOCUMENT_COLUMNS, _docs(3))
    first = receive(engine, "FACILI")
    assert first.counts()["synchronised"] == 3
    drop(folder, "ImportDocuments.csv", DOCUMENT_COLUMNS, _docs(3))
    second = receive(engine, "FACILI")
    assert [(i.identifier, i.state, i.messages) for i in second.items] == [
        (f"D{n}", "already_received", [f"already received as EC-C-00000{n}"])
        for n in (1, 2, 3)]
    assert second.exit_code == 0
    assert second.written["sales_documents"] == 0
    assert count(engine, s.sales_documents) == 3
    assert count(engine, s.sales_document_lines) == 6
    assert f"done/{today()}/ImportDocuments-2.csv" in tree(folder)


def test_a_document_in_two_files_is_created_once(engine: Engine,
                                                 dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportDocuments_1.csv", DOCUMENT_COLUMNS, _docs(2))
    drop(folder, "ImportDocuments_2.csv", DOCUMENT_COLUMNS, _docs(2, start=2))
    report = receive(engine, "FACILI")
    assert [(i.file, i.identifier, i.state) for i in report.items] == [
        ("ImportDocuments_1.csv", "D1 / EC-C-000001", "synchronised"),
        ("ImportDocuments_1.csv", "D2 / EC-C-000002", "synchronised"),
        ("ImportDocuments_2.csv", "D2", "already_received"),
        ("ImportDocuments_2.csv", "D3 / EC-C-000003", "synchronised")]
    assert _origins(engine) == ["FACILI:D1", "FACILI:D2", "FACILI:D3"]


def test_a_document_repeated_in_one_file_is_one_document(engine: Engine,
                                                         dossier: dict[str, Any]) -> None:
    # its lines are simply all the rows carrying its DOC_ID
    rows = [*document_rows("D1", "CLI1", ("X1", "1", None)), *_docs(1, start=2),
            *document_rows("D1", "CLI1", ("X1", "2", None))]
    drop(dossier["folder"], "ImportDocuments.csv", DOCUMENT_COLUMNS, rows)
    report = receive(engine, "FACILI")
    assert [i.identifier for i in report.items] == ["D1 / EC-C-000001", "D2 / EC-C-000002"]
    assert count(engine, s.sales_document_lines) == 4


# -------------------------------------------------------------------------------- crashes

def test_a_crash_between_the_commit_and_the_move_reads_the_file_again_without_duplicates(
        engine: Engine, dossier: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportClients.csv", PARTY, [["NEWC", "Nouveau", "Paris"]])
    drop(folder, "ImportDocuments.csv", DOCUMENT_COLUMNS,
         [*_docs(2), *document_rows("D9", "NEWN", ("X1", "1", None), client_name="Créé")])
    real_done = Inbox.done
    calls: list[str] = []

    def crash_once(self: Inbox, path: Path, *args: Any, **kwargs: Any) -> Path:
        calls.append(Path(path).name)
        if len(calls) == 1:
            raise RuntimeError("power cut")
        return real_done(self, path, *args, **kwargs)

    monkeypatch.setattr(Inbox, "done", crash_once)
    with pytest.raises(RuntimeError, match="power cut"):
        receive(engine, "FACILI")
    assert calls == ["ImportClients.csv"]
    assert "NEWC" in {c for (c,) in _customer_codes(engine)}  # committed before the crash
    assert tree(folder) == ["ImportClients.csv", "ImportDocuments.csv"]

    report = receive(engine, "FACILI")
    assert [(f["file"], f["outcome"]) for f in report.files] == [
        ("ImportClients.csv", "done"), ("ImportDocuments.csv", "done")]
    assert report.items[0].messages == ["Synchronisé", "customer updated"]
    assert _customer_codes(engine).count(("NEWC",)) == 1
    assert _origins(engine) == ["FACILI:D1", "FACILI:D2", "FACILI:D9"]
    assert tree(folder) == [f"done/{today()}/{n}" for n in (
        "ImportClients.csv", "ImportClients.csv.report.json",
        "ImportDocuments.csv", "ImportDocuments.csv.report.json")]

    # the same crash after a documents file: read again, every document already received
    drop(folder, "ImportDocuments_2.csv", DOCUMENT_COLUMNS, _docs(2, start=20))
    calls.clear()
    with pytest.raises(RuntimeError, match="power cut"):
        receive(engine, "FACILI")
    again = receive(engine, "FACILI")
    assert [(i.identifier, i.state) for i in again.items] == [
        ("D20", "already_received"), ("D21", "already_received")]
    assert count(engine, s.sales_documents) == 5


def _customer_codes(engine: Engine) -> list[tuple[str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(s.customers.c.code))]


@contextlib.contextmanager
def _failing_write(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> Iterator[None]:
    """The documents' last write (their taxes) raises `error`."""
    real = documents.loader.insert

    def insert_or_fail(conn: Any, table: Any, *args: Any, **kwargs: Any) -> int:
        if table is s.sales_document_taxes:
            raise error
        return real(conn, table, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(documents.loader, "insert", insert_or_fail)
        yield


def test_a_crash_inside_a_file_transaction_writes_nothing_of_that_file(
        engine: Engine, dossier: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportClients.csv", PARTY, [["NEWC", "Nouveau", "Paris"]])
    drop(folder, "ImportDocuments.csv", DOCUMENT_COLUMNS,
         [*_docs(2), *document_rows("D9", "NEWN", ("X1", "1", None), client_name="Créé")])
    with _failing_write(monkeypatch, RuntimeError("killed")), \
            pytest.raises(RuntimeError, match="killed"):
        receive(engine, "FACILI")
    assert count(engine, s.sales_documents) == 0
    assert count(engine, s.sales_document_lines) == 0
    assert {c for (c,) in _customer_codes(engine)} == {"CLI1", "CLI2", "NEWC"}  # not NEWN
    assert count(engine, s.counters, s.counters.c.name == "econnector.C") == 0
    with engine.connect() as conn:
        files = set(conn.execute(select(s.sync_history.c.file)).scalars())
    assert files == {"ImportClients.csv"}  # history without the items of the crashed file
    assert tree(folder) == ["ImportDocuments.csv", f"done/{today()}/ImportClients.csv",
                             f"done/{today()}/ImportClients.csv.report.json"]

    report = receive(engine, "FACILI")  # the file is still waiting: received whole now
    assert [(i.identifier, i.state) for i in report.items] == [
        ("D1 / EC-C-000001", "synchronised"), ("D2 / EC-C-000002", "synchronised"),
        ("NEWN", "synchronised"), ("D9 / EC-C-000003", "synchronised")]


def test_a_database_error_in_a_file_leaves_it_waiting_and_the_run_goes_on(
        engine: Engine, dossier: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportClients_1.csv", PARTY, [["NEWC", "Nouveau", "Paris"]])
    drop(folder, "ImportDocuments_1.csv", DOCUMENT_COLUMNS, [
        *_docs(2), *document_rows("D9", "NEWN", ("X1", "1", None), client_name="Créé"),
        *document_rows("W", "CLI1", ("NOPE", "1", "1"))])
    error = OperationalError("INSERT INTO sales_document_taxes", {}, Exception("disk I/O error"))
    with _failing_write(monkeypatch, error):
        report = receive(engine, "FACILI")
    assert report.error is None and report.exit_code == 3
    assert [(f["file"], f["outcome"]) for f in report.files] == [
        ("ImportClients_1.csv", "done"), ("ImportDocuments_1.csv", "failed")]
    assert "left in the import folder for the next reception" in report.files[1]["error"]
    assert "disk I/O error" in report.files[1]["error"]
    assert [i.file for i in report.items] == ["ImportClients_1.csv"]
    # the report says what the dossier holds: nothing of the file rolled back
    assert (report.written["customers_created"], report.written["sales_documents"]) == (1, 0)
    assert report.as_json()["unmapped"] == []
    assert count(engine, s.sales_documents) == 0
    assert count(engine, s.customers, s.customers.c.code == "NEWN") == 0
    assert count(engine, s.sync_history, s.sync_history.c.file == "ImportDocuments_1.csv") == 0
    assert tree(folder) == ["ImportDocuments_1.csv", f"done/{today()}/ImportClients_1.csv",
                             f"done/{today()}/ImportClients_1.csv.report.json"]
    with engine.connect() as conn:
        run = conn.execute(select(s.sync_runs)).one()
    assert run.finished_at is not None
    assert json.loads(run.files)[1]["outcome"] == "failed"


# ---------------------------------------------------------------------------- concurrency

def test_a_second_reception_exits_at_once_while_one_is_running(
        engine: Engine, dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportDocuments.csv", DOCUMENT_COLUMNS, _docs(1))
    before = _snapshot(engine)
    with locked(folder / ".reception.lock", wait=False):
        report = receive(engine, "FACILI")
    assert report.exit_code == 1
    assert "another reception of connector FACILI is running" in report.error
    assert report.summary().startswith("FACILI: another reception")
    assert report.items == [] and report.files == []
    assert _snapshot(engine) == before  # not even a run in the history
    assert tree(folder) == ["ImportDocuments.csv"]
    assert receive(engine, "FACILI").exit_code == 0  # once the lock is released


def _receive_in_process(url: str, barrier: Any, results: Any, folder_lock: bool) -> None:
    """One reception in its own process (the folder lock bypassed: two machines)."""
    from comptoir.backoffice.engine import get_engine
    from comptoir.econnector import reception

    if not folder_lock:
        reception._exclusive = lambda connector, dry_run: contextlib.nullcontext()  # type: ignore[assignment]
    engine = get_engine(url)
    barrier.wait(timeout=60)
    try:
        report = reception.receive(engine, "FACILI")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("exception", repr(exc)))
        return
    results.put(("report", report.error))


@pytest.mark.parametrize("folder_lock", [True, False], ids=["one-machine", "two-machines"])
def test_two_processes_receiving_the_same_files_create_every_document_once(
        engine: Engine, dossier_url: str, dossier: dict[str, Any], folder_lock: bool) -> None:
    folder = dossier["folder"]
    for n in range(4):
        drop(folder, f"ImportDocuments_{n}.csv", DOCUMENT_COLUMNS, _docs(40, start=100 * n))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_receive_in_process,
                           args=(dossier_url, barrier, results, folder_lock))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(kind == "report" for kind, _ in outcomes), outcomes
    assert [error for _, error in outcomes].count(None) >= 1
    origins = _origins(engine)
    assert len(origins) == 160 and len(set(origins)) == 160
    with engine.connect() as conn:
        numbers = conn.execute(select(s.sales_documents.c.number)).scalars().all()
        lines = conn.execute(select(func.count()).select_from(s.sales_document_lines)
                             ).scalar_one()
    assert len(set(numbers)) == 160 and lines == 320
    done = [p for p in tree(folder) if p.endswith(".csv")]
    assert sorted(Path(p).name for p in done) == [f"ImportDocuments_{n}.csv" for n in range(4)]


# -------------------------------------------------------------------------------- dry run

def _mixed_drop(folder: Path) -> None:
    drop(folder, "ImportClients_1.csv", PARTY, [["NEWC", "Nouveau", "Paris"],
                                                ["CLI1", "Renommé", None], [None, "X", None]])
    drop(folder, "ImportContacts_1.csv", CONTACT, [["C", "NEWC", "Marie"],
                                                   ["C", "GHOST", "Paul"]])
    drop(folder, "ImportDocuments_2.csv", DOCUMENT_COLUMNS, [
        *_docs(1),  # already received (below)
        *document_rows("D5", "NEWC", ("X1", "1", None)),
        *document_rows("D6", "NEWN", ("X1", "1", None), client_name="Créé"),
        *document_rows("D7", "CLI2", ("NOTAIRE", "1", "4")),
        *document_rows("D8", "CLI2", ("X1", "0", None))])
    drop(folder, "ImportDocuments_bad.csv", ("DOC_ID", "QTE"), [["Z", "1"]])
    drop(folder, "notes.txt", PARTY, [["A", "B", "C"]])


def test_a_dry_run_writes_nothing_moves_nothing_and_gives_the_states_of_the_real_run(
        engine: Engine, dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportDocuments_0.csv", DOCUMENT_COLUMNS, _docs(1))
    receive(engine, "FACILI")
    _mixed_drop(folder)
    before, files = _snapshot(engine), tree(folder)

    dry = receive(engine, "FACILI", dry_run=True)
    assert dry.dry_run and dry.error is None
    assert _snapshot(engine) == before  # nothing written, no history, counters untouched
    assert tree(folder) == files  # nothing moved

    real = receive(engine, "FACILI")
    left, right = dry.as_json(), real.as_json()
    for key in ("items", "unmapped", "counts", "written", "files"):
        assert left[key] == right[key], key
    assert dry.exit_code == real.exit_code == 3
    states = {i.identifier: i.state for i in real.items}
    assert {states["D1"], states["D5 / EC-C-000002"], states["D6 / EC-C-000003"],
            states["D7"], states["D8"]} == {"already_received", "synchronised", "waiting",
                                            "error"}


# -------------------------------------------------------------------------------- history

def test_history_records_the_run_and_every_item(engine: Engine,
                                                dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportDocuments_0.csv", DOCUMENT_COLUMNS, _docs(1))
    receive(engine, "FACILI")
    drop(folder, "ImportClients_1.csv", PARTY, [["NEWC", "Nouveau", None], [None, "X", None]])
    drop(folder, "ImportDocuments_1.csv", DOCUMENT_COLUMNS, [
        *_docs(1), *document_rows("D7", "CLI2", ("NOTAIRE", "1", "4")),
        *document_rows("D8", "NEWC", ("X1", "2", None))])
    report = receive(engine, "FACILI")
    with engine.connect() as conn:
        run = conn.execute(select(s.sync_runs).where(s.sync_runs.c.id == report.run_id)).one()
        rows = conn.execute(select(s.sync_history).where(s.sync_history.c.run_id == run.id)
                            .order_by(s.sync_history.c.id)).all()
        runs = conn.execute(select(func.count()).select_from(s.sync_runs)).scalar_one()
    assert runs == 2
    assert (run.connector, run.direction, run.error) == ("FACILI", "in", None)
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert json.loads(run.files) == report.files
    assert json.loads(run.counts) == {"synchronised": 2, "already_received": 1, "waiting": 1,
                                      "error": 1}
    assert [(r.connector, r.direction, r.entity, r.external_id, r.status, r.file, r.line,
             r.local_ref) for r in rows] == [
        ("FACILI", "in", "customer", "NEWC", "ok", "ImportClients_1.csv", 2, "NEWC"),
        ("FACILI", "in", "customer", "", "error", "ImportClients_1.csv", 3, None),
        ("FACILI", "in", "document", "D1", "skipped", "ImportDocuments_1.csv", 2,
         "EC-C-000001"),
        ("FACILI", "in", "document", "D7", "waiting", "ImportDocuments_1.csv", 4, None),
        ("FACILI", "in", "document", "D8 / EC-C-000002", "ok", "ImportDocuments_1.csv", 5,
         "EC-C-000002")]
    assert rows[3].message == "NOTAIRE (Désig NOTAIRE) has no correspondence"
    assert rows[1].message == "CODE is empty"


def test_the_report_counts_every_kind_of_write_even_when_none(
        engine: Engine, dossier: dict[str, Any]) -> None:
    drop(dossier["folder"], "ImportDocuments.csv", DOCUMENT_COLUMNS, _docs(1))
    for dry_run in (True, False):
        report = receive(engine, "FACILI", dry_run=dry_run)
        assert report.as_json()["written"] == {
            "sales_documents": 1, "customers_created": 0, "customers_updated": 0,
            "suppliers_created": 0, "suppliers_updated": 0, "contacts_created": 0,
            "contacts_updated": 0}


def test_a_dry_run_is_not_recorded(engine: Engine, dossier: dict[str, Any]) -> None:
    drop(dossier["folder"], "ImportDocuments.csv", DOCUMENT_COLUMNS, _docs(1))
    receive(engine, "FACILI", dry_run=True)
    assert count(engine, s.sync_runs) == 0 and count(engine, s.sync_history) == 0


# ---------------------------------------------------------------------------- exit status

def test_exit_0_when_everything_is_synchronised_or_already_received(
        engine: Engine, dossier: dict[str, Any]) -> None:
    drop(dossier["folder"], "ImportDocuments_1.csv", DOCUMENT_COLUMNS, _docs(1))
    drop(dossier["folder"], "ImportDocuments_2.csv", DOCUMENT_COLUMNS, _docs(2))
    report = receive(engine, "FACILI")
    assert report.exit_code == 0
    assert report.summary() == "FACILI: 2 synchronised, 1 already received, 0 waiting, " \
                               "0 in error"


def test_exit_0_and_a_recorded_run_when_there_is_nothing_to_receive(
        engine: Engine, dossier: dict[str, Any]) -> None:
    report = receive(engine, "facili")
    assert (report.exit_code, report.connector, report.files, report.items) == (
        0, "FACILI", [], [])
    assert report.summary() == "FACILI: 0 synchronised, 0 already received, 0 waiting, " \
                               "0 in error"
    assert count(engine, s.sync_runs) == 1


@pytest.mark.parametrize("problem", ["waiting", "error", "failed file"])
def test_exit_3_when_something_is_not_received(engine: Engine, dossier: dict[str, Any],
                                               problem: str) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportDocuments_1.csv", DOCUMENT_COLUMNS, _docs(1))
    if problem == "waiting":
        drop(folder, "ImportDocuments_2.csv", DOCUMENT_COLUMNS,
             document_rows("W", "CLI1", ("NOPE", "1", "1")))
    elif problem == "error":
        drop(folder, "ImportDocuments_2.csv", DOCUMENT_COLUMNS,
             document_rows("E", "GHOST", ("X1", "1", "1")))
    else:
        drop(folder, "Other.csv", PARTY, [["A", "B", "C"]])
    report = receive(engine, "FACILI")
    assert report.exit_code == 3
    assert report.error is None
    assert report.counts()["synchronised"] == 1


def test_exit_1_for_an_unknown_connector_and_nothing_written(engine: Engine,
                                                             dossier: dict[str, Any]) -> None:
    drop(dossier["folder"], "ImportDocuments.csv", DOCUMENT_COLUMNS, _docs(1))
    before = _snapshot(engine)
    for code in ("NOPE", "bad code!"):
        report = receive(engine, code)
        assert report.exit_code == 1
        assert report.error is not None
    assert "unknown connector NOPE" in receive(engine, "nope").error
    assert _snapshot(engine) == before
    assert tree(dossier["folder"]) == ["ImportDocuments.csv"]


def test_exit_1_for_invalid_settings_and_nothing_written(engine: Engine,
                                                         dossier: dict[str, Any]) -> None:
    drop(dossier["folder"], "ImportDocuments.csv", DOCUMENT_COLUMNS, _docs(1))
    with engine.begin() as conn:
        conn.execute(delete(s.connector_settings).where(
            s.connector_settings.c.key == "customer_family"))
    before = _snapshot(engine)
    report = receive(engine, "FACILI")
    assert report.exit_code == 1
    assert "customer_family is required" in report.error
    assert report.summary() == f"FACILI: {report.error}"
    assert _snapshot(engine) == before
    assert tree(dossier["folder"]) == ["ImportDocuments.csv"]
