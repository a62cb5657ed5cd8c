"""An import run as its operator sees it: rejections that show (a warning, or a failure
with `fail_on_rejections`), and dry runs that never race a real run over the inbox."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import list_messages
from comptoir.automation.types.imports import InboxRun, Options, import_inbox
from comptoir.exchange.inbox import Inbox
from tests.comptoir.automation.test_imports_type import filed
from tests.comptoir.imports.conftest import count, rows

VAT = "CODE;DESIG;TAUX\nN;Normale;20\n"
CUSTOMERS = "CODE;DESIG;REGIME_CODE\nC1;Dupont;EU\nC2;Martin;EU\n"
ARTICLES = "CODE;DESIG;TVA_CODE\nA1;Tee-shirt;N\nA2;Mug;N\n"
UNKNOWN_VAT = "CODE;DESIG;TVA_CODE\n" + "".join(f"A{i};Article {i};X9\n" for i in range(6))
WAIT = 60  # seconds a thread may take before the test fails (never reached when it works)


@pytest.fixture
def inbox(tmp_path: Path, comptoir_home: Path) -> Inbox:
    return Inbox(tmp_path / "inbox")


def definition(**options: object) -> TaskDefinition:
    return TaskDefinition.model_validate({"id": "imports-test", "type": "imports", "options": {
        "source": {"kind": "local", "path": "drop", "min_age_seconds": 0}, **options}})


def test_rejected_records_make_the_report_a_warning_with_the_counts(
        engine: Engine, comptoir_home: Path) -> None:
    inbox = Inbox(comptoir_home / "inbox" / "drop")
    inbox.receive("vat.csv", VAT.encode())
    inbox.receive("articles.csv", UNKNOWN_VAT.encode())
    report = runner.run_task(definition(), "scheduled__1", None, engine=engine,
                             log=lambda _: None)
    assert report.level == "warning"
    assert report.title == ("imports-test: succeeded with warnings — 6 of 7 records rejected "
                            "(articles.csv): see the import reports")
    assert "6 of 7 records rejected (articles.csv): see the import reports" in report.body
    with engine.connect() as conn:
        (message,) = list_messages(conn, task_id="imports-test")
    assert (message.level, message.run_id) == ("warning", "scheduled__1")
    assert filed(inbox.root / "done") == ["articles.csv", "articles.csv.report.json",
                                          "vat.csv", "vat.csv.report.json"]


def test_fail_on_rejections_fails_the_run_and_still_writes_what_was_accepted(
        engine: Engine, comptoir_home: Path) -> None:
    inbox = Inbox(comptoir_home / "inbox" / "drop")
    inbox.receive("vat.csv", VAT.encode())
    inbox.receive("articles.csv", (ARTICLES + "A3;Bol;X9\n").encode())
    report = runner.run_task(definition(fail_on_rejections=True), "manual__1", None,
                             engine=engine, log=lambda _: None)
    assert report.level == "error"
    assert report.title == ("imports-test: failed — import_files: fail_on_rejections: 1 of 4 "
                            "records rejected (articles.csv): see the import reports")
    assert rows(engine, "SELECT code FROM articles ORDER BY code") == [("A1",), ("A2",)]
    assert filed(inbox.root / "done") == ["articles.csv", "articles.csv.report.json",
                                          "vat.csv", "vat.csv.report.json"]

    inbox.receive("vat_2.csv", "CODE;DESIG;TAUX\nR;Réduit;5,5\n".encode())
    clean = runner.run_task(definition(fail_on_rejections=True), "manual__2", None,
                            engine=engine, log=lambda _: None)
    assert (clean.level, clean.title) == ("info", "imports-test: succeeded")


def paused_after_first_file(started: threading.Event, go: threading.Event
                            ) -> Callable[[str], None]:
    """A `log` that holds its run after the first file until `go` is set."""
    def log(line: str) -> None:
        if not started.is_set():
            started.set()
            assert go.wait(WAIT)
    return log


def in_thread(target: Callable[[], InboxRun]) -> tuple[threading.Thread, list[InboxRun]]:
    result: list[InboxRun] = []
    thread = threading.Thread(target=lambda: result.append(target()), daemon=True)
    thread.start()
    return thread, result


def test_a_dry_run_lists_the_files_a_real_run_is_importing_and_reads_the_others(
        engine: Engine, dossier_url: str, inbox: Inbox) -> None:
    inbox.receive("vat.csv", VAT.encode())
    inbox.receive("customers.csv", CUSTOMERS.encode())
    started, go = threading.Event(), threading.Event()
    thread, real = in_thread(lambda: import_inbox(
        inbox, Options(auto_create_regimes=True), url=dossier_url, data_docs=False,
        log=paused_after_first_file(started, go), run_id="scheduled__1"))
    try:
        assert started.wait(WAIT)  # the real run imported vat.csv, holds customers.csv
        inbox.receive("articles.csv", ARTICLES.encode())  # arrives during the real run
        dry = import_inbox(inbox, Options(dry_run=True), url=dossier_url, data_docs=False)
    finally:
        go.set()
        thread.join(WAIT)
    assert not thread.is_alive()
    # the dry run did not wait for the real run, and read only the file it had not taken
    assert (dry.in_progress, dry.busy) == ("scheduled__1", ["customers.csv", "vat.csv"])
    assert [(r.files, r.outcome, r.accepted) for r in dry.results] == [
        (["articles.csv"], "dry run", 2)]
    assert ("In progress in run scheduled__1, not read by this dry run: customers.csv, "
            "vat.csv") in dry.lines()
    (done,) = real
    assert [(r.files, r.outcome) for r in done.results] == [
        (["vat.csv"], "done"), (["customers.csv"], "done")]
    assert count(engine, "customers") == 2 and count(engine, "articles") == 0
    assert [p.name for p in inbox.waiting()] == ["articles.csv"]  # the dry run took nothing
    assert not any(p.name.startswith(".dry-run") for p in inbox.root.iterdir())


def test_a_real_run_never_waits_for_a_dry_run_which_reports_the_files_it_took(
        engine: Engine, dossier_url: str, inbox: Inbox) -> None:
    inbox.receive("vat.csv", VAT.encode())
    inbox.receive("customers.csv", CUSTOMERS.encode())
    started, go = threading.Event(), threading.Event()
    thread, dry = in_thread(lambda: import_inbox(
        inbox, Options(dry_run=True, auto_create_regimes=True), url=dossier_url,
        data_docs=False, log=paused_after_first_file(started, go)))
    try:
        assert started.wait(WAIT)  # the dry run read vat.csv
        real = import_inbox(inbox, Options(auto_create_regimes=True), url=dossier_url,
                            data_docs=False, run_id="scheduled__2")
    finally:
        go.set()
        thread.join(WAIT)
    assert not thread.is_alive()
    assert [(r.files, r.outcome) for r in real.results] == [
        (["vat.csv"], "done"), (["customers.csv"], "done")]
    assert count(engine, "vat_codes") == 1 and count(engine, "customers") == 2
    (checked,) = dry
    assert [(r.files, r.outcome, r.accepted, r.taken_by) for r in checked.results] == [
        (["vat.csv"], "dry run", 1, None), (["customers.csv"], "dry run", 0, "scheduled__2")]
    assert ("customers.csv — customers: taken by run scheduled__2, not read by this dry run"
            in checked.lines())

    after = import_inbox(inbox, Options(dry_run=True), url=dossier_url, data_docs=False)
    (line,) = [line for line in after.lines() if line.startswith("No file to import")]
    assert line.startswith("No file to import (the last run, scheduled__2, took "
                           "customers.csv, vat.csv at ")


def test_rejected_tickets_make_a_warning_or_with_fail_on_rejections_a_failure(
        engine: Engine, comptoir_home: Path) -> None:
    from tests.comptoir.pos.pos_data import CREATED, sale, seed, ticket_file

    seed(engine)
    incoming = comptoir_home / "inbox" / "tickets" / "incoming"

    def tickets(run_id: str, **options: object):  # type: ignore[no-untyped-def]
        task = TaskDefinition.model_validate({"id": "tickets", "type": "pos_tickets",
                                              "options": {"source": {
                                                  "kind": "local", "path": "tickets",
                                                  "min_age_seconds": 0}, **options}})
        return runner.run_task(task, run_id, None, engine=engine, log=lambda _: None)

    first = ticket_file(incoming, [sale(1), sale(2, article="ZX-404")]).name
    report = tickets("scheduled__1")
    assert (report.level, report.title) == (
        "warning", f"tickets: succeeded with warnings — 1 of 2 tickets rejected ({first}): "
        "see the POS log")

    later = CREATED + datetime.timedelta(hours=1)
    second = ticket_file(incoming, [sale(3), sale(4, article="ZX-404")], created=later).name
    strict = tickets("manual__1", fail_on_rejections=True)
    assert (strict.level, strict.title) == (
        "error", "tickets: failed — integrate_files: fail_on_rejections: 1 of 2 tickets "
        f"rejected ({second}): see the POS log")
    assert rows(engine, "SELECT number FROM pos_tickets ORDER BY number") == [(1,), (3,)]
