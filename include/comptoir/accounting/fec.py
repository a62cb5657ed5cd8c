"""`accounting fec`: the Fichier des Écritures Comptables of a period (`spec/pos.md`).

One record per `journal_entry_lines` row whose entry is dated in the period (breakdowns
are not records), after the record of the 18 field names, sorted by ValidDate
(`validated_on`), JournalCode, EcritureNum, line number; written as
`comptoir.accounting.fec_format` says. Field by field:

- JournalCode / JournalLib: the journal's code / name; EcritureNum: the entry number;
  EcritureDate and PieceDate: the entry date; ValidDate: `validated_on`;
- CompteNum / CompteLib: the account's number / name; CompAuxNum / CompAuxLib: the line's
  customer code / name, empty without one;
- PieceRef: the line's document reference, else the entry's, else the entry number (the
  reference lettering groups by, so never empty);
- EcritureLib: the line's label, else the entry's, else the entry number (never empty);
- Debit / Credit: both on every record, `0,00` on the other side;
- EcritureLet / DateLet: `lettering_code` as stored (lowercase: partial) / `lettered_on`;
- Montantdevise / Idevise: empty (every amount is in euros).

The lines are streamed from the database (`yield_per`) and written in chunks into a
temporary file renamed at the end (`atomic_write`): nothing half-written is ever seen
under the name. The reading runs in one transaction holding the posting lock
(`accounting.post`), so the file and its checks see one state of the books.

Checks (exit 4, the file still written): an entry whose lines do not balance
(`unbalanced`: entry numbers), a journal whose numbers `<journal><YYYY>-<NNNNNNNN>` skip
some in one of the period's years, counting from 1 (`gaps`: one item per run of missing
numbers, `{"journal", "year", "first_missing", "last_missing", "count"}`; numbers of
another form are not checked). Exit 1, nothing written: no `company_siren` to name the
file, the lock not obtained, the file not writable.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    cast,
    func,
    literal,
    select,
)

from comptoir import paths
from comptoir.accounting.fec_format import RECORD_END, FecFormat, amount, day
from comptoir.accounting.pos_posting import LOCK_STEP
from comptoir.backoffice import lock
from comptoir.backoffice.schema import (
    accounts,
    customers,
    journal_entries,
    journal_entry_lines,
    journals,
)
from comptoir.backoffice.settings import get_setting
from comptoir.exchange.files import atomic_write
from comptoir.pos.exact_sql import MONEY, all_digits, code_order, to_units, year_of
from comptoir.pos.report import Exit, RunReport, money
from comptoir.pos.step_transaction import busy_message, step_transaction

__all__ = ["export_fec", "fec_file_name", "fec_target", "number_gaps", "year_period"]

CHUNK = 10_000
NUMBER_DIGITS = 8


def year_period(year: int) -> tuple[dt.date, dt.date]:
    """The period of a calendar year: January 1st to December 31st."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def fec_file_name(siren: str, end: dt.date) -> str:
    """The legal name: `<SIREN>FEC<YYYYMMDD>.txt`, the date being the period's end."""
    return f"{siren}FEC{day(end)}.txt"


def fec_target(out: Path | None, siren: str | None, end: dt.date) -> Path | None:
    """Where the file goes: `out` itself when it names a file, else the legal name in the
    folder `out` (default `var/exports/`); None when that name needs a SIREN and none is set.

    `out` is a folder when it is an existing folder, or does not exist and has no suffix
    (`exports`, `/srv/fec`); otherwise a file (`fec-2025.txt`).
    """
    if out is not None and not (out.is_dir() or (not out.exists() and not out.suffix)):
        return out
    if not siren:
        return None
    return (out or paths.exports_dir()) / fec_file_name(siren, end)


