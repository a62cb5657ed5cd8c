"""Property-based test of the POS posting (issue 11, item 7; `spec/pos.md`, "Accounting:
common rules", "Direct posting", "Classic accounting").

Hypothesis draws one to three days of tickets on the `Books` shop — three registers,
anonymous and named customers, sales and returns at every VAT rate, one to three payments
among CB / ESP / CRED (refunds negative), partial payments of invoices posted earlier
(manual invoices posted by `post-documents`, and the credit parts of the POS invoices of
earlier days), deposits on orders and their later use with ACP — written straight into the
tables as integration would have accepted them (`comptoir/pos/ticket_checks.py`). Each day
is invoiced, then posted — direct posting grouped by customer or by account, or classic
(`post-documents` then `pos payments`) — after every day or once after the last. Then:

- every entry balances, no line has both a debit and a credit or neither, entry numbers
  run 1..n per journal and year;
- the FEC of the whole history passes the tests' independent reader
  (`fec_reader.py`); its Σ Debit = Σ Credit = the ledger's;
- the due receivables left are what the customers still owe, computed from the drawn
  tickets alone (`Oracle`), the open deposits what was deposited and not used; each
  receivable account's balance in the ledger is the same figure (dues − deposits);
- every invoice's payment receivables add up to what was paid on it; state codes are the
  modes' (`BPV`/`B30`, `C10`, `D10`, `APV`...);
- every lettering code (per account) in upper case sums to zero, lower case does not;
  breakdowns carry their line's code and add up to their line; what is settled (an
  invoice paid in full, an order's deposits all used) is lettered in upper case;
- every ticket, document and sales day is posted; a second posting run changes nothing;
- a crash inside a posting run, once its entries are written in the transaction (in the
  receivables' save, the lettering, the ticket marks or the POS log), leaves the dossier
  exactly as it was; the rerun then posts once.

Two gaps the property found are closed, and kept by the regression tests at the end:
returns on a ticket that pays an invoice (they settle it first) and a credit part in a
group that ends as a credit note (still a due receivable). One dossier per backend serves
every example: its tables are emptied at the start of each (`fresh_dossier`).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, update

from comptoir.accounting import lettering, pos_posting
from comptoir.accounting.document_posting import post_documents
from comptoir.accounting.fec import export_fec
from comptoir.accounting.pos_posting import integrate_payments, post_tickets
from comptoir.accounting.receivables import ReceivableBook
from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.pos.invoicing import invoice_tickets
from comptoir.pos.report import Exit
from tests.comptoir.accounting.books import Books, entries, receivables, until
from tests.comptoir.accounting.fec_reader import cents as fec_cents
from tests.comptoir.accounting.fec_reader import read_fec
from tests.comptoir.pos.shop import ARTICLES, DAY, VAT, Line, paid_invoice, sale

REGISTERS = (("MAG01", "C1"), ("MAG01", "C2"), ("MAG02", "C1"))
NAMED = ("CLI1", "CLI2")
COUNTER = "CPT"
PRICES = (99, 450, 1000, 1235, 333, 5990, 10000)           # unit prices incl. VAT, cents
QUANTITIES = (1, 1, 2, 3, -1, -2)
INVOICE_DAY = DAY - dt.timedelta(days=20)                  # the manual invoices' date
DUE_DATES = (None, DAY + dt.timedelta(days=30), DAY + dt.timedelta(days=45))
CRASH_POINTS = ("save", "letter", "mark", "log")
#: Examples per (accounting, schedule) and database — about 0.6 s each on PostgreSQL, 0.3 s on
#: SQLite; COMPTOIR_POSTING_EXAMPLES=200 for a deeper (still reproducible) search.
EXAMPLES = int(os.environ.get("COMPTOIR_POSTING_EXAMPLES", "6"))


Ref = tuple  # ("invoice", i) a manual invoice, ("pos", day, register, customer) the POS
#              invoice of that group, ("order", i) an order


# --- the drawn scenario ----------------------------------------------------------------------

@dataclass
class TicketLine:
    kind: str                    # sale | return | invoice_payment | deposit
    article: str | None
    quantity: int
    unit: int                    # cents
    document: Ref | None = None

    @property
    def cents(self) -> int:
        return self.quantity * self.unit


@dataclass
class Payment:
    mode: str
    cents: int
    reference: Ref | None = None  # ACP: the order
    due: dt.date | None = None


@dataclass
class Ticket:
    register: int                # index in REGISTERS
    number: int
    customer: str | None         # None: anonymous (the counter customer)
    lines: list[TicketLine]
    payments: list[Payment]

    @property
    def owner(self) -> str:
        return self.customer or COUNTER

    @property
    def sales(self) -> int:
        return sum(ln.cents for ln in self.lines if ln.kind in ("sale", "return"))

    @property
    def has_sales(self) -> bool:
        return any(ln.kind in ("sale", "return") for ln in self.lines)

    @property
    def total(self) -> int:
        return sum(ln.cents for ln in self.lines)


@dataclass
class Scenario:
    accounting: str              # customer | account (direct posting, its grouping) | classic
    post_daily: bool             # post after each day, else once after the last
    shared_account: bool         # CLI1 and CLI2 on 411900
    invoices: list[tuple[str, int]]   # manual invoices (customer, cents), posted first
    orders: list[str]            # orders' customers
    days: list[list[Ticket]]
    crash: tuple[str, int, int] | None  # (where, which posting run, which of its steps)

    def day(self, index: int) -> dt.date:
        return DAY + dt.timedelta(days=index)


@st.composite
def scenarios(draw: st.DrawFn, accounting: str, post_daily: bool) -> Scenario:
    """A scenario integration would have accepted: tickets add up, credit only for named
    customers and within the sales part, account operations on documents of the ticket's
    customer, deposits used (ACP) only as far as deposited on an earlier day."""
    invoices = draw(st.lists(st.tuples(st.sampled_from(NAMED), st.integers(100, 30000)
                                       .filter(posted_as_written)), max_size=3))
    orders = draw(st.lists(st.sampled_from(NAMED), max_size=2))
    # what is left to pay per invoice, and the open deposits, as the days go by
    payable: dict[Ref, list[Any]] = {("invoice", i): [c, cents]
                                     for i, (c, cents) in enumerate(invoices)}
    deposits: dict[int, int] = defaultdict(int)
    numbers = [draw(st.integers(1, 3)) for _ in REGISTERS]
    days: list[list[Ticket]] = []
    for day in range(draw(st.integers(1, 3))):
        taken: dict[int, int] = defaultdict(int)
        groups: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        tickets = []
        for _ in range(draw(st.integers(1, 5))):
            register = draw(st.integers(0, len(REGISTERS) - 1))
            customer = draw(st.sampled_from((None, *NAMED)))
            lines = [_sales_line(draw) for _ in range(draw(st.integers(0, 3)))]
            if customer is not None:
                for _ in range(draw(st.integers(0, 2))):
                    mine = sorted((ref for ref, (owner, left) in payable.items()
                                   if owner == customer and left > 0), key=str)
                    if not mine:
                        break
                    ref = draw(st.sampled_from(mine))
                    left = payable[ref][1]
                    cents = draw(st.one_of(st.just(left), st.integers(1, left)))
                    payable[ref][1] -= cents
                    lines.append(TicketLine("invoice_payment", None, 1, cents, ref))
                my_orders = [i for i, c in enumerate(orders) if c == customer]
                if my_orders and draw(st.booleans()):
                    order = draw(st.sampled_from(my_orders))
                    cents = draw(st.sampled_from(PRICES))
                    taken[order] += cents
                    lines.append(TicketLine("deposit", None, 1, cents, ("order", order)))
            if not lines:
                lines.append(_sales_line(draw))
            group = groups[(register, customer or COUNTER)]
            lines = draw(st.permutations(lines))
            ticket = Ticket(register, numbers[register], customer, lines, [])
            numbers[register] += draw(st.integers(1, 2))
            ticket.payments = _payments(draw, ticket, orders, deposits)
            tickets.append(ticket)
            if ticket.has_sales:
                group[0] += ticket.sales
                group[1] += sum(p.cents for p in ticket.payments if p.mode == "CRED")
                group[2] = 1
        # the day's invoices: an F group with a credit part can be paid on later days
        for (register, owner), (sales, credit, _) in groups.items():
            if sales >= 0 and credit > 0:
                payable[("pos", day, register, owner)] = [owner, credit]
        for order, cents in taken.items():
            deposits[order] += cents
        days.append(tickets)
    runs = len(days) if post_daily else 1
    run = draw(st.integers(0, runs - 1))
    step = draw(st.integers(0, 1)) if accounting == "classic" else 0
    # post-documents has no ticket marks nor POS log
    points = CRASH_POINTS[:2] if accounting == "classic" and step == 0 else CRASH_POINTS
    crash = (draw(st.sampled_from(points)), run, step)
    return Scenario(accounting, post_daily, draw(st.booleans()), invoices, orders, days, crash)


def posted_as_written(cents: int) -> bool:
    """A manual invoice (`Books.document`, 20 % VAT: tax = TTC × 20 / 120 rounded) that
    `post-documents` posts for its total: its base × 20 % rounds to the same tax (it has no
    `sales_document_taxes`: its VAT is recomputed from the base)."""
    tax = (Decimal(cents) * 20 / 120).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (Decimal(cents - tax) * 20 / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) == tax


def _sales_line(draw: st.DrawFn) -> TicketLine:
    quantity = draw(st.sampled_from(QUANTITIES))
    return TicketLine("sale" if quantity > 0 else "return", draw(st.sampled_from(
        sorted(ARTICLES))), quantity, draw(st.sampled_from(PRICES)))


def _payments(draw: st.DrawFn, ticket: Ticket, orders: list[str],
              deposits: dict[int, int]) -> list[Payment]:
    payments = []
    total, sales = ticket.total, ticket.sales
    credit = 0
    if ticket.customer is not None and sales > 0 and draw(st.booleans()):
        credit = draw(st.one_of(st.just(sales), st.integers(1, sales)))
        payments.append(Payment("CRED", credit, due=draw(st.sampled_from(DUE_DATES))))
    used = 0
    usable = [i for i, c in enumerate(orders) if c == ticket.customer and deposits[i] > 0]
    if usable and total - credit > 0 and draw(st.booleans()):
        order = draw(st.sampled_from(usable))
        used = draw(st.integers(1, min(deposits[order], total - credit)))
        deposits[order] -= used
        payments.append(Payment("ACP", used, ("order", order)))
    rest = total - credit - used
    if rest:
        modes = draw(st.permutations(("CB", "ESP")))
        if abs(rest) >= 2 and draw(st.booleans()):
            first = draw(st.integers(1, abs(rest) - 1)) * (1 if rest > 0 else -1)
            payments += [Payment(modes[0], first), Payment(modes[1], rest - first)]
        else:
            payments.append(Payment(modes[0], rest))
    return draw(st.permutations(payments))


# --- what the customers owe, from the scenario alone ------------------------------------------

@dataclass
class Oracle:
    """What the drawn tickets mean, computed without the posting: per customer the dues
    left (credit parts and invoices not paid yet), per order the deposits left, per
    invoice what was paid on it."""

    dues: dict[Ref, list[Any]] = field(default_factory=dict)       # ref → [customer, left]
    deposits: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    paid: dict[Ref, int] = field(default_factory=lambda: defaultdict(int))
    invoiced: set[Ref] = field(default_factory=set)                # F invoices
    documents: set[Ref] = field(default_factory=set)               # POS F and A

    @classmethod
    def of(cls, scenario: Scenario) -> Oracle:
        oracle = cls()
        for i, (customer, cents) in enumerate(scenario.invoices):
            oracle.dues[("invoice", i)] = [customer, cents]
            oracle.invoiced.add(("invoice", i))
        for day, tickets in enumerate(scenario.days):
            groups: dict[Ref, list[int]] = defaultdict(lambda: [0, 0, 0])
            for ticket in tickets:
                for line in ticket.lines:
                    if line.kind == "invoice_payment":
                        oracle.dues[line.document][1] -= line.cents  # type: ignore[index]
                        oracle.paid[line.document] += line.cents     # type: ignore[index]
                    elif line.kind == "deposit":
                        oracle.deposits[line.document[1]] += line.cents  # type: ignore[index]
                for payment in ticket.payments:
                    if payment.mode == "ACP":
                        oracle.deposits[payment.reference[1]] -= payment.cents  # type: ignore[index]
                if ticket.has_sales:
                    group = groups[("pos", day, ticket.register, ticket.owner)]
                    credit = sum(p.cents for p in ticket.payments if p.mode == "CRED")
                    group[0] += ticket.sales
                    group[1] += credit
                    group[2] += ticket.sales - credit          # paid at the register
            for ref, (sales, credit, paid) in groups.items():
                oracle.documents.add(ref)
                if credit:
                    oracle.dues[ref] = [ref[3], credit]
                if sales >= 0:
                    oracle.invoiced.add(ref)
                    oracle.paid[ref] += paid
        return oracle

    def settled(self, accounting: str) -> set[Ref]:
        """The documents nothing is left to pay on, and the orders whose deposits were all
        used (POS documents only by document number: grouping by customer or classic)."""
        documents = {ref for ref in self.dues if ref[0] == "invoice"}
        if accounting != "account":
            documents |= self.documents
        found = {ref for ref in documents if self.dues.get(ref, [None, 0])[1] == 0}
        return found | {("order", order) for order, left in self.deposits.items() if not left}

    def due_left(self) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for customer, left in self.dues.values():
            if left:
                found[customer] += left
        return dict(found)

    def deposits_left(self, orders: list[str]) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for order, left in self.deposits.items():
            if left:
                found[orders[order]] += left
        return dict(found)


# --- the dossier ----------------------------------------------------------------------------

def fresh_dossier(engine: Engine) -> None:
    """Empty every table (the migrated template holds no rows)."""
    with engine.begin() as conn:
        for table in reversed(s.metadata.sorted_tables):
            conn.execute(table.delete())


class Run:
    """A scenario played on a dossier."""

    def __init__(self, engine: Engine, scenario: Scenario) -> None:
        self.engine, self.scenario = engine, scenario
        fresh_dossier(engine)
        self.books = Books(engine)
        ids = self.books.ids
        with engine.begin() as conn:
            if scenario.shared_account:
                conn.execute(update(s.customers).where(s.customers.c.code.in_(NAMED))
                             .values(account="411900"))
            if scenario.accounting == "classic":
                set_setting(conn, "pos_accounting", "classic")
        self.numbers: dict[Ref, str] = {}
        for i, (customer, cents) in enumerate(scenario.invoices):
            number = f"FA2025-{900001 + i}"
            self.books.document(number, "F", customer, f"{Decimal(cents) / 100:.2f}",
                                day=INVOICE_DAY, article="A20")
            self.numbers[("invoice", i)] = number
        for i, customer in enumerate(scenario.orders):
            number = f"CC2026-{i + 1:06d}"
            self.books.document(number, "C", customer, "1000.00", status="excluded")
            self.numbers[("order", i)] = number
        if scenario.invoices:
            assert post_documents(engine, until=INVOICE_DAY).exit_code == Exit.DONE
        self.customer_ids = ids["customer"]
        self.posting_runs = 0

    def reference(self, ref: Ref | None) -> str | None:
        if ref is None:
            return None
        if ref not in self.numbers:          # the POS invoice of an earlier day's group
            _, day, register, owner = ref
            store, code = REGISTERS[register]
            d = s.sales_documents
            with self.engine.connect() as conn:
                self.numbers[ref] = conn.execute(select(d.c.number).where(
                    d.c.type == "F", d.c.source == "pos",
                    d.c.customer_id == self.customer_ids[owner],
                    d.c.register_id == self.books.ids["register"][f"{store}/{code}"],
                    d.c.date == self.scenario.day(day))).scalar_one()
        return self.numbers[ref]

    def write_day(self, index: int) -> None:
        day, ids = self.scenario.day(index), self.books.ids
        with self.engine.begin() as conn:
            for ticket in self.scenario.days[index]:
                store, register = REGISTERS[ticket.register]
                ticket_id = conn.execute(s.pos_tickets.insert().values(
                    depot_id=ids["store"][store],
                    register_id=ids["register"][f"{store}/{register}"], number=ticket.number,
                    issued_at=dt.datetime.combine(day, dt.time(10), dt.UTC),
                    sales_day_id=self.books.sales_day(conn, store, register, day),
                    customer_id=ids["customer"][ticket.customer] if ticket.customer else None,
                    degraded=True, total_incl_tax=money(ticket.total))).inserted_primary_key[0]
                conn.execute(s.pos_ticket_lines.insert(), [{
                    "ticket_id": ticket_id, "line_no": no, "kind": line.kind,
                    "article_id": ids["article"][line.article] if line.article else None,
                    "article_code": line.article, "quantity": Decimal(line.quantity),
                    "unit_price_incl_tax": money(line.unit), "total_incl_tax": money(line.cents),
                    "vat_rate": Decimal(VAT[ARTICLES[line.article]]) if line.article
                    else Decimal(0),
                    "vat_code_id": ids["vat"][ARTICLES[line.article]] if line.article else None,
                    "document_ref": self.reference(line.document)}
                    for no, line in enumerate(ticket.lines, 1)])
                if ticket.payments:
                    conn.execute(s.pos_ticket_payments.insert(), [{
                        "ticket_id": ticket_id, "line_no": no,
                        "payment_mode_id": ids["mode"][p.mode], "amount": money(p.cents),
                        "reference": self.reference(p.reference), "due_date": p.due}
                        for no, p in enumerate(ticket.payments, 1)])

    def invoice(self, index: int) -> None:
        report = invoice_tickets(self.engine, until(self.scenario.day(index)))
        assert report.exit_code == Exit.DONE, report.to_dict()

    def post(self, index: int) -> None:
        """One posting (direct: `pos post`; classic: `post-documents`, then `pos payments`),
        crashing first where the scenario says."""
        crash = self.scenario.crash
        for step, run in enumerate(posting_steps(self.engine, self.scenario, index)):
            seen = None
            if crash is not None and crash[1:] == (self.posting_runs, step):
                before = snapshot(self.engine)
                with crashing(crash[0]) as seen, pytest.raises(PowerCut):
                    run()
                assert snapshot(self.engine) == before, f"a crash in {crash[0]} left writes"
            report = run()
            assert report.exit_code == Exit.DONE, report.to_dict()
            assert report.warnings == [], report.warnings
            if seen is not None:   # the crash came once the run's entries were written
                assert seen["entries"] == count_entries(self.engine)
        self.posting_runs += 1

    def play(self) -> None:
        last = len(self.scenario.days) - 1
        for index in range(len(self.scenario.days)):
            self.write_day(index)
            self.invoice(index)
            if self.scenario.post_daily or index == last:
                self.post(index)


def posting_steps(engine: Engine, scenario: Scenario, index: int) -> list[Any]:
    """The posting runs that follow the invoicing of day `index` (or of every day so far)."""
    day = scenario.day(index)
    if scenario.accounting == "classic":
        return [lambda: post_documents(engine, until=day),
                lambda: integrate_payments(engine, until(day))]
    return [lambda: post_tickets(engine, until(day), grouping=scenario.accounting)]


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def cents_of(value: Decimal) -> int:
    return int(value.scaleb(2))


class PowerCut(RuntimeError):
    """The crash a test provokes."""


def count_entries(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.journal_entries)).scalar_one()


@contextmanager
def crashing(where: str) -> Iterator[dict[str, int]]:
    """Make the posting crash at `where`, after its entries were written; `seen["entries"]`:
    how many entries the transaction held when it crashed."""
    seen = {"entries": -1}

    def count(conn) -> None:  # type: ignore[no-untyped-def]
        seen["entries"] = conn.execute(
            select(func.count()).select_from(s.journal_entries)).scalar_one()
        raise PowerCut(f"power cut in {where}")

    with pytest.MonkeyPatch.context() as patch:
        if where == "save":
            patch.setattr(ReceivableBook, "save", lambda self, conn: count(conn))
        elif where == "letter":
            patch.setattr(lettering, "letter", lambda conn, day: count(conn))
        elif where == "mark":
            patch.setattr(pos_posting.Posting, "_mark", lambda self, keys: count(self.conn))
        else:
            patch.setattr(pos_posting, "write_log", lambda conn, run, rows: count(conn))
        yield seen


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted — but the dossier locks' counters (SQLite's write
    lock bumps one per run: `comptoir.backoffice.lock`)."""
    found = {}
    with engine.connect() as conn:
        for table in s.metadata.sorted_tables:
            query = select(table)
            if table is s.counters:
                query = query.where(~s.counters.c.name.like("%.lock"))
            found[table.name] = sorted((tuple(row) for row in conn.execute(query)), key=repr)
    return found


