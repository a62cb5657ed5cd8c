"""`pos invoice`: integrated tickets into invoices, delivery notes and credit notes.

`spec/pos.md`, "Invoicing: tickets into commercial documents". One transaction, under the
dossier lock of the step `pos.invoice`; every step is ONE set-based statement over all the
tickets of the run, through the temporary tables of `comptoir.pos.invoicing_stage`:

1. select the tickets not yet invoiced that the filters take, with their customer (own or
   counter customer), their sales total, their type (B when one of their payment modes
   makes delivery notes, else F) and what would skip them;
2. number the groups (customer, sales day, register, type) with a window;
3. make one document per group: type (an F group with a negative total is an A), number
   after the highest of its series (ROW_NUMBER over the series + its current maximum);
4. stage the document lines (numbered by a window, ticket then line order) with their
   own rounded VAT, and the VAT per code;
5. write documents, lines (the base's rounding difference on the largest line of each
   VAT code), VAT rows; write the document back on the tickets; close the sales days.

Money is computed on integers (`comptoir.pos.exact_sql`), exact on SQLite as on
PostgreSQL. Nothing is read or written per ticket or per document.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from comptoir.backoffice import lock
from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    payment_modes,
    pos_ticket_lines,
    pos_ticket_payments,
    pos_tickets,
    registers,
    sales_days,
    sales_document_lines,
    sales_document_taxes,
    sales_documents,
    sub_families,
    vat_codes,
)
from comptoir.backoffice.settings import get_setting
from comptoir.pos import invoicing_stage as stage
from comptoir.pos.exact_sql import (
    MONEY,
    PRICE,
    RATE,
    all_digits,
    code_order,
    div_round,
    from_units,
    scale,
    to_units,
    year_of,
    zero_pad,
)
from comptoir.pos.filter_sql import ticket_conditions
from comptoir.pos.filters import TicketFilters
from comptoir.pos.log import LogRow, write_log
from comptoir.pos.report import LIST_LIMIT, Exit, RunReport, money, now
from comptoir.pos.step_transaction import WAIT_ENV, busy_message, step_transaction

__all__ = ["LOCK_STEP", "LOG_STEP", "PREFIXES", "SALES_KINDS", "WAIT_ENV", "invoice_tickets"]

LOCK_STEP = "pos.invoice"
LOG_STEP = "invoice"
#: The ticket lines that make the sales part (the others are account operations).
SALES_KINDS = ("sale", "return", "defective")
#: Number prefix of each document type: `FA2026-000001`.
PREFIXES = {"F": "FA", "B": "BL", "A": "AV"}
NUMBER_DIGITS = 6
#: 100 % in thousandths of a percent: 1 + rate / 100 = (HUNDRED + rate_m) / HUNDRED.
HUNDRED_PERCENT = 5  # scale(5) = 100000


@dataclass(frozen=True)
class CounterCustomer:
    """The customer of anonymous tickets (`pos_counter_customer`), or why there is none."""

    id: int | None
    code: str | None
    missing: str


def invoice_tickets(engine_or_url: Engine | str, filters: TicketFilters, *,
                    dry_run: bool = False, report: RunReport | None = None) -> RunReport:
    """Invoice the tickets `filters` select; the report says what was made (or would be).

    Exit 0; 3 when tickets were skipped (logged, the rest invoiced); 1 when the dossier
    lock could not be had in time (nothing written). A dry run does everything, then
    rolls back: its report is the real one.
    """
    from comptoir.backoffice.engine import get_engine

    report = report or RunReport("pos invoice", dry_run=dry_run)
    report.dry_run = dry_run
    engine = engine_or_url if isinstance(engine_or_url, Engine) else get_engine(engine_or_url)
    try:
        with step_transaction(engine, LOCK_STEP, dry_run=dry_run) as conn:
            _invoice(conn, filters, report)
    except lock.DossierBusy as exc:
        report.refuse("dossier_busy", busy_message(exc))
    return report


def _invoice(conn: Connection, filters: TicketFilters, report: RunReport) -> None:
    at = now()
    counter = counter_customer(conn)
    classic = get_setting(conn, "pos_accounting") == "classic"
    stage.create(conn)
    _select_tickets(conn, filters, counter)
    _number_groups(conn)
    stage.analyze(conn, stage.tickets)
    _stage_groups(conn)
    stage.analyze(conn, stage.groups)
    _stage_lines(conn)
    stage.analyze(conn, stage.lines)
    _stage_taxes(conn)
    stage.analyze(conn, stage.taxes)
    _write_documents(conn, "not_posted" if classic else "pos_pending")
    _write_lines_and_taxes(conn)
    _mark_tickets(conn, at)
    _mark_sales_days(conn)
    skipped = _skipped(conn, counter)
    write_log(conn, report.run_id, [
        LogRow(LOG_STEP, "warning", item["message"], rule=item["rule"], store=item["store"],
               register=item["register"], ticket=item["ticket"]) for item in skipped], at)
    _fill_report(conn, report, skipped)
    stage.drop(conn)


def counter_customer(conn: Connection) -> CounterCustomer:
    """The counter customer of the dossier, or the reason anonymous tickets have none."""
    code = get_setting(conn, "pos_counter_customer")
    if code is None:
        return CounterCustomer(None, None, "anonymous ticket and no counter customer: set "
                               "one (comptoir settings set pos_counter_customer CODE), then "
                               "invoice again")
    found = conn.execute(select(customers.c.id).where(customers.c.code == code)
                         ).scalar_one_or_none()
    return CounterCustomer(found, code, f"anonymous ticket and the counter customer {code!r} "
                           "(pos_counter_customer) is not in the dossier: create it or fix "
                           "the setting, then invoice again")


# --- 1. the tickets ---------------------------------------------------------------------------

def _select_tickets(conn: Connection, filters: TicketFilters, counter: CounterCustomer) -> None:
    t, own = pos_tickets, customers.alias("own")
    customer_id = func.coalesce(t.c.customer_id, literal(counter.id, Integer))
    customer_code = func.coalesce(own.c.code, literal(counter.code, String))
    conditions = [t.c.integrated_at.is_(None),
                  or_(sales_days.c.date <= filters.until, sales_days.c.id.is_(None)),
                  *ticket_conditions(conn, filters, store=depots.c.code,
                                     register=registers.c.code, customer=customer_code,
                                     number=t.c.number)]
    selected = (
        select(t.c.id, t.c.number, t.c.depot_id, depots.c.code.label("store"),
               t.c.register_id, registers.c.code.label("register"),
               sales_days.c.id.label("sales_day_id"), sales_days.c.date.label("day"),
               customer_id.label("customer_id"), customer_code.label("customer"))
        .select_from(t.join(depots, depots.c.id == t.c.depot_id)
                     .join(registers, registers.c.id == t.c.register_id)
                     .outerjoin(sales_days, sales_days.c.id == t.c.sales_day_id)
                     .outerjoin(own, own.c.id == t.c.customer_id))
        .where(*conditions)
        .cte("selected"))
    line = pos_ticket_lines
    sales = (
        select(line.c.ticket_id, func.count().label("lines"),
               func.sum(to_units(line.c.total_incl_tax, MONEY)).label("cents"),
               func.sum(case((line.c.vat_code_id.is_(None), 1), else_=0)).label("no_vat"))
        .join(selected, selected.c.id == line.c.ticket_id)
        .where(line.c.kind.in_(SALES_KINDS))
        .group_by(line.c.ticket_id)
        .cte("sales"))
    pay = pos_ticket_payments
    notes = (
        select(pay.c.ticket_id)
        .join(selected, selected.c.id == pay.c.ticket_id)
        .join(payment_modes, payment_modes.c.id == pay.c.payment_mode_id)
        .where(payment_modes.c.generates_delivery_note.is_(True))
        .distinct()
        .cte("notes"))
    skip_rule = case(
        (selected.c.sales_day_id.is_(None), "no_sales_day"),
        (selected.c.customer_id.is_(None), "no_counter_customer"),
        (func.coalesce(sales.c.no_vat, 0) > 0, "unknown_vat_rate"),
    )
    rows = (
        select(selected.c.id, selected.c.number, selected.c.depot_id, selected.c.store,
               selected.c.register_id, selected.c.register, selected.c.sales_day_id,
               selected.c.day, selected.c.customer_id, selected.c.customer,
               case((notes.c.ticket_id.is_not(None), "B"), else_="F"),
               func.coalesce(sales.c.lines, 0), func.coalesce(sales.c.cents, 0), skip_rule)
        .select_from(selected.outerjoin(sales, sales.c.ticket_id == selected.c.id)
                     .outerjoin(notes, notes.c.ticket_id == selected.c.id)))
    tt = stage.tickets
    conn.execute(insert(tt).from_select(
        ["ticket_id", "number", "depot_id", "store", "register_id", "register", "sales_day_id",
         "day", "customer_id", "customer", "kind", "sales_lines", "sales_cents", "skip_rule"],
        rows))


def _number_groups(conn: Connection) -> None:
    """group_no: one per (day, store, register, customer, type), in that order."""
    tt = stage.tickets
    ranks = (
        select(tt.c.ticket_id, func.dense_rank().over(order_by=[
            tt.c.day, code_order(conn, tt.c.store), code_order(conn, tt.c.register),
            code_order(conn, tt.c.customer), tt.c.kind]).label("group_no"))
        .where(tt.c.skip_rule.is_(None), tt.c.sales_lines > 0)
        .subquery("ranks"))
    conn.execute(update(tt).values(group_no=ranks.c.group_no)
                 .where(tt.c.ticket_id == ranks.c.ticket_id))


# --- 2. the documents -------------------------------------------------------------------------

def _stage_groups(conn: Connection) -> None:
    tt, gg = stage.tickets, stage.groups
    keys = [tt.c.group_no, tt.c.customer_id, tt.c.customer, tt.c.day, tt.c.depot_id,
            tt.c.store, tt.c.register_id, tt.c.register, tt.c.kind]
    grouped = (
        select(*keys, func.sum(tt.c.sales_cents).label("total"),
               func.min(tt.c.number).label("first_ticket"),
               func.max(tt.c.number).label("last_ticket"))
        .where(tt.c.group_no.is_not(None))
        .group_by(*keys)
        .subquery("grouped"))
    typed = (
        select(grouped, case((and_(grouped.c.kind == "F", grouped.c.total < 0), "A"),
                             else_=grouped.c.kind).label("type"),
               year_of(conn, grouped.c.day).label("year"))
        .subquery("typed"))
    series = _series_maxima(conn)
    prefix = case(PREFIXES, value=typed.c.type)
    sequence = func.coalesce(series.c.last, 0) + func.row_number().over(
        partition_by=[typed.c.type, typed.c.year], order_by=typed.c.group_no)
    number = (prefix.concat(typed.c.year).concat("-")
              .concat(zero_pad(conn, sequence, NUMBER_DIGITS)))
    rows = (
        select(typed.c.group_no, typed.c.customer_id, typed.c.customer, typed.c.day,
               typed.c.depot_id, typed.c.store, typed.c.register_id, typed.c.register,
               typed.c.type, typed.c.first_ticket, typed.c.last_ticket, number)
        .select_from(typed.outerjoin(series, and_(series.c.prefix == prefix,
                                                  series.c.year == typed.c.year))))
    conn.execute(insert(gg).from_select(
        ["group_no", "customer_id", "customer", "day", "depot_id", "store", "register_id",
         "register", "type", "first_ticket", "last_ticket", "number"], rows))


def _series_maxima(conn: Connection) -> Any:
    """Per series (prefix, year): the highest number the dossier already has."""
    number = sales_documents.c.number
    parts = (
        select(func.substr(number, 1, 2).label("prefix"),
               func.substr(number, 3, 4).label("year"),
               func.substr(number, 8).label("digits"))
        .where(func.substr(number, 1, 2).in_(list(PREFIXES.values())),
               func.substr(number, 7, 1) == "-")
        .subquery("parts"))
    value = case((and_(all_digits(conn, parts.c.digits), func.length(parts.c.digits) <= 18),
                  cast(parts.c.digits, BigInteger)))
    return (select(parts.c.prefix, parts.c.year, func.max(value).label("last"))
            .group_by(parts.c.prefix, parts.c.year)
            .subquery("series"))


def _stage_lines(conn: Connection) -> None:
    tt, line = stage.tickets, pos_ticket_lines
    ttc = to_units(line.c.total_incl_tax, MONEY)
    rate = to_units(vat_codes.c.rate, RATE)
    hundred = scale(HUNDRED_PERCENT)
    rows = (
        select(tt.c.group_no,
               func.row_number().over(partition_by=tt.c.group_no,
                                      order_by=[tt.c.number, line.c.line_no]),
               line.c.article_id,
               func.coalesce(articles.c.name, sub_families.c.name, line.c.article_code),
               line.c.quantity, line.c.discount, line.c.vat_code_id, rate, ttc,
               div_round(to_units(line.c.unit_price_incl_tax, PRICE) * hundred,
                         hundred + rate),
               div_round(ttc * rate, hundred + rate),
               case((func.row_number().over(
                   partition_by=[tt.c.group_no, line.c.vat_code_id],
                   order_by=[func.abs(ttc).desc(), tt.c.number, line.c.line_no]) == 1, 1),
                   else_=0))
        .select_from(tt.join(line, line.c.ticket_id == tt.c.ticket_id)
                     .join(vat_codes, vat_codes.c.id == line.c.vat_code_id)
                     .outerjoin(articles, articles.c.id == line.c.article_id)
                     .outerjoin(sub_families, sub_families.c.id == line.c.sub_family_id))
        .where(tt.c.group_no.is_not(None), line.c.kind.in_(SALES_KINDS)))
    conn.execute(insert(stage.lines).from_select(
        ["group_no", "line_no", "article_id", "description", "quantity", "discount",
         "vat_code_id", "rate_m", "ttc", "unit_price", "own_tax", "largest"], rows))


def _stage_taxes(conn: Connection) -> None:
    """Per document and VAT code: Σ TTC, the VAT of that sum, Σ of the lines' own bases."""
    ln = stage.lines
    total = func.sum(ln.c.ttc)
    hundred = scale(HUNDRED_PERCENT)
    rows = (
        select(ln.c.group_no, ln.c.vat_code_id, ln.c.rate_m, total,
               div_round(total * ln.c.rate_m, hundred + ln.c.rate_m),
               func.sum(ln.c.ttc - ln.c.own_tax))
        .group_by(ln.c.group_no, ln.c.vat_code_id, ln.c.rate_m))
    conn.execute(insert(stage.taxes).from_select(
        ["group_no", "vat_code_id", "rate_m", "total", "tax", "lines_excl"], rows))


