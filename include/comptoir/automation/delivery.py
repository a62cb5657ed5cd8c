"""Where a task's files go: the `output.delivery` object of a task definition.

One model per method, told apart by `method` (a discriminated union):

    {"method": "local", "path": "exports/loyalty"}
    {"method": "ftp", "conn_id": "ftp_partner", "directory": "/in"}
    {"method": "sftp", "conn_id": "sftp_loyalty", "directory": "/in"}
    {"method": "email", "to": ["a@example.com"], "subject": "Export", "from": "shop@example.com"}

Credentials are never here: FTP, SFTP and SMTP servers are Airflow connections named by
`conn_id`. `describe()` gives a one-line summary safe for reports and DAG docs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from comptoir import paths
from comptoir.errors import ComptoirError

__all__ = [
    "DEFAULT_SMTP_CONN_ID",
    "DeliveryConfig",
    "EmailDelivery",
    "FtpDelivery",
    "InvalidDelivery",
    "LocalDelivery",
    "SftpDelivery",
    "parse_delivery",
]

DEFAULT_SMTP_CONN_ID = "smtp_default"

_CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")
_CONTROL = paths.CONTROL_CHARS


class InvalidDelivery(ComptoirError):
    """The delivery object of a task definition is invalid."""


def _check_conn_id(value: str) -> str:
    if not _CONN_ID.match(value):
        raise ValueError("a connection id is made of letters, digits, '_', '-' and '.'")
    return value


def _check_address(value: str) -> str:
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


class _Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LocalDelivery(_Delivery):
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

    def folder(self) -> Path:
        """The absolute target folder, relative paths resolved under `paths.outbox_dir()`."""
        try:
            return paths.resolve_folder(self.path, paths.outbox_dir(), "outbox")
        except ValueError as exc:
            raise InvalidDelivery(str(exc)) from None

    def describe(self) -> str:
        """One line, e.g. `local folder /srv/exports`."""
        try:
            return f"local folder {self.folder()}"
        except InvalidDelivery:
            return f"local folder {self.path} (invalid)"


class _RemoteDelivery(_Delivery):
    conn_id: str = Field(
        description="The Airflow connection with the server, login and credentials."
    )
    directory: str = Field(
        default=".",
        description=(
            "The folder on the server. Relative to the login folder unless it starts with '/'; "
            "'~/' is accepted for the login folder. It must exist."
        ),
        min_length=1,
    )

    @field_validator("conn_id")
    @classmethod
    def _conn(cls, value: str) -> str:
        return _check_conn_id(value)

    @field_validator("directory")
    @classmethod
    def _plain_directory(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("the directory contains a control character")
        if value == "~":
            return "."
        if value.startswith("~/"):
            return value[2:] or "."
        return value


class FtpDelivery(_RemoteDelivery):
    """Upload by FTP; FTPS (explicit TLS) when the connection extra says `"secure": true`."""

    method: Literal["ftp"] = Field(description="Upload by FTP or FTPS.")

    def describe(self) -> str:
        """One line, e.g. `FTP connection 'ftp_partner', folder /in`."""
        return f"FTP connection {self.conn_id!r}, folder {self.directory}"


class SftpDelivery(_RemoteDelivery):
    """Upload to an SSH server by SFTP, with a password or a private key."""

    method: Literal["sftp"] = Field(description="Upload by SFTP.")

    def describe(self) -> str:
        """One line, e.g. `SFTP connection 'sftp_loyalty', folder /in`."""
        return f"SFTP connection {self.conn_id!r}, folder {self.directory}"


class EmailDelivery(_Delivery):
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
        if isinstance(value, str):
            return tuple(part for part in re.split(r"\s*[,;]\s*", value.strip()) if part)
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_address(address) for address in value)

    @field_validator("from_")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return None if value is None else _check_address(value)

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("the subject must be one line without control characters")
        return value

    @field_validator("conn_id")
    @classmethod
    def _conn(cls, value: str | None) -> str | None:
        return None if value is None else _check_conn_id(value)

    @property
    def smtp_conn_id(self) -> str:
        """The SMTP connection actually used."""
        return self.conn_id or DEFAULT_SMTP_CONN_ID

    def describe(self) -> str:
        """One line, e.g. `e-mail to a@example.com (subject 'Export')`."""
        return f"e-mail to {', '.join(self.to)} (subject {self.subject!r})"


DeliveryConfig = Annotated[
    LocalDelivery | FtpDelivery | SftpDelivery | EmailDelivery,
    Field(discriminator="method"),
]
"""The `output.delivery` object: one of the four methods, chosen by `method`."""

_ADAPTER: TypeAdapter[DeliveryConfig] = TypeAdapter(DeliveryConfig)


def parse_delivery(data: Any) -> LocalDelivery | FtpDelivery | SftpDelivery | EmailDelivery:
    """Validate a delivery object (a dict from JSON); raise `InvalidDelivery` with every problem."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'delivery'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise InvalidDelivery(f"invalid delivery: {problems}") from None
