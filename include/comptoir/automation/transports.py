"""Delivery transports: the protocol every method implements, its errors, and the local folder.

A transport delivers one file at a time under its final name, and only ever shows a
complete file under that name: it writes a temporary name first (`.NAME.part`) and
renames it when the bytes are all there. The FTP, SFTP and e-mail transports use Airflow
hooks and live in `comptoir_airflow.transports`; this module stays Airflow-free.

Errors form a flat hierarchy under `DeliveryError`. Their message starts with where the
delivery was going (never a credential), then the cause in plain words.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from comptoir.errors import ComptoirError

__all__ = [
    "CertificateRejected",
    "ConnectionFailed",
    "ConnectionLost",
    "ConnectionMisconfigured",
    "ConnectionNotDefined",
    "DeliveryError",
    "HostKeyRejected",
    "KeyRefused",
    "KeyTypeUnsupported",
    "LocalTransport",
    "LoginRefused",
    "MessageRefused",
    "PrivateKeyPassphraseMissing",
    "PrivateKeyUnreadable",
    "RecipientRefused",
    "RemoteFolderMissing",
    "RemoteFolderNotWritable",
    "SenderMissing",
    "SenderRefused",
    "Transport",
    "part_name",
]


class DeliveryError(ComptoirError):
    """A file could not be delivered; the message says where it was going and why."""

    reason: ClassVar[str] = "the delivery failed"

    def __init__(self, where: str = "", detail: str = "", *, reason: str | None = None) -> None:
        self.where = where
        self.detail = detail
        text = reason or self.reason
        if detail:
            text = f"{text} ({detail})"
        super().__init__(f"{where}: {text}" if where else text)


class ConnectionNotDefined(DeliveryError):
    """The Airflow connection named by the delivery does not exist."""

    reason = "the connection is not defined (add it under Admin > Connections)"


class ConnectionMisconfigured(DeliveryError):
    """The Airflow connection exists but cannot be used as it is."""

    reason = "the connection is misconfigured"


class ConnectionFailed(DeliveryError):
    """The server could not be reached: connection refused, timeout, unknown host."""

    reason = "cannot connect to the server (connection refused or timed out)"


class ConnectionLost(DeliveryError):
    """The connection dropped while a file was being sent."""

    reason = "the connection was lost during the transfer"


class CertificateRejected(DeliveryError):
    """The server's TLS certificate is not trusted."""

    reason = "the server's TLS certificate is not trusted"


class HostKeyRejected(DeliveryError):
    """The SSH server's host key is unknown or has changed."""

    reason = "the server's host key is unknown or has changed"


class LoginRefused(DeliveryError):
    """The server refused the login or the password."""

    reason = "login refused (wrong user name or password)"


class PrivateKeyPassphraseMissing(DeliveryError):
    """The SSH private key is encrypted and no passphrase was given."""

    reason = "the private key is encrypted but no passphrase was given"


class PrivateKeyUnreadable(DeliveryError):
    """The SSH private key cannot be read: wrong passphrase, damaged or missing file."""

    reason = "the passphrase is wrong or the key is unreadable"


class KeyTypeUnsupported(DeliveryError):
    """The SSH private key is of a type or format that cannot be used."""

    reason = (
        "the key type is not supported (use an RSA, ECDSA or Ed25519 key in OpenSSH or PEM format)"
    )


class KeyRefused(DeliveryError):
    """The SSH server read the key and refused it."""

    reason = "the server refused the key: Permission denied (publickey)"


class RemoteFolderMissing(DeliveryError):
    """The destination folder does not exist."""

    reason = "the remote folder does not exist"


class RemoteFolderNotWritable(DeliveryError):
    """The destination folder exists but the file cannot be written into it."""

    reason = "the remote folder is not writable"


class RecipientRefused(DeliveryError):
    """The SMTP server refused one or more recipients; nothing was sent."""

    reason = "the SMTP server refused a recipient"


class SenderRefused(DeliveryError):
    """The SMTP server refused the sender address; nothing was sent."""

    reason = "the SMTP server refused the sender address"


class MessageRefused(DeliveryError):
    """The SMTP server refused the message itself (size, content)."""

    reason = "the SMTP server refused the message"


class SenderMissing(DeliveryError):
    """No sender address: neither the delivery nor the SMTP connection gives one."""

    reason = "no sender address: set `from` in the delivery or `from_email` in the SMTP connection"


@runtime_checkable
class Transport(Protocol):
    """Delivers files to one destination."""

    @property
    def name(self) -> str:
        """A one-line description of the destination, without credentials."""
        ...

    def check(self) -> None:
        """Connect and log in (e-mail: send a test message); raise a `DeliveryError` if not."""
        ...

    def send(self, path: Path, remote_name: str) -> None:
        """Deliver `path` as `remote_name`; return only once it is complete under that name."""
        ...


def part_name(remote_name: str) -> str:
    """The temporary name a file is written under before it is renamed to `remote_name`."""
    return f".{remote_name}.part"


class LocalTransport:
    """Copies files into a folder of the machine that runs the task.

    A missing folder is created (with its parents): an administrator who names a folder
    expects the files there, as a server path is usually chosen before it exists.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def name(self) -> str:
        """Where files go."""
        return f"local folder {self.folder}"

    def _ensure_folder(self) -> None:
        if self.folder.exists() and not self.folder.is_dir():
            raise RemoteFolderMissing(self.name, reason="the path exists but is not a folder")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except PermissionError as exc:
            raise RemoteFolderNotWritable(self.name, "the folder cannot be created") from exc
        except OSError as exc:
            raise RemoteFolderMissing(
                self.name, exc.strerror or "", reason="the folder cannot be created"
            ) from exc

    def check(self) -> None:
        """Create the folder if needed and prove a file can be written into it."""
        self._ensure_folder()
        probe = self.folder / f".comptoir-check-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"")
        except OSError as exc:
            raise RemoteFolderNotWritable(self.name, exc.strerror or "") from exc
        probe.unlink(missing_ok=True)

    def send(self, path: Path, remote_name: str) -> None:
        """Copy under `.NAME.part`, flush to disk, then rename over any older `NAME`."""
        self._ensure_folder()
        temporary = self.folder / part_name(remote_name)
        with open(path, "rb") as source:
            try:
                with open(temporary, "wb") as target:
                    shutil.copyfileobj(source, target)
                    target.flush()
                    os.fsync(target.fileno())
                os.replace(temporary, self.folder / remote_name)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    temporary.unlink(missing_ok=True)
                raise RemoteFolderNotWritable(self.name, exc.strerror or str(exc)) from exc
