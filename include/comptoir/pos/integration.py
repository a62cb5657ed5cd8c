"""Integration of ticket files on the server dossier (`comptoir pos integrate`).

Each file is processed alone, in one transaction that starts with the dossier's lock of
the step (`pos.integrate`): refused whole (`PackageRefused`: a `pos_files` row and a
log row, nothing of it written), or its valid tickets written. Each ticket is looked up
by its key (store, register, number) first: present with the same total and instant →
`already_integrated` (skipped, not validated again); present with other values →
rejected `conflict`. The new ones pass the rules of `ticket_checks`; a ticket breaking
one is rejected alone and logged. Tickets, lines and payments are written in bulk (COPY
on PostgreSQL), the sales days they need created `open`. Re-running a file, or two runs
at once, integrate each ticket once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, bindparam, insert, select

from comptoir.backoffice import lock
from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    payment_modes,
    pos_files,
    pos_ticket_lines,
    pos_ticket_payments,
    pos_tickets,
    registers,
    sales_days,
    sales_documents,
    vat_codes,
)
from comptoir.exchange.inbox import Inbox
from comptoir.imports.loader import insert as bulk_insert
from comptoir.pos import ticket_values as tv
from comptoir.pos.log import LogRow, write_log
from comptoir.pos.package import PackageRefused
from comptoir.pos.report import Exit, RunReport
from comptoir.pos.step_transaction import busy_message, step_transaction
from comptoir.pos.ticket_checks import ACCOUNT_KINDS, References, Rows, check, read_rows
from comptoir.pos.ticket_checks import vat_codes as line_vat_codes
from comptoir.pos.ticket_file import TicketFile, read_ticket_file

STEP = "pos.integrate"
LISTED_REJECTIONS = 1_000
TICKET_FILE_PREFIXES = ("ticdeg", "ticdep")


@dataclass
class FileOutcome:
    """What happened to one file (an item of the report's `files`)."""

    file: str
    status: str = "done"
    error: dict[str, str] | None = None
    kind: str | None = None
    store: str | None = None
    register: str | None = None
    tickets: int = 0
    integrated: int = 0
    already_integrated: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    moved_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def line(self) -> str:
        """What happened to the file, in one line (summaries, task reports)."""
        if self.error:
            return f"{self.file}: refused ({self.error['rule']}): {self.error['message']}"
        return (f"{self.file}: {self.tickets} tickets, {self.integrated} integrated, "
                f"{self.already_integrated} already integrated, {self.rejected} rejected")


def integrate_files(engine: Engine, files: Sequence[Path], *, dry_run: bool = False,
                    report: RunReport | None = None) -> tuple[RunReport, list[FileOutcome]]:
    """Integrate `files` one after the other; the run's report and each file's outcome."""
    report = report or RunReport("pos integrate", dry_run=dry_run)
    refs = load_references(engine)
    outcomes: list[FileOutcome] = []
    try:
        for path in files:
            outcomes.append(integrate_file(engine, Path(path), refs, report.run_id,
                                           dry_run=dry_run))
    except lock.DossierBusy as exc:
        summarise(report, outcomes)
        report.refuse("dossier_busy", busy_message(exc))
        return report, outcomes
    summarise(report, outcomes)
    return report, outcomes


def integrate_inbox(engine: Engine, root: Path, *, dry_run: bool = False,
                    report: RunReport | None = None, pattern: str = "*", min_age: float = 0.0
                    ) -> tuple[RunReport, list[FileOutcome]]:
    """Integrate every ticket file waiting in `root/incoming/` (`ticdeg*.zip`, `ticdep*.zip`,
    any case, in name order); each goes to `done/<day>/`, or `failed/<day>/` when refused,
    with `NAME.report.json`. A dry run leaves the files where they are. One pass at a time
    per inbox; a file whose transaction committed but which was not moved (a crash in
    between) is found again and its tickets are `already_integrated`."""
    report = report or RunReport("pos integrate", dry_run=dry_run)
    inbox = Inbox(root)
    outcomes: list[FileOutcome] = []
    with inbox.processing():
        waiting = [path for path in inbox.waiting(pattern, min_age=min_age)
                   if path.name.lower().startswith(TICKET_FILE_PREFIXES)
                   and path.name.lower().endswith(".zip")]
        refs = load_references(engine)
        for path in waiting:
            try:
                outcome = integrate_file(engine, path, refs, report.run_id, dry_run=dry_run)
            except lock.DossierBusy as exc:  # the file stays waiting for the next run
                summarise(report, outcomes)
                report.refuse("dossier_busy", busy_message(exc))
                return report, outcomes
            if not dry_run:
                filed = {"run_id": report.run_id, **outcome.to_dict()}
                target = (inbox.done(path, filed) if outcome.status == "done"
                          else inbox.failed(path, filed))
                outcome.moved_to = str(target)
            outcomes.append(outcome)
    summarise(report, outcomes)
    return report, outcomes


def summarise(report: RunReport, outcomes: Sequence[FileOutcome]) -> None:
    """The report's `files` and `totals`, and its exit status (1 refused, 3 rejected)."""
    report.put_list("files", [o.to_dict() for o in outcomes])
    report.body["totals"] = {
        "tickets": sum(o.tickets for o in outcomes),
        "integrated": sum(o.integrated for o in outcomes),
        "already_integrated": sum(o.already_integrated for o in outcomes),
        "rejected": sum(o.rejected for o in outcomes),
        "refused_files": sum(o.status == "failed" for o in outcomes),
    }
    if any(o.status == "failed" for o in outcomes):
        report.exit_code = Exit.REFUSED
    elif any(o.rejected for o in outcomes):
        report.exit_code = Exit.PARTIAL


def load_references(engine: Engine) -> References:
    """The dossier's codes the rules look up, read once per run."""
    with engine.connect() as conn:
        customer_ids = dict(conn.execute(select(customers.c.code, customers.c.id)).all())
        article_rows = conn.execute(
            select(articles.c.code, articles.c.id, articles.c.vat_code_id, vat_codes.c.rate)
            .select_from(articles.outerjoin(vat_codes, vat_codes.c.id == articles.c.vat_code_id))
        ).all()
        vat_rows = conn.execute(select(vat_codes.c.id, vat_codes.c.code, vat_codes.c.rate)
                                .order_by(vat_codes.c.code)).all()
        mode_rows = conn.execute(select(payment_modes.c.code, payment_modes.c.id,
                                        payment_modes.c.is_credit,
                                        payment_modes.c.is_deposit)).all()
    by_rate: dict[int, int] = {}
    for vat_id, _, rate in vat_rows:  # ordered by code: the first is the lowest
        by_rate.setdefault(_milli(rate), vat_id)
    return References(
        registers=_register_ids(engine),
        customers=customer_ids,
        articles={code: article_id for code, article_id, _, _ in article_rows},
        article_vat_ids={code: vat_id for code, _, vat_id, _ in article_rows
                         if vat_id is not None},
        article_rates={code: _milli(rate) for code, _, _, rate in article_rows
                       if rate is not None},
        vat_by_rate=by_rate,
        modes={code: mode_id for code, mode_id, _, _ in mode_rows},
        credit_modes=frozenset(code for code, _, credit, _ in mode_rows if credit),
        deposit_modes=frozenset(code for code, _, _, deposit in mode_rows if deposit),
    )


def _milli(rate: Any) -> int:
    """A VAT rate as an integer number of thousandths of a percent (`20.000` → 20000)."""
    return int(round(float(rate) * 1000)) if isinstance(rate, float) else int(rate * 1000)


def integrate_file(engine: Engine, path: Path, refs: References, run_id: str, *,
                   dry_run: bool = False) -> FileOutcome:
    """Integrate one file in its own transaction (see the module's documentation)."""
    outcome = FileOutcome(path.name)
    registers_known = refs.registers
    try:
        ticket_file = read_ticket_file(path, lambda s, r: (s, r) in registers_known)
    except PackageRefused as refused:
        _refuse(engine, path, outcome, refused, run_id, dry_run=dry_run)
        return outcome
    outcome.kind, outcome.store = ticket_file.kind, ticket_file.store
    outcome.register = ticket_file.register
    depot_id, register_id = registers_known[(ticket_file.store, ticket_file.register)]
    rows = read_rows(ticket_file.tickets, ticket_file.lines, ticket_file.payments)
    outcome.tickets = len(rows.tickets)
    now = dt.datetime.now(dt.UTC)
    with step_transaction(engine, STEP, dry_run=dry_run) as conn:
        rejections, new = _controlled(conn, rows, refs, depot_id, register_id, outcome)
        if not new.empty:
            _write(conn, rows, new, refs, ticket_file, depot_id, register_id, now)
        _record(conn, outcome, ticket_file, rejections, run_id, now)
    return outcome


def _register_ids(engine: Engine) -> dict[tuple[str, str], tuple[int, int]]:
    """(store code, register code) → (depot id, register id)."""
    with engine.connect() as conn:
        rows = conn.execute(select(depots.c.code, registers.c.code, depots.c.id, registers.c.id)
                            .select_from(registers.join(depots))).all()
    return {(store, code): (depot_id, register_id)
            for store, code, depot_id, register_id in rows}


def _refuse(engine: Engine, path: Path, outcome: FileOutcome, refused: PackageRefused,
            run_id: str, *, dry_run: bool) -> None:
    outcome.status = "failed"
    outcome.error = {"rule": refused.rule, "message": refused.message}
    if dry_run:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    with engine.begin() as conn:
        conn.execute(insert(pos_files).values(
            name=path.name, sha256=digest.hexdigest(), status="failed", run_id=run_id,
            processed_at=dt.datetime.now(dt.UTC)))
        write_log(conn, run_id, [LogRow("integrate", "error", refused.message,
                                        rule=refused.rule, file=path.name)])


def _controlled(conn: Connection, rows: Rows, refs: References, depot_id: int,
                register_id: int, outcome: FileOutcome) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rejections of the file and its new, valid tickets (the existing ones sorted out)."""
    t = rows.tickets
    numbers = t["number"].dropna()
    found = conn.execute(  # a range, not a list: one statement whatever the file's size
        select(pos_tickets.c.number, pos_tickets.c.total_incl_tax, pos_tickets.c.issued_at)
        .where(pos_tickets.c.depot_id == depot_id, pos_tickets.c.register_id == register_id,
               pos_tickets.c.number.between(int(numbers.min()), int(numbers.max())))
    ).all() if len(numbers) else []
    existing = pd.DataFrame(found, columns=["number", "db_total", "db_issued"])
    known = t.merge(existing.astype({"number": "Int64"}), on="number", how="inner")
    same = ((known["db_total"].map(lambda v: int(v * 100)) == known["total"]) & (
        pd.to_datetime(known["db_issued"], utc=True) == known["issued"])
            ).fillna(False).astype(bool)  # an unreadable total or time is not the same
    outcome.already_integrated = int(same.sum())
    conflicts = known.loc[~same, "key"]
    refs.documents = _documents(conn, rows)
    fresh = rows.tickets[~rows.tickets["key"].isin(known["key"])]
    checked = check(Rows(fresh, rows.lines[rows.lines["key"].isin(fresh["key"])],
                         rows.payments[rows.payments["key"].isin(fresh["key"])]), refs)
    conflict = pd.DataFrame({"ticket": conflicts.to_numpy(dtype=object), "line": None,
                             "rule": "conflict", "field": None,
                             "message": "the dossier already has this ticket with another "
                                        "total or time: the dossier's ticket stays"})
    rejections = pd.concat([conflict, checked], ignore_index=True) if len(conflict) else checked
    rejected = set(rejections["ticket"])
    new = fresh[~fresh["key"].isin(rejected)]
    outcome.rejected = len(rejected)
    outcome.integrated = len(new)
    return rejections, new


def _documents(conn: Connection, rows: Rows) -> dict[str, tuple[str, int]]:
    """The invoices and orders the file refers to: number → (type, customer id)."""
    wanted = set(rows.lines.loc[rows.lines["kind"].isin(ACCOUNT_KINDS), "document"].dropna())
    wanted |= set(rows.payments["reference"].dropna())
    wanted.discard("")
    if not wanted:
        return {}
    found = conn.execute(select(sales_documents.c.number, sales_documents.c.type,
                                sales_documents.c.customer_id)
                         .where(sales_documents.c.number.in_(bindparam("numbers",
                                                                       expanding=True))),
                         {"numbers": sorted(wanted)}).all()
    return {number: (kind, customer_id) for number, kind, customer_id in found}


def _write(conn: Connection, rows: Rows, new: pd.DataFrame, refs: References,
           ticket_file: TicketFile, depot_id: int, register_id: int, now: dt.datetime) -> None:
    """The new tickets, their lines and payments, and the sales days they need."""
    day_ids = _sales_days(conn, new["sales_day"], depot_id, register_id)
    tickets = pd.DataFrame({
        "depot_id": depot_id, "register_id": register_id,
        "number": new["number"].astype("int64").to_numpy(),
        "sales_day_id": new["sales_day"].dt.date.map(day_ids).astype("int64").to_numpy(),
        "customer_id": _column(new["customer"].map(refs.customers).astype("Int64")),
        "degraded": ticket_file.kind == "degraded",
        "total_incl_tax": _column(new["total"]),
        "source_file": ticket_file.path.name,
    })
    # instants as objects, with their zone: the loader writes datetime64 columns as dates
    tickets["issued_at"] = new["issued"].reset_index(drop=True).astype(object)
    tickets["received_at"] = pd.Series([now] * len(new), dtype=object)
    bulk_insert(conn, pos_tickets, tickets, {"total_incl_tax": tv.AMOUNT})
    ids = dict(conn.execute(
        select(pos_tickets.c.number, pos_tickets.c.id)
        .where(and_(pos_tickets.c.depot_id == depot_id, pos_tickets.c.register_id == register_id,
                    pos_tickets.c.number.between(int(tickets["number"].min()),
                                                 int(tickets["number"].max()))))).all())
    lines = rows.lines[rows.lines["key"].isin(new["key"])]
    vat = line_vat_codes(lines, refs)
    sales = ~lines["kind"].isin(ACCOUNT_KINDS)
    bulk_insert(conn, pos_ticket_lines, pd.DataFrame({
        "ticket_id": lines["number"].map(ids).astype("int64").to_numpy(),
        "line_no": lines["line_no"].astype("int64").to_numpy(),
        "kind": lines["kind"].to_numpy(),
        "article_id": _column(lines["article"].map(refs.articles).where(sales).astype("Int64")),
        "article_code": lines["article"].where(sales & tv.given(lines["article"])).to_numpy(),
        "quantity": _column(lines["qty"]),
        "unit_price_incl_tax": _column(lines["unit"]),
        "discount": _column(lines["disc"]),
        "vat_rate": _column(lines["rate"]),
        "vat_code_id": _column(vat.where(sales).astype("Int64")),
        "total_incl_tax": _column(lines["total"]),
        "document_ref": lines["document"].where(~sales).to_numpy(),
    }), {"quantity": tv.QUANTITY, "unit_price_incl_tax": tv.UNIT_PRICE, "discount": tv.RATE,
         "vat_rate": tv.RATE, "total_incl_tax": tv.AMOUNT})
    payments = rows.payments[rows.payments["key"].isin(new["key"])]
    if not payments.empty:
        bulk_insert(conn, pos_ticket_payments, pd.DataFrame({
            "ticket_id": payments["number"].map(ids).astype("int64").to_numpy(),
            "line_no": payments["line_no"].astype("int64").to_numpy(),
            "payment_mode_id": payments["mode"].map(refs.modes).astype("int64").to_numpy(),
            "amount": _column(payments["amt"]),
            "due_date": pd.Series(payments["due"].dt.date, dtype=object)
            .where(payments["due"].notna(), None).to_numpy(),
            "reference": payments["reference"].where(tv.given(payments["reference"])).to_numpy(),
        }), {"amount": tv.AMOUNT})


def _column(series: pd.Series) -> pd.Series:
    """A column for a frame built on a fresh index (nullable types kept)."""
    return series.reset_index(drop=True)


def _sales_days(conn: Connection, days: pd.Series, depot_id: int,
                register_id: int) -> dict[dt.date, int]:
    """The ids of the register's sales days for `days`, the missing ones created `open`."""
    wanted = sorted(set(days.dt.date))

    def existing() -> dict[dt.date, int]:
        found = conn.execute(select(sales_days.c.date, sales_days.c.id).where(
            sales_days.c.register_id == register_id,
            sales_days.c.date.in_(bindparam("days", expanding=True))), {"days": wanted}).all()
        return {(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))): i
                for d, i in found}

    have = existing()
    missing = [d for d in wanted if d not in have]
    if missing:
        conn.execute(insert(sales_days), [{"depot_id": depot_id, "register_id": register_id,
                                           "date": d, "status": "open"} for d in missing])
        have = existing()
    return have


def _record(conn: Connection, outcome: FileOutcome, ticket_file: TicketFile,
            rejections: pd.DataFrame, run_id: str, now: dt.datetime) -> None:
    """The file's `pos_files` row, its rejections in the POS log and in the outcome."""
    conn.execute(insert(pos_files).values(
        name=ticket_file.path.name, sha256=ticket_file.sha256, kind=ticket_file.kind,
        store=ticket_file.store, register=ticket_file.register, processed_at=now,
        status="done", tickets=outcome.tickets, integrated=outcome.integrated,
        already_integrated=outcome.already_integrated, rejected=outcome.rejected,
        run_id=run_id))
    listed = rejections.astype(object).where(rejections.notna(), None).to_dict("records")
    write_log(conn, run_id, [
        LogRow("integrate", "error", str(r["message"]), rule=r["rule"],
               file=ticket_file.path.name, store=ticket_file.store,
               register=ticket_file.register,
               ticket=r["ticket"] if isinstance(r["ticket"], int) else None)
        for r in listed])
    outcome.rejections = [{"ticket": r["ticket"], "line": r["line"], "rule": r["rule"],
                           "field": r["field"], "message": r["message"]}
                          for r in listed[:LISTED_REJECTIONS]]