def _write_documents(conn: Connection, invoice_status: str) -> None:
    gg, tx = stage.groups, stage.taxes
    totals = (select(tx.c.group_no, func.sum(tx.c.total).label("total"),
                     func.sum(tx.c.tax).label("tax"))
              .group_by(tx.c.group_no).subquery("totals"))
    reference = (literal("Tickets ", String).concat(gg.c.store).concat(" ")
                 .concat(gg.c.register).concat(" ").concat(cast(gg.c.first_ticket, String))
                 .concat("-").concat(cast(gg.c.last_ticket, String)))
    rows = (
        select(gg.c.number, gg.c.type, gg.c.customer_id, gg.c.day, gg.c.depot_id,
               gg.c.register_id, reference, literal("pos", String),
               case((gg.c.type == "B", "excluded"), else_=literal(invoice_status, String)),
               from_units(totals.c.total - totals.c.tax, MONEY),
               from_units(totals.c.tax, MONEY), from_units(totals.c.total, MONEY))
        .select_from(gg.join(totals, totals.c.group_no == gg.c.group_no))
        .order_by(gg.c.group_no))
    conn.execute(insert(sales_documents).from_select(
        ["number", "type", "customer_id", "date", "depot_id", "register_id", "reference",
         "source", "accounting_status", "total_excl_tax", "total_tax", "total_incl_tax"],
        rows))
    conn.execute(update(gg).values(document_id=sales_documents.c.id)
                 .where(sales_documents.c.number == gg.c.number))
    stage.analyze(conn, gg)


