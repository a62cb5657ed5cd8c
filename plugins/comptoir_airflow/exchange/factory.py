"""The one place that maps an endpoint config to the code that talks to its server.

- `transport_for(target)`: a delivery target (`output.delivery`) to a `Transport`:
  `local` → `LocalTransport`, `ftp` → `FtpTransport`, `sftp` → `SftpTransport`,
  `email` → `EmailTransport` with `mailer_for(conn_id)`;
- `mailer_for(conn_id)`: the mailer of the installation, by `COMPTOIR_MAIL_BACKEND`:
  `FileMailer` (`file`, default) or `SmtpMailer` (`smtp`);
- `CONNECTOR`: opens the server side of an inbox source for `comptoir.exchange.fetch`
  (`sftp`/`ftp` folders; `imap`, `pop3` and `mail_folder` mailboxes), and gives a core
  function that reads a mailbox itself the installation's mailer;
- `fetch(source, inbox)`: one fetch pass through `CONNECTOR`.

Protocol modules are imported when first needed, never when a DAG file is parsed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from comptoir.exchange.endpoints import (
    AnySource,
    AnyTarget,
    FtpDelivery,
    FtpInboxSource,
    ImapInboxSource,
    LocalDelivery,
    MailFolderInboxSource,
    SftpDelivery,
    parse_delivery,
    parse_source,
)
from comptoir.exchange.fetch import FetchResult, FolderSource, MailboxSource
from comptoir.exchange.fetch import fetch as fetch_source
from comptoir.exchange.inbox import Inbox
from comptoir.exchange.mail import (
    EmailTransport,
    FileMailer,
    Mailbox,
    Mailer,
    MailFolder,
    mail_backend,
)
from comptoir.exchange.transports import LocalTransport, RemoteFolder, Transport

__all__ = ["CONNECTOR", "AirflowConnector", "fetch", "mailer_for", "transport_for"]


def mailer_for(conn_id: str | None = None) -> Mailer:
    """The mailer of this installation: `FileMailer` (default) or `SmtpMailer(conn_id)`."""
    if mail_backend() == "file":
        return FileMailer()
    from comptoir.exchange.endpoints import DEFAULT_SMTP_CONN_ID
    from comptoir_airflow.exchange.smtp import SmtpMailer

    return SmtpMailer(conn_id or DEFAULT_SMTP_CONN_ID)


def transport_for(target: AnyTarget | Mapping[str, Any]) -> Transport:
    """The transport of a task's `output.delivery` (a model, or the dict from JSON)."""
    if isinstance(target, Mapping):
        target = parse_delivery(dict(target))
    if isinstance(target, LocalDelivery):
        return LocalTransport(target.folder())
    if isinstance(target, FtpDelivery):
        from comptoir_airflow.exchange.ftp import FtpTransport

        return FtpTransport(target.conn_id, target.directory)
    if isinstance(target, SftpDelivery):
        from comptoir_airflow.exchange.sftp import SftpTransport

        return SftpTransport(target.conn_id, target.directory)
    return EmailTransport(to=target.to, subject=target.subject,
                          mailer=mailer_for(target.smtp_conn_id), sender=target.from_)


class AirflowConnector:
    """Opens folders and mailboxes of inbox sources on Airflow connections (`Connector`)."""

    @contextlib.contextmanager
    def folder(self, source: FolderSource) -> Iterator[RemoteFolder]:
        """An SFTP or FTP folder in an open session."""
        if isinstance(source, FtpInboxSource):
            from comptoir_airflow.exchange import ftp as protocol
        else:
            from comptoir_airflow.exchange import sftp as protocol  # type: ignore[no-redef]
        with protocol.folder(source.conn_id, source.directory) as opened:
            yield opened

    @contextlib.contextmanager
    def mailbox(self, source: MailboxSource, *, every_message: bool = False
                ) -> Iterator[Mailbox]:
        """An IMAP or POP3 mailbox, or a folder of `.eml` files, in an open session.

        `every_message`: an IMAP mailbox lists read messages too (the inter-site
        reception, which knows the messages it handled by their key)."""
        if isinstance(source, MailFolderInboxSource):
            with MailFolder(source.folder()).session() as opened:
                yield opened
        elif isinstance(source, ImapInboxSource):
            from comptoir_airflow.exchange.imap import ImapMailbox

            imap = ImapMailbox(source.conn_id, source.mailbox, source.processed_mailbox,
                               every_message=every_message)
            with imap.session() as opened:
                yield opened
        else:
            from comptoir_airflow.exchange.pop3 import Pop3Mailbox

            with Pop3Mailbox(source.conn_id).session() as opened:
                yield opened

    def mailer(self, conn_id: str | None = None) -> Mailer:
        """The installation's mailer (`mailer_for`): what a core function sends mail with."""
        return mailer_for(conn_id)


CONNECTOR = AirflowConnector()


def fetch(source: AnySource | Mapping[str, Any], inbox: Inbox) -> FetchResult:
    """Bring the source's new files into `inbox.incoming` (see `comptoir.exchange.fetch`)."""
    if isinstance(source, Mapping):
        source = parse_source(source)
    return fetch_source(source, inbox, CONNECTOR)