# --- the properties -----------------------------------------------------------------------------

def check_entries(engine: Engine) -> None:
    """Balanced entries, one-sided non-zero lines, continuous numbers per journal and year,
    Σ debit = Σ credit."""
    e, ln, j = s.journal_entries, s.journal_entry_lines, s.journals
    with engine.connect() as conn:
        heads = conn.execute(select(e.c.id, e.c.number, e.c.date, j.c.code)
                             .join(j, j.c.id == e.c.journal_id)).all()
        lines = conn.execute(select(ln.c.entry_id, ln.c.debit, ln.c.credit)).all()
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for entry_id, debit, credit in lines:
        debit, credit = cents_of(debit), cents_of(credit)
        assert debit >= 0 and credit >= 0, (entry_id, debit, credit)
        assert (debit == 0) != (credit == 0), f"entry {entry_id}: line {debit} / {credit}"
        sums[entry_id][0] += debit
        sums[entry_id][1] += credit
    numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for entry_id, number, date, journal in heads:
        debit, credit = sums[entry_id]
        assert debit == credit and debit > 0, f"{number}: debit {debit} credit {credit}"
        prefix = f"{journal}{date.year}-"
        assert number.startswith(prefix) and len(number) == len(prefix) + 8, number
        numbers[(journal, date.year)].append(int(number[len(prefix):]))
    for key, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), (key, sorted(found))
    assert sum(d for d, _ in sums.values()) == sum(c for _, c in sums.values())