def _write_lines_and_taxes(conn: Connection) -> None:
    gg, ln, tx = stage.groups, stage.lines, stage.taxes
    difference = tx.c.total - tx.c.tax - tx.c.lines_excl  # base − Σ the lines' own bases
    line_base = ln.c.ttc - ln.c.own_tax + case((ln.c.largest == 1, difference), else_=0)
    lines = (
        select(gg.c.document_id, ln.c.line_no, ln.c.article_id, ln.c.description,
               ln.c.quantity, from_units(ln.c.unit_price, PRICE), ln.c.discount,
               ln.c.vat_code_id, from_units(line_base, MONEY))
        .select_from(ln.join(gg, gg.c.group_no == ln.c.group_no)
                     .join(tx, and_(tx.c.group_no == ln.c.group_no,
                                    tx.c.vat_code_id == ln.c.vat_code_id))))
    conn.execute(insert(sales_document_lines).from_select(
        ["document_id", "line_no", "article_id", "description", "quantity", "unit_price",
         "discount", "vat_code_id", "total_excl_tax"], lines))
    taxes = (
        select(gg.c.document_id, tx.c.vat_code_id, from_units(tx.c.rate_m, RATE),
               from_units(tx.c.total - tx.c.tax, MONEY), from_units(tx.c.tax, MONEY),
               from_units(tx.c.total, MONEY))
        .select_from(tx.join(gg, gg.c.group_no == tx.c.group_no)))
    conn.execute(insert(sales_document_taxes).from_select(
        ["document_id", "vat_code_id", "rate", "base_excl_tax", "tax", "total_incl_tax"],
        taxes))


