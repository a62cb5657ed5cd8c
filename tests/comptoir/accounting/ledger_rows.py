"""Journal entries written straight into the tables, for the FEC and the listings.

`Ledger(engine)` inserts accounts, journals, customers, entries and their lines as a test
states them (no posting run, no check): an unbalanced entry or a numbering hole is as
easy to write as a correct one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine

from comptoir.backoffice import schema as s

DAY = dt.date(2026, 1, 12)


@dataclass
class Line:
    """One line: amounts as text (`"12.50"`), references by code."""

    account: str
    debit: str = "0"
    credit: str = "0"
    customer: str | None = None
    label: str | None = None
    document_ref: str | None = None
    lettering_code: str | None = None
    lettered_on: dt.date | None = None


def dr(account: str, amount: str, **kw) -> Line:  # type: ignore[no-untyped-def]
    return Line(account, debit=amount, **kw)


def cr(account: str, amount: str, **kw) -> Line:  # type: ignore[no-untyped-def]
    return Line(account, credit=amount, **kw)


class Ledger:
    """Reference rows created on first use; entries written as given."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ids: dict[str, dict[str, int]] = {"account": {}, "journal": {}, "customer": {}}

    def account(self, number: str, name: str | None = None, *, lettrable: bool = False,
                kind: str = "general") -> int:
        if number not in self.ids["account"]:
            with self.engine.begin() as conn:
                self.ids["account"][number] = conn.execute(s.accounts.insert().values(
                    number=number, name=name or f"Compte {number}", kind=kind,
                    lettrable=lettrable)).inserted_primary_key[0]
        return self.ids["account"][number]

    def journal(self, code: str, name: str | None = None, kind: str = "sales") -> int:
        if code not in self.ids["journal"]:
            with self.engine.begin() as conn:
                self.ids["journal"][code] = conn.execute(s.journals.insert().values(
                    code=code, name=name or f"Journal {code}", kind=kind)
                ).inserted_primary_key[0]
        return self.ids["journal"][code]

    def customer(self, code: str, name: str | None = None) -> int:
        if code not in self.ids["customer"]:
            with self.engine.begin() as conn:
                self.ids["customer"][code] = conn.execute(s.customers.insert().values(
                    code=code, name=name or f"Client {code}")).inserted_primary_key[0]
        return self.ids["customer"][code]

    def entry(self, journal: str, number: int | str, lines: list[Line], *,
              date: dt.date = DAY, validated_on: dt.date | None = None, label: str = "",
              document_ref: str | None = None) -> str:
        """Write an entry; `number` alone (an int) becomes `<journal><YYYY>-<NNNNNNNN>`."""
        if isinstance(number, int):
            number = f"{journal}{date.year}-{number:08d}"
        journal_id = self.journal(journal)
        account_ids = [self.account(line.account) for line in lines]
        customer_ids = [self.customer(line.customer) if line.customer else None
                        for line in lines]
        with self.engine.begin() as conn:
            entry_id = conn.execute(s.journal_entries.insert().values(
                journal_id=journal_id, number=number, date=date, label=label,
                document_ref=document_ref, validated_on=validated_on or date,
                source="manual")).inserted_primary_key[0]
            conn.execute(s.journal_entry_lines.insert(), [
                {"entry_id": entry_id, "line_no": no, "account_id": account_id,
                 "customer_id": customer_id, "label": line.label,
                 "debit": Decimal(line.debit), "credit": Decimal(line.credit),
                 "document_ref": line.document_ref, "lettering_code": line.lettering_code,
                 "lettered_on": line.lettered_on}
                for no, (line, account_id, customer_id)
                in enumerate(zip(lines, account_ids, customer_ids, strict=True), 1)])
        return number

    def document(self, number: str, customer: str, type_: str = "F") -> int:
        """A sales document of `customer` (no line: the listings only need its number)."""
        with self.engine.begin() as conn:
            return conn.execute(s.sales_documents.insert().values(
                number=number, type=type_, customer_id=self.customer(customer), date=DAY)
            ).inserted_primary_key[0]

    def mode(self, code: str) -> int:
        with self.engine.begin() as conn:
            found = conn.execute(s.payment_modes.select()
                                 .where(s.payment_modes.c.code == code)).first()
            if found is not None:
                return found.id
            return conn.execute(s.payment_modes.insert().values(code=code, name=code)
                                ).inserted_primary_key[0]

    def receivable(self, customer: str, kind: str, state_code: str, amount: str, *,
                   paid: str = "0", state: str = "open", document_id: int | None = None,
                   due_date: dt.date = DAY, mode: str | None = None,
                   reference: str | None = None) -> None:
        values = {"customer_id": self.customer(customer), "kind": kind,
                  "state_code": state_code, "amount": Decimal(amount),
                  "paid_amount": Decimal(paid), "state": state, "document_id": document_id,
                  "due_date": due_date, "payment_mode_id": self.mode(mode) if mode else None,
                  "reference": reference}
        with self.engine.begin() as conn:
            conn.execute(s.receivables.insert().values(**values))