def check_fec(engine: Engine) -> None:
    """The FEC of the whole history, read back by the tests' independent reader: no
    problem, Σ Debit = Σ Credit = the ledger's, one record per line."""
    ln = s.journal_entry_lines
    with engine.connect() as conn:
        lines, debit, credit = conn.execute(select(func.count(), func.sum(ln.c.debit),
                                                   func.sum(ln.c.credit))).one()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "fec.txt"
        report = export_fec(engine, start=dt.date(2025, 1, 1), end=dt.date(2026, 12, 31),
                            out=target)
        assert report.exit_code == Exit.DONE, report.to_dict()
        data = target.read_bytes()
    read = read_fec(data, numbers_from_one=True)
    assert read.problems == []
    assert len(read.records) == lines
    total_debit = sum(fec_cents(r["Debit"]) for r in read.records)
    total_credit = sum(fec_cents(r["Credit"]) for r in read.records)
    assert total_debit == total_credit == cents_of(Decimal(debit or 0)) \
        == cents_of(Decimal(credit or 0))


def check_receivables(engine: Engine, scenario: Scenario, oracle: Oracle) -> None:
    """Dues and deposits left as the oracle says; states agree with amounts; every
    invoice's payment receivables add up to what was paid on it."""
    r, c, d = s.receivables, s.customers, s.sales_documents
    with engine.connect() as conn:
        rows = conn.execute(select(c.c.code, r.c.kind, r.c.amount, r.c.paid_amount, r.c.state,
                                   d.c.number, d.c.type)
                            .join(c, c.c.id == r.c.customer_id)
                            .outerjoin(d, d.c.id == r.c.document_id)).all()
    due: dict[str, int] = defaultdict(int)
    deposits: dict[str, int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    for code, kind, amount, paid_amount, state, number, _ in rows:
        left = cents_of(amount) - cents_of(paid_amount)
        assert left >= 0, (code, kind, amount, paid_amount)
        assert (state == "paid") == (left == 0), (code, kind, amount, paid_amount, state)
        if kind == "due" and left:
            due[code] += left
        elif kind == "deposit" and left:
            deposits[code] += left
        elif kind == "payment":
            paid[number] += cents_of(amount)
    assert dict(due) == oracle.due_left()
    assert dict(deposits) == oracle.deposits_left(scenario.orders)
    expected = {_number(engine, ref): cents for ref, cents in oracle.paid.items()
                if ref in oracle.invoiced}
    assert {n: v for n, v in paid.items() if v} == {n: v for n, v in expected.items() if v}


def _number(engine: Engine, ref: Ref, types: tuple[str, ...] = ("F",)) -> str | None:
    """The number of a manual invoice, an order, or the POS document of a group."""
    d, c, reg, dep = s.sales_documents, s.customers, s.registers, s.depots
    if ref[0] == "invoice":
        return f"FA2025-{900001 + ref[1]}"
    if ref[0] == "order":
        return f"CC2026-{ref[1] + 1:06d}"
    with engine.connect() as conn:
        _, day, register, owner = ref
        store, code = REGISTERS[register]
        return conn.execute(
            select(d.c.number).join(c, c.c.id == d.c.customer_id)
            .join(reg, reg.c.id == d.c.register_id).join(dep, dep.c.id == reg.c.depot_id)
            .where(d.c.type.in_(types), d.c.source == "pos", c.c.code == owner,
                   reg.c.code == code,
                   dep.c.code == store, d.c.date == DAY + dt.timedelta(days=day))
        ).scalar_one_or_none()


def check_ledger_against_the_oracle(engine: Engine, scenario: Scenario, oracle: Oracle) -> None:
    """Each receivable account's balance = Σ dues left − Σ deposits left of its customers
    (ACP has no account: deposits sit on the customer's receivable account)."""
    account_of = {code: "411900" if scenario.shared_account and code in NAMED else "411000"
                  for code in (*NAMED, COUNTER)}
    expected: dict[str, int] = defaultdict(int)
    for code, cents in oracle.due_left().items():
        expected[account_of[code]] += cents
    for code, cents in oracle.deposits_left(scenario.orders).items():
        expected[account_of[code]] -= cents
    ln, a = s.journal_entry_lines, s.accounts
    with engine.connect() as conn:
        rows = conn.execute(select(a.c.number, func.sum(ln.c.debit), func.sum(ln.c.credit))
                            .join(ln, ln.c.account_id == a.c.id)
                            .where(a.c.number.in_(("411000", "411900")))
                            .group_by(a.c.number)).all()
    balances = {number: cents_of(Decimal(debit)) - cents_of(Decimal(credit))
                for number, debit, credit in rows}
    assert {k: v for k, v in balances.items() if v} == {k: v for k, v in expected.items() if v}


def check_lettering(engine: Engine) -> None:
    """Upper-case codes sum to zero per account, lower-case ones do not; breakdowns take
    their line's code and add up to their line."""
    ln, b, a = s.journal_entry_lines, s.journal_line_breakdowns, s.accounts
    with engine.connect() as conn:
        lines = conn.execute(select(ln.c.id, a.c.number, a.c.lettrable, ln.c.debit,
                                    ln.c.credit, ln.c.lettering_code, ln.c.lettered_on)
                             .join(a, a.c.id == ln.c.account_id)).all()
        parts = conn.execute(select(b.c.line_id, b.c.amount, b.c.lettering_code)).all()
    groups: dict[tuple[str, str], int] = defaultdict(int)
    by_id = {}
    for line_id, account, lettrable, debit, credit, code, on in lines:
        by_id[line_id] = (cents_of(debit) + cents_of(credit), code)
        if code is None:
            assert on is None
            continue
        assert lettrable and on is not None, (account, code)
        groups[(account, code)] += cents_of(debit) - cents_of(credit)
    for (account, code), total in groups.items():
        if code.isupper():
            assert total == 0, f"{account} {code} fully lettered but sums to {total}"
        else:
            assert total != 0, f"{account} {code} partial but sums to zero"
    breakdown_sums: dict[int, int] = defaultdict(int)
    for line_id, amount, code in parts:
        assert code == by_id[line_id][1], (line_id, code, by_id[line_id])
        breakdown_sums[line_id] += cents_of(amount)
    for line_id, total in breakdown_sums.items():
        assert total == by_id[line_id][0], (line_id, total, by_id[line_id])


def check_settled_is_lettered(engine: Engine, scenario: Scenario, oracle: Oracle) -> None:
    """What is settled is lettered in full: the customer lines of a document nothing is
    left to pay on, of an order whose deposits were all used, carry upper-case codes."""
    numbers = {_number(engine, ref, ("F", "A")) for ref in oracle.settled(scenario.accounting)}
    ln, a = s.journal_entry_lines, s.accounts
    with engine.connect() as conn:
        rows = conn.execute(select(ln.c.document_ref, ln.c.lettering_code)
                            .join(a, a.c.id == ln.c.account_id)
                            .where(a.c.number.in_(("411000", "411900")),
                                   ln.c.document_ref.in_(sorted(numbers - {None}))))
        unlettered = sorted({(ref, code) for ref, code in rows
                             if code is None or not code.isupper()})
    assert unlettered == [], f"settled but not lettered in full: {unlettered}"


def check_state_codes(engine: Engine, scenario: Scenario) -> None:
    """Each receivable's state code: its mode's (`BPV`, `EPV`, `APV`; classic `B30`…), `C10`
    left on credit, `D10` of post-documents, `APV` for deposits."""
    r, m = s.receivables, s.payment_modes
    classic = scenario.accounting == "classic"
    expected = {("payment", code): f"{state[0]}30" if classic else state
                for code, state in (("CB", "BPV"), ("ESP", "EPV"), ("ACP", "APV"))}
    expected |= {("due", "CRED"): "C10", ("due", None): "D10", ("deposit", "ACP"): "APV",
                 # the part of an invoice payment settled by goods returned: no mode
                 ("payment", None): "X30" if classic else "XPV"}
    with engine.connect() as conn:
        rows = conn.execute(select(r.c.kind, m.c.code, r.c.state_code)
                            .outerjoin(m, m.c.id == r.c.payment_mode_id)).all()
    assert [row for row in rows if expected.get((row[0], row[1])) != row[2]] == []


def check_everything_posted(engine: Engine) -> None:
    t, d, days = s.pos_tickets, s.sales_documents, s.sales_days
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(t.c.posted_at.is_(None))).scalar() == 0
        assert conn.execute(select(func.count()).where(
            d.c.source == "pos", d.c.accounting_status != "posted")).scalar() == 0
        assert set(conn.execute(select(days.c.status)).scalars()) <= {"posted"}