# --- 3. the tickets and days ------------------------------------------------------------------

def _mark_tickets(conn: Connection, at: dt.datetime) -> None:
    """Invoiced tickets get their document (none without sales part) and the run's time."""
    tt, gg = stage.tickets, stage.groups
    done = (select(tt.c.ticket_id, gg.c.document_id)
            .select_from(tt.outerjoin(gg, gg.c.group_no == tt.c.group_no))
            .where(tt.c.skip_rule.is_(None))
            .subquery("done"))
    conn.execute(update(pos_tickets)
                 .values(integrated_at=at, integrated_document_id=done.c.document_id)
                 .where(pos_tickets.c.id == done.c.ticket_id))


def _mark_sales_days(conn: Connection) -> None:
    """A sales day (open or closed) whose tickets are all invoiced becomes `integrated`."""
    tt = stage.tickets
    touched = (select(tt.c.sales_day_id).where(tt.c.skip_rule.is_(None)).distinct()
               .subquery("touched"))  # a derived table: joined by hash, not probed per day
    waiting = (select(pos_tickets.c.id)
               .where(pos_tickets.c.sales_day_id == sales_days.c.id,
                      pos_tickets.c.integrated_at.is_(None)))
    conn.execute(update(sales_days).values(status="integrated").where(
        sales_days.c.id == touched.c.sales_day_id,
        sales_days.c.status.in_(("open", "closed")),
        ~exists(waiting)))


