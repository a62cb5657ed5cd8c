"""Endpoints: where files go (delivery targets) and where they come from (inbox sources).

One family of validated, frozen configs. A target is chosen by `method`, a source by
`kind` (discriminated unions), as written in task definitions:

    {"method": "local", "path": "exports/loyalty"}
    {"method": "ftp", "conn_id": "ftp_partner", "directory": "/in"}
    {"method": "sftp", "conn_id": "sftp_loyalty", "directory": "/in"}
    {"method": "email", "to": ["a@example.com"], "subject": "Export", "from": "shop@example.com"}

    {"kind": "local", "path": "articles"}
    {"kind": "sftp", "conn_id": "sftp_erp", "directory": "/out", "pattern": "*.csv"}
    {"kind": "ftp", "conn_id": "ftp_erp", "directory": "/out", "pattern": "ART*.csv"}
    {"kind": "imap", "conn_id": "imap_orders", "mailbox": "INBOX", "sender": "erp@example.com"}
    {"kind": "pop3", "conn_id": "pop3_orders", "pattern": "*.csv"}
    {"kind": "mail_folder", "path": "incoming", "pattern": "*.csv"}

Credentials are never here: servers are Airflow connections named by `conn_id`.
`describe()` gives a one-line summary safe for reports and DAG docs. Which code talks
to the server is decided by `comptoir_airflow.exchange.factory`, not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from comptoir import paths
from comptoir.exchange.errors import InvalidEndpoint
from comptoir.exchange.names import CONTROL_CHARS, check_identifier
from comptoir.validation import problems

__all__ = [
    "DEFAULT_PROCESSED_MAILBOX",
    "DEFAULT_SMTP_CONN_ID",
    "DeliveryTarget",
    "EmailDelivery",
    "FtpDelivery",
    "FtpInboxSource",
    "ImapInboxSource",
    "InboxSource",
    "LocalDelivery",
    "LocalInboxSource",
    "MailFolderInboxSource",
    "Pop3InboxSource",
    "SftpDelivery",
    "SftpInboxSource",
    "parse_delivery",
    "parse_source",
]

DEFAULT_SMTP_CONN_ID = "smtp_default"
DEFAULT_PROCESSED_MAILBOX = "Comptoir/Traité"
_ADDRESS = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


def check_address(value: str) -> str:
    """An e-mail address, trimmed; ValueError if it is not one."""
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def split_addresses(value: Any) -> Any:
    """`'a@x, b@y; c@z'` as a tuple of addresses (other values unchanged)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in re.split(r"\s*[,;]\s*", value.strip()) if part)
    return value


def _one_line(value: str | None) -> str | None:
    if value is not None and (not value.strip() or CONTROL_CHARS.search(value) or '"' in value):
        raise ValueError("must be one line of text, without control characters or '\"'")
    return value