def check_second_run_writes_nothing(engine: Engine, scenario: Scenario) -> None:
    before = snapshot(engine)
    for run in posting_steps(engine, scenario, len(scenario.days)):
        report = run()
        assert report.exit_code == Exit.DONE
        assert report.body["entries"] == [] and report.body["receivables_created"] == 0
        assert report.body["lettering"] == {"full": 0, "partial": 0}
    assert snapshot(engine) == before


def check(engine: Engine, scenario: Scenario) -> None:
    Run(engine, scenario).play()
    oracle = Oracle.of(scenario)
    check_entries(engine)
    check_fec(engine)
    check_receivables(engine, scenario, oracle)
    check_ledger_against_the_oracle(engine, scenario, oracle)
    check_lettering(engine)
    check_settled_is_lettered(engine, scenario, oracle)
    check_state_codes(engine, scenario)
    check_everything_posted(engine)
    check_second_run_writes_nothing(engine, scenario)


@pytest.mark.parametrize("post_daily", [True, False], ids=["post_daily", "post_once"])
@pytest.mark.parametrize("accounting", [*pos_posting.GROUPINGS, "classic"])
def test_posting_random_days_keeps_the_books_straight(engine, accounting: str,
                                                      post_daily: bool) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(scenario=scenarios(accounting, post_daily))
    def examples(scenario: Scenario) -> None:
        check(engine, scenario)

    examples()


