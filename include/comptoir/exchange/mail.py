"""E-mail: messages out (mailers), messages in (mailboxes), and their attachments.

Out: `build_message` makes a message with attachments; a `Mailer` sends it. Two
backends, chosen by `COMPTOIR_MAIL_BACKEND`: `file` (default, the embedded setup:
`FileMailer` writes one `.eml` per message into `paths.mail_dir()`, nothing leaves the
machine) and `smtp` (`comptoir_airflow.exchange.smtp.SmtpMailer`, an Airflow SMTP
connection). `EmailTransport` delivers files as attachments through a mailer.

In: a `Mailbox` lists, reads and files messages; `MailMessage` is one message read, with
its attachments. IMAP and POP3 mailboxes live in `comptoir_airflow.exchange`; `MailFolder`
here reads a folder of `.eml` files (what `FileMailer` writes), so the embedded setup can
receive mail without a server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import email.utils
import mimetypes
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal, Protocol

from comptoir import paths
from comptoir.errors import ComptoirError
from comptoir.exchange.errors import InboxError, LocalFolderMissing
from comptoir.exchange.files import atomic_write, fsync_folder, locked
from comptoir.exchange.names import is_temporary, matches, name_candidates, safe_name

__all__ = [
    "CHECK_SUBJECT",
    "FILE_SENDER",
    "MAIL_BACKEND_ENV",
    "Attachment",
    "EmailTransport",
    "FileMailer",
    "MailFolder",
    "MailMessage",
    "Mailbox",
    "Mailer",
    "UnknownMailBackend",
    "build_message",
    "mail_backend",
    "recipients",
]

MAIL_BACKEND_ENV = "COMPTOIR_MAIL_BACKEND"
FILE_SENDER = "comptoir@localhost"
"""The sender written by `FileMailer` when a message has none."""
CHECK_SUBJECT = "Test de connexion"
"""Subject of the message sent by `EmailTransport.check()` (the "Vérifier" button)."""

MailBackend = Literal["file", "smtp"]


class UnknownMailBackend(ComptoirError):
    """`COMPTOIR_MAIL_BACKEND` names no known backend."""


def mail_backend() -> MailBackend:
    """`file` (default) or `smtp`, from `COMPTOIR_MAIL_BACKEND`."""
    value = os.environ.get(MAIL_BACKEND_ENV, "").strip().lower() or "file"
    if value not in ("file", "smtp"):
        raise UnknownMailBackend(
            f"{MAIL_BACKEND_ENV}={value!r} is not a mail backend: use 'file' or 'smtp'"
        )
    return value  # type: ignore[return-value]


# ----------------------------------------------------------------------------- out


class Mailer(Protocol):
    """Sends a message to its `To`/`Cc`/`Bcc` recipients, or raises an `ExchangeError`."""

    @property
    def name(self) -> str:
        """Where messages go, without credentials."""
        ...

    def send(self, message: EmailMessage) -> None:
        """Send `message` (a missing `From` is filled in by the backend)."""
        ...


AttachmentFile = Path | tuple[Path, str]
"""A file to attach, optionally with the name the recipient sees."""


def build_message(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    sender: str | None = None,
    attachments: Iterable[AttachmentFile] = (),
    html: str | None = None,
) -> EmailMessage:
    """A message with a text body (and an HTML alternative) and attached files, bytes intact."""
    message = EmailMessage()
    message["Subject"] = subject
    if sender:
        message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="comptoir")
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for item in attachments:
        path, name = item if isinstance(item, tuple) else (item, Path(item).name)
        content_type, encoding = mimetypes.guess_type(name)
        if content_type is None or encoding is not None:
            content_type = "application/octet-stream"
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(
            Path(path).read_bytes(), maintype=maintype, subtype=subtype, filename=name
        )
    return message


def recipients(message: EmailMessage) -> list[str]:
    """Every address of the `To`, `Cc` and `Bcc` headers."""
    found: list[str] = []
    for header in ("To", "Cc", "Bcc"):
        for value in message.get_all(header, []):
            found.extend(address.addr_spec for address in value.addresses)
    return found


class FileMailer:
    """Writes each message as a `.eml` file into a folder (default `paths.mail_dir()`)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    @property
    def folder(self) -> Path:
        """Where the `.eml` files go."""
        return self._folder or paths.mail_dir()

    @property
    def name(self) -> str:
        """Where messages go."""
        return f"mail folder {self.folder}"

    def send(self, message: EmailMessage) -> None:
        """Write `message` atomically as `<UTC time>-<id>.eml`."""
        if message["From"] is None:
            message["From"] = FILE_SENDER
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        atomic_write(folder / f"{stem}.eml", bytes(message), temporary=folder / f".{stem}.part")


