"""Degraded demo tickets: consistent totals, real VAT codes and modes, the same for a seed."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date
from decimal import Decimal

import pytest
from sqlalchemy import select

from comptoir.backoffice import schema as s
from comptoir.demo.dossier import fill_dossier
from comptoir.demo.pos import DemoPosError, line_total, write_degraded_tickets

DAY = date(2026, 10, 26)  # the demo's reference date for seed 42: no ticket yet that day


def _written(conn, first: int) -> dict:  # type: ignore[no-untyped-def]
    """The tickets of MAG01/C1 numbered from `first`, with their lines and payments."""
    t, line, pay = s.pos_tickets, s.pos_ticket_lines, s.pos_ticket_payments
    register = (select(s.registers.c.id).join(s.depots)
                .where(s.depots.c.code == "MAG01", s.registers.c.code == "C1").scalar_subquery())
    mine = (t.c.register_id == register) & (t.c.number >= first)
    return {
        "tickets": conn.execute(select(t.c.id, t.c.number, t.c.issued_at, t.c.customer_id,
                                       t.c.degraded, t.c.total_incl_tax, t.c.sales_day_id)
                                .where(mine).order_by(t.c.number)).all(),
        "lines": conn.execute(select(line, t.c.number, s.vat_codes.c.rate.label("code_rate"),
                                     s.articles.c.code.label("code_of_article"))
                              .join(t).join(s.vat_codes, s.vat_codes.c.id == line.c.vat_code_id)
                              .join(s.articles, s.articles.c.id == line.c.article_id)
                              .where(mine).order_by(line.c.ticket_id, line.c.line_no)).all(),
        "payments": conn.execute(select(pay, t.c.number, s.payment_modes.c.code).join(t)
                                 .join(s.payment_modes).where(mine)
                                 .order_by(pay.c.ticket_id, pay.c.line_no)).all(),
    }


def _stable(got: dict) -> dict:
    """The rows without their generated ids (PostgreSQL sequences do not roll back)."""
    ids = {"id", "ticket_id", "sales_day_id"}
    return {name: [{k: v for k, v in row._asdict().items() if k not in ids} for row in rows]
            for name, rows in got.items()}


def test_degraded_tickets_add_up_and_cover_every_case(engine) -> None:
    fill_dossier(engine, seed=42)
    with engine.connect() as conn:
        with conn.begin() as trans:
            summary = write_degraded_tickets(conn, "MAG01", "C1", 40, DAY)
            got = _written(conn, summary.first)
            trans.rollback()
        with conn.begin():
            again = write_degraded_tickets(conn, "MAG01", "C1", 40, DAY)
            written = _written(conn, again.first)
            assert _stable(written) == _stable(got)  # same seed, same tickets
            day = conn.execute(select(s.sales_days).where(
                s.sales_days.c.id == written["tickets"][0].sales_day_id)).one()

    tickets, lines, payments = got["tickets"], got["lines"], got["payments"]
    assert summary == again and summary.count == len(tickets) == 40
    assert [t.number for t in tickets] == list(range(summary.first, summary.last + 1))
    assert all(t.degraded for t in tickets) and day.date == DAY and day.status == "open"
    assert [t.issued_at for t in tickets] == sorted(t.issued_at for t in tickets)
    line_sums, paid = defaultdict(Decimal), defaultdict(Decimal)
    for line in lines:
        assert line.vat_rate == line.code_rate and line.article_code == line.code_of_article
        assert line.total_incl_tax == line_total(line.quantity, line.unit_price_incl_tax,
                                                 line.discount or Decimal(0))
        line_sums[line.ticket_id] += line.total_incl_tax
    for p in payments:
        paid[p.ticket_id] += p.amount
    for t in tickets:
        assert line_sums[t.id] == paid[t.id] == t.total_incl_tax
    assert summary.total_incl_tax == sum(t.total_incl_tax for t in tickets)

    modes = {t.id: [p.code for p in payments if p.ticket_id == t.id] for t in tickets}
    named = {t.id for t in tickets if t.customer_id}
    kinds = {t.id: {line.kind for line in lines if line.ticket_id == t.id} for t in tickets}
    first = [t.id for t in tickets[:5]]
    assert modes[first[0]] == ["ESP"] and first[0] not in named
    assert modes[first[1]] == ["BLC"] and first[1] in named
    assert kinds[first[2]] == {"return"} and tickets[2].total_incl_tax < 0
    assert modes[first[3]] == ["CRED"] and first[3] in named
    assert modes[first[4]] == ["ESP", "CB"]
    assert {"sale", "return"} >= set().union(*kinds.values())
    assert 0 < len(named) < len(tickets)
    credit = [p for p in payments if p.code == "CRED"]
    assert credit and all(p.due_date == date(2026, 11, 25) for p in credit)
    assert all(p.due_date is None for p in payments if p.code != "CRED")
    # Every VAT code of a line is a real one, and tickets mix rates.
    assert len({line.vat_code_id for line in lines}) > 1


def test_an_unknown_register_is_refused(engine) -> None:
    with engine.begin() as conn, pytest.raises(DemoPosError, match="no register C9 in store MAG01"):
        write_degraded_tickets(conn, "MAG01", "C9", 3, DAY)


def test_tickets_are_stamped_in_the_dossier_time_zone(engine) -> None:
    fill_dossier(engine, seed=42)
    with engine.begin() as conn:
        summary = write_degraded_tickets(conn, "MAG02", "C2", 5, DAY)
        stamps = conn.execute(select(s.pos_tickets.c.issued_at).where(
            s.pos_tickets.c.number.between(summary.first, summary.last),
            s.pos_tickets.c.register_id == select(s.registers.c.id).join(s.depots).where(
                s.depots.c.code == "MAG02", s.registers.c.code == "C2").scalar_subquery(),
        )).scalars().all()
    # Paris is UTC+1 on 26/10/2026: the shop's 9:00-19:00 is 8:00-18:00 UTC.
    utc = [st.astimezone(UTC) if st.tzinfo else st for st in stamps]  # SQLite: naive UTC
    assert len(utc) == 5 and all(8 <= st.hour < 18 for st in utc)
