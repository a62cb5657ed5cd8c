"""Where the central base reads its inter-site mail: a source as JSON, the default one.

Kinds `imap`, `pop3` and `mail_folder` (`comptoir.exchange.endpoints`). Without a source
option: the setting `intersite_source`, else the mail folder `incoming` (under
`COMPTOIR_HOME/mail/`). The core reads a mail folder itself; IMAP and POP3 mailboxes are
Airflow connections, read by the plugins.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine

from comptoir.backoffice.settings import get_setting
from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import InboxSource, MailFolderInboxSource
from comptoir.exchange.mail import Mailer, MailFolder
from comptoir.intersite.order_intake import Prices
from comptoir.intersite.reception import receive
from comptoir.intersite.reception_report import ReceptionReport

__all__ = ["DEFAULT_SOURCE", "SourceError", "failed", "parse_source", "receive_mail_folder",
           "source_name", "stored_source"]

DEFAULT_SOURCE: dict[str, Any] = {"kind": "mail_folder", "path": "incoming"}
MAIL_KINDS = ("imap", "pop3", "mail_folder")


class SourceError(ComptoirError):
    """The source of the reception is not a mailbox Comptoir can read."""


def parse_source(value: str | dict[str, Any]) -> Any:
    """The source (an `InboxSource` of a mail kind); `SourceError` saying why not."""
    try:
        data = json.loads(value) if isinstance(value, str) else value
        source = TypeAdapter(InboxSource).validate_python(data)
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()
        raise SourceError(f"invalid source: {' '.join(first[:3])}") from None
    if source.kind not in MAIL_KINDS:
        raise SourceError(f"invalid source: kind {source.kind!r} is not a mailbox "
                          "(imap, pop3 or mail_folder)")
    return source


def stored_source(engine: Engine) -> Any:
    """The setting `intersite_source`, else the mail folder `incoming`."""
    with engine.connect() as conn:
        value = get_setting(conn, "intersite_source")
    return parse_source(value or DEFAULT_SOURCE)


def source_name(source: Any) -> str:
    """`mail folder incoming`, `IMAP connection 'x', mailbox INBOX`, `POP3 connection 'x'`."""
    if source.kind == "mail_folder":
        return f"mail folder {source.path}"
    if source.kind == "imap":
        return f"IMAP connection {source.conn_id!r}, mailbox {source.mailbox}"
    return f"POP3 connection {source.conn_id!r}"


def receive_mail_folder(engine: Engine, source: MailFolderInboxSource, *,
                        prices: Prices = "order", acknowledge: bool = False,
                        dry_run: bool = False, mailer: Mailer | None = None
                        ) -> ReceptionReport:
    """`receive` over the source's folder of `.eml` files (created if missing)."""
    name = source_name(source)
    try:
        mailbox = MailFolder(source.folder())
        with mailbox.session() as opened:
            return receive(engine, opened, source_name=name, prices=prices,
                           acknowledge=acknowledge, dry_run=dry_run, mailer=mailer)
    except ComptoirError as exc:
        return failed(name, dry_run, str(exc))


def failed(name: str, dry_run: bool, error: str) -> ReceptionReport:
    """The report of a reception that could not read its mailbox (exit 1)."""
    moment = dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
    return ReceptionReport(source=name, dry_run=dry_run, started_at=moment,
                           finished_at=moment, error=error)
