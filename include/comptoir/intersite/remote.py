"""The reception over any source: a mail folder read here, IMAP and POP3 through a connector.

The core (`reception.receive`) reads a mailbox; this module opens the source's and says
which of its messages are to be read (`spec/intersite.md`, Mailboxes):

- IMAP: every message not flagged deleted, read or not (a person may have opened it in
  a webmail), its headers first; a processed message is marked read and moved to
  `processed_mailbox` (default `Comptoir/Commandes inter-sites`), a rejected one marked
  read and left in place — and, its key known as rejected, not listed again;
- POP3: every message whose UIDL the dossier does not know for that connection
  (`intersite_mails.source` and `uid`); nothing is ever deleted;
- mail folder: `sources.receive_mail_folder`.

The connector is Airflow's (`comptoir_airflow.exchange.factory.CONNECTOR`, given by the
run operator or the `comptoir_airflow.intersite_receive` command): the core never imports
Airflow. Failures to connect, log in or open the folder are the report's `error` (exit 1).
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from sqlalchemy import Engine, select

from comptoir.backoffice.schema import intersite_mails
from comptoir.errors import ComptoirError
from comptoir.exchange.mail import Mailbox, Mailer, MailMessage
from comptoir.intersite.order_intake import Prices
from comptoir.intersite.received_mail import header_key, message_key
from comptoir.intersite.reception import receive
from comptoir.intersite.reception_report import ReceptionReport
from comptoir.intersite.source_defaults import PROCESSED_MAILBOX, intersite_source
from comptoir.intersite.sources import failed, receive_mail_folder, source_name

__all__ = ["PROCESSED_MAILBOX", "RESULT_MARKER", "KnownMessages", "MailboxOpener",
           "intersite_source", "open_mailbox", "receive_source", "waiting"]

RESULT_MARKER = "COMPTOIR-INTERSITE "
"""Starts the line where `comptoir_airflow.intersite_receive` prints its report (JSON)."""


class MailboxOpener(Protocol):
    """What opens IMAP and POP3 mailboxes (Airflow's `AirflowConnector`)."""

    def mailbox(self, source: Any, *, every_message: bool = False
                ) -> contextlib.AbstractContextManager[Mailbox]:
        """The source's mailbox in an open session (`every_message`: read ones too)."""
        ...


class KnownMessages:
    """A mailbox as the reception reads it: the messages the dossier already settled left
    out of `pending` (POP3: by UIDL for this source; IMAP: the rejected messages left in
    place), headers kept from the listing."""

    def __init__(self, mailbox: Mailbox, engine: Engine, source: str) -> None:
        self.mailbox, self.engine, self.source = mailbox, engine, source
        self.keeps_messages = mailbox.keeps_messages
        self._headers: dict[str, MailMessage | None] = {}
        self._keys: dict[str, str] = {}

    @property
    def name(self) -> str:
        """The inner mailbox's name."""
        return self.mailbox.name

    def pending(self, sender: str | None = None) -> list[str]:
        """The handles to read, in the mailbox's order."""
        handles = self.mailbox.pending(sender)
        if self.keeps_messages:  # POP3: the UIDLs this source already handled
            with self.engine.connect() as conn:
                known = set(conn.scalars(select(intersite_mails.c.uid).where(
                    intersite_mails.c.source == self.source[:250])))
            return [handle for handle in handles if handle[:120] not in known]
        keys: dict[str, str] = {}
        for handle in handles:
            head = self.headers(handle)
            if head is not None and (key := header_key(head)):
                keys[handle] = key
        rejected = self._rejected(set(keys.values()))
        return [handle for handle in handles if keys.get(handle) not in rejected]

    def _rejected(self, keys: set[str]) -> set[str]:
        if not keys:
            return set()
        found: set[str] = set()
        listed = sorted(keys)
        with self.engine.connect() as conn:
            for start in range(0, len(listed), 500):
                found.update(conn.scalars(select(intersite_mails.c.key).where(
                    intersite_mails.c.key.in_(listed[start:start + 500]),
                    intersite_mails.c.outcome == "rejected")))
        return found

    def key(self, handle: str) -> str:
        """The inner mailbox's key."""
        return self.mailbox.key(handle)

    def headers(self, handle: str) -> MailMessage | None:
        """The message's headers (once per handle); None when the mailbox cannot give them."""
        if handle not in self._headers:
            early = getattr(self.mailbox, "headers", None)
            head = early(handle) if callable(early) else None
            self._headers[handle] = head
            if head is not None and (key := header_key(head)):
                self._keys[handle] = key
        return self._headers[handle]

    def read(self, handle: str) -> MailMessage | None:
        """The whole message, left unread."""
        message = self.mailbox.read(handle)
        if message is not None:
            self._keys[handle] = message_key(message)
        return message

    def done(self, handle: str, *, kept: bool) -> None:
        """IMAP: marked read, moved when processed — never a message whose key is known
        as rejected (a copy without Message-ID read again): it stays for a person; POP3:
        nothing."""
        key = self._keys.get(handle)
        if kept and key is not None and self._rejected({key}):
            kept = False
        self.mailbox.done(handle, kept=kept)


@contextlib.contextmanager
def open_mailbox(engine: Engine, source: Any, connector: MailboxOpener | None
                 ) -> Any:
    """The source's mailbox (IMAP or POP3) in an open session, as the reception reads it."""
    if connector is None:
        raise ComptoirError(f"{source_name(source)}: an IMAP or POP3 mailbox is read through "
                            "Airflow's connections (the intersite_receive task, or "
                            "comptoir intersite receive)")
    with connector.mailbox(source, every_message=True) as opened:
        yield KnownMessages(opened, engine, source_name(source))


def waiting(engine: Engine, source: Any, connector: MailboxOpener | None) -> int:
    """How many messages wait to be read in the source (it is opened: a failure raises)."""
    source = intersite_source(source)
    if source.kind == "mail_folder":
        from comptoir.exchange.mail import MailFolder

        with MailFolder(source.folder()).session() as folder:
            return len(folder.pending())
    with open_mailbox(engine, source, connector) as mailbox:
        return len(mailbox.pending())


def receive_source(engine: Engine, source: Any, connector: MailboxOpener | None, *,
                   prices: Prices = "order", acknowledge: bool = False, dry_run: bool = False,
                   mailer: Mailer | None = None) -> ReceptionReport:
    """`receive` over an `imap`, `pop3` or `mail_folder` source; a source that cannot be
    opened or read is the report's `error` (exit 1)."""
    source = intersite_source(source)
    if source.kind == "mail_folder":
        return receive_mail_folder(engine, source, prices=prices, acknowledge=acknowledge,
                                   dry_run=dry_run, mailer=mailer)
    name = source_name(source)
    try:
        with open_mailbox(engine, source, connector) as mailbox:
            return receive(engine, mailbox, source_name=name, prices=prices,
                           acknowledge=acknowledge, dry_run=dry_run, mailer=mailer)
    except ComptoirError as exc:
        return failed(name, dry_run, str(exc))