# --- 4. the report ----------------------------------------------------------------------------

def _skip_messages(counter: CounterCustomer) -> dict[str, str]:
    return {
        "no_counter_customer": counter.missing,
        "unknown_vat_rate": "a sales line has no VAT code: give it the VAT code of its "
                            "rate, then invoice again",
        "no_sales_day": "the ticket has no sales day: give it one, then invoice again",
    }


def _skipped(conn: Connection, counter: CounterCustomer) -> list[dict[str, Any]]:
    tt = stage.tickets
    messages = _skip_messages(counter)
    found = conn.execute(
        select(tt.c.store, tt.c.register, tt.c.number, tt.c.skip_rule)
        .where(tt.c.skip_rule.is_not(None))
        .order_by(code_order(conn, tt.c.store), code_order(conn, tt.c.register),
                  tt.c.number))
    return [{"store": store, "register": register, "ticket": number, "rule": rule,
             "message": messages[rule]} for store, register, number, rule in found]


def _fill_report(conn: Connection, report: RunReport, skipped: list[dict[str, Any]]) -> None:
    tt, gg = stage.tickets, stage.groups
    selected, invoiced, without_sales = conn.execute(select(
        func.count(),
        func.count(tt.c.group_no),
        func.sum(case((and_(tt.c.skip_rule.is_(None), tt.c.sales_lines == 0), 1), else_=0)),
    )).one()
    created = dict.fromkeys(("F", "B", "A"), 0)
    created |= {kind: int(n) for kind, n in conn.execute(
        select(gg.c.type, func.count()).group_by(gg.c.type))}
    report.body.update({
        "tickets_selected": int(selected),
        "tickets_invoiced": int(invoiced),
        "tickets_without_sales": int(without_sales or 0),
    })
    report.put_list("skipped", skipped)
    report.body["documents_created"] = created
    report.put_list("documents", _documents(conn))
    if skipped:
        report.exit_code = Exit.PARTIAL


