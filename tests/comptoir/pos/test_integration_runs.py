"""Integration through an inbox, two runs at once, and a crash between two files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comptoir.backoffice.schema import pos_ticket_lines, pos_tickets
from comptoir.pos.integration import integrate_inbox
from comptoir.pos.report import Exit
from tests.comptoir.pos.pos_data import sale, seed, ticket_file

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def dossier(engine, comptoir_home):  # type: ignore[no-untyped-def]
    seed(engine)
    return engine


def tickets_in(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(pos_tickets)).scalar_one()


def test_files_go_to_done_or_failed_with_their_report(dossier, tmp_path) -> None:
    incoming = tmp_path / "inbox" / "incoming"
    incoming.mkdir(parents=True)
    good = ticket_file(incoming, [sale(1), sale(2)])
    bad = ticket_file(incoming, [sale(3)], register="C9")
    (incoming / "notes.txt").write_text("not a ticket file")
    report, outcomes = integrate_inbox(dossier, tmp_path / "inbox")
    assert report.exit_code == Exit.REFUSED
    assert [o.status for o in outcomes] == ["done", "failed"]  # in name order: C1, C9
    done = Path(next(o.moved_to for o in outcomes if o.file == good.name))
    failed = Path(next(o.moved_to for o in outcomes if o.file == bad.name))
    assert done.parent.parent.name == "done" and failed.parent.parent.name == "failed"
    filed = json.loads(done.with_name(done.name + ".report.json").read_text())
    assert filed["integrated"] == 2 and filed["run_id"] == report.run_id
    assert (incoming / "notes.txt").exists() and not good.exists()
    assert tickets_in(dossier) == 2


def test_a_dry_run_leaves_the_files_waiting(dossier, tmp_path) -> None:
    incoming = tmp_path / "inbox" / "incoming"
    incoming.mkdir(parents=True)
    path = ticket_file(incoming, [sale(1)])
    report, (outcome,) = integrate_inbox(dossier, tmp_path / "inbox", dry_run=True)
    assert outcome.integrated == 1 and outcome.moved_to is None and path.exists()
    assert tickets_in(dossier) == 0


CHILD = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from sqlalchemy import create_engine
    from comptoir.pos import integration
    url, mode, target = sys.argv[1:4]
    engine = create_engine(url)
    if mode == "crash":  # killed once the first file is committed, before it is filed
        from comptoir.exchange.inbox import Inbox
        Inbox.done = lambda self, path, report=None, **kw: os._exit(9)
        integration.integrate_inbox(engine, Path(target))
    else:
        report, outcomes = integration.integrate_files(engine, [Path(target)])
        print(json.dumps(report.body["totals"]))
""")


def child(url: str, mode: str, target: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, url, mode, str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ})


def test_two_integrations_of_one_file_at_once_write_each_ticket_once(
        dossier, dossier_url, tmp_path) -> None:
    path = ticket_file(tmp_path, [sale(n) for n in range(1, 301)])
    runs = [child(dossier_url, "files", path) for _ in range(2)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in runs]
    assert [code for code, _, _ in results] == [0, 0], results
    totals = [json.loads(out.strip().splitlines()[-1]) for _, out, _ in results]
    assert sorted(t["integrated"] for t in totals) == [0, 300]
    assert sorted(t["already_integrated"] for t in totals) == [0, 300]
    assert tickets_in(dossier) == 300
    with dossier.connect() as conn:
        assert conn.execute(select(func.count()).select_from(pos_ticket_lines)).scalar() == 300


def test_a_crash_between_two_files_leaves_nothing_half_done(dossier, dossier_url,
                                                            tmp_path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "incoming").mkdir(parents=True)
    first = ticket_file(inbox / "incoming", [sale(1), sale(2)])
    second = ticket_file(inbox / "incoming", [sale(3)], register="C2")
    crashed = child(dossier_url, "crash", inbox)
    assert crashed.wait(timeout=120) == 9, crashed.communicate()
    assert tickets_in(dossier) == 2  # the first file whole, the second not begun
    assert first.exists() and second.exists()  # nothing filed: both wait for the re-run

    report, outcomes = integrate_inbox(dossier, inbox)
    assert report.exit_code == Exit.DONE
    by_name = {o.file: o for o in outcomes}
    assert by_name[first.name].already_integrated == 2
    assert by_name[second.name].integrated == 1
    assert tickets_in(dossier) == 3 and not first.exists() and not second.exists()


def test_past_the_lock_wait_the_run_is_refused_and_the_files_stay(dossier, dossier_url,
                                                                  tmp_path, monkeypatch) -> None:
    from sqlalchemy import create_engine

    from comptoir.backoffice import lock
    from comptoir.pos.integration import STEP
    from comptoir.pos.step_transaction import WAIT_ENV

    inbox = tmp_path / "inbox"
    waiting = ticket_file(inbox / "incoming", [sale(1)])
    monkeypatch.setenv(WAIT_ENV, "0.3")
    holder_engine = create_engine(dossier_url)
    try:
        with holder_engine.connect() as holder:
            holder.begin()
            lock.acquire(holder, STEP, 1)
            report, outcomes = integrate_inbox(dossier, inbox)
            holder.rollback()
    finally:
        holder_engine.dispose()
    assert report.exit_code == Exit.REFUSED and report.error["rule"] == "dossier_busy"
    assert outcomes == [] and waiting.exists() and tickets_in(dossier) == 0
