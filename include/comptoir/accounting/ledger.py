"""Journal entries: drafts, the balance check, numbering without gaps, one bulk write.

`spec/pos.md`, "Accounting: common rules". A posting run builds `EntryDraft`s in memory
(amounts are signed integers of cents: positive debit, negative credit), then `write`
checks that every one balances — an unbalanced draft is a bug: `UnbalancedEntry` stops
the run before anything is written —, creates the accounts and journals it needs, numbers
the entries `<journal><YYYY>-<NNNNNNNN>` after the highest number of their journal and
year (in validation order: date, register, document reference), and writes entries,
lines and breakdowns in three bulk statements (COPY on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import BigInteger, Connection, cast, func, select

from comptoir.backoffice.schema import (
    accounts,
    journal_entries,
    journal_entry_lines,
    journal_line_breakdowns,
    journals,
)
from comptoir.errors import ComptoirError
from comptoir.imports import loader

NUMBER_DIGITS = 8
#: Account kinds by the first digits of their number (`spec/pos.md`: 7… revenue, 445… tax).
KIND_PREFIXES = (("445", "tax"), ("7", "revenue"), ("53", "cash"), ("51", "bank"))
JOURNAL_KINDS = {"sales": "sales", "treasury": "cash"}


class UnbalancedEntry(ComptoirError):
    """A posting built an entry whose debits and credits differ: a bug, nothing written."""


@dataclass
class Breakdown:
    """A "ventilation" of a third-party line: the part of one document."""

    document_id: int | None
    document_ref: str
    customer_id: int | None
    cents: int
    due_date: dt.date | None = None


@dataclass
class LineDraft:
    """One line: `cents` > 0 is a debit, < 0 a credit (0: the line is left out)."""

    account: str
    cents: int
    label: str
    customer_id: int | None = None
    document_ref: str | None = None
    payment_mode_id: int | None = None
    due_date: dt.date | None = None
    breakdowns: list[Breakdown] = field(default_factory=list)
    #: Set by `write`: the line's id (receivables point at it).
    id: int | None = None


@dataclass
class EntryDraft:
    """One entry before it is numbered and written."""

    journal: str
    kind: str                      # sales | treasury
    date: dt.date
    label: str
    document_ref: str
    register: str = ""             # the register's code: validation order
    register_id: int | None = None
    document_id: int | None = None
    sales_day_id: int | None = None
    lines: list[LineDraft] = field(default_factory=list)
    number: str | None = None      # set by `write`

    def add(self, line: LineDraft) -> LineDraft:
        self.lines.append(line)
        return line

    @property
    def written_lines(self) -> list[LineDraft]:
        return [line for line in self.lines if line.cents != 0]

    def balance(self) -> int:
        return sum(line.cents for line in self.lines)


@dataclass
class WriteResult:
    """What `write` did."""

    entries: list[EntryDraft]
    accounts_created: list[str]
    journals_created: list[str]


def check_balanced(drafts: list[EntryDraft]) -> None:
    """`UnbalancedEntry` naming the first draft whose lines do not sum to zero."""
    for draft in drafts:
        if draft.balance() != 0:
            raise UnbalancedEntry(
                f"entry {draft.journal} {draft.document_ref} of {draft.date} does not "
                f"balance (difference {draft.balance() / 100:.2f}): nothing was written")


def write(conn: Connection, drafts: list[EntryDraft], *, run_id: str, validated_on: dt.date,
          source: str, customer_accounts: set[str] = frozenset(),  # type: ignore[assignment]
          ) -> WriteResult:
    """Check, number and write `drafts` (empty entries are dropped); what was written."""
    drafts = [d for d in drafts if d.written_lines]
    check_balanced(drafts)
    created_accounts = ensure_accounts(conn, {line.account for d in drafts for line in d.lines},
                                       customer_accounts)
    created_journals = ensure_journals(conn, {(d.journal, d.kind) for d in drafts})
    _number(conn, drafts)
    if drafts:
        _write_rows(conn, drafts, run_id=run_id, validated_on=validated_on, source=source)
    return WriteResult(drafts, created_accounts, created_journals)


def account_kind(number: str, customer_accounts: set[str]) -> tuple[str, bool]:
    """(kind, lettrable) of an account the posting creates."""
    if number in customer_accounts or number.startswith("411"):
        return "customer", True
    for prefix, kind in KIND_PREFIXES:
        if number.startswith(prefix):
            return kind, False
    return "general", False


def ensure_accounts(conn: Connection, numbers: set[str], customer_accounts: set[str]
                    ) -> list[str]:
    """Create the accounts of `numbers` the dossier lacks; their numbers, sorted."""
    existing = set(conn.execute(select(accounts.c.number)).scalars())  # the whole chart:
    # one statement, whatever the number of accounts (no bound parameter per account)
    missing = sorted(numbers - existing)
    if missing:
        rows = []
        for number in missing:
            kind, lettrable = account_kind(number, customer_accounts)
            rows.append({"number": number, "name": _account_name(kind, number),
                         "kind": kind, "lettrable": lettrable})
        conn.execute(accounts.insert(), rows)
    return missing


def _account_name(kind: str, number: str) -> str:
    names = {"customer": "Clients", "revenue": "Ventes", "tax": "TVA collectée",
             "bank": "Banque", "cash": "Caisse"}
    return f"{names.get(kind, 'Compte')} {number}"


def ensure_journals(conn: Connection, wanted: set[tuple[str, str]]) -> list[str]:
    """Create the journals (code, entry kind) the dossier lacks; their codes."""
    codes = sorted({code for code, _ in wanted})
    existing = set(conn.execute(select(journals.c.code)
                                .where(journals.c.code.in_(codes))).scalars())
    rows, seen = [], set(existing)
    for code, kind in sorted(wanted):
        if code not in seen:
            seen.add(code)
            label = "Ventes" if kind == "sales" else "Trésorerie"
            rows.append({"code": code, "name": f"{label} {code}",
                         "kind": JOURNAL_KINDS[kind]})
    if rows:
        conn.execute(journals.insert(), rows)
    return [row["code"] for row in rows]


def last_numbers(conn: Connection, prefixes: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(journal, year) → the highest entry number already written (0 if none)."""
    found: dict[tuple[str, str], int] = {}
    for journal, year in prefixes:
        head = f"{journal}{year}-"
        number = journal_entries.c.number
        digits = func.substr(number, len(head) + 1)
        last = conn.execute(
            select(func.max(cast(digits, BigInteger)))
            .where(number.like(head.replace("%", r"\%").replace("_", r"\_") + "%",
                               escape="\\"),
                   func.length(number) == len(head) + NUMBER_DIGITS)
        ).scalar()
        found[(journal, year)] = int(last or 0)
    return found


