"""Fetching a source into an inbox: one pass, nothing lost, nothing fetched twice.

`fetch(source, inbox, connector)` brings the files of an inbox source into
`inbox.incoming`, and only then removes them from where they were:

- `local`: nothing to fetch, the source's folder is the inbox (`inbox_for(source, ...)`);
- a folder of a server (`sftp`, `ftp`), by `fetch_folder`: every file whose name
  matches the pattern is saved, then moved on the server into the folder's `processed/`
  subfolder (deleted when it cannot be moved). Hidden and temporary names (`.NAME.part`)
  are uploads in progress: skipped. A file whose size or date changed while it was read
  is left for the next pass; so is one that cannot be read or has vanished;
- a mailbox (`imap`, `pop3`, `mail_folder`), by `fetch_mailbox`: the matching
  attachments of each message are saved, then the message is filed (`Mailbox.done`).

A crash between saving and removing never yields a duplicate: the inbox's fetch ledger
remembers what was saved until the server side is done. A name the fetch cannot use
(not UTF-8, a line break...) is left on the server and reported, escaped; the other
files are fetched. A server that cannot be reached or refuses the login raises an
`ExchangeError` before anything changed; one that drops mid-pass keeps what was saved.

The `Connector` opens the server side: `comptoir_airflow.exchange.factory` implements
it on Airflow connections, tests with in-memory fakes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from comptoir.exchange.endpoints import (
    AnySource,
    FtpInboxSource,
    ImapInboxSource,
    LocalInboxSource,
    MailFolderInboxSource,
    MailSource,
    Pop3InboxSource,
    SftpInboxSource,
)
from comptoir.exchange.errors import CommandRefused, InboxError, UnsafeFileName
from comptoir.exchange.inbox import Inbox
from comptoir.exchange.ledger import FetchLedger, content_digest, ledger_key
from comptoir.exchange.mail import Mailbox, Mailer, MailMessage
from comptoir.exchange.names import is_temporary, matches, printable, safe_name
from comptoir.exchange.transports import (
    FileChanged,
    NotRemoved,
    RemoteFile,
    RemoteFolder,
    Unreadable,
)

__all__ = [
    "Connector",
    "FetchResult",
    "FetchedFile",
    "Skipped",
    "fetch",
    "fetch_folder",
    "fetch_mailbox",
]

FolderSource = SftpInboxSource | FtpInboxSource
MailboxSource = ImapInboxSource | Pop3InboxSource | MailFolderInboxSource


class Connector(Protocol):
    """Opens the server side of a source: a session on a folder or a mailbox."""

    def folder(self, source: FolderSource) -> contextlib.AbstractContextManager[RemoteFolder]:
        """The source's folder in an open session, closed at the end."""
        ...

    def mailbox(self, source: MailboxSource) -> contextlib.AbstractContextManager[Mailbox]:
        """The source's mailbox in an open session, closed at the end."""
        ...

    def mailer(self, conn_id: str | None = None) -> Mailer:
        """The installation's mail backend (`.eml` files, or SMTP on `conn_id`)."""
        ...


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FetchedFile:
    """A file fetched into the inbox, and where it came from."""

    path: Path
    remote_name: str
    origin: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A remote file or message left where it is, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class FetchResult:
    """What one fetch brought into the inbox, and what it left on the server."""

    source: str
    fetched: tuple[FetchedFile, ...] = ()
    already_fetched: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def paths(self) -> list[Path]:
        """The files fetched now, in the inbox."""
        return [item.path for item in self.fetched]

    def summary(self) -> str:
        """Report lines (remote names escaped): what came in, what was finished, what was left."""
        if self.fetched:
            names = ", ".join(printable(item.remote_name) for item in self.fetched)
            lines = [f"Fetched from {self.source}: {names}"]
        else:
            lines = [f"Nothing new in {self.source}"]
        if self.already_fetched:
            lines.append("Fetched earlier, now cleaned up: "
                         + ", ".join(printable(name) for name in self.already_fetched))
        lines += [f"Left on the server: {printable(item.name)}: {printable(item.reason)}"
                  for item in self.skipped]
        return "\n".join(lines)


# ------------------------------------------------------------------------- folders


def fetch_folder(folder: RemoteFolder, source: FolderSource, inbox: Inbox) -> FetchResult:
    """Fetch every matching file of `folder` into `inbox`, then remove it from the server."""
    source_id = ledger_key(*source.identity())
    fetched: list[FetchedFile] = []
    already: list[str] = []
    skipped: list[Skipped] = []
    with FetchLedger.open(inbox, source_id) as ledger:
        for remote in sorted(folder.files(), key=lambda f: f.name):
            if is_temporary(remote.name) or not matches(remote.name, source.pattern):
                continue
            if remote.unusable:
                skipped.append(Skipped(remote.name, remote.unusable))
                continue
            outcome = _fetch_one(folder, source, ledger, remote, skipped)
            if outcome is None:
                continue
            path, new = outcome
            if new and path is not None:
                fetched.append(FetchedFile(path, remote.name, _origin(source, remote)))
            elif not new:
                already.append(remote.name)
        ledger.prune()
    return FetchResult(source.describe(), tuple(fetched), tuple(already), tuple(skipped))


