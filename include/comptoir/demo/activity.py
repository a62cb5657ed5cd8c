"""The demo's activity: POS tickets, sales documents and purchase orders, planned in memory.

Amounts are integer cents (prices excl. VAT in 1/10,000 euro) and every rounding is half
up, so totals add up exactly; `dossier` turns them into `Decimal` when it writes them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from comptoir.demo import names
from comptoir.demo.products import round_div
from comptoir.demo.reference import DOCUMENT_PREFIX

PARIS = ZoneInfo("Europe/Paris")
OPENING = time(9, 0)
OPEN_SECONDS = 10 * 3600 + 30 * 60  # 9:00 - 19:30
TICKETS_PER_REGISTER_DAY = 24


def local(day: date, at: time | timedelta) -> datetime:
    """A Paris wall-clock time of `day` as an aware UTC datetime."""
    if isinstance(at, timedelta):
        moment = datetime.combine(day, OPENING, tzinfo=PARIS) + at
    else:
        moment = datetime.combine(day, at, tzinfo=PARIS)
    return moment.astimezone(UTC)


def line_total(quantity: int, unit_cents: int, discount: int) -> int:
    """quantity x unit price x (1 - discount %), in cents, rounded half away from zero."""
    amount = quantity * unit_cents * (100 - discount)
    sign = -1 if amount < 0 else 1
    return sign * int(round_div(abs(amount), 100))


@dataclass
class Context:
    """What the activity is made of: ids written before, and the catalogue's figures."""

    reference: date
    scale: int
    article_id: np.ndarray        # per article
    article_name: list[str]
    ttc: np.ndarray               # shelf price incl. VAT, cents
    sale: np.ndarray              # price excl. VAT, 1/10,000 euro
    purchase: np.ndarray          # cents
    rate: np.ndarray              # VAT rate, thousandths of a percent
    vat_id: np.ndarray
    supplier_id: np.ndarray
    sellable: np.ndarray          # bool: active
    store_depots: list[int]       # depot id per store (names.STORES order)
    store_stock: np.ndarray       # bool [store, article]: the store has it in stock
    registers: list[list[int]]    # register ids per store
    central_id: int
    customer_id: np.ndarray
    customer_store: np.ndarray
    customer_business: np.ndarray  # bool: professional, association or public body
    customer_foreign: np.ndarray
    payment: dict[str, int]        # payment mode code -> id
    vat_t1: int
    revision_indexes: list[int]
    central_supplier_id: int


@dataclass
class Ticket:
    """A POS ticket with its lines and payments."""

    depot_id: int
    register_id: int
    number: int
    day: date
    issued_at: datetime
    customer_id: int | None
    degraded: bool
    lines: list[tuple[str, int, int, int, int, int, int]] = field(default_factory=list)
    # (kind, article index, quantity, unit price incl. VAT, discount %, rate, total)
    payments: list[tuple[str, int, date | None]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line[6] for line in self.lines)


def sales_days(ctx: Context) -> list[date]:
    """The trading days: the 7 days before the reference date, Sundays excepted."""
    days = [ctx.reference - timedelta(days=k) for k in range(7, 0, -1)]
    return [d for d in days if d.weekday() != 6]


def _sampler(rng: np.random.Generator, candidates: np.ndarray):  # type: ignore[no-untyped-def]
    """Draw articles among `candidates`, a few best-sellers far more often than the rest."""
    weights = 1.0 / np.arange(1, len(candidates) + 1) ** 0.8
    order = rng.permutation(candidates)
    cdf = np.cumsum(weights) / weights.sum()

    def draw(k: int) -> np.ndarray:
        return order[np.minimum(np.searchsorted(cdf, rng.random(k)), len(order) - 1)]

    return draw