def export_fec(engine_or_url: Engine | str, *, start: dt.date, end: dt.date,
               out: Path | None = None, separator: str = "tab",
               encoding: str = "iso-8859-15", report: RunReport | None = None) -> RunReport:
    """Write the FEC of the entries dated `start`..`end` (inclusive); the run's report."""
    from comptoir.backoffice.engine import get_engine

    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    fmt = FecFormat(separator, encoding)
    report = report or RunReport("accounting fec")
    report.body.update({"file": None, "period": {"from": start.isoformat(),
                                                 "to": end.isoformat()},
                        "separator": separator, "encoding": encoding, "records": 0,
                        "entries": 0, "debit": money(0), "credit": money(0)})
    report.put_list("unbalanced", [])
    report.put_list("gaps", [])
    engine = engine_or_url if isinstance(engine_or_url, Engine) else get_engine(engine_or_url)
    try:
        # Read only: the transaction is rolled back, it is there for the lock and one snapshot.
        with step_transaction(engine, LOCK_STEP, dry_run=True) as conn:
            target = fec_target(out, get_setting(conn, "company_siren"), end)
            if target is None:
                report.refuse("no_siren", "no company_siren set to name the FEC file "
                              "(<SIREN>FEC<YYYYMMDD>.txt): set it with `comptoir settings "
                              "set company_siren <9 digits>`, or give --out FILE; nothing "
                              "was written")
                return report
            gaps = number_gaps(conn, start.year, end.year)
            target.parent.mkdir(parents=True, exist_ok=True)
            totals = Totals()
            atomic_write(target, lambda handle: _write(conn, handle, fmt, start, end, totals))
    except lock.DossierBusy as exc:
        report.refuse("dossier_busy", busy_message(exc))
        return report
    except OSError as exc:
        report.refuse("cannot_write", f"cannot write the FEC file: {exc}; nothing was "
                      "written")
        return report
    body = report.body
    body.update({"file": str(target), "records": totals.records, "entries": totals.entries,
                 "debit": money(Decimal(totals.debit).scaleb(-MONEY)),
                 "credit": money(Decimal(totals.credit).scaleb(-MONEY))})
    report.put_list("unbalanced", totals.unbalanced)
    report.put_list("gaps", gaps)
    if totals.half_lettered:
        report.warnings.append({
            "rule": "lettering_without_date", "message": f"{totals.half_lettered} lines "
            "have a lettering code without its date, or a date without a code: written as "
            "stored"})
    if totals.unbalanced or gaps:
        report.exit_code = Exit.CHECK_FAILED
    return report


@dataclass
class Totals:
    """What the writing counted and checked."""

    records: int = 0
    entries: int = 0
    debit: int = 0                     # cents
    credit: int = 0
    unbalanced: list[str] = field(default_factory=list)
    half_lettered: int = 0


def _lines(conn: Connection, start: dt.date, end: dt.date) -> Iterator[Sequence[Any]]:
    """The lines of the period, in FEC order, as tuples in `_COLUMNS` order; streamed."""
    e, ln, j, a, c = journal_entries, journal_entry_lines, journals, accounts, customers
    query = (
        select(e.c.id, j.c.code, j.c.name, e.c.number, e.c.date, e.c.document_ref, e.c.label,
               e.c.validated_on, a.c.number, a.c.name, c.c.code, c.c.name, ln.c.document_ref,
               ln.c.label, to_units(ln.c.debit, MONEY), to_units(ln.c.credit, MONEY),
               ln.c.lettering_code, ln.c.lettered_on)
        .select_from(ln.join(e, e.c.id == ln.c.entry_id).join(j, j.c.id == e.c.journal_id)
                     .join(a, a.c.id == ln.c.account_id)
                     .outerjoin(c, c.c.id == ln.c.customer_id))
        .where(e.c.date >= start, e.c.date <= end)
        .order_by(e.c.validated_on, code_order(conn, j.c.code), code_order(conn, e.c.number),
                  e.c.id, ln.c.line_no, ln.c.id))
    result = conn.execution_options(yield_per=CHUNK).execute(query)
    for partition in result.partitions():
        yield from partition


