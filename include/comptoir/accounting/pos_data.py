"""What a POS posting run reads: its tickets, their documents, payments and account
operations, summed by the database (`comptoir.accounting.pos_posting` builds entries).

The tickets are staged once in a temporary table; every other read is ONE grouped
statement over it. Only the rare tickets with account operations (an invoice paid or a
deposit taken at the register) come back line by line, for the allocation of their
payments. Amounts are integers of cents.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    Table,
    case,
    func,
    insert,
    literal,
    or_,
    select,
)

from comptoir.backoffice.schema import (
    ACCOUNT_OPERATIONS,
    customers,
    depots,
    payment_modes,
    pos_ticket_lines,
    pos_ticket_payments,
    pos_tickets,
    registers,
    sales_days,
    sales_document_taxes,
    sales_documents,
    vat_codes,
)
from comptoir.pos.exact_sql import MONEY, RATE, code_order, to_units
from comptoir.pos.filter_sql import ticket_conditions
from comptoir.pos.filters import TicketFilters

_stage = MetaData()
staged = Table(
    "accounting_post_tickets", _stage,
    Column("ticket_id", Integer, primary_key=True),
    Column("number", Integer, nullable=False),
    Column("register_id", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("sales_day_id", Integer),
    Column("customer_id", Integer),       # the document's, else its own, else counter
    Column("document_id", Integer),
    Column("special", Integer, nullable=False),  # 1: has account operations
    prefixes=["TEMPORARY"],
)
STAGE_DOCUMENT_INDEX = "ix_accounting_post_tickets_document_id"


@dataclass(frozen=True)
class Mode:
    id: int
    code: str
    account: str | None
    state_code: str | None
    is_credit: bool
    is_deposit: bool


@dataclass(frozen=True)
class Register:
    id: int
    code: str
    store: str
    number: int | None
    journal_code: str | None


@dataclass(frozen=True)
class Customer:
    id: int
    code: str
    account: str | None


@dataclass
class Document:
    id: int
    number: str
    type: str
    customer_id: int
    date: dt.date
    register_id: int | None
    cents: int                       # total incl. VAT (signed: negative for A)
    status: str
    taxes: list[tuple[int, str, int, int, int]] = field(default_factory=list)
    # (vat code id, code, rate in thousandths, base cents, tax cents)


@dataclass
class Special:
    """A ticket with account operations, line by line."""

    ticket_id: int
    number: int
    register_id: int
    day: dt.date
    customer_id: int | None
    document_id: int | None
    sales_cents: int = 0
    operations: list[tuple[int, str, str, int]] = field(default_factory=list)
    # (line_no, kind, document_ref, cents)
    payments: list[tuple[int, int, int, dt.date | None, str | None]] = field(
        default_factory=list)  # (line_no, mode id, cents, due date, reference)
    #: set by the posting: account operation line → the (mode id, cents) that settle it
    parts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass
class PosData:
    """Everything a posting run needs, read in a fixed number of statements."""

    modes: dict[int, Mode]
    registers: dict[int, Register]
    customers: dict[int, Customer]
    documents: dict[int, Document]
    #: (register, day, customer) → (lowest ticket, lowest ticket with a document, sales day)
    groups: dict[tuple[int, dt.date, int], tuple[int, int | None, int | None]]
    #: (register, day, customer, mode) → Σ payments of non-credit, non-deposit modes
    mode_sums: dict[tuple[int, dt.date, int, int], int]
    #: document → mode → Σ non-credit payments of its plain tickets (no account operation)
    document_payments: dict[int, dict[int, int]]
    #: document → (mode, due date) → Σ credit payments
    document_credits: dict[int, dict[tuple[int, dt.date | None], int]]
    #: deposit-mode payments: (register, day, customer, mode, reference, cents, ticket)
    deposit_payments: list[tuple[int, dt.date, int, int, str | None, int, int]]
    specials: list[Special]
    #: ticket ids of the run
    ticket_count: int
    #: skipped before anything: (ticket id, number, register id, rule)
    skipped: list[tuple[int, int, int, str]]


def stage_tickets(conn: Connection, filters: TicketFilters, *, counter_id: int | None,
                  classic: bool) -> None:
    """Stage the invoiced, unposted tickets the filters take — with every other unposted
    ticket of their documents: a document is posted whole."""
    _stage.create_all(conn)
    t, own = pos_tickets, customers.alias("own")
    doc = sales_documents
    customer_id = func.coalesce(doc.c.customer_id, t.c.customer_id,
                                literal(counter_id, Integer))
    customer_code = func.coalesce(own.c.code, customers.c.code)
    conditions = [t.c.integrated_at.is_not(None), t.c.posted_at.is_(None),
                  sales_days.c.date <= filters.until,
                  *ticket_conditions(conn, filters, store=depots.c.code,
                                     register=registers.c.code, customer=customer_code,
                                     number=t.c.number)]
    if classic:
        conditions.append(or_(doc.c.id.is_(None), doc.c.type == "B",
                              doc.c.accounting_status == "posted"))
    else:
        conditions.append(or_(doc.c.id.is_(None), doc.c.type == "B",
                              doc.c.accounting_status == "pos_pending"))
    special = (select(pos_ticket_lines.c.id)
               .where(pos_ticket_lines.c.ticket_id == t.c.id,
                      pos_ticket_lines.c.kind.in_(ACCOUNT_OPERATIONS))
               .exists())
    base = (t.join(sales_days, sales_days.c.id == t.c.sales_day_id)
            .join(depots, depots.c.id == t.c.depot_id)
            .join(registers, registers.c.id == t.c.register_id)
            .outerjoin(doc, doc.c.id == t.c.integrated_document_id)
            .outerjoin(own, own.c.id == t.c.customer_id)
            .outerjoin(customers, customers.c.id == literal(counter_id, Integer)))
    columns = [t.c.id, t.c.number, t.c.register_id, sales_days.c.date, t.c.sales_day_id,
               customer_id, t.c.integrated_document_id, case((special, 1), else_=0)]
    names = ["ticket_id", "number", "register_id", "day", "sales_day_id", "customer_id",
             "document_id", "special"]
    conn.execute(insert(staged).from_select(names, select(*columns).select_from(base)
                                            .where(*conditions)))
    # the other unposted tickets of the documents taken (NOT EXISTS, not NOT IN: past
    # work_mem PostgreSQL stops hashing a NOT IN list and scans it once per ticket)
    chosen = select(staged.c.document_id).where(staged.c.document_id.is_not(None))
    taken = select(staged.c.ticket_id).where(staged.c.ticket_id == t.c.id)
    rest = (select(*columns).select_from(base)
            .where(t.c.integrated_document_id.in_(chosen), t.c.posted_at.is_(None),
                   ~taken.exists()))
    conn.execute(insert(staged).from_select(names, rest))
    # built once the stage is full: the documents' side of the marks' `sales_documents.id
    # IN (SELECT document_id …)`; without it PostgreSQL, guessing a few documents before
    # their statistics exist, scans the whole stage once per document
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {STAGE_DOCUMENT_INDEX} "
                         f"ON {staged.name} (document_id)")  # constant names of this module


def drop_stage(conn: Connection) -> None:
    _stage.drop_all(conn)


def read(conn: Connection) -> PosData:
    """Read what the staged tickets need (a fixed number of grouped statements)."""
    st = staged
    modes = {row.id: Mode(row.id, row.code, row.account or None, row.state_code or None,
                          bool(row.is_credit), bool(row.is_deposit))
             for row in conn.execute(select(payment_modes))}
    regs = {row.id: Register(row.id, row.code, row.store, row.number, row.journal_code)
            for row in conn.execute(
                select(registers.c.id, registers.c.code, depots.c.code.label("store"),
                       registers.c.number, registers.c.journal_code)
                .join(depots, depots.c.id == registers.c.depot_id))}
    skipped = [(row.ticket_id, row.number, row.register_id, "no_counter_customer")
               for row in conn.execute(select(st).where(st.c.customer_id.is_(None)))]
    documents = _documents(conn)
    groups: dict[tuple[int, dt.date, int], tuple[int, int | None, int | None]] = {}
    for row in conn.execute(
            select(st.c.register_id, st.c.day, st.c.customer_id, func.min(st.c.number),
                   func.min(case((st.c.document_id.is_not(None), st.c.number))),
                   func.min(st.c.sales_day_id))
            .where(st.c.customer_id.is_not(None))
            .group_by(st.c.register_id, st.c.day, st.c.customer_id)):
        groups[(row[0], row[1], row[2])] = (row[3], row[4], row[5])
    pay = pos_ticket_payments
    amount = to_units(pay.c.amount, MONEY)
    plain_modes = [m.id for m in modes.values() if not m.is_credit and not m.is_deposit]
    mode_sums = {(r[0], r[1], r[2], r[3]): int(r[4]) for r in conn.execute(
        select(st.c.register_id, st.c.day, st.c.customer_id, pay.c.payment_mode_id,
               func.sum(amount))
        .join(pay, pay.c.ticket_id == st.c.ticket_id)
        .where(st.c.customer_id.is_not(None), pay.c.payment_mode_id.in_(plain_modes))
        .group_by(st.c.register_id, st.c.day, st.c.customer_id, pay.c.payment_mode_id))}
    credit_ids = [m.id for m in modes.values() if m.is_credit]
    document_payments: dict[int, dict[int, int]] = defaultdict(dict)
    for doc_id, mode_id, cents in conn.execute(
            select(st.c.document_id, pay.c.payment_mode_id, func.sum(amount))
            .join(pay, pay.c.ticket_id == st.c.ticket_id)
            .where(st.c.document_id.is_not(None), st.c.special == 0,
                   pay.c.payment_mode_id.not_in(credit_ids))
            .group_by(st.c.document_id, pay.c.payment_mode_id)):
        document_payments[doc_id][mode_id] = int(cents)
    document_credits: dict[int, dict[tuple[int, dt.date | None], int]] = defaultdict(dict)
    for doc_id, mode_id, due, cents in conn.execute(
            select(st.c.document_id, pay.c.payment_mode_id, pay.c.due_date, func.sum(amount))
            .join(pay, pay.c.ticket_id == st.c.ticket_id)
            .where(st.c.document_id.is_not(None), pay.c.payment_mode_id.in_(credit_ids))
            .group_by(st.c.document_id, pay.c.payment_mode_id, pay.c.due_date)):
        document_credits[doc_id][(mode_id, due)] = int(cents)
    deposit_ids = [m.id for m in modes.values() if m.is_deposit and not m.is_credit]
    deposit_payments = [
        (r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6]) for r in conn.execute(
            select(st.c.register_id, st.c.day, st.c.customer_id, pay.c.payment_mode_id,
                   pay.c.reference, amount, st.c.number)
            .join(pay, pay.c.ticket_id == st.c.ticket_id)
            .where(st.c.customer_id.is_not(None), pay.c.payment_mode_id.in_(deposit_ids))
            .order_by(st.c.day, st.c.register_id, st.c.number, pay.c.line_no))]
    specials = _specials(conn)
    custs = {row.id: Customer(row.id, row.code, row.account or None) for row in conn.execute(
        select(customers.c.id, customers.c.code, customers.c.account)
        .where(customers.c.id.in_(select(st.c.customer_id).distinct())))}
    count = conn.execute(select(func.count()).select_from(st)).scalar_one()
    return PosData(modes, regs, custs, documents, groups, mode_sums, dict(document_payments),
                   dict(document_credits), deposit_payments, specials, int(count), skipped)


def _documents(conn: Connection) -> dict[int, Document]:
    st, doc = staged, sales_documents
    taken = select(st.c.document_id).where(st.c.document_id.is_not(None)).distinct()
    found = {row.id: Document(row.id, row.number, row.type, row.customer_id, row.date,
                              row.register_id, int(row.cents), row.accounting_status)
             for row in conn.execute(
                 select(doc.c.id, doc.c.number, doc.c.type, doc.c.customer_id, doc.c.date,
                        doc.c.register_id, to_units(doc.c.total_incl_tax, MONEY).label("cents"),
                        doc.c.accounting_status)
                 .where(doc.c.id.in_(taken)))}
    tx = sales_document_taxes
    for row in conn.execute(
            select(tx.c.document_id, tx.c.vat_code_id, vat_codes.c.code,
                   to_units(tx.c.rate, RATE), to_units(tx.c.base_excl_tax, MONEY),
                   to_units(tx.c.tax, MONEY))
            .join(vat_codes, vat_codes.c.id == tx.c.vat_code_id)
            .where(tx.c.document_id.in_(taken))
            .order_by(tx.c.document_id, code_order(conn, vat_codes.c.code))):
        found[row[0]].taxes.append((row[1], row[2], int(row[3]), int(row[4]), int(row[5])))
    return found


def _specials(conn: Connection) -> list[Special]:
    st, ln, pay = staged, pos_ticket_lines, pos_ticket_payments
    found: dict[int, Special] = {}
    for row in conn.execute(select(st).where(st.c.special == 1, st.c.customer_id.is_not(None))
                            .order_by(st.c.day, st.c.register_id, st.c.number)):
        found[row.ticket_id] = Special(row.ticket_id, row.number, row.register_id, row.day,
                                       row.customer_id, row.document_id)
    if not found:
        return []
    ids = sorted(found)
    for ticket_id, line_no, kind, ref, cents in conn.execute(
            select(ln.c.ticket_id, ln.c.line_no, ln.c.kind, ln.c.document_ref,
                   to_units(ln.c.total_incl_tax, MONEY))
            .where(ln.c.ticket_id.in_(ids)).order_by(ln.c.ticket_id, ln.c.line_no)):
        special = found[ticket_id]
        if kind in ACCOUNT_OPERATIONS:
            special.operations.append((line_no, kind, ref, int(cents)))
        else:
            special.sales_cents += int(cents)
    for ticket_id, line_no, mode_id, cents, due, ref in conn.execute(
            select(pay.c.ticket_id, pay.c.line_no, pay.c.payment_mode_id,
                   to_units(pay.c.amount, MONEY), pay.c.due_date, pay.c.reference)
            .where(pay.c.ticket_id.in_(ids)).order_by(pay.c.ticket_id, pay.c.line_no)):
        found[ticket_id].payments.append((line_no, mode_id, int(cents), due, ref))
    return list(found.values())


def documents_by_number(conn: Connection, numbers: set[str]) -> dict[str, tuple[int, int, str]]:
    """number → (id, customer id, type) of the documents account operations name."""
    if not numbers:
        return {}
    d = sales_documents
    return {row.number: (row.id, row.customer_id, row.type) for row in conn.execute(
        select(d.c.id, d.c.number, d.c.customer_id, d.c.type)
        .where(d.c.number.in_(sorted(numbers))))}