def pos_tickets(ctx: Context, rng: np.random.Generator) -> list[Ticket]:
    """Tickets of every register of every store over the trading days."""
    days = sales_days(ctx)
    tickets: list[Ticket] = []
    numbers: dict[int, int] = defaultdict(int)
    outages = _outages(ctx, rng, days)
    for s, _store in enumerate(names.STORES):
        draw = _sampler(rng, np.flatnonzero(ctx.store_stock[s] & ctx.sellable))
        local_customers = np.flatnonzero((ctx.customer_store == s) & ~ctx.customer_foreign)
        for day in days:
            busy = 1.4 if day.weekday() == 5 else 1.0
            for register_id in ctx.registers[s]:
                count = int(rng.poisson(TICKETS_PER_REGISTER_DAY * ctx.scale * busy))
                seconds = np.sort(rng.uniform(0, OPEN_SECONDS, count))
                window = outages.get((register_id, day))
                for sec in seconds.tolist():
                    numbers[register_id] += 1
                    degraded = window is not None and window[0] <= sec < window[1]
                    ticket = Ticket(ctx.store_depots[s], register_id, numbers[register_id], day,
                                    local(day, timedelta(seconds=int(sec))), None, degraded)
                    customer = None
                    if len(local_customers) and rng.random() < 0.25:
                        customer = int(local_customers[rng.integers(len(local_customers))])
                        ticket.customer_id = int(ctx.customer_id[customer])
                    _fill_ticket(ctx, rng, ticket, draw, customer)
                    tickets.append(ticket)
    return tickets


def _outages(ctx: Context, rng: np.random.Generator,
             days: list[date]) -> dict[tuple[int, date], tuple[float, float]]:
    """Hours some registers spent offline (their tickets are degraded); one is certain."""
    registers = [r for store in ctx.registers for r in store]
    found = {}
    for i, day in enumerate(days):
        if i == len(days) - 1 or rng.random() < 0.5:
            register_id = registers[int(rng.integers(len(registers)))]
            start = float(rng.uniform(1, 7)) * 3600
            found[(register_id, day)] = (start, start + float(rng.uniform(1, 2.5)) * 3600)
    return found


def _fill_ticket(ctx: Context, rng: np.random.Generator, ticket: Ticket, draw,  # type: ignore[no-untyped-def]
                 customer: int | None) -> None:
    if rng.random() < 0.025:  # a return: the customer brings an article back
        article = int(draw(1)[0])
        kind = "defective" if rng.random() < 0.35 else "return"
        price = int(ctx.ttc[article])
        ticket.lines.append((kind, article, -1, price, 0, int(ctx.rate[article]),
                             line_total(-1, price, 0)))
        mode = "ESP" if rng.random() < 0.6 else "AVO"
        ticket.payments.append((mode, ticket.total, None))
        return
    count = min(int(rng.geometric(0.4)), 8)
    for article in draw(count).tolist():
        quantity = 1 if rng.random() < 0.72 else int(rng.integers(2, 7))
        discount = int(rng.choice([10, 20, 30])) if rng.random() < 0.07 else 0
        price = int(ctx.ttc[article])
        ticket.lines.append(("sale", article, quantity, price, discount, int(ctx.rate[article]),
                             line_total(quantity, price, discount)))
    ticket.payments.extend(_payments(ctx, rng, ticket, customer))


