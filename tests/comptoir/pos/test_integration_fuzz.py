"""Generated ticket files, valid and mutated, through the whole integration: a report (or
a file-level refusal) every time, never a traceback; the dossier holds only valid tickets."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from comptoir.backoffice.schema import pos_ticket_lines, pos_ticket_payments, pos_tickets
from comptoir.pos.integration import integrate_files
from tests.comptoir.pos.pos_data import seed, ticket_file

VALUES = {
    "issued_at": ["2026-01-12T10:00:00+01:00", "2026-01-12T10:00:00", "2026-13-40T99:00+01:00",
                  "", "yesterday"],
    "day": ["2026-01-12", "2026-02-30", "", "12/01/2026"],
    "customer": ["", "CLI1", "CLI2", "NOPE", "COMPTOIR"],
    "kind": ["sale", "return", "defective", "invoice_payment", "deposit", "gift", ""],
    "article": ["A1", "A2", "", "ZX-404"],
    "quantity": ["1", "2", "-1", "0.5", "1.0001", "", "x"],
    "rate": ["20", "5.5", "0", "7", "", "-20"],
    "money": ["12.00", "-12.00", "0", "12.001", "1e3", "", "999999999999999999"],
    "document": ["", "FA2026-000001", "CO2026-000001", "NOPE"],
    "mode": ["ESP", "CB", "CRED", "ACP", "BLC", "", "BITCOIN"],
    "due": ["", "2026-02-12", "2026-02-31"],
}


def pick(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(VALUES[name])


ticket = st.tuples(pick("issued_at"), pick("day"), pick("customer"), pick("money"))
line = st.tuples(pick("kind"), pick("article"), pick("quantity"), pick("money"), pick("rate"),
                 pick("money"), pick("document"))
payment = st.tuples(pick("mode"), pick("money"), pick("due"), pick("document"))
tickets = st.lists(st.tuples(ticket, st.lists(line, max_size=3), st.lists(payment, max_size=2)),
                   min_size=1, max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(generated=tickets)
def test_any_ticket_file_gets_a_report_never_a_traceback(engine, comptoir_home, tmp_path_factory,
                                                         generated) -> None:
    with engine.begin() as conn:
        conn.execute(pos_ticket_payments.delete())
        conn.execute(pos_ticket_lines.delete())
        conn.execute(pos_tickets.delete())
    if not getattr(engine, "_seeded", False):
        seed(engine)
        engine._seeded = True  # type: ignore[attr-defined]
    rows = ([], [], [])
    for number, ((issued, day, customer, total), lines, payments) in enumerate(generated, 1):
        rows[0].append((number, issued, day, customer, total))
        for n, (kind, article, qty, unit, rate, amount, document) in enumerate(lines, 1):
            rows[1].append((number, n, kind, article, qty, unit, "", rate, amount, document))
        for n, (mode, amount, due, reference) in enumerate(payments, 1):
            rows[2].append((number, n, mode, amount, due, reference))
    path = ticket_file(tmp_path_factory.mktemp("fuzz"), [rows])
    report, (outcome,) = integrate_files(engine, [path])
    assert report.exit_code in (0, 1, 3)
    assert outcome.integrated + outcome.rejected + outcome.already_integrated == outcome.tickets
    with engine.connect() as conn:
        written = conn.execute(select(pos_tickets.c.id, pos_tickets.c.total_incl_tax)).all()
        for ticket_id, total in written:  # a written ticket adds up
            lines_total = conn.execute(select(pos_ticket_lines.c.total_incl_tax).where(
                pos_ticket_lines.c.ticket_id == ticket_id)).scalars().all()
            paid = conn.execute(select(pos_ticket_payments.c.amount).where(
                pos_ticket_payments.c.ticket_id == ticket_id)).scalars().all()
            assert sum(lines_total, Decimal(0)) == total == sum(paid, Decimal(0))
    assert len(written) == outcome.integrated

    again, (second,) = integrate_files(engine, [path])  # a re-drop writes nothing more
    assert (second.integrated, second.already_integrated) == (0, outcome.integrated)
    assert second.rejected == outcome.rejected