class Endpoint(BaseModel):
    """What every target and source shares: frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def describe(self) -> str:
        """One line naming the endpoint, without credentials."""
        raise NotImplementedError


class WithConnection(Endpoint):
    """An endpoint on a server: the Airflow connection that holds address and credentials."""

    conn_id: str = Field(
        description="The Airflow connection with the server, login and credentials."
    )

    @field_validator("conn_id")
    @classmethod
    def _conn(cls, value: str) -> str:
        return check_identifier(value, "connection id")


class ServerFolder(WithConnection):
    """A folder of an FTP or SFTP server."""

    PROTOCOL: ClassVar[str] = ""
    """`FTP` or `SFTP`, for messages."""

    directory: str = Field(
        default=".",
        description=(
            "The folder on the server. Relative to the login folder unless it starts with '/'; "
            "'~/' is accepted for the login folder. It must exist."
        ),
        min_length=1,
    )

    @field_validator("directory")
    @classmethod
    def _plain_directory(cls, value: str) -> str:
        if CONTROL_CHARS.search(value):
            raise ValueError("the directory contains a control character")
        if value == "~":
            return "."
        if value.startswith("~/"):
            return value[2:] or "."
        return value

    def describe(self) -> str:
        """One line, e.g. `SFTP connection 'sftp_erp', folder /out`."""
        return f"{self.PROTOCOL} connection {self.conn_id!r}, folder {self.directory}"

    def identity(self) -> tuple[str, ...]:
        """The connection and the folder."""
        return (self.PROTOCOL.lower(), self.conn_id, self.directory)


class LocalFolder(Endpoint):
    """A folder of the machine that runs the task, under one of the data home's folders."""

    path: str

    BASE: ClassVar[str] = "outbox"
    """The data-home folder a relative path is taken under (`outbox`, `inbox`, `mail`)."""

    def folder(self) -> Path:
        """The absolute folder, a relative path resolved under its base folder."""
        base = {"outbox": paths.outbox_dir, "inbox": paths.inbox_dir, "mail": paths.mail_dir}
        try:
            return paths.resolve_folder(self.path, base[self.BASE](), self.BASE)
        except ValueError as exc:
            raise InvalidEndpoint(reason=str(exc)) from None

    def describe(self) -> str:
        """One line, e.g. `local folder /srv/exports`."""
        try:
            return f"local folder {self.folder()}"
        except InvalidEndpoint:
            return f"local folder {self.path} (invalid)"


# --------------------------------------------------------------------------- targets


class LocalDelivery(LocalFolder):
    """Copy the files into a folder of the machine that runs the task."""

    method: Literal["local"] = Field(description="Copy into a folder on the task's machine.")
    path: str = Field(
        description=(
            "The folder. A relative path is taken under the outbox of the data home "
            "(var/outbox) and cannot leave it; an absolute path is used as given. "
            "A missing folder is created."
        ),
        min_length=1,
    )

    @field_validator("path")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        return paths.check_folder_setting(value, "outbox")


class FtpDelivery(ServerFolder):
    """Upload by FTP; FTPS (explicit TLS) when the connection extra says `"secure": true`."""

    method: Literal["ftp"] = Field(description="Upload by FTP or FTPS.")
    PROTOCOL: ClassVar[str] = "FTP"


class SftpDelivery(ServerFolder):
    """Upload to an SSH server by SFTP, with a password or a private key."""

    method: Literal["sftp"] = Field(description="Upload by SFTP.")
    PROTOCOL: ClassVar[str] = "SFTP"


class EmailDelivery(Endpoint):
    """Send each file as the attachment of an e-mail."""

    method: Literal["email"] = Field(description="Send as e-mail attachments.")
    to: tuple[str, ...] = Field(
        description="Recipient address, or a list of them ('a@x, b@y' is also accepted).",
        min_length=1,
    )
    subject: str = Field(description="Subject of the message.", min_length=1, max_length=250)
    conn_id: str | None = Field(
        default=None,
        description=f"The SMTP connection; none means `{DEFAULT_SMTP_CONN_ID}`.",
    )
    from_: str | None = Field(
        default=None,
        alias="from",
        description="Sender address; none means the `from_email` of the SMTP connection.",
    )

    @field_validator("to", mode="before")
    @classmethod
    def _split_recipients(cls, value: Any) -> Any:
        return split_addresses(value)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_address(address) for address in value)

    @field_validator("from_")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return None if value is None else check_address(value)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if CONTROL_CHARS.search(value):
            raise ValueError("the subject must be one line without control characters")
        return value

    @field_validator("conn_id")
    @classmethod
    def _conn(cls, value: str | None) -> str | None:
        return None if value is None else check_identifier(value, "connection id")

    @property
    def smtp_conn_id(self) -> str:
        """The SMTP connection actually used."""
        return self.conn_id or DEFAULT_SMTP_CONN_ID

    def describe(self) -> str:
        """One line, e.g. `e-mail to a@example.com (subject 'Export')`."""
        return f"e-mail to {', '.join(self.to)} (subject {self.subject!r})"


