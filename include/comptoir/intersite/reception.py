"""The central side: inter-site orders read from a mailbox, created as customer orders.

`receive` reads every message of a mailbox (any object implementing
`comptoir.exchange.mail.Mailbox`, its session open). Per message: its key (known:
`already_processed`, decided from the headers when the mailbox has `headers(handle)`),
its sender (a known site's), its order attachments, then each order
(`order_intake`). Everything one message writes, its `intersite_mails` row included, is
one transaction; then its attachments are archived, it is filed (processed or rejected),
and, when asked, a processed message is acknowledged. A dry run reads and checks
everything and writes, moves and sends nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, select

from comptoir.backoffice import lock
from comptoir.backoffice.dossier_time import dossier_zone
from comptoir.backoffice.schema import intersite_mails
from comptoir.backoffice.settings import get_setting
from comptoir.errors import ComptoirError
from comptoir.exchange.errors import ExchangeError
from comptoir.exchange.mail import FileMailer, Mailbox, Mailer, MailMessage, mail_backend
from comptoir.exchange.names import printable
from comptoir.intersite.acknowledgement import acknowledgement
from comptoir.intersite.order_document import (
    AttachmentRefused,
    ReceivedOrder,
    read_order_document,
)
from comptoir.intersite.order_intake import Outcome, Prices, check_orders, create_orders
from comptoir.intersite.received_mail import Part, archive, header_key, message_key, parts
from comptoir.intersite.reception_report import ReceptionReport
from comptoir.intersite.sites import Site, sites_by_sender

__all__ = ["LOCK_STEP", "WAIT_ENV", "receive"]

LOCK_STEP = "intersite.receive"
WAIT_ENV = "COMPTOIR_INTERSITE_LOCK_WAIT"


class _Run:
    """What one reception knows while it reads: the dossier, the sites, the day."""

    def __init__(self, engine: Engine, mailbox: Mailbox, source_name: str, prices: Prices,
                 dry_run: bool, ack: Callable[[MailMessage, Site, list[dict[str, Any]]], None]
                 | None, report: ReceptionReport, now: dt.datetime) -> None:
        self.engine, self.mailbox, self.source_name = engine, mailbox, source_name
        self.prices, self.dry_run, self.ack, self.report = prices, dry_run, ack, report
        self.day = now.date()
        self.sites: dict[str, Site] = {}
        self.keys_in_run: set[str] = set()
        self.received_in_run: dict[tuple[str, str], str | None] = {}

    # ------------------------------------------------------------------ messages

    def known(self, key: str) -> bool:
        if key in self.keys_in_run:
            return True
        with self.engine.connect() as conn:
            return _key_known(conn, key)

    def handle(self, handle: str) -> None:
        early = getattr(self.mailbox, "headers", None)
        head = early(handle) if callable(early) else None
        if head is not None and (key := header_key(head)) and self.known(key):
            self._already(handle, key, head)
            return
        message = self.mailbox.read(handle)
        if message is None:  # gone since the listing
            return
        key = message_key(message)
        if self.known(key):
            self._already(handle, key, message)
            return
        self.keys_in_run.add(key)
        entry = _entry(key, handle, message)
        site = self.sites.get(message.sender_address.lower())
        attachments = parts(message)
        orders: list[ReceivedOrder] = []
        if site is None:
            _reject(entry, "unknown_sender",
                    f"{printable(message.sender_address) or 'no sender'} is not a sender of a "
                    "known site")
        else:
            entry["site"] = site.code
            orders = self._orders(entry, site, attachments)
        if entry["state"] != "rejected":
            assert site is not None
            self._write(entry, site, message, orders)
        elif not self.dry_run:
            self._record(entry, site, message)
        self.report.messages.append(entry)
        if self.dry_run:
            return
        if entry["state"] == "already_processed":  # another run took it meanwhile
            self._file(entry, handle, "processed")
            return
        try:
            archive(attachments, self.day)
        except (OSError, ValueError) as exc:
            self._warn(entry, f"attachments not archived: {exc}")
        self._file(entry, handle, entry["state"])
        if self.ack is not None and entry["state"] == "processed" and site is not None:
            try:
                self.ack(message, site, entry["orders"])
                self.report.acknowledgements += 1
            except (ExchangeError, OSError) as exc:
                self._warn(entry, f"acknowledgement not sent: {exc}")

    def _orders(self, entry: dict[str, Any], site: Site, attachments: list[Part]
                ) -> list[ReceivedOrder]:
        documents = [part for part in attachments if part.is_json]
        if not documents:
            _reject(entry, "no_attachment", "the message has no JSON attachment")
            return []
        orders: list[ReceivedOrder] = []
        for part in documents:
            name = printable(part.filename) or "(no name)"
            try:
                document = read_order_document(part.payload)
            except AttachmentRefused as exc:
                _reject(entry, exc.rule, f"{name}: {exc.message}")
                return []
            if document.site != site.code:
                _reject(entry, "site_mismatch",
                        f"{name}: site {printable(document.site)!r} is not the sender's site "
                        f"{site.code}")
                return []
            orders += document.orders
        return orders

    def _write(self, entry: dict[str, Any], site: Site, message: MailMessage,
               orders: list[ReceivedOrder]) -> None:
        """Check the orders and, unless a dry run, write them with the mail in one
        transaction (the key checked again under the dossier's lock)."""
        if self.dry_run:
            with self.engine.connect() as conn:
                outcomes = check_orders(conn, site, orders, self.prices, self.received_in_run)
            self._outcomes(entry, site, outcomes)
            return
        with self.engine.begin() as conn:
            lock.acquire(conn, LOCK_STEP, lock.wait_seconds(WAIT_ENV))
            if _key_known(conn, entry["key"]):
                entry["state"] = "already_processed"
                return
            outcomes = check_orders(conn, site, orders, self.prices, self.received_in_run)
            mail_id = _insert_mail(conn, entry, site, message, self.source_name)
            create_orders(conn, site, outcomes, key=entry["key"], mail_id=mail_id)
            self._outcomes(entry, site, outcomes)
            conn.execute(intersite_mails.update().where(intersite_mails.c.id == mail_id)
                         .values(report=_json(entry)))

    def _outcomes(self, entry: dict[str, Any], site: Site, outcomes: list[Outcome]) -> None:
        entry["orders"] = [outcome.as_report() for outcome in outcomes]
        for outcome in outcomes:
            if outcome.state == "created":
                self.received_in_run[(site.code, outcome.order.id)] = outcome.document

    def _record(self, entry: dict[str, Any], site: Site | None, message: MailMessage) -> None:
        with self.engine.begin() as conn:
            lock.acquire(conn, LOCK_STEP, lock.wait_seconds(WAIT_ENV))
            if _key_known(conn, entry["key"]):
                entry.update(state="already_processed", rule=None, message=None)
                return
            _insert_mail(conn, entry, site, message, self.source_name)

    def _already(self, handle: str, key: str, message: MailMessage) -> None:
        entry = _entry(key, handle, message)
        entry["state"] = "already_processed"
        site = self.sites.get(message.sender_address.lower())
        entry["site"] = site.code if site else None
        self.report.messages.append(entry)
        if not self.dry_run:
            self._file(entry, handle, "processed")

    def _file(self, entry: dict[str, Any], handle: str, state: str) -> None:
        """Processed (and already processed) → processed; rejected → left for a person."""
        folder = "rejected" if state == "rejected" else "processed"
        try:
            filing = getattr(self.mailbox, "file", None)
            if callable(filing):
                filing(handle, folder, self.day)
            else:
                self.mailbox.done(handle, kept=folder == "processed")
        except (ExchangeError, OSError) as exc:
            self._warn(entry, f"not filed: {exc}")

    def _warn(self, entry: dict[str, Any], text: str) -> None:
        self.report.warnings += 1
        entry["message"] = f"{entry['message']}; {text}" if entry["message"] else text


def _entry(key: str, handle: str, message: MailMessage) -> dict[str, Any]:
    return {"key": key, "where": handle, "from": message.sender_address,
            "subject": message.subject, "site": None, "state": "processed", "rule": None,
            "message": None, "orders": []}


def _reject(entry: dict[str, Any], rule: str, message: str) -> None:
    entry.update(state="rejected", rule=rule, message=message, orders=[])


def _json(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False)


def _key_known(conn: Connection, key: str) -> bool:
    return conn.execute(select(intersite_mails.c.id).where(intersite_mails.c.key == key)
                        ).first() is not None


def _insert_mail(conn: Connection, entry: dict[str, Any], site: Site | None,
                 message: MailMessage, source_name: str) -> int:
    return conn.execute(intersite_mails.insert().values(
        key=entry["key"], source=source_name[:250], uid=entry["where"][:120],
        sender=message.sender_address[:250], subject=message.subject[:250],
        site_id=site.id if site else None, outcome=entry["state"], rule=entry["rule"],
        report=_json(entry))).inserted_primary_key[0]


def _now(engine: Engine) -> dt.datetime:
    with engine.connect() as conn:
        zone = dossier_zone(conn)
    return dt.datetime.now(zone).replace(microsecond=0)


def _acknowledger(engine: Engine, mailer: Mailer | None, now: dt.datetime
                  ) -> Callable[[MailMessage, Site, list[dict[str, Any]]], None]:
    """The function that answers a processed message; ComptoirError when it cannot."""
    with engine.connect() as conn:
        sender = get_setting(conn, "intersite_ack_from")
    if not sender:
        raise ComptoirError("--acknowledge needs the sender of acknowledgements: "
                            "comptoir settings set intersite_ack_from ADDRESS")
    if mailer is None:
        if mail_backend() == "smtp":
            raise ComptoirError("COMPTOIR_MAIL_BACKEND=smtp: the comptoir command cannot "
                                "reach Airflow's SMTP connection; acknowledge through the "
                                "intersite_receive task")
        mailer = FileMailer()
    chosen: Mailer = mailer

    def send(message: MailMessage, site: Site, orders: list[dict[str, Any]]) -> None:
        chosen.send(acknowledgement(sender=sender, to=message.sender_address,
                                    subject=message.subject, message_id=message.message_id,
                                    site=site.code, orders=orders, now=now))

    return send


def receive(engine: Engine, mailbox: Mailbox, *, source_name: str, prices: Prices = "order",
            acknowledge: bool = False, dry_run: bool = False, mailer: Mailer | None = None
            ) -> ReceptionReport:
    """Read every message of `mailbox` (an open session); the report (never raises for a
    message: a mailbox failure is the report's `error`, exit 1)."""
    now = _now(engine)
    report = ReceptionReport(source=source_name, dry_run=dry_run, started_at=now.isoformat())
    try:
        if prices not in ("order", "catalogue"):
            raise ComptoirError(f"--prices {prices!r}: expected order or catalogue")
        ack = _acknowledger(engine, mailer, now) if acknowledge and not dry_run else None
        if acknowledge and dry_run:
            _acknowledger(engine, FileMailer(), now)  # the setting is required all the same
        run = _Run(engine, mailbox, source_name, prices, dry_run, ack, report, now)
        with engine.connect() as conn:
            run.sites = sites_by_sender(conn)
        if not run.sites:
            raise ComptoirError("the dossier has no known site: add one with "
                                "comptoir intersite sites add")
        for handle in mailbox.pending():
            run.handle(handle)
    except ComptoirError as exc:
        report.error = str(exc)
    report.finished_at = _now(engine).isoformat()
    return report