class EmailTransport:
    """Delivers each file as the attachment of one message, through a `Mailer`."""

    def __init__(
        self, to: Sequence[str], subject: str, mailer: Mailer, sender: str | None = None
    ) -> None:
        self.to = tuple(to)
        self.subject = subject
        self.sender = sender
        self.mailer = mailer

    @property
    def name(self) -> str:
        """Recipients and the way out."""
        return f"e-mail to {', '.join(self.to)} via {self.mailer.name}"

    def check(self) -> None:
        """Send a "Test de connexion" message to the recipients."""
        self.mailer.send(
            build_message(
                to=self.to,
                subject=CHECK_SUBJECT,
                body="Test de connexion : ce message confirme que l'envoi par e-mail fonctionne.\n",
                sender=self.sender,
            )
        )

    def send(self, path: Path, remote_name: str) -> None:
        """Send one message with `path` attached as `remote_name`."""
        self.mailer.send(
            build_message(
                to=self.to,
                subject=self.subject,
                body=f"Fichier joint : {remote_name}\n",
                sender=self.sender,
                attachments=[(path, remote_name)],
            )
        )


# ------------------------------------------------------------------------------ in


@dataclass(frozen=True)
class Attachment:
    """One attachment: its name as sent, a safe file name made from it, its bytes.

    `unusable` says why it cannot be saved (a name that is not valid UTF-8); then
    `safe_name` is empty.
    """

    filename: str
    safe_name: str
    payload: bytes
    unusable: str | None = None


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):  # a header too broken to parse
        value = message.get_all(name, [None])[0]
    return None if value is None else " ".join(str(value).split())


def _undecodable(text: str) -> bool:
    return "\ufffd" in text or any(0xDC80 <= ord(char) <= 0xDCFF for char in text)


@dataclass(frozen=True)
class MailMessage:
    """One message read from a mailbox."""

    id: str
    """The mailbox's handle: IMAP UID, POP3 UIDL, `.eml` file name."""
    message_id: str | None
    sender: str
    subject: str
    date: str | None
    message: EmailMessage = field(repr=False)
    raw: bytes = field(default=b"", repr=False, compare=False)
    """The bytes the message was parsed from (empty when built otherwise)."""

    @classmethod
    def parse(cls, message_id: str, raw: bytes) -> MailMessage:
        """A message from its RFC 5322 bytes (or only its header block)."""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return cls(
            id=message_id,
            message_id=_header(message, "Message-ID"),
            sender=_header(message, "From") or "",
            subject=_header(message, "Subject") or "",
            date=_header(message, "Date"),
            message=message,
            raw=raw,
        )

    @property
    def sender_address(self) -> str:
        """The bare address of the sender (`a@example.com`)."""
        return email.utils.parseaddr(self.sender)[1]

    def attachments(self, pattern: str = "*") -> list[Attachment]:
        """The attachments whose name matches `pattern` (a glob, ignoring case), in order."""
        found = []
        for part in self.message.walk():
            if part.is_multipart():
                continue
            try:
                filename = part.get_filename()
            except (ValueError, TypeError, LookupError):
                filename = "\ufffd"  # a Content-Disposition too broken to read a name from
            if not filename or not matches(filename, pattern):
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            if _undecodable(filename):
                found.append(Attachment(filename, "", payload,
                                        "the attachment name is not valid UTF-8"))
            else:
                found.append(Attachment(filename, safe_name(filename), payload))
        return found

    def describe(self) -> str:
        """One line naming the message for reports."""
        return f"message {self.subject!r} from {self.sender or 'an unknown sender'}"

    def is_from(self, sender: str | None) -> bool:
        """Whether the From header contains `sender` (ignoring case); True without a filter."""
        return sender is None or sender.casefold() in self.sender.casefold()


