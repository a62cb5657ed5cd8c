"""Sending the selected purchase orders to the central base (the seed's "Valider").

One mail per supplier, from the user's address to the supplier's order address, with
every selected order that can be sent; `empty_order`, `line_without_article` and
`not_selected` orders stay as they are and are reported. Once a message has been handed
to the mailer, its orders get status `pending` (a `received` order keeps its status),
`sent_at` and `sent_message_id` in one transaction; a message that cannot be sent changes
nothing. Exit 0 all sent (or nothing to send), 3 some not sent, 1 nothing could be done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from typing import Any

from sqlalchemy import Connection, Engine, case
from sqlalchemy.exc import SQLAlchemyError

from comptoir.backoffice.schema import purchase_orders
from comptoir.backoffice.settings import get_setting
from comptoir.errors import ComptoirError
from comptoir.exchange.mail import Mailer
from comptoir.intersite.attachment import attachment_name, document_bytes, orders_document
from comptoir.intersite.message import orders_message
from comptoir.intersite.selection import SelectedOrder, Selection, select_orders
from comptoir.intersite.suppliers import order_address, set_order_address
from comptoir.intersite.users import find_user

__all__ = ["MessageOutcome", "NotSent", "SendRequest", "SendResult", "send_orders"]


class SendRefused(ComptoirError):
    """Nothing can be sent: site code, user, supplier or order address."""


@dataclass(frozen=True)
class SendRequest:
    """What `comptoir intersite send` was asked."""

    user: str
    selection: Selection = Selection()
    orders: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    recipient: str | None = None
    dry_run: bool = False


@dataclass
class MessageOutcome:
    """One supplier's message."""

    supplier: str
    recipient: str
    message_id: str
    attachment: str
    orders: list[str]
    state: str = "sent"
    error: str | None = None


@dataclass(frozen=True)
class NotSent:
    """An order left out, and why."""

    order: str
    rule: str
    message: str


@dataclass
class SendResult:
    """The report of a sending."""

    site: str | None
    user: str
    sender: str | None = None
    dry_run: bool = False
    error: str | None = None
    messages: list[MessageOutcome] = field(default_factory=list)
    not_sent: list[NotSent] = field(default_factory=list)

    @property
    def orders_sent(self) -> int:
        """How many orders left in a message (would leave, in a dry run)."""
        return sum(len(m.orders) for m in self.messages if m.state == "sent")

    @property
    def exit_code(self) -> int:
        """0 everything selected sent, 3 something not sent, 1 nothing could be done."""
        if self.error is not None:
            return 1
        if self.not_sent or any(m.state != "sent" for m in self.messages):
            return 3
        return 0

    def as_json(self) -> dict[str, Any]:
        """The report document of the contract."""
        return {"site": self.site, "user": self.user, "sender": self.sender,
                "dry_run": self.dry_run, "error": self.error,
                "messages": [vars(m) | {"orders": list(m.orders)} for m in self.messages],
                "not_sent": [vars(item) for item in self.not_sent],
                "orders_sent": self.orders_sent}

    def summary(self) -> str:
        """One line: what was sent, what was not."""
        if self.error is not None:
            return self.error
        failed = sum(len(m.orders) for m in self.messages if m.state != "sent")
        if not self.messages and not self.not_sent:
            return f"{self.site}: nothing to send"
        sent = sum(1 for m in self.messages if m.state == "sent")
        verb = "would be sent" if self.dry_run else "sent"
        line = f"{self.site}: {self.orders_sent} order(s) {verb} in {sent} message(s)"
        if failed:
            line += f"; {failed} order(s) in {len(self.messages) - sent} message(s) not sent"
        if self.not_sent:
            line += f"; {len(self.not_sent)} order(s) left out"
        return line


def _site(conn: Connection) -> str:
    site = get_setting(conn, "intersite_site_code")
    if not site:
        raise SendRefused("the site code is not set: comptoir settings set "
                          "intersite_site_code CODE")
    return site


def _sender(conn: Connection, login: str) -> tuple[str, str]:
    """The user's address, and the From header (with the user's name)."""
    user = find_user(conn, login)
    if user is None:
        raise SendRefused(f"unknown user {login!r}: comptoir users set {login} --email ADDRESS")
    if not user.email:
        raise SendRefused(f"user {login} has no e-mail address: comptoir users set {login} "
                          "--email ADDRESS")
    return user.email, str(Address(display_name=user.name or "", addr_spec=user.email))


def _left_out(order: SelectedOrder) -> NotSent | None:
    if not order.lines:
        return NotSent(order.number, "empty_order", "the order has no line")
    missing = [str(line.line_no) for line in order.lines if line.article is None]
    if missing:
        return NotSent(order.number, "line_without_article",
                       f"line(s) {', '.join(missing)} without article: the central base "
                       "could not supply them")
    return None