def _number(conn: Connection, drafts: list[EntryDraft]) -> None:
    drafts.sort(key=lambda d: (d.date, d.register, d.document_ref, d.kind))
    last = last_numbers(conn, {(d.journal, str(d.date.year)) for d in drafts})
    for draft in drafts:
        key = (draft.journal, str(draft.date.year))
        last[key] += 1
        draft.number = f"{draft.journal}{key[1]}-{last[key]:0{NUMBER_DIGITS}d}"


def _write_rows(conn: Connection, drafts: list[EntryDraft], *, run_id: str,
                validated_on: dt.date, source: str) -> None:
    journal_ids = dict(conn.execute(select(journals.c.code, journals.c.id)).all())
    account_ids = dict(conn.execute(select(accounts.c.number, accounts.c.id)).all())
    loader.insert(conn, journal_entries, pd.DataFrame({
        "journal_id": [journal_ids[d.journal] for d in drafts],
        "number": [d.number for d in drafts],
        "date": pd.to_datetime([d.date for d in drafts]),
        "label": [d.label[:200] for d in drafts],
        "document_id": pd.array([d.document_id for d in drafts], dtype="Int64"),
        "sales_day_id": pd.array([d.sales_day_id for d in drafts], dtype="Int64"),
        "source": source,
        "document_ref": [d.document_ref for d in drafts],
        "validated_on": pd.to_datetime([validated_on] * len(drafts)),
        "kind": [d.kind for d in drafts],
        "register_id": pd.array([d.register_id for d in drafts], dtype="Int64"),
        "run_id": run_id,
    }))
    entry_ids = dict(conn.execute(select(journal_entries.c.number, journal_entries.c.id)
                                  .where(journal_entries.c.run_id == run_id)).all())
    columns: dict[str, list] = defaultdict(list)
    for draft in drafts:
        for no, line in enumerate(draft.written_lines, 1):
            columns["entry_id"].append(entry_ids[draft.number])
            columns["line_no"].append(no)
            columns["account_id"].append(account_ids[line.account])
            columns["customer_id"].append(line.customer_id)
            columns["label"].append(line.label[:200])
            columns["debit"].append(max(line.cents, 0))
            columns["credit"].append(max(-line.cents, 0))
            columns["due_date"].append(line.due_date)
            columns["document_ref"].append(line.document_ref)
            columns["payment_mode_id"].append(line.payment_mode_id)
    frame = pd.DataFrame({
        "entry_id": columns["entry_id"], "line_no": columns["line_no"],
        "account_id": columns["account_id"],
        "customer_id": pd.array(columns["customer_id"], dtype="Int64"),
        "label": columns["label"],
        "debit": pd.array(columns["debit"], dtype="Int64"),
        "credit": pd.array(columns["credit"], dtype="Int64"),
        "due_date": pd.to_datetime(pd.Series(columns["due_date"], dtype="object")),
        "document_ref": pd.Series(columns["document_ref"], dtype="object"),
        "payment_mode_id": pd.array(columns["payment_mode_id"], dtype="Int64"),
    })
    loader.insert(conn, journal_entry_lines, frame, {"debit": 2, "credit": 2})
    del frame, columns  # written: not kept alive beside the line ids (a million lines)
    _link_lines(conn, drafts, entry_ids, run_id)