class Mailbox(Protocol):
    """A mailbox as a fetch sees it, in an open session."""

    @property
    def name(self) -> str:
        """The connection and the folder, for messages."""
        ...

    keeps_messages: bool
    """True when read messages stay listed (POP3): the fetch ledger remembers them."""

    def pending(self, sender: str | None = None) -> list[str]:
        """The handles of the messages to read (from `sender` when given), oldest first."""
        ...

    def key(self, handle: str) -> str:
        """A stable identity of the message in this mailbox (for the fetch ledger)."""
        ...

    def read(self, handle: str) -> MailMessage | None:
        """The whole message, left unread; None if it is gone."""
        ...

    def done(self, handle: str, *, kept: bool) -> None:
        """File the message once handled: `kept` means its attachments were saved.

        IMAP: marked read, then moved to the processed folder when `kept`; a folder of
        `.eml` files: moved to `processed/<day>/`; POP3: nothing. Raises an
        `ExchangeError` when it cannot.
        """
        ...


class MailFolder:
    """A folder of `.eml` files as a mailbox: read messages go to `processed/<day>/`.

    Only the files at the top of the folder are read (hidden and temporary names, folders
    and links are ignored); nothing is ever deleted, and a name taken in `processed/`
    gets a suffix (`-2`).
    """

    keeps_messages = False

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def name(self) -> str:
        """The folder."""
        return f"mail folder {self.folder}"

    @contextlib.contextmanager
    def session(self) -> Iterator[MailFolder]:
        """The folder, created if missing, used by one process at a time."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFolderMissing(self.name, exc.strerror or "") from exc
        with locked(self.folder / ".lock"):
            yield self

    def pending(self, sender: str | None = None) -> list[str]:
        """The `.eml` files, oldest name first (from `sender` when given)."""
        names = sorted(
            entry.name for entry in os.scandir(self.folder)
            if entry.name.lower().endswith(".eml") and not is_temporary(entry.name)
            and entry.is_file(follow_symlinks=False)
        )
        if sender is None:
            return names
        return [name for name in names
                if (message := self.read(name)) is not None and message.is_from(sender)]

    def key(self, handle: str) -> str:
        """The file name and its size: a file rewritten under the same name is new."""
        try:
            return f"{handle}:{(self.folder / handle).stat().st_size}"
        except OSError:
            return handle

    def read(self, handle: str) -> MailMessage | None:
        """The message of the file; None if it is gone."""
        try:
            raw = (self.folder / handle).read_bytes()
        except FileNotFoundError:
            return None
        return MailMessage.parse(handle, raw)

    def headers(self, handle: str) -> MailMessage | None:
        """The message's header block only (no body read); None if the file is gone."""
        try:
            with (self.folder / handle).open("rb") as file:
                lines = []
                for line in file:
                    if not line.strip(b"\r\n"):
                        break
                    lines.append(line)
        except FileNotFoundError:
            return None
        return MailMessage.parse(handle, b"".join(lines) + b"\r\n")

    def done(self, handle: str, *, kept: bool) -> None:
        """Move the file to `processed/<today>/` (`NAME-2.eml` when the name is taken)."""
        self.file(handle)

    def file(self, handle: str, folder: str = "processed", day: dt.date | None = None) -> None:
        """Move the file to `<folder>/<day>/` (default today; `NAME-2.eml` when taken)."""
        target_folder = self.folder / folder / (day or dt.date.today()).isoformat()
        target_folder.mkdir(parents=True, exist_ok=True)
        source = self.folder / handle
        if not source.is_file():
            raise InboxError(self.name, reason=f"{handle} is no longer in the folder")
        target = next(target_folder / name for name in name_candidates(handle)
                      if not os.path.lexists(target_folder / name))
        os.replace(source, target)
        fsync_folder(target_folder)
        fsync_folder(self.folder)