def _origin(source: FolderSource, remote: RemoteFile) -> dict[str, Any]:
    return {"source": source.describe(), "remote_name": remote.name, "size": remote.size,
            "modified": remote.mtime}


def _fetch_one(folder: RemoteFolder, source: FolderSource, ledger: FetchLedger,
               remote: RemoteFile, skipped: list[Skipped]) -> tuple[Path | None, bool] | None:
    """Save one remote file, then archive it; None when it is left on the server."""
    key = ledger_key(ledger.source, remote.name, remote.size, remote.mtime)
    try:
        name = safe_name(remote.name)
        path, new = ledger.receive(
            key, name, lambda target: folder.download(remote, target),
            origin=_origin(source, remote),
        )
    except UnsafeFileName as exc:
        skipped.append(Skipped(remote.name, str(exc)))
        return None
    except FileChanged as exc:
        skipped.append(Skipped(remote.name, str(exc)))
        return None
    except Unreadable as exc:
        skipped.append(Skipped(remote.name, f"cannot be read ({exc})"))
        return None
    try:
        folder.archive(remote.name)
    except NotRemoved as exc:
        skipped.append(Skipped(remote.name, f"fetched, but left on the server: {exc}"))
        return (path, new) if new else None
    ledger.forget(key)
    return path, new


# ------------------------------------------------------------------------ mailboxes


@dataclass
class SavedAttachments:
    """What `save_attachments` did with one message."""

    keys: list[str] = field(default_factory=list)
    fetched: list[FetchedFile] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unusable: list[Skipped] = field(default_factory=list)


def save_attachments(source: MailSource, ledger: FetchLedger, message: MailMessage,
                     identity: str) -> SavedAttachments:
    """Save the message's matching attachments into the ledger's inbox, unless saved before.

    Attachments are keyed by the message's identity (its Message-ID, else the
    mailbox's key), position, name and a digest of the content: a message seen again
    after a crash is not saved twice.
    """
    saved = SavedAttachments()
    origin = {"source": source.describe(), "message_id": message.message_id,
              "sender": message.sender, "subject": message.subject, "date": message.date}
    for index, attachment in enumerate(message.attachments(source.pattern)):
        if attachment.unusable:
            saved.unusable.append(Skipped(
                f"{attachment.filename} ({message.describe()})", attachment.unusable))
            continue
        key = ledger_key(ledger.source, identity, index, attachment.safe_name,
                         content_digest(attachment.payload))
        saved.keys.append(key)
        where = origin | {"remote_name": attachment.filename}
        path, new = ledger.receive(key, attachment.safe_name, attachment.payload, origin=where)
        if new and path is not None:
            saved.fetched.append(FetchedFile(path, attachment.filename, where))
        elif not new:
            saved.already.append(attachment.filename)
    return saved


def fetch_mailbox(mailbox: Mailbox, source: MailboxSource, inbox: Inbox) -> FetchResult:
    """Save the matching attachments of the mailbox's messages into `inbox`, then file them.

    A message is filed (`Mailbox.done`) once all its matching attachments are in the
    inbox. A message without a matching attachment is filed too and listed as skipped.
    A mailbox that keeps its messages (POP3) has them remembered in the ledger instead.
    """
    source_id = ledger_key(*source.identity())
    fetched: list[FetchedFile] = []
    already: list[str] = []
    skipped: list[Skipped] = []
    with FetchLedger.open(inbox, source_id) as ledger:
        for handle in mailbox.pending(source.sender):
            message_key = ledger_key(source_id, "message", mailbox.key(handle))
            if ledger.settled(message_key):
                continue
            message = mailbox.read(handle)
            if message is None:
                continue
            identity = message.message_id or f"key:{mailbox.key(handle)}"
            saved = save_attachments(source, ledger, message, identity)
            fetched += saved.fetched
            already += saved.already
            skipped += saved.unusable
            if not saved.keys:
                skipped.append(Skipped(message.describe(),
                                       f"no attachment matching {source.pattern}"))
            try:
                mailbox.done(handle, kept=bool(saved.keys))
            except (CommandRefused, InboxError, OSError) as exc:
                skipped.append(Skipped(message.describe(),
                                       f"attachments fetched, not filed: {exc}"))
            if mailbox.keeps_messages:
                ledger.settle(message_key)
            for key in saved.keys:
                ledger.forget(key)
        ledger.prune()
    return FetchResult(source.describe(), tuple(fetched), tuple(already), tuple(skipped))


# --------------------------------------------------------------------------- a pass


def fetch(source: AnySource, inbox: Inbox, connector: Connector) -> FetchResult:
    """Bring the source's new files into `inbox.incoming`; remove them from the source after.

    A local source is its own inbox: nothing to fetch, and it must be given that inbox.
    """
    if isinstance(source, LocalInboxSource):
        if inbox.root.resolve() != source.folder().resolve():
            raise InboxError(reason=(
                f"{source.describe()} is its own inbox: files are dropped into its incoming/ "
                f"folder, not fetched into {inbox.root}"))
        return FetchResult(source.describe())
    if isinstance(source, SftpInboxSource | FtpInboxSource):
        with connector.folder(source) as folder:
            return fetch_folder(folder, source, inbox)
    with connector.mailbox(source) as mailbox:
        return fetch_mailbox(mailbox, source, inbox)

