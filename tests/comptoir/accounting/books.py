"""A shop set up for posting, and readers of what a posting wrote.

On top of `tests.comptoir.pos.shop.Shop`: modes with accounts and state codes (`CB`
511200 `BPV`, `ESP` 530000 `EPV`, `CRED` credit `C10`, `ACP` deposit without account
`APV`), tickets with several payments, manual documents (orders, invoices), and readers
of entries, lettering and receivables as plain tuples.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine, select, update

from comptoir.backoffice import schema as s
from comptoir.pos.filters import TicketFilters
from tests.comptoir.pos.shop import ARTICLES, DAY, VAT, Line, Shop

NEXT_DAY = DAY + dt.timedelta(days=1)


class Books(Shop):
    """The invoicing shop, with the payment modes of the seed."""

    def __post_init__(self) -> None:
        super().__post_init__()
        modes = s.payment_modes
        with self.engine.begin() as conn:
            conn.execute(update(modes).where(modes.c.code == "CB")
                         .values(account="511200", state_code="BPV"))
            conn.execute(update(modes).where(modes.c.code == "ESP")
                         .values(account="530000", state_code="EPV"))
            for code, values in (("CRED", {"is_credit": True, "state_code": "C10"}),
                                 ("ACP", {"is_deposit": True, "state_code": "APV"})):
                self._add(conn, "mode", code, modes, code=code, name=code, **values)

    def pay(self, number: int, lines: list[Line], payments: list[tuple], *,
            customer: str | None = None, day: dt.date = DAY, register: str = "C1",
            store: str = "MAG01") -> int:
        """A ticket with its payments `(mode, amount[, reference[, due date]])`."""
        ticket = self.ticket(number, *lines, customer=customer, day=day, register=register,
                             store=store)
        with self.engine.begin() as conn:
            conn.execute(s.pos_ticket_payments.delete()
                         .where(s.pos_ticket_payments.c.ticket_id == ticket))
            conn.execute(s.pos_ticket_payments.insert(), [
                {"ticket_id": ticket, "line_no": no, "payment_mode_id": self.ids["mode"][p[0]],
                 "amount": Decimal(p[1]), "reference": p[2] if len(p) > 2 else None,
                 "due_date": p[3] if len(p) > 3 else None}
                for no, p in enumerate(payments, 1)])
        return ticket

    def document(self, number: str, type_: str, customer: str, amount: str, *,
                 day: dt.date = DAY, article: str = "A20", status: str = "not_posted") -> int:
        """A manual document of one line (VAT of `article`), total incl. VAT `amount`."""
        vat = ARTICLES[article]
        total = Decimal(amount)
        rate = Decimal(VAT[vat])
        tax = (total * rate / (100 + rate)).quantize(Decimal("0.01"))
        with self.engine.begin() as conn:
            doc = conn.execute(s.sales_documents.insert().values(
                number=number, type=type_, customer_id=self.ids["customer"][customer],
                date=day, source="manual", accounting_status=status,
                total_excl_tax=total - tax, total_tax=tax, total_incl_tax=total)
            ).inserted_primary_key[0]
            conn.execute(s.sales_document_lines.insert().values(
                document_id=doc, line_no=1, article_id=self.ids["article"][article],
                quantity=1, unit_price=total - tax, vat_code_id=self.ids["vat"][vat],
                total_excl_tax=total - tax))
        return doc


def until(day: dt.date = NEXT_DAY, **ranges) -> TicketFilters:  # type: ignore[no-untyped-def]
    return TicketFilters.parse(until=day.isoformat(), **ranges)


def entries(engine: Engine) -> dict[str, dict]:
    """entry number → its header and its lines (account, customer, debit, credit, ref,
    lettering code), in line order."""
    e, ln, a, c = s.journal_entries, s.journal_entry_lines, s.accounts, s.customers
    found: dict[str, dict] = {}
    with engine.connect() as conn:
        for row in conn.execute(
                select(e.c.number, e.c.kind, e.c.document_ref, e.c.date, a.c.number.label("acct"),
                       c.c.code, ln.c.debit, ln.c.credit, ln.c.document_ref.label("ref"),
                       ln.c.lettering_code, ln.c.id)
                .join(ln, ln.c.entry_id == e.c.id).join(a, a.c.id == ln.c.account_id)
                .outerjoin(c, c.c.id == ln.c.customer_id)
                .order_by(e.c.number, ln.c.line_no)):
            entry = found.setdefault(row.number, {"kind": row.kind, "ref": row.document_ref,
                                                  "date": row.date, "lines": []})
            entry["lines"].append((row.acct, row.code, str(row.debit), str(row.credit),
                                   row.ref, row.lettering_code))
    return found


def receivables(engine: Engine) -> list[tuple]:
    """(customer, document, kind, state code, amount, paid, state, reference), sorted."""
    r, c, d = s.receivables, s.customers, s.sales_documents
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.c.code, d.c.number, r.c.kind, r.c.state_code, r.c.amount,
                   r.c.paid_amount, r.c.state, r.c.reference)
            .join(c, c.c.id == r.c.customer_id).outerjoin(d, d.c.id == r.c.document_id))
        return sorted((a, b, k, st, str(m), str(p), state, ref)
                      for a, b, k, st, m, p, state, ref in rows)


def breakdowns(engine: Engine) -> list[tuple]:
    """(entry, document, customer, amount, lettering code) of every breakdown."""
    b, ln, e, c = (s.journal_line_breakdowns, s.journal_entry_lines, s.journal_entries,
                   s.customers)
    with engine.connect() as conn:
        rows = conn.execute(
            select(e.c.number, b.c.document_ref, c.c.code, b.c.amount, b.c.lettering_code)
            .join(ln, ln.c.id == b.c.line_id).join(e, e.c.id == ln.c.entry_id)
            .outerjoin(c, c.c.id == b.c.customer_id)
            .order_by(e.c.number, ln.c.line_no, b.c.line_no))
        return [(n, doc, code, str(amount), letter) for n, doc, code, amount, letter in rows]


class Outcome:
    """What a command reported, read from its JSON report: exit code, body, warnings."""

    def __init__(self, data: dict) -> None:
        self.exit_code = data["exit_code"]
        self.error = data["error"]
        self.warnings = data["warnings"]
        self.body = data


class Commands:
    """The posting commands run through the Python API (`via="api"`) or the `comptoir`
    CLI (`via="cli"`), each returning the command's report."""

    def __init__(self, engine: Engine, via: str) -> None:
        self.engine, self.via = engine, via

    def _cli(self, *args: str) -> Outcome:
        import json
        import tempfile
        from pathlib import Path

        from typer.testing import CliRunner

        from comptoir.cli import app

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.json"
            result = CliRunner().invoke(app, [*args, "--report", str(path)])
            assert path.exists(), result.output
            outcome = Outcome(json.loads(path.read_text(encoding="utf-8")))
        assert result.exit_code == outcome.exit_code, result.output
        return outcome

    def invoice(self, day: dt.date = NEXT_DAY):  # type: ignore[no-untyped-def]
        if self.via == "cli":
            return self._cli("pos", "invoice", "--until", day.isoformat())
        from comptoir.pos.invoicing import invoice_tickets

        return invoice_tickets(self.engine, until(day))

    def post(self, day: dt.date = NEXT_DAY, grouping: str | None = None):  # type: ignore[no-untyped-def]
        if self.via == "cli":
            return self._cli("pos", "post", "--until", day.isoformat(),
                             *(["--grouping", grouping] if grouping else []))
        from comptoir.accounting.pos_posting import post_tickets

        return post_tickets(self.engine, until(day), grouping=grouping)

    def payments(self, day: dt.date = NEXT_DAY):  # type: ignore[no-untyped-def]
        if self.via == "cli":
            return self._cli("pos", "payments", "--until", day.isoformat())
        from comptoir.accounting.pos_posting import integrate_payments

        return integrate_payments(self.engine, until(day))

    def post_documents(self, day: dt.date):  # type: ignore[no-untyped-def]
        if self.via == "cli":
            return self._cli("accounting", "post-documents", "--until", day.isoformat())
        from comptoir.accounting.document_posting import post_documents

        return post_documents(self.engine, until=day)

    def invoice_and_post(self, grouping: str | None = None):  # type: ignore[no-untyped-def]
        assert self.invoice().exit_code == 0
        return self.post(grouping=grouping)
