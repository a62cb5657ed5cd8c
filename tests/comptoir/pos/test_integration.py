"""Integration of ticket files: once and only once, bad tickets alone set aside."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comptoir.backoffice.schema import (
    pos_files,
    pos_log,
    pos_ticket_lines,
    pos_ticket_payments,
    pos_tickets,
    sales_days,
)
from comptoir.pos.integration import integrate_files
from comptoir.pos.report import Exit
from tests.comptoir.pos.pos_data import sale, seed, ticket_file


@pytest.fixture
def dossier(engine, comptoir_home):  # type: ignore[no-untyped-def]
    seed(engine)
    return engine


def count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def rules(outcome) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(r["ticket"], r["line"], r["rule"]) for r in outcome.rejections}


def test_a_clean_file_is_written_whole(dossier, tmp_path: Path) -> None:
    path = ticket_file(tmp_path, [sale(148, customer="CLI1"), sale(149), sale(150, total="3.10",
                                                                             article="A2",
                                                                             rate="5.5")])
    report, (outcome,) = integrate_files(dossier, [path])
    assert report.exit_code == Exit.DONE
    assert (outcome.tickets, outcome.integrated, outcome.rejected) == (3, 3, 0)
    with dossier.connect() as conn:
        got = conn.execute(select(pos_tickets.c.number, pos_tickets.c.total_incl_tax,
                                  pos_tickets.c.degraded, pos_tickets.c.source_file)
                           .order_by(pos_tickets.c.number)).all()
        vat = conn.execute(select(pos_ticket_lines.c.vat_code_id, pos_ticket_lines.c.article_code)
                           .order_by(pos_ticket_lines.c.id)).all()
        day = conn.execute(select(sales_days.c.date, sales_days.c.status)).all()
        files = conn.execute(select(pos_files.c.status, pos_files.c.integrated)).all()
    assert got == [(148, Decimal("12.00"), True, path.name), (149, Decimal("12.00"), True,
                                                                path.name),
                   (150, Decimal("3.10"), True, path.name)]
    assert [code for _, code in vat] == ["A1", "A1", "A2"]
    assert len({v for v, _ in vat}) == 2  # A1's own 20 % code (N2), R for 5.5 %
    assert [(str(d), s) for d, s in day] == [("2026-01-12", "open")]
    assert files == [("done", 3)]
    assert count(dossier, pos_ticket_payments) == 3


def test_the_same_file_twice_integrates_nothing_the_second_time(dossier, tmp_path) -> None:
    path = ticket_file(tmp_path, [sale(1), sale(2)])
    integrate_files(dossier, [path])
    report, (outcome,) = integrate_files(dossier, [path])
    assert report.exit_code == Exit.DONE
    assert (outcome.integrated, outcome.already_integrated) == (0, 2)
    assert count(dossier, pos_tickets) == 2 and count(dossier, pos_ticket_lines) == 2


def test_a_known_ticket_with_other_values_is_a_conflict(dossier, tmp_path) -> None:
    integrate_files(dossier, [ticket_file(tmp_path, [sale(7)])])
    changed = ticket_file(tmp_path, [sale(7, total="13.00"), sale(8)])
    report, (outcome,) = integrate_files(dossier, [changed])
    assert report.exit_code == Exit.PARTIAL
    assert rules(outcome) == {(7, None, "conflict")}
    assert outcome.integrated == 1
    with dossier.connect() as conn:
        kept = conn.execute(select(pos_tickets.c.total_incl_tax)
                            .where(pos_tickets.c.number == 7)).scalar_one()
    assert kept == Decimal("12.00")


@pytest.mark.parametrize(("ticket", "expected"), [
    (sale(1, customer="NOPE"), {(1, None, "unknown_customer")}),
    (sale(1, article="ZX-404"), {(1, 1, "unknown_article")}),
    (sale(1, mode="BITCOIN"), {(1, 1, "unknown_payment_mode")}),
    (sale(1, rate="7"), {(1, 1, "unknown_vat_rate")}),
    (sale(1, mode="CRED"), {(1, 1, "credit_not_allowed")}),
    (([(1, "2026-01-12T10:00:00+01:00", "2026-01-12", "", "12.00")],
      [(1, 1, "sale", "A1", "1", "12.00", "", "20", "12.00", "")],
      [(1, 1, "ESP", "10.00", "", "")]), {(1, None, "total_mismatch")}),
    (([(1, "2026-01-12T10:00:00+01:00", "2026-01-12", "", "0.00")], [], []),
     {(1, None, "no_lines")}),
    (([(1, "2026-01-12T10:00:00", "2026-01-12", "", "12.00")],
      [(1, 1, "sale", "A1", "1.0001", "12.00", "", "20", "12.00", "")],
      [(1, 1, "ESP", "12.00", "", "")]),
     {(1, None, "invalid_value"), (1, 1, "invalid_value")}),
    (([(1, "2026-01-12T10:00:00+01:00", "2026-01-12", "", "12.00")],
      [(1, 1, "gift", "A1", "1", "12.00", "", "20", "12.00", "")],
      [(1, 1, "ESP", "12.00", "", "")]), {(1, 1, "invalid_value")}),
    (([(1, "2026-01-12T10:00:00+01:00", "2026-01-12", "", "50.00")],
      [(1, 1, "invoice_payment", "", "1", "50.00", "", "0", "50.00", "FA2026-000001")],
      [(1, 1, "CB", "50.00", "", "")]), {(1, None, "customer_mismatch")}),
    (([(1, "2026-01-12T10:00:00+01:00", "2026-01-12", "CLI1", "50.00")],
      [(1, 1, "invoice_payment", "", "1", "50.00", "", "0", "50.00", "FA2099-999999")],
      [(1, 1, "CB", "50.00", "", "")]), {(1, 1, "unknown_document")}),
    (([(1, "2026-01-12T10:00:00+01:00", "2026-01-12", "CLI2", "50.00")],
      [(1, 1, "deposit", "", "1", "50.00", "", "0", "50.00", "CO2026-000001")],
      [(1, 1, "CB", "50.00", "", "")]), {(1, None, "customer_mismatch")}),
])
def test_a_bad_ticket_is_rejected_alone_with_its_rule(dossier, tmp_path, ticket,
                                                      expected) -> None:
    path = ticket_file(tmp_path, [ticket, sale(2)])
    report, (outcome,) = integrate_files(dossier, [path])
    assert report.exit_code == Exit.PARTIAL
    assert rules(outcome) == expected
    assert (outcome.integrated, outcome.rejected) == (1, 1)
    with dossier.connect() as conn:
        assert conn.execute(select(pos_tickets.c.number)).scalars().all() == [2]
        logged = conn.execute(select(pos_log.c.level, pos_log.c.rule, pos_log.c.ticket)).all()
    assert {(level, rule) for level, rule, _ in logged} == {("error", r) for _, _, r in expected}


def test_account_operations_with_their_customer_are_integrated(dossier, tmp_path) -> None:
    paying = ([(5, "2026-01-12T10:00:00+01:00", "2026-01-12", "CLI1", "150.00")],
              [(5, 1, "invoice_payment", "", "1", "50.00", "", "0", "50.00", "FA2026-000001"),
               (5, 2, "deposit", "", "1", "100.00", "", "0", "100.00", "CO2026-000001")],
              [(5, 1, "CB", "150.00", "", "")])
    credit = sale(6, customer="CLI1", mode="CRED")
    report, (outcome,) = integrate_files(dossier, [ticket_file(tmp_path, [paying, credit])])
    assert report.exit_code == Exit.DONE, outcome.rejections
    with dossier.connect() as conn:
        lines = conn.execute(select(pos_ticket_lines.c.kind, pos_ticket_lines.c.article_id,
                                    pos_ticket_lines.c.document_ref)
                             .order_by(pos_ticket_lines.c.id)).all()
    assert lines[:2] == [("invoice_payment", None, "FA2026-000001"),
                         ("deposit", None, "CO2026-000001")]


def test_a_refused_file_writes_nothing_but_its_record_and_log(dossier, tmp_path) -> None:
    path = ticket_file(tmp_path, [sale(1)], register="C9")
    report, (outcome,) = integrate_files(dossier, [path])
    assert report.exit_code == Exit.REFUSED
    assert outcome.status == "failed" and outcome.error["rule"] == "unknown_register"
    assert count(dossier, pos_tickets) == 0
    with dossier.connect() as conn:
        assert conn.execute(select(pos_files.c.status)).scalars().all() == ["failed"]
        assert conn.execute(select(pos_log.c.rule)).scalars().all() == ["unknown_register"]


def test_a_dry_run_writes_nothing_and_reports_the_same(dossier, tmp_path) -> None:
    path = ticket_file(tmp_path, [sale(1), sale(2, customer="NOPE")])
    report, (outcome,) = integrate_files(dossier, [path], dry_run=True)
    assert (outcome.integrated, outcome.rejected) == (1, 1)
    assert report.exit_code == Exit.PARTIAL
    assert count(dossier, pos_tickets) == 0 and count(dossier, pos_files) == 0


def test_a_known_ticket_resent_unreadable_is_a_conflict_not_a_crash(dossier, tmp_path) -> None:
    integrate_files(dossier, [ticket_file(tmp_path / "a", [sale(7)])])
    broken = ([(7, "2026-01-12T10:07:00+01:00", "2026-01-12", "", "twelve")],
              [(7, 1, "sale", "A1", "1", "12.00", "", "20", "12.00", "")],
              [(7, 1, "ESP", "12.00", "", "")])
    report, (outcome,) = integrate_files(dossier, [ticket_file(tmp_path / "b", [broken])])
    assert report.exit_code == Exit.PARTIAL
    assert rules(outcome) == {(7, None, "conflict")}