def _write(conn: Connection, handle: BinaryIO, fmt: FecFormat, start: dt.date,
           end: dt.date, totals: Totals) -> None:
    """The header, then each record after a record end (none after the last).

    The fields of an entry are written once per entry; texts, dates and the account and
    customer fields go through caches: they repeat on most lines.
    """
    sep = fmt.separator
    text = functools.lru_cache(maxsize=1 << 16)(fmt.text)
    date = functools.lru_cache(maxsize=1 << 12)(day)
    pair = functools.lru_cache(maxsize=1 << 16)(lambda code, name: text(code) + sep + text(name))
    parts = [fmt.header()]
    entry_id, balance, number, head, piece_date, piece_ref, label, tail = (
        None, 0, "", "", "", "", "", "")
    for (entry, journal, journal_name, entry_number, entry_date, entry_ref, entry_label,
         validated_on, account, account_name, customer, customer_name, line_ref, line_label,
         debit, credit, letter, lettered_on) in _lines(conn, start, end):
        if entry != entry_id:
            if entry_id is not None and balance != 0:
                totals.unbalanced.append(number)
            entry_id, balance, number = entry, 0, entry_number
            totals.entries += 1
            cleaned = text(entry_number)
            piece_date = date(entry_date)
            head = RECORD_END + sep.join((text(journal), text(journal_name), cleaned,
                                          piece_date)) + sep
            piece_ref = text(entry_ref) or cleaned
            label = text(entry_label) or cleaned
            tail = sep + date(validated_on) + sep + sep
        debit, credit = int(debit), int(credit)
        balance += debit - credit
        totals.debit += debit
        totals.credit += credit
        totals.records += 1
        if (letter is None) != (lettered_on is None):
            totals.half_lettered += 1
        parts.append(head + sep.join((
            pair(account, account_name), pair(customer, customer_name),
            text(line_ref) or piece_ref, piece_date, text(line_label) or label,
            amount(debit), amount(credit), text(letter), date(lettered_on))) + tail)
        if len(parts) >= CHUNK:
            handle.write(fmt.encode("".join(parts)))
            parts = []
    if entry_id is not None and balance != 0:
        totals.unbalanced.append(number)
    handle.write(fmt.encode("".join(parts)))


def number_gaps(conn: Connection, first_year: int, last_year: int) -> list[dict[str, Any]]:
    """The runs of missing entry numbers per journal and year, over whole years.

    Numbers `<journal><YYYY>-<NNNNNNNN>` (YYYY the entry's year) must run 1, 2, 3...
    without a hole; one item per hole: journal, year, first and last missing number, count.
    """
    e, j = journal_entries, journals
    year = year_of(conn, e.c.date)
    head = func.length(j.c.code) + 5                     # "<journal><YYYY>-"
    digits = func.substr(e.c.number, head + 1)
    numbered = (
        select(j.c.code.label("journal"), year.label("year"),
               cast(digits, BigInteger).label("n"))
        .select_from(e.join(j, j.c.id == e.c.journal_id))
        .where(e.c.date >= dt.date(first_year, 1, 1), e.c.date <= dt.date(last_year, 12, 31),
               func.substr(e.c.number, 1, head) == j.c.code + year + literal("-"),
               func.length(e.c.number) == head + NUMBER_DIGITS,
               all_digits(conn, digits))
        .subquery())
    previous = func.lag(numbered.c.n, 1, 0).over(
        partition_by=(numbered.c.journal, numbered.c.year), order_by=numbered.c.n)
    steps = select(numbered.c.journal, numbered.c.year, numbered.c.n,
                   previous.label("previous")).subquery()
    rows = conn.execute(
        select(steps.c.journal, steps.c.year, steps.c.previous, steps.c.n)
        .where(steps.c.n - steps.c.previous > 1)
        .order_by(code_order(conn, steps.c.journal), steps.c.year, steps.c.n)).all()
    gaps = []
    for journal, year_text, before, after in rows:
        low, high = int(before) + 1, int(after) - 1
        gaps.append({"journal": journal, "year": int(year_text),
                     "first_missing": f"{journal}{year_text}-{low:0{NUMBER_DIGITS}d}",
                     "last_missing": f"{journal}{year_text}-{high:0{NUMBER_DIGITS}d}",
                     "count": high - low + 1})
    return gaps