def _payments(ctx: Context, rng: np.random.Generator, ticket: Ticket,
              customer: int | None) -> list[tuple[str, int, date | None]]:
    """How the customer paid: parts that add up exactly to the ticket's total."""
    total = ticket.total
    r = float(rng.random())
    business = customer is not None and bool(ctx.customer_business[customer])
    if business and r < 0.35:
        return [("CRED", total, ticket.day + timedelta(days=30))]
    if customer is not None and r < 0.45 and total > 3000:
        # a credit-note voucher, then the card (a deposit-mode payment would need the
        # order whose deposit it uses: the POS accounting would warn deposit_exceeded)
        voucher = min(total - 100, int(rng.integers(2, 10)) * 1000)
        return [("AVO", voucher, None), ("CB", total - voucher, None)]
    if r < 0.06 and total > 2000:
        cash = int(rng.integers(1, total // 1000 + 1)) * 500
        cash = min(cash, total - 100)
        return [("ESP", cash, None), ("CB", total - cash, None)]
    if r < 0.08:
        voucher = min(total, int(rng.integers(1, 7)) * 500)
        rest = total - voucher
        return [("AVO", voucher, None)] + ([("ESP", rest, None)] if rest else [])
    if r < 0.12:
        return [("CHQ", total, None)]
    cash_share = 0.5 if total < 2000 else 0.15
    return [("ESP" if rng.random() < cash_share else "CB", total, None)]


@dataclass
class Document:
    """A sales document with its lines and totals (cents)."""

    type: str
    customer: int                 # customer index
    day: date
    depot_id: int
    origin: str | None = None
    reference: str | None = None
    revision_index_id: int | None = None
    periodicity: str | None = None
    start: date | None = None
    end: date | None = None
    number: str = ""
    invoice: Document | None = None  # the invoice a credit note cancels part of
    lines: list[tuple[int | None, str, int, int, int, int, int, int]] = field(
        default_factory=list)
    # (article index or None, description, quantity, unit price 1/10,000, discount %,
    #  VAT code id, rate, total excl. VAT in cents)

    @property
    def total_excl_tax(self) -> int:
        return sum(line[7] for line in self.lines)

    @property
    def total_tax(self) -> int:
        """VAT per rate on the rate's base, rounded half up (as on a French invoice)."""
        bases: dict[int, int] = defaultdict(int)
        for line in self.lines:
            bases[line[6]] += line[7]
        return sum(_tax(base, rate) for rate, base in bases.items())

    @property
    def total_incl_tax(self) -> int:
        return self.total_excl_tax + self.total_tax


def _tax(base: int, rate: int) -> int:
    amount = base * rate
    sign = -1 if amount < 0 else 1
    return sign * int(round_div(abs(amount), 100_000))


def doc_line_total(quantity: int, unit: int, discount: int) -> int:
    """quantity x unit price (1/10,000 euro) x (1 - discount %), in cents, half up."""
    amount = quantity * unit * (100 - discount)
    sign = -1 if amount < 0 else 1
    return sign * int(round_div(abs(amount), 10_000))


def sales_documents(ctx: Context, rng: np.random.Generator) -> list[Document]:
    """Quotes, orders, delivery notes, invoices, credit notes and subscription contracts."""
    per_type = {"D": 30, "C": 30, "B": 25, "F": 60}
    business = np.flatnonzero(ctx.customer_business)
    everyone = np.arange(len(ctx.customer_id))
    products = np.flatnonzero(ctx.sellable)
    docs: list[Document] = []
    web = 0
    for kind, count in per_type.items():
        for _ in range(count * ctx.scale):
            pool = business if len(business) and rng.random() < 0.6 else everyone
            customer = int(pool[rng.integers(len(pool))])
            day = ctx.reference - timedelta(days=int(rng.integers(1, 61)))
            store = int(ctx.customer_store[customer])
            doc = Document(kind, customer, day, ctx.store_depots[store])
            if kind in "CF" and rng.random() < 0.3:
                web += 1
                doc.origin = f"WEB-{web:06d}"
                doc.reference = f"Commande boutique en ligne {doc.origin}"
                doc.depot_id = ctx.central_id
            for article in rng.choice(products, size=int(rng.integers(1, 7)),
                                      replace=False).tolist():
                quantity = int(rng.integers(1, 13))
                discount = int(rng.choice([5, 10, 15])) if rng.random() < 0.2 else 0
                unit = int(ctx.sale[article])
                doc.lines.append((article, ctx.article_name[article], quantity, unit, discount,
                                  int(ctx.vat_id[article]), int(ctx.rate[article]),
                                  doc_line_total(quantity, unit, discount)))
            docs.append(doc)
    invoices = [d for d in docs if d.type == "F"]
    for _ in range(10 * ctx.scale):  # credit notes: goods taken back from an invoice
        invoice = invoices[int(rng.integers(len(invoices)))]
        day = min(invoice.day + timedelta(days=int(rng.integers(1, 9))),
                  ctx.reference - timedelta(days=1))
        doc = Document("A", invoice.customer, day, invoice.depot_id, invoice=invoice)
        line = invoice.lines[int(rng.integers(len(invoice.lines)))]
        quantity = int(rng.integers(1, line[2] + 1))
        doc.lines.append((*line[:2], quantity, *line[3:7],
                          doc_line_total(quantity, line[3], line[4])))
        docs.append(doc)
    docs.extend(_contracts(ctx, rng, business))
    _number(docs, ctx.reference.year)
    for doc in docs:
        if doc.invoice is not None:
            doc.reference = f"Avoir sur facture {doc.invoice.number}"
    return docs


def _contracts(ctx: Context, rng: np.random.Generator, business: np.ndarray) -> list[Document]:
    docs = []
    for _ in range(2 * ctx.scale):
        customer = int(business[rng.integers(len(business))])
        start = date(ctx.reference.year, int(rng.integers(1, ctx.reference.month + 1)), 1)
        store = int(ctx.customer_store[customer])
        doc = Document("O", customer, start, ctx.store_depots[store])
        doc.start = start
        doc.end = date(start.year + 1, start.month, 1) - timedelta(days=1)
        doc.revision_index_id = ctx.revision_indexes[int(rng.integers(len(ctx.revision_indexes)))]
        picks = rng.choice(len(names.SUBSCRIPTIONS), size=int(rng.integers(1, 3)), replace=False)
        doc.periodicity = names.SUBSCRIPTIONS[int(picks[0])][2]
        doc.reference = "Contrat de services annuel"
        for p in picks.tolist():
            label, cents, _ = names.SUBSCRIPTIONS[p]
            unit = cents * 100
            doc.lines.append((None, label, 1, unit, 0, ctx.vat_t1, 20_000,
                              doc_line_total(1, unit, 0)))
        docs.append(doc)
    return docs


def _number(docs: list[Document], year: int) -> None:
    """Number each type in date order: FA2026-000001, ..."""
    counters: dict[str, int] = defaultdict(int)
    for doc in sorted(docs, key=lambda d: (d.type, d.day)):
        counters[doc.type] += 1
        doc.number = f"{DOCUMENT_PREFIX[doc.type]}{year}-{counters[doc.type]:06d}"


@dataclass
class PurchaseOrder:
    """An open purchase order."""

    number: str
    supplier_id: int
    depot_id: int
    day: date
    status: str
    user: str
    sent_at: datetime | None
    lines: list[tuple[int, int, int]]  # (article index, quantity, received)


def purchase_orders(ctx: Context, rng: np.random.Generator) -> list[PurchaseOrder]:
    """Open orders: stores ordering from the central base (some not sent yet), and the
    central depot ordering from the other suppliers."""
    orders = []
    suppliers = np.unique(ctx.supplier_id)
    plan = [("confirmed", ctx.central_supplier_id, 0), ("confirmed", ctx.central_supplier_id, 3),
            ("pending", ctx.central_supplier_id, 1), ("draft", None, None),
            ("confirmed", None, None), ("pending", None, None)]
    n = 0
    for _ in range(ctx.scale):
        for status, supplier, store in plan:
            n += 1
            if supplier is None:
                others = suppliers[suppliers != ctx.central_supplier_id]
                supplier = int(others[rng.integers(len(others))])
            depot = ctx.central_id if store is None else ctx.store_depots[store]
            day = ctx.reference - timedelta(days=int(rng.integers(1, 10)))
            sent = local(day, time(17, 30)) if status == "pending" else None
            articles = np.flatnonzero((ctx.supplier_id == supplier) & ctx.sellable)
            chosen = rng.choice(articles, size=min(len(articles), int(rng.integers(3, 11))),
                                replace=False)
            lines = []
            for article in chosen.tolist():
                quantity = int(rng.choice([6, 12, 24, 48]))
                lines.append((article, quantity, 0))
            orders.append(PurchaseOrder(f"CF{ctx.reference.year}-{n:06d}", supplier, depot, day,
                                        status, names.USERS[n % len(names.USERS)], sent, lines))
    return orders