DeliveryTarget = Annotated[
    LocalDelivery | FtpDelivery | SftpDelivery | EmailDelivery,
    Field(discriminator="method"),
]
"""The `output.delivery` object: one of the four methods, chosen by `method`."""


# --------------------------------------------------------------------------- sources


class Source(Endpoint):
    """What every inbox source has: the glob of the names to take.

    Each kind also has `identity()`: what identifies it in a fetch ledger.
    """

    pattern: str = Field(
        default="*",
        description="Which files to take: a glob on the file name, ignoring case (`*.csv`).",
        min_length=1,
        max_length=250,
    )

    @field_validator("pattern")
    @classmethod
    def _plain_pattern(cls, value: str) -> str:
        if "/" in value or "\\" in value or CONTROL_CHARS.search(value):
            raise ValueError("the pattern applies to file names: no '/', '\\' or control character")
        return value


class LocalInboxSource(Source, LocalFolder):
    """A folder of the machine that runs the task; users drop files into its `incoming/`."""

    kind: Literal["local"] = Field(description="A folder on the task's machine.")
    path: str = Field(
        default=".",
        description=(
            "The inbox folder. A relative path is taken under the inbox of the data home "
            "(var/inbox) and cannot leave it; an absolute path is used as given."
        ),
        min_length=1,
    )
    min_age_seconds: float = Field(
        default=10.0,
        ge=0,
        description="A file modified more recently is left for the next run (still being copied).",
    )
    BASE: ClassVar[str] = "inbox"

    @field_validator("path")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        return paths.check_folder_setting(value, "inbox")

    def identity(self) -> tuple[str, ...]:
        """The kind and the folder."""
        return (self.kind, str(self.folder()))


class FolderSource(Source, ServerFolder):
    """Files of a folder of a server; fetched ones go to `processed/` there."""

    def describe(self) -> str:
        """One line, e.g. `SFTP connection 'sftp_erp', folder /out, files *.csv`."""
        return f"{ServerFolder.describe(self)}, files {self.pattern}"


class SftpInboxSource(FolderSource):
    """Files of a folder of an SSH server, by SFTP."""

    kind: Literal["sftp"] = Field(description="A folder on an SFTP server.")
    PROTOCOL: ClassVar[str] = "SFTP"


class FtpInboxSource(FolderSource):
    """Files of a folder of an FTP or FTPS server."""

    kind: Literal["ftp"] = Field(description="A folder on an FTP or FTPS server.")
    PROTOCOL: ClassVar[str] = "FTP"


class MailSource(Source):
    """Attachments of e-mails; optionally only those of one sender."""

    sender: str | None = Field(
        default=None,
        description="Only messages whose From contains this text (an address or a domain).",
    )

    @field_validator("sender")
    @classmethod
    def _ascii_sender(cls, value: str | None) -> str | None:
        _one_line(value)
        if value is not None and not value.isascii():
            raise ValueError("the sender filter is an address or a domain, in plain ASCII")
        return value

    def _from(self, text: str) -> str:
        return f"{text}, from {self.sender}" if self.sender else text


class ImapInboxSource(MailSource, WithConnection):
    """Attachments of the unread messages of a mailbox, by IMAP."""

    kind: Literal["imap"] = Field(description="Attachments of e-mails in an IMAP mailbox.")
    conn_id: str = Field(description="The Airflow `imap` connection: server, login, password.")
    mailbox: str = Field(default="INBOX", description="The folder to read.", min_length=1)
    processed_mailbox: str | None = Field(
        default=DEFAULT_PROCESSED_MAILBOX,
        description=(
            "Where messages go once their attachments are saved, levels separated by '/' "
            "(created if missing); none leaves them in place, marked as read."
        ),
    )

    @field_validator("mailbox", "processed_mailbox")
    @classmethod
    def _folder_names(cls, value: str | None) -> str | None:
        return _one_line(value)

    def identity(self) -> tuple[str, ...]:
        """The kind, the connection and the mailbox."""
        return (self.kind, self.conn_id, self.mailbox)

    def describe(self) -> str:
        """One line, e.g. `IMAP connection 'imap_orders', mailbox INBOX, attachments *.csv`."""
        return self._from(f"IMAP connection {self.conn_id!r}, mailbox {self.mailbox}, "
                          f"attachments {self.pattern}")


