"""`accounting post-documents`: the commercial-management posting of invoices and credit
notes (`spec/pos.md`, "Classic accounting").

Every F and A document `not_posted` (any source) dated up to `--until` gets its
`customer`-grouping sales entry — VAT from `sales_document_taxes`, else per VAT code of
its lines (base = Σ line totals, tax = base × rate / 100 rounded half away from zero) —
and, for an invoice, a due receivable (`receivable_state`, its total, due `date +
payment_terms_days`); then it is `posted`, and the dossier is lettered. One transaction
under the lock `accounting.post`; documents and their VAT are read in three grouped
statements whatever their number.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, Engine, func, select, update

from comptoir.accounting import ledger, lettering
from comptoir.accounting.pos_posting import LOCK_STEP
from comptoir.accounting.receivables import Receivable, ReceivableBook
from comptoir.accounting.report_entries import entries_report
from comptoir.accounting.sales_entries import Bases, PostingSettings, document_entry
from comptoir.backoffice import lock
from comptoir.backoffice.schema import (
    customers,
    registers,
    sales_document_lines,
    sales_document_taxes,
    sales_documents,
    vat_codes,
)
from comptoir.backoffice.settings import get_setting
from comptoir.pos.exact_sql import MONEY, RATE, to_units
from comptoir.pos.filter_sql import code_range
from comptoir.pos.filters import Range
from comptoir.pos.report import LIST_LIMIT, RunReport
from comptoir.pos.step_transaction import busy_message, step_transaction

__all__ = ["DOCUMENT_TYPES", "post_documents"]

DOCUMENT_TYPES = ("F", "A")


def post_documents(engine_or_url: Engine | str, *, until: dt.date,
                   customers_range: Range | None = None,
                   types: tuple[str, ...] = DOCUMENT_TYPES, dry_run: bool = False,
                   report: RunReport | None = None) -> RunReport:
    """Post the unposted invoices and credit notes; the report says what was written."""
    from comptoir.backoffice.engine import get_engine

    report = report or RunReport("accounting post-documents", dry_run=dry_run)
    report.dry_run = dry_run
    unknown = sorted(set(types) - set(DOCUMENT_TYPES))
    if unknown or not types:
        raise ValueError(f"--types: expected F, A or F,A, not {','.join(types)!r}")
    engine = engine_or_url if isinstance(engine_or_url, Engine) else get_engine(engine_or_url)
    try:
        with step_transaction(engine, LOCK_STEP, dry_run=dry_run) as conn:
            _post(conn, report, until, customers_range or Range(), types)
    except lock.DossierBusy as exc:
        report.refuse("dossier_busy", busy_message(exc))
    return report


def _post(conn: Connection, report: RunReport, until: dt.date, chosen: Range,
          types: tuple[str, ...]) -> None:
    day = dt.date.today()
    settings = PostingSettings.read(conn)
    d = sales_documents
    conditions = [d.c.type.in_(types), d.c.accounting_status == "not_posted",
                  d.c.date <= until]
    conditions += code_range(conn, customers.c.code, chosen)
    documents = conn.execute(
        select(d.c.id, d.c.number, d.c.type, d.c.date, d.c.customer_id,
               customers.c.code.label("customer"), customers.c.account,
               registers.c.code.label("register"), d.c.register_id)
        .join(customers, customers.c.id == d.c.customer_id)
        .outerjoin(registers, registers.c.id == d.c.register_id)
        .where(*conditions)).all()
    ids = [row.id for row in documents]
    bases = _bases(conn, ids)
    drafts, dues = [], []
    book = ReceivableBook()
    for row in documents:
        own = bases.get(row.id, {})
        cents = sum(base + tax for _, base, tax in own.values())
        account = row.account or settings.customer_account
        entry, line = document_entry(
            number=row.number, type_=row.type, date=row.date, cents=cents,
            customer_id=row.customer_id, customer_code=row.customer, account=account,
            due_date=settings.due_date(row.date), bases=own, settings=settings,
            document_id=row.id, register=(row.register or "", row.register_id))
        drafts.append(entry)
        if row.type == "F" and cents:
            dues.append((book.add(Receivable(
                row.customer_id, "due", get_setting(conn, "receivable_state") or "D10",
                cents, settings.due_date(row.date), document_id=row.id,
                reference=row.number)), line))
    accounts = {row.account or settings.customer_account for row in documents}
    written = ledger.write(conn, drafts, run_id=report.run_id, validated_on=day,
                           source="sales", customer_accounts=accounts)
    for receivable, line in dues:
        receivable.entry_line_id = line.id
    created = book.save(conn)
    if ids:
        conn.execute(update(d).values(accounting_status="posted")
                     .where(d.c.id.in_(ids)))
    letters = lettering.letter(conn, day)
    report.body["documents_posted"] = len(ids)
    report.put_list("entries", entries_report(
        written.entries[:LIST_LIMIT + 1], {row.customer_id: row.customer for row in documents}))
    report.body["entries_written"] = len(written.entries)
    report.body["lettering"] = letters
    report.body["receivables_created"] = created
    report.body["accounts_created"] = written.accounts_created
    report.put_list("skipped", [])


def _bases(conn: Connection, ids: list[int]) -> dict[int, Bases]:
    """document → (VAT code id, code) → [rate, base, tax] in thousandths and cents."""
    if not ids:
        return {}
    found: dict[int, Bases] = defaultdict(dict)
    tx = sales_document_taxes
    for doc_id, vat_id, code, rate, base, tax in conn.execute(
            select(tx.c.document_id, tx.c.vat_code_id, vat_codes.c.code,
                   to_units(tx.c.rate, RATE), to_units(tx.c.base_excl_tax, MONEY),
                   to_units(tx.c.tax, MONEY))
            .join(vat_codes, vat_codes.c.id == tx.c.vat_code_id)
            .where(tx.c.document_id.in_(ids))):
        found[doc_id][(vat_id, code)] = [int(rate), int(base), int(tax)]
    ln = sales_document_lines
    own = (select(ln.c.document_id, func.coalesce(ln.c.vat_code_id, 0).label("vat_id"),
                  func.coalesce(vat_codes.c.code, "-").label("code"),
                  func.coalesce(to_units(vat_codes.c.rate, RATE), 0).label("rate"),
                  to_units(func.coalesce(ln.c.total_excl_tax, 0), MONEY).label("cents"))
           .outerjoin(vat_codes, vat_codes.c.id == ln.c.vat_code_id)
           .where(ln.c.document_id.in_(ids),
                  ln.c.document_id.not_in(select(tx.c.document_id)
                                          .where(tx.c.document_id.in_(ids))))
           .subquery("own"))
    keys = (own.c.document_id, own.c.vat_id, own.c.code, own.c.rate)
    for doc_id, vat_id, code, rate, base in conn.execute(
            select(*keys, func.sum(own.c.cents)).group_by(*keys)):
        tax = int((Decimal(int(base)) * Decimal(int(rate)) / Decimal(100_000))
                  .quantize(Decimal(1), rounding=ROUND_HALF_UP))
        found[doc_id][(vat_id, code)] = [int(rate), int(base), tax]
    return found
