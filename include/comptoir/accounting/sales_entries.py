"""Sales entries of commercial documents (`spec/pos.md`, "Direct posting" 1 and
"Classic accounting"): the customer's receivable line, then per VAT code the base on its
sales account and the tax on its tax account (rates above zero).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select

from comptoir.accounting.ledger import EntryDraft, LineDraft
from comptoir.backoffice.schema import vat_codes
from comptoir.backoffice.settings import get_setting

#: (VAT code id, VAT code) → [rate in thousandths, base cents, tax cents]
Bases = dict[tuple[int, str], list[int]]


@dataclass(frozen=True)
class PostingSettings:
    """The settings and VAT accounts a posting reads once."""

    sales_journal: str
    customer_account: str
    sales_account: str
    vat_account: str
    terms_days: int
    vat_accounts: dict[int, tuple[str | None, str | None]]

    @classmethod
    def read(cls, conn: Connection) -> PostingSettings:
        accounts = {row.id: (row.sales_account or None, row.tax_account or None)
                    for row in conn.execute(select(vat_codes.c.id, vat_codes.c.sales_account,
                                                   vat_codes.c.tax_account))}
        return cls(get_setting(conn, "sales_journal") or "VE",
                   get_setting(conn, "customer_account") or "411000",
                   get_setting(conn, "default_sales_account") or "707000",
                   get_setting(conn, "default_vat_account") or "445710",
                   int(get_setting(conn, "payment_terms_days") or 30), accounts)

    def due_date(self, day: dt.date) -> dt.date:
        return day + dt.timedelta(days=self.terms_days)


def vat_lines(entry: EntryDraft, bases: Bases, label: str, settings: PostingSettings) -> None:
    """Credit each VAT code's base on its sales account, its tax on its tax account."""
    for (vat_id, code), (rate, base, tax) in sorted(bases.items(), key=lambda i: i[0][1]):
        sales_account, tax_account = settings.vat_accounts.get(vat_id, (None, None))
        entry.add(LineDraft(sales_account or settings.sales_account, -base,
                            f"{label} HT {code}"))
        if rate > 0:
            entry.add(LineDraft(tax_account or settings.vat_account, -tax,
                                f"{label} TVA {code}"))


def document_entry(*, number: str, type_: str, date: dt.date, cents: int, customer_id: int,
                   customer_code: str, account: str, due_date: dt.date, bases: Bases,
                   settings: PostingSettings, document_id: int,
                   register: tuple[str, int | None] = ("", None),
                   sales_day_id: int | None = None) -> tuple[EntryDraft, LineDraft]:
    """The `customer`-grouping sales entry of one document, and its customer line."""
    label = f"{number} {customer_code}"
    entry = EntryDraft(settings.sales_journal, "sales", date,
                       f"{'Avoir' if type_ == 'A' else 'Facture'} {label}", number,
                       register[0], register[1], document_id, sales_day_id)
    line = entry.add(LineDraft(account, cents, label, customer_id, number, due_date=due_date))
    vat_lines(entry, bases, label, settings)
    return entry, line
