"""Posting runs: skips, re-runs, crashes, dry runs, numbering and the balance check."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from comptoir.accounting import ledger, lettering
from comptoir.accounting.ledger import EntryDraft, LineDraft, UnbalancedEntry
from comptoir.accounting.pos_data import Register
from comptoir.accounting.pos_posting import post_tickets, register_digits, treasury_journal
from comptoir.backoffice import schema as s
from comptoir.pos.invoicing import invoice_tickets
from comptoir.pos.report import Exit
from tests.comptoir.accounting.books import NEXT_DAY, Books, entries, receivables, until
from tests.comptoir.pos.shop import DAY, sale


def count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def snapshot(engine) -> tuple:  # type: ignore[no-untyped-def]
    """Everything a posting writes."""
    with engine.connect() as conn:
        return (
            sorted(tuple(r) for r in conn.execute(select(s.journal_entries.c.number))),
            sorted((r[0], r[1], r[2]) for r in conn.execute(
                select(s.journal_entry_lines.c.id, s.journal_entry_lines.c.lettering_code,
                       s.journal_entry_lines.c.lettered_on))),
            receivables(engine),
            sorted(tuple(r) for r in conn.execute(
                select(s.pos_tickets.c.number, s.pos_tickets.c.posted_at))),
            sorted(tuple(r) for r in conn.execute(
                select(s.sales_documents.c.number, s.sales_documents.c.accounting_status))),
            sorted(tuple(r) for r in conn.execute(
                select(s.sales_days.c.id, s.sales_days.c.status))),
        )


def test_a_mode_without_account_skips_its_group_and_posts_the_others(engine) -> None:
    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1", mode="BLV")     # BLV has no account
    books.ticket(2, sale(), customer="CLI2")
    invoice_tickets(engine, until())
    report = post_tickets(engine, until())
    assert report.exit_code == Exit.PARTIAL
    assert [(i["customer"], i["rule"]) for i in report.body["skipped"]] == [
        ("CLI1", "missing_account")]
    assert "pos modes set BLV --account" in report.body["skipped"][0]["message"]
    with engine.connect() as conn:
        posted = dict(conn.execute(select(s.pos_tickets.c.number,
                                          s.pos_tickets.c.posted_at.is_not(None))).all())
        logged = conn.execute(select(s.pos_log.c.rule).where(
            s.pos_log.c.run_id == report.run_id)).scalars().all()
    assert posted == {1: False, 2: True}
    assert logged == ["missing_account"]
    # the mode gets its account: the next run posts the skipped group, once
    with engine.begin() as conn:
        conn.execute(update(s.payment_modes).where(s.payment_modes.c.code == "BLV")
                     .values(account="512000"))
    again = post_tickets(engine, until())
    assert again.exit_code == Exit.DONE
    assert [e["kind"] for e in again.body["entries"]] == ["treasury"]   # a delivery note


def test_a_second_run_writes_nothing(engine) -> None:
    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1")
    books.ticket(2, sale("A10", "1", "3.30"))
    invoice_tickets(engine, until())
    first = post_tickets(engine, until())
    assert len(first.body["entries"]) == 4
    before = snapshot(engine)
    second = post_tickets(engine, until())
    assert second.exit_code == Exit.DONE
    assert second.body["entries"] == [] and second.body["receivables_created"] == 0
    assert second.body["lettering"] == {"full": 0, "partial": 0}
    assert snapshot(engine) == before


def test_a_crash_in_the_middle_leaves_nothing_and_the_rerun_posts_once(engine, monkeypatch
                                                                     ) -> None:
    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1")
    books.pay(2, [sale("A20", "1", "50.00")], [("CRED", "50.00")], customer="CLI2")
    invoice_tickets(engine, until())
    before = snapshot(engine)

    def crash(conn, day):  # type: ignore[no-untyped-def]
        raise RuntimeError("power cut while lettering")

    monkeypatch.setattr(lettering, "letter", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        post_tickets(engine, until())
    assert snapshot(engine) == before
    monkeypatch.undo()
    report = post_tickets(engine, until())
    assert report.exit_code == Exit.DONE
    assert count(engine, s.journal_entries) == 3
    assert len([r for r in receivables(engine) if r[2] == "due"]) == 1


def test_a_dry_run_reports_the_entries_and_writes_nothing(engine) -> None:
    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1")
    invoice_tickets(engine, until())
    before = snapshot(engine)
    report = post_tickets(engine, until(), dry_run=True)
    assert report.dry_run and [e["number"] for e in report.body["entries"]] == [
        "VE2026-00000001", "MAG01C12026-00000001"]
    assert snapshot(engine) == before


def test_numbers_are_continuous_per_journal_and_year_across_runs(engine) -> None:
    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1")
    books.ticket(2, sale(), customer="CLI2")
    books.ticket(3, sale(), customer="CLI1", day=dt.date(2025, 12, 31))
    invoice_tickets(engine, until())
    post_tickets(engine, until(DAY))
    books.ticket(4, sale(), customer="CLI1", day=NEXT_DAY)
    invoice_tickets(engine, until())
    post_tickets(engine, until())
    found = entries(engine)
    assert sorted(n for n in found if n.startswith("VE")) == [
        "VE2025-00000001", "VE2026-00000001", "VE2026-00000002", "VE2026-00000003"]
    assert [found[n]["date"] for n in sorted(n for n in found if n.startswith("VE2026"))] == [
        DAY, DAY, NEXT_DAY]


def test_sales_days_become_posted_when_all_their_tickets_are(engine) -> None:
    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1")
    books.ticket(2, sale(), customer="CLI2", register="C2")
    invoice_tickets(engine, until())
    post_tickets(engine, until(registers="C1:C1"))
    with engine.connect() as conn:
        status = dict(conn.execute(select(s.registers.c.code, s.sales_days.c.status)
                                   .join(s.registers)).all())
    assert status == {"C1": "posted", "C2": "integrated"}


def test_an_unbalanced_entry_stops_the_run_before_anything_is_written(engine) -> None:
    Books(engine)
    draft = EntryDraft("VE", "sales", DAY, "broken", "FA1", lines=[
        LineDraft("411000", 1000, "debit"), LineDraft("707000", -999, "credit")])
    with pytest.raises(UnbalancedEntry, match="does not balance"), engine.begin() as conn:
        ledger.write(conn, [draft], run_id="r", validated_on=DAY, source="pos")
    assert count(engine, s.journal_entries) == 0
    assert count(engine, s.accounts) == 0


def test_treasury_journal_and_register_digits_follow_the_contract() -> None:
    assert treasury_journal(Register(7, "C1", "MAG01", None, None)) == "MAG01C1"
    assert treasury_journal(Register(7, "C1", "MAG01", None, "CAI1")) == "CAI1"
    assert treasury_journal(Register(7, "CAISSE1", "MAGASIN", None, None)) == "T7"
    assert register_digits(Register(7, "C1", "MAG01", None, None)) == "01"
    assert register_digits(Register(7, "C1", "MAG01", 12, None)) == "12"
    assert register_digits(Register(7, "CX", "MAG01", None, None)) == "07"


def test_lettering_codes_run_per_account_and_are_never_reused() -> None:
    assert [lettering.code_of(i) for i in (1, 26, 27, 52, 53, 702, 703)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]
    assert all(lettering.index_of(lettering.code_of(i)) == i for i in range(1, 2000))
    assert lettering.index_of("ab") == lettering.index_of("AB") == 28


def test_a_posting_run_waits_for_another_and_is_refused_when_it_waits_too_long(
        engine, monkeypatch) -> None:
    from comptoir.accounting.document_posting import post_documents
    from comptoir.accounting.pos_posting import LOCK_STEP
    from comptoir.backoffice import lock
    from comptoir.pos.step_transaction import WAIT_ENV

    books = Books(engine)
    books.ticket(1, sale(), customer="CLI1")
    invoice_tickets(engine, until())
    monkeypatch.setenv(WAIT_ENV, "0.2")
    with engine.connect() as other:
        other.begin()
        lock.acquire(other, LOCK_STEP, 1)
        refused = post_tickets(engine, until())
        documents = post_documents(engine, until=DAY)
        other.rollback()
    assert refused.exit_code == Exit.REFUSED and refused.error["rule"] == "dossier_busy"
    assert documents.exit_code == Exit.REFUSED
    assert count(engine, s.journal_entries) == 0
    assert post_tickets(engine, until()).exit_code == Exit.DONE


def test_two_runs_at_once_post_every_ticket_once(engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    books = Books(engine)
    for number in range(1, 21):
        books.ticket(number, sale("A20", "1", f"{number}.00"),
                     customer=("CLI1", "CLI2", None)[number % 3])
    invoice_tickets(engine, until())
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: post_tickets(engine, until()), range(2)))
    assert sorted(len(r.body["entries"]) for r in reports) == [0, 6]
    assert count(engine, s.journal_entries) == 6
    with engine.connect() as conn:
        unposted = conn.execute(select(func.count()).where(
            s.pos_tickets.c.posted_at.is_(None))).scalar_one()
    assert unposted == 0
