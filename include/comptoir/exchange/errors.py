"""The errors of files and mails in and out: one flat hierarchy under `ExchangeError`.

A message starts with where the file was going or coming from (never a credential), then
the cause in plain words, then the server's own words in parentheses when there are any:

    SFTP connection 'sftp_erp', folder /out: login refused (wrong user name or password)

Low-level errors (socket, ftplib, paramiko, imaplib, smtplib, poplib) are mapped to the
most specific class here once, where the protocol is implemented.
"""

from __future__ import annotations

from typing import ClassVar

from comptoir.errors import ComptoirError

__all__ = [
    "CertificateRejected",
    "CommandRefused",
    "ConnectionFailed",
    "ConnectionLost",
    "ConnectionMisconfigured",
    "ConnectionNotDefined",
    "ExchangeError",
    "HostKeyRejected",
    "InboxError",
    "InvalidEndpoint",
    "InvalidIdentifier",
    "KeyRefused",
    "KeyTypeUnsupported",
    "LocalFolderMissing",
    "LocalFolderNotWritable",
    "LoginRefused",
    "MessageRefused",
    "PrivateKeyPassphraseMissing",
    "PrivateKeyUnreadable",
    "RecipientRefused",
    "RemoteFolderMissing",
    "RemoteFolderNotWritable",
    "RemoteFolderUnreadable",
    "SenderMissing",
    "SenderRefused",
    "TlsUnavailable",
    "UnsafeFileName",
]


class ExchangeError(ComptoirError):
    """A file or a mail could not be sent or received; the message says where and why."""

    reason: ClassVar[str] = "the exchange with the server failed"

    def __init__(self, where: str = "", detail: str = "", *, reason: str | None = None) -> None:
        self.where = where
        self.detail = detail
        text = reason or self.reason
        if detail:
            text = f"{text} ({detail})"
        super().__init__(f"{where}: {text}" if where else text)


# ------------------------------------------------------------------ configuration


class InvalidEndpoint(ExchangeError):
    """A delivery target or an inbox source of a definition is invalid."""

    reason = "invalid configuration"


class InvalidIdentifier(ExchangeError, ValueError):
    """A task id or a connection id that is not made of letters, digits, '-', '_' and '.'."""

    reason = "invalid identifier"


class UnsafeFileName(ExchangeError, ValueError):
    """A file name that would leave its folder, or never be seen in it."""

    reason = "unsafe file name"


class InboxError(ExchangeError):
    """A file cannot be moved in or out of an inbox as asked."""

    reason = "the inbox cannot be used"


# --------------------------------------------------------------------- connection


class ConnectionNotDefined(ExchangeError):
    """The Airflow connection named by the configuration does not exist."""

    reason = "the connection is not defined (add it under Admin > Connections)"


class ConnectionMisconfigured(ExchangeError):
    """The Airflow connection exists but cannot be used as it is."""

    reason = "the connection is misconfigured"


class ConnectionFailed(ExchangeError):
    """The server could not be reached: connection refused, timeout, unknown host."""

    reason = "cannot connect to the server (connection refused or timed out)"


class ConnectionLost(ExchangeError):
    """The connection dropped while a file or a message was being transferred."""

    reason = "the connection was lost during the transfer"


class TlsUnavailable(ExchangeError):
    """The connection asks for TLS and the server does not offer it."""

    reason = "the server does not offer TLS (the connection asks for FTPS/TLS)"


class CertificateRejected(ExchangeError):
    """The server's TLS certificate is not trusted."""

    reason = "the server's TLS certificate is not trusted"


class HostKeyRejected(ExchangeError):
    """The SSH server's host key is unknown or has changed."""

    reason = "the server's host key is unknown or has changed"


# ---------------------------------------------------------------- authentication


class LoginRefused(ExchangeError):
    """The server refused the login or the password."""

    reason = "login refused (wrong user name or password)"


class PrivateKeyPassphraseMissing(ExchangeError):
    """The SSH private key is encrypted and no passphrase was given."""

    reason = "the private key is encrypted but no passphrase was given"


class PrivateKeyUnreadable(ExchangeError):
    """The SSH private key cannot be read: wrong passphrase, damaged or missing file."""

    reason = "the passphrase is wrong or the key is unreadable"


class KeyTypeUnsupported(ExchangeError):
    """The SSH private key is of a type or format that cannot be used."""

    reason = (
        "the key type is not supported (use an RSA, ECDSA or Ed25519 key in OpenSSH or PEM format)"
    )


class KeyRefused(ExchangeError):
    """The SSH server read the key and refused it."""

    reason = "the server refused the key: Permission denied (publickey)"


# ------------------------------------------------------------------------ folders


class RemoteFolderMissing(ExchangeError):
    """The folder on the server does not exist."""

    reason = "the remote folder does not exist"


class RemoteFolderNotWritable(ExchangeError):
    """The folder on the server exists but a file cannot be written into it."""

    reason = "the remote folder is not writable"


class RemoteFolderUnreadable(ExchangeError):
    """The folder on the server exists but cannot be listed."""

    reason = "the remote folder cannot be read"


class LocalFolderMissing(ExchangeError):
    """A folder of this machine does not exist and cannot be created."""

    reason = "the folder cannot be created"


class LocalFolderNotWritable(ExchangeError):
    """A folder of this machine exists but a file cannot be written into it."""

    reason = "the folder is not writable"


class CommandRefused(ExchangeError):
    """The server refused a command of an open session (search, fetch, move...)."""

    reason = "the server refused a command"


# --------------------------------------------------------------------------- mail


class RecipientRefused(ExchangeError):
    """The SMTP server refused one or more recipients; nothing was sent."""

    reason = "the SMTP server refused a recipient"


class SenderRefused(ExchangeError):
    """The SMTP server refused the sender address; nothing was sent."""

    reason = "the SMTP server refused the sender address"


class MessageRefused(ExchangeError):
    """The SMTP server refused the message itself (size, content)."""

    reason = "the SMTP server refused the message"


class SenderMissing(ExchangeError):
    """No sender address: neither the configuration nor the SMTP connection gives one."""

    reason = "no sender address: set `from` in the delivery or `from_email` in the SMTP connection"