class Pop3InboxSource(MailSource, WithConnection):
    """Attachments of the messages of a POP3 mailbox; messages stay on the server."""

    kind: Literal["pop3"] = Field(description="Attachments of e-mails in a POP3 mailbox.")
    conn_id: str = Field(description="The Airflow connection: server, login, password.")

    def identity(self) -> tuple[str, ...]:
        """The kind and the connection (POP3 has one mailbox per login)."""
        return (self.kind, self.conn_id)

    def describe(self) -> str:
        """One line, e.g. `POP3 connection 'pop3_orders', attachments *.csv`."""
        return self._from(f"POP3 connection {self.conn_id!r}, attachments {self.pattern}")


class MailFolderInboxSource(MailSource, LocalFolder):
    """Attachments of the `.eml` files of a folder (the embedded setup's mail)."""

    kind: Literal["mail_folder"] = Field(description="Attachments of `.eml` files in a folder.")
    path: str = Field(
        default="incoming",
        description=(
            "The folder of `.eml` files. A relative path is taken under the mail folder of "
            "the data home (var/mail) and cannot leave it. Read messages are moved to its "
            "processed/<day>/ folder."
        ),
        min_length=1,
    )
    BASE: ClassVar[str] = "mail"

    @field_validator("path")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        return paths.check_folder_setting(value, "mail")

    def identity(self) -> tuple[str, ...]:
        """The kind and the folder."""
        return (self.kind, str(self.folder()))

    def describe(self) -> str:
        """One line, e.g. `mail folder /srv/var/mail/incoming, attachments *.csv`."""
        try:
            where = str(self.folder())
        except InvalidEndpoint:
            where = f"{self.path} (invalid)"
        return self._from(f"mail folder {where}, attachments {self.pattern}")


InboxSource = Annotated[
    LocalInboxSource | SftpInboxSource | FtpInboxSource | ImapInboxSource | Pop3InboxSource
    | MailFolderInboxSource,
    Field(discriminator="kind"),
]
"""Where an inbox's files come from: one of the kinds, chosen by `kind`."""

AnySource = (LocalInboxSource | SftpInboxSource | FtpInboxSource | ImapInboxSource
             | Pop3InboxSource | MailFolderInboxSource)
AnyTarget = LocalDelivery | FtpDelivery | SftpDelivery | EmailDelivery

_TARGETS: TypeAdapter[DeliveryTarget] = TypeAdapter(DeliveryTarget)
_SOURCES: TypeAdapter[InboxSource] = TypeAdapter(InboxSource)


def parse_delivery(data: Any) -> AnyTarget:
    """Validate a delivery object (a dict from JSON); raise `InvalidEndpoint` with every problem."""
    try:
        return _TARGETS.validate_python(data)
    except ValidationError as exc:
        raise InvalidEndpoint(reason=f"invalid delivery: {problems(exc, 'delivery')}") from None


def parse_source(data: Mapping[str, Any] | Any) -> AnySource:
    """Validate an inbox source (a dict from JSON); raise `InvalidEndpoint` listing problems."""
    try:
        return _SOURCES.validate_python(dict(data) if isinstance(data, Mapping) else data)
    except ValidationError as exc:
        raise InvalidEndpoint(reason=f"invalid inbox source: {problems(exc, 'source')}") from None