# --- regression tests: the gaps the property found ----------------------------------------------

def customer_balance(engine: Engine, customer: str) -> str:
    """Σ debit − Σ credit of the customer's lines (the ledger's view of what it owes)."""
    ln, c = s.journal_entry_lines, s.customers
    with engine.connect() as conn:
        debit, credit = conn.execute(
            select(func.coalesce(func.sum(ln.c.debit), 0), func.coalesce(func.sum(ln.c.credit), 0))
            .join(c, c.c.id == ln.c.customer_id).where(c.c.code == customer)).one()
    return f"{Decimal(debit) - Decimal(credit):.2f}"


@pytest.mark.parametrize(("lines", "payments"), [
    # the customer brings back goods (48.69) and pays the rest of the invoice by card
    ([Line("A20", "-1", "48.69"), paid_invoice("248.69", "FA2025-900001")],
     [("CB", "200.00")]),
    # the goods brought back (259.90) are worth more than the invoice: the rest is refunded
    ([paid_invoice("248.69", "FA2025-900001"), Line("A20", "-1", "259.90")],
     [("CB", "-11.21")]),
], ids=["return_pays_part", "return_refunded"])
def test_returns_on_a_ticket_paying_an_invoice_settle_it_first(
        engine, lines, payments) -> None:
    """Found by the property (minimal: invoice 1.00, ticket return −0.99 + invoice payment
    1.00 paid CB 0.01). The ledger credits the customer the whole invoice payment and
    letters the invoice in full; the goods brought back settle the operation first (a
    payment receivable `XPV` without mode), so nothing stays due on the invoice."""
    books = Books(engine)
    books.document("FA2025-900001", "F", "CLI1", "248.69", day=INVOICE_DAY)
    assert post_documents(engine, until=INVOICE_DAY).exit_code == Exit.DONE
    books.pay(1, lines, payments, customer="CLI1")
    assert invoice_tickets(engine, until()).exit_code == Exit.DONE
    assert post_tickets(engine, until()).exit_code == Exit.DONE
    found = entries(engine)
    invoice_codes = {line[5] for entry in found.values() for line in entry["lines"]
                     if line[4] == "FA2025-900001"}
    assert len(invoice_codes) == 1 and invoice_codes.pop().isupper()  # lettered in full
    assert customer_balance(engine, "CLI1") == "0.00"                   # nothing owed
    assert [r[3:7] for r in receivables(engine) if r[2] == "due"] == [
        ("D10", "0.00", "0.00", "paid")]


def test_a_credit_sale_in_a_group_that_becomes_a_credit_note_stays_due(engine) -> None:
    """Found by the property (minimal: CLI2 buys 60.00 on credit and, the same day at the
    same register, returns goods of 100.00 refunded by card). The group is a credit note
    AV (−40.00): its credit part is a due receivable all the same (`C10` 60.00, open), as
    the customer's account owes it."""
    books = Books(engine)
    books.pay(1, [sale("A20", "1", "60.00")], [("CRED", "60.00")], customer="CLI2")
    books.pay(2, [sale("A20", "-1", "100.00")], [("CB", "-100.00")], customer="CLI2")
    assert invoice_tickets(engine, until()).exit_code == Exit.DONE
    assert post_tickets(engine, until()).exit_code == Exit.DONE
    assert customer_balance(engine, "CLI2") == "60.00"
    assert [r[2:7] for r in receivables(engine) if r[2] == "due"] == [
        ("due", "C10", "60.00", "0.00", "open")]
