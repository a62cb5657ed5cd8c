"""`pos post` (direct posting) and `pos payments` (classic): POS tickets into entries.

`spec/pos.md`, "Direct posting" and "Classic accounting". One transaction under the
dossier lock `accounting.post` (every posting command numbers entries: they take turns):

1. stage the invoiced, unposted tickets the filters take (a document comes whole) and
   read their documents, payments and account operations (`comptoir.accounting.pos_data`);
2. group them by (register, day, customer) — or (register, day, receivable account);
3. per group, in day order: the sales entry (direct posting: F and A documents), the
   treasury entry (when a non-credit payment was made) and the receivables;
4. check that every entry balances, number and write them (`comptoir.accounting.ledger`),
   write the receivables, letter by document number, mark tickets, documents and days.

A group with a non-credit, non-deposit mode without account is skipped whole
(`missing_account`, exit 3). A crash anywhere rolls the whole run back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, exists, select, update

from comptoir.accounting import ledger, lettering
from comptoir.accounting import pos_data as data_
from comptoir.accounting.allocation import allocate
from comptoir.accounting.ledger import Breakdown, EntryDraft, LineDraft
from comptoir.accounting.pos_data import Document, Special
from comptoir.accounting.receivables import (
    Receivable,
    ReceivableBook,
    collected_state,
    state_of,
)
from comptoir.accounting.report_entries import entries_report, money_of
from comptoir.accounting.sales_entries import PostingSettings, document_entry, vat_lines
from comptoir.backoffice import lock
from comptoir.backoffice.schema import pos_tickets, sales_days, sales_documents
from comptoir.backoffice.settings import get_setting
from comptoir.pos.filters import TicketFilters
from comptoir.pos.invoicing import counter_customer
from comptoir.pos.log import LogRow, write_log
from comptoir.pos.report import LIST_LIMIT, Exit, RunReport
from comptoir.pos.step_transaction import busy_message, step_transaction

__all__ = ["LOCK_STEP", "integrate_payments", "post_tickets", "treasury_journal"]

LOCK_STEP = "accounting.post"
GROUPINGS = ("customer", "account")


@dataclass
class Group:
    """The tickets posted together: one register, one day, one customer or account."""

    register_id: int
    day: dt.date
    key: Any                                   # customer id or receivable account
    customers: set[int] = field(default_factory=set)
    first: int | None = None                   # lowest ticket
    first_sales: int | None = None             # lowest ticket with a document
    sales_day_id: int | None = None
    documents: list[Document] = field(default_factory=list)
    mode_sums: dict[int, int] = field(default_factory=dict)
    deposit_payments: list[tuple[int, int, str | None, int]] = field(default_factory=list)
    specials: list[Special] = field(default_factory=list)
    customer_keys: list[tuple[int, dt.date, int]] = field(default_factory=list)

    def add_minimum(self, first: int, first_sales: int | None) -> None:
        self.first = first if self.first is None else min(self.first, first)
        if first_sales is not None:
            self.first_sales = (first_sales if self.first_sales is None
                                else min(self.first_sales, first_sales))


def post_tickets(engine_or_url: Engine | str, filters: TicketFilters, *,
                 grouping: str | None = None, dry_run: bool = False,
                 report: RunReport | None = None) -> RunReport:
    """`pos post`: the direct posting of the invoiced tickets `filters` select."""
    return _run(engine_or_url, filters, "pos post", classic=False, grouping=grouping,
                dry_run=dry_run, report=report)


def integrate_payments(engine_or_url: Engine | str, filters: TicketFilters, *,
                       dry_run: bool = False, report: RunReport | None = None) -> RunReport:
    """`pos payments`: the classic integration of the payments of invoiced tickets."""
    return _run(engine_or_url, filters, "pos payments", classic=True, grouping="customer",
                dry_run=dry_run, report=report)


def _run(engine_or_url: Engine | str, filters: TicketFilters, command: str, *, classic: bool,
         grouping: str | None, dry_run: bool, report: RunReport | None) -> RunReport:
    from comptoir.backoffice.engine import get_engine

    report = report or RunReport(command, dry_run=dry_run)
    report.dry_run = dry_run
    engine = engine_or_url if isinstance(engine_or_url, Engine) else get_engine(engine_or_url)
    try:
        with step_transaction(engine, LOCK_STEP, dry_run=dry_run) as conn:
            method = get_setting(conn, "pos_accounting")
            if classic and method != "classic":
                report.refuse("direct_accounting", "pos_accounting is direct: POS payments "
                              "are posted with the sales by `comptoir pos post`; nothing was "
                              "written")
                return report
            if not classic and method == "classic":
                report.refuse("classic_accounting", "pos_accounting is classic: POS invoices "
                              "are posted by `comptoir accounting post-documents` and their "
                              "payments by `comptoir pos payments`; nothing was written")
                return report
            chosen = grouping or get_setting(conn, "pos_grouping") or "customer"
            if chosen not in GROUPINGS:
                raise ValueError(f"grouping {chosen!r}: expected customer or account")
            Posting(conn, report, classic=classic, grouping=chosen).run(filters)
    except lock.DossierBusy as exc:
        report.refuse("dossier_busy", busy_message(exc))
    return report


def treasury_journal(register: data_.Register) -> str:
    """`journal_code`, else store + register code (≤ 10 characters), else `T<id>`."""
    if register.journal_code:
        return register.journal_code
    joined = f"{register.store}{register.code}"
    return joined if len(joined) <= 10 else f"T{register.id}"


def register_digits(register: data_.Register) -> str:
    """The NN of `*TPV<NN>`: the register's number, else its code's digits, else its id."""
    if register.number is not None:
        value = register.number
    else:
        digits = "".join(re.findall(r"\d", register.code))
        value = int(digits) if digits else register.id
    return f"{value:02d}"


class Posting:
    """One run of `pos post` or `pos payments`, in the caller's transaction."""

    def __init__(self, conn: Connection, report: RunReport, *, classic: bool,
                 grouping: str) -> None:
        self.conn, self.report = conn, report
        self.classic, self.grouping = classic, grouping
        self.day = dt.date.today()
        self.settings = PostingSettings.read(conn)
        self.customer_lines: dict[int, LineDraft] = {}
        self.skipped: list[dict[str, Any]] = []
        self.log: list[LogRow] = []
        self.drafts: list[EntryDraft] = []
        self.links: list[tuple[Receivable, LineDraft]] = []

    # --- the run -------------------------------------------------------------------------

    def run(self, filters: TicketFilters) -> None:
        conn = self.conn
        counter = counter_customer(conn)
        data_.stage_tickets(conn, filters, counter_id=counter.id, classic=self.classic)
        self.data = data = data_.read(conn)
        self.references = data_.documents_by_number(conn, self._referenced())
        run_documents = (select(data_.staged.c.document_id)
                         .where(data_.staged.c.document_id.is_not(None)) if self.classic
                         else None)
        self.book = ReceivableBook.load(conn, self._dues_needed(), self._orders(),
                                        run_documents=run_documents)
        groups = self._groups()
        skipped_keys: list[tuple[int, dt.date, int]] = []
        for group in groups:
            missing = self._missing_account(group)
            if missing:
                skipped_keys += group.customer_keys
                self._skip_group(group, missing)
                continue
            self._post_group(group)
        written = ledger.write(conn, self.drafts, run_id=self.report.run_id,
                               validated_on=self.day, source="pos",
                               customer_accounts=self._customer_accounts())
        for receivable, line in self.links:
            receivable.entry_line_id = line.id
        created = self.book.save(conn)
        letters = lettering.letter(conn, self.day)
        self._mark(skipped_keys)
        self._no_customer_skips()
        write_log(conn, self.report.run_id, self.log)
        data_.drop_stage(conn)
        body = self.report.body
        body["tickets_selected"] = data.ticket_count
        self.report.put_list("entries", entries_report(written.entries[:LIST_LIMIT + 1],
                                                      self._codes()))
        body["entries_written"] = len(written.entries)
        body["lettering"] = letters
        body["receivables_created"] = created
        body["accounts_created"] = written.accounts_created
        self.report.put_list("skipped", self.skipped)
        if self.skipped:
            self.report.exit_code = Exit.PARTIAL

    def _referenced(self) -> set[str]:
        numbers = {op[2] for s in self.data.specials for op in s.operations if op[2]}
        numbers |= {p[4] for p in self.data.deposit_payments if p[4]}
        return numbers

    def _dues_needed(self) -> set[int]:
        found = {self.references[op[2]][0] for s in self.data.specials
                 for op in s.operations if op[1] == "invoice_payment"
                 and op[2] in self.references}
        return found

    def _orders(self) -> set[str]:
        orders = {op[2] for s in self.data.specials for op in s.operations
                  if op[1] == "deposit"}
        return orders | {p[4] for p in self.data.deposit_payments if p[4]}

    # --- groups --------------------------------------------------------------------------

    def receivable_account(self, customer_id: int) -> str:
        customer = self.data.customers.get(customer_id)
        return (customer.account if customer and customer.account
                else self.settings.customer_account)

    def _customer_accounts(self) -> set[str]:
        return {self.receivable_account(c) for c in self.data.customers}

    def _groups(self) -> list[Group]:
        data = self.data
        found: dict[tuple[int, dt.date, Any], Group] = {}
        owner: dict[tuple[int, dt.date, int], Group] = {}
        for (register_id, day, customer_id), (first, first_sales, sales_day) in sorted(
                data.groups.items(), key=lambda item: (item[0][1], item[0][0], item[0][2])):
            key = (customer_id if self.grouping == "customer"
                   else self.receivable_account(customer_id))
            group = found.setdefault((register_id, day, key), Group(register_id, day, key))
            group.customers.add(customer_id)
            group.add_minimum(first, first_sales)
            group.sales_day_id = group.sales_day_id or sales_day
            group.customer_keys.append((register_id, day, customer_id))
            owner[(register_id, day, customer_id)] = group
        for doc in sorted(data.documents.values(), key=lambda d: d.number):
            owner[(doc.register_id, doc.date, doc.customer_id)].documents.append(doc)
        for (register_id, day, customer_id, mode_id), cents in data.mode_sums.items():
            group = owner[(register_id, day, customer_id)]
            group.mode_sums[mode_id] = group.mode_sums.get(mode_id, 0) + cents
        for register_id, day, customer_id, mode_id, reference, cents, _ in data.deposit_payments:
            owner[(register_id, day, customer_id)].deposit_payments.append(
                (customer_id, mode_id, reference, cents))
        for special in data.specials:
            owner[(special.register_id, special.day, special.customer_id)
                  ].specials.append(special)
        registers = data.registers
        return sorted(found.values(), key=lambda g: (g.day, registers[g.register_id].store,
                                                     registers[g.register_id].code,
                                                     str(g.key)))

    def _missing_account(self, group: Group) -> str | None:
        for mode_id, cents in sorted(group.mode_sums.items()):
            mode = self.data.modes[mode_id]
            if cents and not mode.account:
                return mode.code
        return None

    def _where(self, group: Group) -> dict[str, Any]:
        register = self.data.registers[group.register_id]
        return {"store": register.store, "register": register.code,
                "day": group.day.isoformat()}

    def _skip_group(self, group: Group, mode: str) -> None:
        where = self._where(group)
        what = (self.data.customers[group.key].code if self.grouping == "customer"
                else group.key)
        message = (f"payment mode {mode} has no account: give it one (comptoir pos modes set "
                   f"{mode} --account NUMBER), then post again")
        self.skipped.append({**where, self.grouping: what, "rule": "missing_account",
                             "message": message})
        self.log.append(LogRow("post", "warning", message, rule="missing_account",
                               store=where["store"], register=where["register"]))

    def _no_customer_skips(self) -> None:
        registers = self.data.registers
        for _, number, register_id, rule in self.data.skipped:
            register = registers[register_id]
            message = ("anonymous ticket and no counter customer: set one (comptoir "
                       "settings set pos_counter_customer CODE), then post again")
            self.skipped.append({"store": register.store, "register": register.code,
                                 "ticket": number, "rule": rule, "message": message})
            self.log.append(LogRow("post", "warning", message, rule=rule,
                                   store=register.store, register=register.code,
                                   ticket=number))

    # --- one group -----------------------------------------------------------------------

    def _post_group(self, group: Group) -> None:
        register = self.data.registers[group.register_id]
        digits = register_digits(register)
        sales_ref = f"*TPV{digits}{group.first_sales}" if group.first_sales else None
        group_ref = f"*TPV{digits}{group.first}"
        single = next(iter(group.customers)) if len(group.customers) == 1 else None
        parts = self._allocate(group)
        if not self.classic:
            self._sales_entries(group, register, sales_ref, single)
        self._treasury_entry(group, register, sales_ref, group_ref, single, parts)
        self._receivables(group, parts)

    def _allocate(self, group: Group) -> dict[int, dict[int, int]]:
        """document → mode → the non-credit part of its sales part (plain + special tickets);
        the account operations' parts go to `self.operation_parts`."""
        result: dict[int, dict[int, int]] = {}
        for doc in group.documents:
            result[doc.id] = dict(self.data.document_payments.get(doc.id, {}))
        for special in group.specials:
            modes = self.data.modes
            non_credit = [(p[1], p[2]) for p in special.payments if not modes[p[1]].is_credit]
            credit = [(p[1], p[2]) for p in special.payments if modes[p[1]].is_credit]
            obligations = [op[3] for op in special.operations] + [special.sales_cents]
            allocated = allocate(obligations, non_credit, credit)
            special_parts = dict(zip([op[0] for op in special.operations], allocated,
                                     strict=False))
            special.parts = special_parts
            if special.document_id is not None:
                own = result.setdefault(special.document_id, {})
                for mode_id, cents in allocated[-1]:
                    if mode_id is None or not modes[mode_id].is_credit:
                        own[mode_id] = own.get(mode_id, 0) + cents
        return result

    def _due_date(self, doc: Document) -> dt.date:
        credits = self.data.document_credits.get(doc.id, {})
        dues = sorted(due for (_, due) in credits if due is not None)
        return dues[0] if dues else self.settings.due_date(doc.date)

    def _sales_entries(self, group: Group, register: data_.Register, sales_ref: str | None,
                       single: int | None) -> None:
        invoices = [d for d in group.documents if d.type in ("F", "A")]
        if not invoices:
            return
        if self.grouping == "customer":
            for doc in invoices:
                self.drafts.append(self.sales_entry(doc, register=register,
                                                    sales_day_id=group.sales_day_id))
            return
        entry = EntryDraft(self.settings.sales_journal, "sales", group.day,
                           f"Ventes {register.store} {register.code} {group.day}",
                           sales_ref or "", register.code, register.id,
                           sales_day_id=group.sales_day_id)
        total = sum(d.cents for d in invoices)
        sign = 1 if total >= 0 else -1
        entry.add(LineDraft(str(group.key), total, f"Ventes {sales_ref}", single, sales_ref,
                            due_date=min(self._due_date(d) for d in invoices),
                            breakdowns=[Breakdown(d.id, d.number, d.customer_id,
                                                  sign * d.cents, self._due_date(d))
                                        for d in invoices]))
        bases: dict[tuple[int, str], list[int]] = {}
        for doc in invoices:
            for vat_id, code, rate, base, tax in doc.taxes:
                found = bases.setdefault((vat_id, code), [rate, 0, 0])
                found[1] += base
                found[2] += tax
        vat_lines(entry, bases, f"Ventes {sales_ref}", self.settings)
        self.drafts.append(entry)

    def sales_entry(self, doc: Document, *, register: data_.Register | None,
                    sales_day_id: int | None) -> EntryDraft:
        """The `customer`-grouping sales entry of one document."""
        bases = {(vat_id, code): [rate, base, tax]
                 for vat_id, code, rate, base, tax in doc.taxes}
        entry, line = document_entry(
            number=doc.number, type_=doc.type, date=doc.date, cents=doc.cents,
            customer_id=doc.customer_id, customer_code=customers_code(self, doc.customer_id),
            account=self.receivable_account(doc.customer_id), due_date=self._due_date(doc),
            bases=bases, settings=self.settings, document_id=doc.id,
            register=(register.code, register.id) if register else ("", None),
            sales_day_id=sales_day_id)
        self.customer_lines[doc.id] = line
        return entry

    def deposit_account(self, customer_id: int, mode_id: int | None) -> str:
        """The deposit mode's account, else the customer's receivable account."""
        modes = self.data.modes
        if mode_id is None:
            deposit_modes = sorted((m for m in modes.values() if m.is_deposit),
                                   key=lambda m: m.code)
            mode = deposit_modes[0] if deposit_modes else None
        else:
            mode = modes[mode_id]
        if mode is not None and mode.account:
            return mode.account
        return self.receivable_account(customer_id)

    def _treasury_entry(self, group: Group, register: data_.Register, sales_ref: str | None,
                        group_ref: str, single: int | None,
                        parts: dict[int, dict[int, int]]) -> None:
        paid = any(group.mode_sums.values()) or any(p[3] for p in group.deposit_payments)
        if not paid:
            return
        operations = [op for s in group.specials for op in s.operations]
        ref = (group.documents[0].number
               if self.grouping == "customer" and len(group.documents) == 1 and not operations
               else group_ref)
        entry = EntryDraft(treasury_journal(register), "treasury", group.day,
                           f"Encaissements {register.store} {register.code} {group.day}",
                           ref, register.code, register.id, sales_day_id=group.sales_day_id)
        modes, customers = self.data.modes, self.data.customers
        for mode_id, cents in sorted(group.mode_sums.items(),
                                     key=lambda item: modes[item[0]].code):
            mode = modes[mode_id]
            entry.add(LineDraft(mode.account or "", cents, f"Encaissements {mode.code} "
                                f"{register.store} {register.code}", payment_mode_id=mode_id))
        for customer_id, mode_id, reference, cents in group.deposit_payments:
            entry.add(LineDraft(self.deposit_account(customer_id, mode_id), cents,
                                f"Acompte utilisé {reference} {customers[customer_id].code}",
                                customer_id, reference, payment_mode_id=mode_id))
        paid_parts = []
        for doc in group.documents:
            credit = sum(self.data.document_credits.get(doc.id, {}).values())
            if doc.cents - credit:
                paid_parts.append((doc, doc.cents - credit))
        if self.grouping == "customer":
            for doc, cents in paid_parts:
                entry.add(LineDraft(self.receivable_account(doc.customer_id), -cents,
                                    f"Règlement {doc.number} "
                                    f"{customers[doc.customer_id].code}",
                                    doc.customer_id, doc.number))
        elif paid_parts:
            total = sum(cents for _, cents in paid_parts)
            sign = 1 if total >= 0 else -1
            entry.add(LineDraft(str(group.key), -total, f"Règlements {sales_ref}", single,
                                sales_ref, breakdowns=[
                                    Breakdown(doc.id, doc.number, doc.customer_id,
                                              sign * cents) for doc, cents in paid_parts]))
        for special in group.specials:
            for _, kind, document_ref, cents in special.operations:
                customer_id = special.customer_id or 0
                if kind == "invoice_payment":
                    invoice = self.references.get(document_ref)
                    owner = invoice[1] if invoice else customer_id
                    entry.add(LineDraft(self.receivable_account(owner), -cents,
                                        f"Règlement {document_ref} {customers_code(self, owner)}",
                                        owner, document_ref))
                else:
                    entry.add(LineDraft(self.deposit_account(customer_id, None), -cents,
                                        f"Acompte {document_ref} "
                                        f"{customers_code(self, customer_id)}",
                                        customer_id, document_ref))
        self.drafts.append(entry)

    def _receivables(self, group: Group, parts: dict[int, dict[int, int]]) -> None:
        modes, book = self.data.modes, self.book
        for doc in group.documents:
            if doc.type == "B":
                continue
            line = self.customer_lines.get(doc.id)
            # invoices: what each mode settled; invoices and credit notes: the credit part
            # (a credit sale and a larger refund can share a group that becomes an A)
            settled = parts.get(doc.id, {}) if doc.type == "F" else {}
            for mode_id, cents in sorted(settled.items(), key=lambda i: i[0] or 0):
                if not cents:
                    continue
                code = modes[mode_id].state_code if mode_id is not None else None
                if self.classic:
                    book.split_due(doc.id, cents)
                    state = collected_state(code, credit=False)
                else:
                    state = state_of(code, credit=False)
                book.add(Receivable(doc.customer_id, "payment", state, cents, group.day,
                                    state="paid", paid_cents=cents, document_id=doc.id,
                                    payment_mode_id=mode_id, reference=doc.number))
            for (mode_id, due), cents in sorted(self.data.document_credits.get(doc.id, {})
                                                .items(), key=lambda i: (i[0][0], str(i[0][1]))):
                if not cents:
                    continue
                if self.classic:
                    book.split_due(doc.id, cents)
                mode = modes[mode_id]
                receivable = book.add(Receivable(
                    doc.customer_id, "due", state_of(mode.state_code, credit=True), cents,
                    due or doc.date + dt.timedelta(days=self.settings.terms_days),
                    document_id=doc.id, payment_mode_id=mode_id, reference=doc.number))
                if line is not None:
                    self.links.append((receivable, line))
        for special in group.specials:
            special_parts = special.parts
            for line_no, kind, document_ref, cents in special.operations:
                customer_id = special.customer_id or 0
                if kind == "deposit":
                    deposit_modes = sorted((m for m in modes.values() if m.is_deposit),
                                           key=lambda m: m.code)
                    order = self.references.get(document_ref)
                    book.add(Receivable(
                        customer_id, "deposit",
                        state_of(deposit_modes[0].state_code if deposit_modes else None,
                                 credit=False),
                        cents, group.day, document_id=order[0] if order else None,
                        payment_mode_id=deposit_modes[0].id if deposit_modes else None,
                        reference=document_ref))
                    continue
                invoice = self.references.get(document_ref)
                left = 0
                for mode_id, part in special_parts.get(line_no, []):
                    code = modes[mode_id].state_code if mode_id is not None else None
                    state = (collected_state if self.classic else state_of)(code, credit=False)
                    if invoice:
                        left += book.split_due(invoice[0], part)
                    book.add(Receivable(invoice[1] if invoice else customer_id, "payment",
                                        state, part, group.day, state="paid",
                                        paid_cents=part,
                                        document_id=invoice[0] if invoice else None,
                                        payment_mode_id=mode_id, reference=document_ref))
                if left > 0:
                    self._warn(group, special.number, "overpayment",
                               f"invoice {document_ref}: {money_of(left)} paid beyond what "
                               "is due on it")
        for customer_id, _mode, reference, cents in group.deposit_payments:
            beyond = book.consume_deposit(reference or "", cents) if cents > 0 else 0
            if beyond > 0:
                self._warn(group, None, "deposit_exceeded",
                           f"order {reference}: {money_of(beyond)} of deposit used beyond the "
                           f"open deposits of customer {customers_code(self, customer_id)}")

    def _warn(self, group: Group, ticket: int | None, rule: str, message: str) -> None:
        where = self._where(group)
        self.report.warnings.append({**where, "ticket": ticket, "rule": rule,
                                     "message": message})
        self.log.append(LogRow("post", "warning", message, rule=rule, store=where["store"],
                               register=where["register"], ticket=ticket))

    # --- marks ---------------------------------------------------------------------------

    def _mark(self, skipped_keys: list[tuple[int, dt.date, int]]) -> None:
        conn, st = self.conn, data_.staged
        if skipped_keys:
            conn.execute(st.delete().where(st.c.register_id == bindparam("r"),
                                           st.c.day == bindparam("d"),
                                           st.c.customer_id == bindparam("c")),
                         [{"r": r, "d": d, "c": c} for r, d, c in skipped_keys])
        conn.execute(st.delete().where(st.c.customer_id.is_(None)))
        at = dt.datetime.now(dt.UTC)
        conn.execute(update(pos_tickets).values(posted_at=at)
                     .where(pos_tickets.c.id.in_(select(st.c.ticket_id))))
        if not self.classic:
            conn.execute(update(sales_documents).values(accounting_status="posted").where(
                sales_documents.c.id.in_(select(st.c.document_id)),
                sales_documents.c.type.in_(("F", "A")),
                sales_documents.c.accounting_status == "pos_pending"))
        waiting = (select(pos_tickets.c.id)
                   .where(pos_tickets.c.sales_day_id == sales_days.c.id,
                          pos_tickets.c.posted_at.is_(None)))
        conn.execute(update(sales_days).values(status="posted").where(
            sales_days.c.id.in_(select(st.c.sales_day_id)), ~exists(waiting)))

    def _codes(self) -> dict[int, str]:
        return {c.id: c.code for c in self.data.customers.values()}


def customers_code(posting: Posting, customer_id: int) -> str:
    customer = posting.data.customers.get(customer_id)
    return customer.code if customer else str(customer_id)

