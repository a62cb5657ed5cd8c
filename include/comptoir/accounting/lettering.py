"""Lettering by document number (`spec/pos.md`, "Accounting: common rules").

Candidates: lines on lettrable accounts that are unlettered or partially lettered
(lowercase code), except debit lines of a payment mode that is not lettrable. They are
grouped by (account, customer, document reference: the line's, else its entry's). A group
is lettered when it holds at least one unlettered line and both debits and credits: a
new uppercase code when it sums to zero (full), else a new lowercase code (partial) that
replaces the earlier partial codes of its lines. A partial group nothing new joined
keeps its code. Codes run per account `A`…`Z`, `AA`… and are never reused; breakdowns
take their line's code; `lettered_on` is the run's day.

Set-based: the candidates are staged in a temporary table, grouped by the database;
only the groups (not the lines) come back to Python to get their codes, and one UPDATE
per table writes them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from comptoir.backoffice.schema import (
    accounts,
    journal_entries,
    journal_entry_lines,
    journal_line_breakdowns,
    payment_modes,
)
from comptoir.imports import loader
from comptoir.pos.exact_sql import MONEY, to_units

_stage = MetaData()
_candidates = Table(
    "accounting_letter_lines", _stage,
    Column("line_id", Integer, primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("customer_key", Integer, nullable=False),   # customer id, 0 without one
    Column("ref", String(40), nullable=False),
    Column("cents", BigInteger, nullable=False),        # debit − credit
    Column("unlettered", Integer, nullable=False),
    Column("code", String(10)),
    prefixes=["TEMPORARY"],
)
_groups = Table(
    "accounting_letter_groups", _stage,
    Column("account_id", Integer, primary_key=True),
    Column("customer_key", Integer, primary_key=True),
    Column("ref", String(40), primary_key=True),
    Column("code", String(10), nullable=False),
    prefixes=["TEMPORARY"],
)


def code_of(index: int) -> str:
    """The `index`-th code (1 → `A`, 26 → `Z`, 27 → `AA`)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def index_of(code: str) -> int:
    """The position of a code in the sequence, whatever its case (`ab` → 28)."""
    index = 0
    for char in code.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index


def letter(conn: Connection, day: dt.date) -> dict[str, int]:
    """Letter the whole dossier by document number; `{"full": n, "partial": n}` groups."""
    _stage.create_all(conn)
    try:
        return _letter(conn, day)
    finally:
        _stage.drop_all(conn)


def _letter(conn: Connection, day: dt.date) -> dict[str, int]:
    line, entry = journal_entry_lines, journal_entries
    code = line.c.lettering_code
    partial = and_(code.is_not(None), func.lower(code) == code)
    blocked = and_(line.c.debit > 0, exists(
        select(payment_modes.c.id).where(payment_modes.c.id == line.c.payment_mode_id,
                                         payment_modes.c.lettrable.is_(False))))
    rows = (
        select(line.c.id, line.c.account_id, func.coalesce(line.c.customer_id, 0),
               func.coalesce(line.c.document_ref, entry.c.document_ref, entry.c.number),
               to_units(line.c.debit, MONEY) - to_units(line.c.credit, MONEY),
               case((code.is_(None), 1), else_=0))
        .select_from(line.join(entry, entry.c.id == line.c.entry_id)
                     .join(accounts, accounts.c.id == line.c.account_id))
        .where(accounts.c.lettrable.is_(True), or_(code.is_(None), partial), ~blocked))
    conn.execute(insert(_candidates).from_select(
        ["line_id", "account_id", "customer_key", "ref", "cents", "unlettered"], rows))
    cc = _candidates
    keys = (cc.c.account_id, cc.c.customer_key, cc.c.ref)
    groups = conn.execute(
        select(*keys, func.sum(cc.c.cents))
        .group_by(*keys)
        .having(func.sum(cc.c.unlettered) > 0,
                func.sum(case((cc.c.cents > 0, 1), else_=0)) > 0,
                func.sum(case((cc.c.cents < 0, 1), else_=0)) > 0)
        .order_by(cc.c.account_id, cc.c.ref, cc.c.customer_key)).all()
    if not groups:
        return {"full": 0, "partial": 0}
    last = _last_codes(conn)
    counts = {"full": 0, "partial": 0}
    coded = []
    for account_id, customer_key, ref, total in groups:
        last[account_id] += 1
        new = code_of(last[account_id])
        full = int(total) == 0
        counts["full" if full else "partial"] += 1
        coded.append({"account_id": account_id, "customer_key": customer_key, "ref": ref,
                      "code": new if full else new.lower()})
    loader.insert(conn, _groups, pd.DataFrame(coded))  # COPY: one statement, not one a group
    gg = _groups
    conn.execute(update(cc).values(code=gg.c.code).where(
        gg.c.account_id == cc.c.account_id, gg.c.customer_key == cc.c.customer_key,
        gg.c.ref == cc.c.ref))
    conn.execute(update(line).values(lettering_code=cc.c.code, lettered_on=day).where(
        line.c.id == cc.c.line_id, cc.c.code.is_not(None)))
    conn.execute(update(journal_line_breakdowns)
                 .values(lettering_code=cc.c.code)
                 .where(journal_line_breakdowns.c.line_id == cc.c.line_id,
                        cc.c.code.is_not(None)))
    return counts


def _last_codes(conn: Connection) -> dict[int, int]:
    """account id → the index of the highest code it ever used (0 if none), for the
    accounts of the candidates (a subquery: no bound parameter per account)."""
    line = journal_entry_lines
    found: dict[int, int] = defaultdict(int)
    rows = conn.execute(
        select(line.c.account_id, func.max(func.upper(line.c.lettering_code)))
        .where(line.c.account_id.in_(select(_candidates.c.account_id).distinct()),
               line.c.lettering_code.is_not(None))
        .group_by(line.c.account_id, func.length(line.c.lettering_code)))
    for account_id, highest in rows:
        found[account_id] = max(found[account_id], index_of(highest))
    return found