def _documents(conn: Connection) -> list[dict[str, Any]]:
    """The documents made, in group order: at most LIST_LIMIT + 1 (put_list cuts)."""
    gg, tt, tx = stage.groups, stage.tickets, stage.taxes
    listed = conn.execute(select(gg.c.group_no, gg.c.number, gg.c.type, gg.c.customer,
                                 gg.c.day, gg.c.store, gg.c.register)
                          .order_by(gg.c.group_no).limit(LIST_LIMIT + 1)).all()
    if not listed:
        return []
    last = listed[-1].group_no
    tickets: dict[int, list[int]] = defaultdict(list)
    for group_no, number in conn.execute(select(tt.c.group_no, tt.c.number)
                                         .where(tt.c.group_no <= last)
                                         .order_by(tt.c.group_no, tt.c.number)):
        tickets[group_no].append(number)
    taxes: dict[int, list[tuple[str, int, int, int]]] = defaultdict(list)
    for group_no, code, rate_m, total, tax in conn.execute(
            select(tx.c.group_no, vat_codes.c.code, tx.c.rate_m, tx.c.total, tx.c.tax)
            .join(vat_codes, vat_codes.c.id == tx.c.vat_code_id)
            .where(tx.c.group_no <= last)
            .order_by(tx.c.group_no, code_order(conn, vat_codes.c.code))):
        taxes[group_no].append((code, int(rate_m), int(total), int(tax)))
    documents = []
    for row in listed:
        own = taxes[row.group_no]
        total, tax = sum(t[2] for t in own), sum(t[3] for t in own)
        documents.append({
            "number": row.number, "type": row.type, "customer": row.customer,
            "date": row.day.isoformat(), "store": row.store, "register": row.register,
            "tickets": tickets[row.group_no],
            "total_excl_tax": _money(total - tax), "total_tax": _money(tax),
            "total_incl_tax": _money(total),
            "taxes": [{"vat_code": code, "rate": _rate(rate_m),
                       "base": _money(code_total - code_tax), "tax": _money(code_tax)}
                      for code, rate_m, code_total, code_tax in own],
        })
    return documents


def _money(cents: int) -> str:
    """Cents as the report writes an amount."""
    return money(Decimal(cents).scaleb(-MONEY))


def _rate(units: Any) -> str:
    """A rate in thousandths as the report writes it: `20`, `5.5`."""
    return format(Decimal(int(units)).scaleb(-RATE).normalize(), "f")
