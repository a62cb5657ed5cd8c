"""E-mail messages and the file mail backend of the embedded setup.

`build_message` makes a message with attachments; a `Mailer` sends it. Two backends,
chosen by `COMPTOIR_MAIL_BACKEND`:

- `file` (default, the embedded setup): `FileMailer` writes one `.eml` per message into
  `paths.mail_dir()`; nothing leaves the machine.
- `smtp` (real deployments): `comptoir_airflow.mailer.SmtpMailer`, through an Airflow
  SMTP connection.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal, Protocol

from comptoir import paths
from comptoir.errors import ComptoirError

__all__ = [
    "CHECK_SUBJECT",
    "EmailTransport",
    "FILE_SENDER",
    "MAIL_BACKEND_ENV",
    "UnknownMailBackend",
    "FileMailer",
    "Mailer",
    "build_message",
    "mail_backend",
    "recipients",
]

MAIL_BACKEND_ENV = "COMPTOIR_MAIL_BACKEND"
FILE_SENDER = "comptoir@localhost"
"""The sender written by `FileMailer` when a message has none."""

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


class Mailer(Protocol):
    """Sends a message to its `To`/`Cc`/`Bcc` recipients, or raises a `DeliveryError`."""

    @property
    def name(self) -> str:
        """Where messages go, without credentials."""
        ...

    def send(self, message: EmailMessage) -> None:
        """Send `message` (a missing `From` is filled in by the backend)."""
        ...


Attachment = Path | tuple[Path, str]
"""A file to attach, optionally with the name the recipient sees."""


def build_message(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    sender: str | None = None,
    attachments: Iterable[Attachment] = (),
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
        temporary = folder / f".{stem}.part"
        temporary.write_bytes(bytes(message))
        os.replace(temporary, folder / f"{stem}.eml")


CHECK_SUBJECT = "Test de connexion"
"""Subject of the message sent by `EmailTransport.check()` (the "Vérifier" button)."""


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