def _choose(request: SendRequest, selected: list[SelectedOrder], result: SendResult
            ) -> list[SelectedOrder]:
    """The orders to send: `--exclude` taken out, `--order` kept, the unsendable reported."""
    excluded = set(request.exclude)
    chosen = [o for o in selected if o.number not in excluded]
    if request.orders:
        named = set(request.orders)
        chosen = [o for o in chosen if o.number in named]
        present = {o.number for o in chosen}
        result.not_sent += [NotSent(n, "not_selected", "not in the selection")
                            for n in dict.fromkeys(request.orders) if n not in present]
    sendable = []
    for order in chosen:
        problem = _left_out(order)
        if problem is None:
            sendable.append(order)
        else:
            result.not_sent.append(problem)
    return sendable


def _recipients(conn: Connection, request: SendRequest, suppliers: Sequence[str]
                ) -> tuple[dict[str, str], set[str]]:
    """The order address of each supplier, and the suppliers whose address is `--recipient`
    to store; `SendRefused` when an address is missing or differs from `--recipient`."""
    addresses: dict[str, str] = {}
    to_store: set[str] = set()
    wanted = request.recipient
    if wanted is not None:
        from comptoir.exchange.endpoints import check_address

        try:
            wanted = check_address(wanted)
        except ValueError as exc:
            raise SendRefused(f"--recipient: {exc}") from None
    for code in dict.fromkeys([*request.selection.suppliers, *suppliers]):
        stored = order_address(conn, code)
        if stored is None and wanted is None:
            raise SendRefused(f"supplier {code} has no order address: give it with "
                              f"--recipient, or comptoir intersite supplier-email {code} ADDRESS")
        if stored is not None and wanted is not None and stored.casefold() != wanted.casefold():
            raise SendRefused(f"--recipient {wanted} is not the order address of supplier "
                              f"{code} ({stored}): change it with comptoir intersite "
                              "supplier-email")
        if stored is None:
            to_store.add(code)
        addresses[code] = stored or wanted  # type: ignore[assignment]
    return addresses, to_store


def send_orders(engine: Engine, request: SendRequest, mailer: Mailer, *,
                now: dt.datetime | None = None) -> SendResult:
    """Send the selected orders, one message per supplier, through `mailer`."""
    from comptoir.automation.runner import dossier_now

    result = SendResult(site=None, user=request.user, dry_run=request.dry_run)
    moment = (now or dossier_now(engine)).replace(microsecond=0)
    try:
        with engine.connect() as conn:
            result.site = _site(conn)
            result.sender, from_header = _sender(conn, request.user)
            selected = select_orders(conn, request.selection)
            sendable = _choose(request, selected, result)
            by_supplier: dict[str, list[SelectedOrder]] = {}
            for order in sendable:
                by_supplier.setdefault(order.supplier, []).append(order)
            addresses, to_store = _recipients(conn, request, list(by_supplier))
            company = get_setting(conn, "company_name")
    except ComptoirError as exc:
        result.error = str(exc)
        result.not_sent.clear()
        return result
    if not request.dry_run and to_store - set(by_supplier):
        with engine.begin() as conn:
            for code in sorted(to_store - set(by_supplier)):
                set_order_address(conn, code, addresses[code])
    for code, orders in by_supplier.items():
        result.messages.append(_send_one(engine, request, mailer, result, moment, company,
                                         orders, (from_header, addresses[code]),
                                         store=code in to_store))
    return result


def _send_one(engine: Engine, request: SendRequest, mailer: Mailer, result: SendResult,
              moment: dt.datetime, company: str | None, orders: list[SelectedOrder],
              addresses: tuple[str, str], *, store: bool) -> MessageOutcome:
    """Build, send and record one supplier's message (`addresses`: From, To)."""
    from_header, recipient = addresses
    assert result.site is not None and result.sender is not None
    first = orders[0]
    name = attachment_name(result.site, moment)
    document = orders_document(site=result.site, company=company, sent_at=moment,
                               sender=result.sender, supplier=(first.supplier,
                                                               first.supplier_name),
                               orders=orders)
    message = orders_message(site=result.site, sender=from_header, recipient=recipient,
                             orders=orders, attachment=name, payload=document_bytes(document))
    outcome = MessageOutcome(first.supplier, recipient, str(message["Message-ID"]), name,
                             [o.number for o in orders])
    if request.dry_run:
        return outcome
    try:
        mailer.send(message)
    except (ComptoirError, OSError) as exc:
        outcome.state, outcome.error = "error", f"not sent: {exc}"
        return outcome
    try:
        with engine.begin() as conn:
            if store:
                set_order_address(conn, first.supplier, recipient)
            _mark_sent(conn, [o.id for o in orders], moment, outcome.message_id)
    except SQLAlchemyError as exc:
        outcome.state = "error"
        outcome.error = ("sent, but the dossier could not record it (the orders will be sent "
                         f"again; the central base recognises them): {exc}")
    return outcome


def _mark_sent(conn: Connection, ids: list[int], moment: dt.datetime, message_id: str) -> None:
    po = purchase_orders.c
    conn.execute(purchase_orders.update().where(po.id.in_(ids)).values(
        status=case((po.status == "received", "received"), else_="pending"),
        sent_at=moment, sent_message_id=message_id))