def _link_lines(conn: Connection, drafts: list[EntryDraft], entry_ids: dict[str, int],
                run_id: str) -> None:
    """Give each written line its id; write the breakdowns of the lines that have some."""
    line = journal_entry_lines
    ids = {(entry_id, no): line_id for line_id, entry_id, no in conn.execute(
        select(line.c.id, line.c.entry_id, line.c.line_no)
        .join(journal_entries, journal_entries.c.id == line.c.entry_id)
        .where(journal_entries.c.run_id == run_id))}
    rows: dict[str, list] = defaultdict(list)
    for draft in drafts:
        for no, ln in enumerate(draft.written_lines, 1):
            ln.id = ids[(entry_ids[draft.number], no)]
            for b_no, part in enumerate(ln.breakdowns, 1):
                rows["line_id"].append(ln.id)
                rows["line_no"].append(b_no)
                rows["document_id"].append(part.document_id)
                rows["document_ref"].append(part.document_ref)
                rows["customer_id"].append(part.customer_id)
                rows["amount"].append(part.cents)
                rows["due_date"].append(part.due_date)
    if rows:
        loader.insert(conn, journal_line_breakdowns, pd.DataFrame({
            "line_id": rows["line_id"], "line_no": rows["line_no"],
            "document_id": pd.array(rows["document_id"], dtype="Int64"),
            "document_ref": rows["document_ref"],
            "customer_id": pd.array(rows["customer_id"], dtype="Int64"),
            "amount": pd.array(rows["amount"], dtype="Int64"),
            "due_date": pd.to_datetime(pd.Series(rows["due_date"], dtype="object")),
        }), {"amount": 2})
