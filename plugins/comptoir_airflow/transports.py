"""Delivery transports backed by Airflow connections and provider hooks.

`transport_for(config)` turns the `output.delivery` object of a task into a `Transport`:

- `local`: `comptoir.automation.transports.LocalTransport`;
- `ftp`: `FtpTransport` (`FTPHook`, or `FTPSHook` when the connection extra says
  `"secure": true`: explicit TLS, data channel protected with PROT P, server
  certificate checked against the system's trusted CAs);
- `sftp`: `SftpTransport` (`SFTPHook`, password or private key);
- `email`: `comptoir.automation.mail.EmailTransport` with the mailer of the installation.

FTP and SFTP upload under `.NAME.part` in the target folder, then rename to `NAME`,
replacing an older `NAME`. A failure is raised as the most specific
`comptoir.automation.transports.DeliveryError`; a broken upload leaves at most a
`.NAME.part` behind (overwritten by the next attempt), never a partial `NAME`.

Connections are looked up inside a task and from the command line alike (see
`comptoir_airflow._connections`). Connecting is tried once: the spool is the retry.
"""

from __future__ import annotations

import contextlib
import ftplib
import posixpath
import socket
import ssl
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import paramiko
from airflow.providers.ftp.hooks.ftp import FTPHook, FTPSHook
from airflow.providers.sftp.hooks.sftp import SFTPHook
from airflow.sdk.exceptions import AirflowException

from comptoir.automation.delivery import (
    EmailDelivery,
    FtpDelivery,
    LocalDelivery,
    SftpDelivery,
    parse_delivery,
)
from comptoir.automation.mail import EmailTransport
from comptoir.automation.transports import (
    CertificateRejected,
    ConnectionFailed,
    ConnectionLost,
    ConnectionMisconfigured,
    DeliveryError,
    HostKeyRejected,
    KeyRefused,
    LocalTransport,
    LoginRefused,
    RemoteFolderMissing,
    RemoteFolderNotWritable,
    Transport,
    part_name,
)
from comptoir_airflow._connections import connection_scope
from comptoir_airflow._sftp_keys import (
    load_private_key,
    load_private_key_file,
    parse_privkey_password,
)
from comptoir_airflow.mailer import SmtpMailer, mailer_for

if TYPE_CHECKING:
    from paramiko.sftp_client import SFTPClient

__all__ = [
    "EmailTransport",
    "FtpTransport",
    "SftpTransport",
    "SmtpMailer",
    "transport_for",
]

CONNECT_TIMEOUT = 30
"""Seconds to wait for a server to answer: TCP connection and greeting (SSH: unless the
connection's `conn_timeout` extra says otherwise)."""
IO_TIMEOUT = 60
"""Seconds without progress after which a transfer is given up."""


@contextlib.contextmanager
def _default_socket_timeout(seconds: float) -> Iterator[None]:
    """FTPHook opens its socket with Python's default timeout, which is none: a server that
    accepts and never greets would hang the task. Bound it while the hook connects."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


# --------------------------------------------------------------------------- FTP / FTPS


def _ftp_reply(exc: BaseException) -> str:
    return str(exc).strip()


def _ftp_connect_error(exc: BaseException, where: str) -> DeliveryError:
    """The domain error for a failure while connecting and logging in to an FTP server."""
    if isinstance(exc, ftplib.error_perm):
        return LoginRefused(where, _ftp_reply(exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CertificateRejected(where, exc.verify_message or "")
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(where, "unknown host")
    return ConnectionFailed(where, _ftp_reply(exc) or type(exc).__name__)


def _ftp_transfer_error(exc: BaseException, where: str) -> DeliveryError:
    """The domain error for a failed upload (STOR) or rename."""
    if isinstance(exc, ftplib.error_perm):
        return RemoteFolderNotWritable(where, _ftp_reply(exc))
    if isinstance(exc, ftplib.error_temp) and not _ftp_reply(exc).startswith(("421", "425", "426")):
        return RemoteFolderNotWritable(where, _ftp_reply(exc))
    return ConnectionLost(where, _ftp_reply(exc) or type(exc).__name__)


_FTP_ERRORS = (OSError, EOFError, ftplib.Error)
_BLOCK_SIZE = 64 * 1024


class FtpTransport:
    """Uploads to a folder of an FTP or FTPS server (Airflow connection of type `ftp`)."""

    def __init__(self, conn_id: str, directory: str = ".") -> None:
        self.conn_id = conn_id
        self.directory = directory

    @property
    def name(self) -> str:
        """The connection and the folder."""
        return f"FTP connection {self.conn_id!r}, folder {self.directory}"

    @contextlib.contextmanager
    def _session(self) -> Iterator[ftplib.FTP]:
        """Logged in, in the target folder; closed at the end whatever happened."""
        with connection_scope(self.conn_id, self.name) as connection:
            secure = _truthy(connection.extra_dejson.get("secure", False))
            hook = (FTPSHook if secure else FTPHook)(ftp_conn_id=self.conn_id)
            try:
                with _default_socket_timeout(CONNECT_TIMEOUT):
                    ftp = hook.get_conn()
                ftp.sock.settimeout(IO_TIMEOUT)
                ftp.timeout = IO_TIMEOUT  # data connections
                ftp.pwd()  # refused when not logged in (the plain hook skips login without a user)
            except _FTP_ERRORS as exc:
                with contextlib.suppress(Exception):
                    if hook.conn is not None:
                        hook.conn.close()
                raise _ftp_connect_error(exc, self.name) from exc
        try:
            try:
                ftp.cwd(self.directory)
            except ftplib.error_perm as exc:
                raise RemoteFolderMissing(self.name, _ftp_reply(exc)) from exc
            except _FTP_ERRORS as exc:
                raise ConnectionLost(self.name, _ftp_reply(exc)) from exc
            yield ftp
        finally:
            with contextlib.suppress(Exception):
                ftp.quit()
            ftp.close()

    def check(self) -> None:
        """Connect, log in and enter the folder."""
        with self._session():
            pass

    def send(self, path: Path, remote_name: str) -> None:
        """Upload as `.NAME.part`, then rename to `NAME` (replacing an older one)."""
        temporary = part_name(remote_name)
        with self._session() as ftp:
            try:
                with open(path, "rb") as source:
                    self._store(ftp, temporary, source)
                self._rename(ftp, temporary, remote_name)
            except _FTP_ERRORS as exc:
                error = _ftp_transfer_error(exc, self.name)
                if not isinstance(error, ConnectionLost):  # else the next upload overwrites it
                    with contextlib.suppress(Exception):
                        ftp.delete(temporary)
                raise error from exc

    @staticmethod
    def _store(ftp: ftplib.FTP, name: str, source: BinaryIO) -> None:
        """`storbinary`, tolerating FTPS servers that close the data channel without
        answering our TLS close_notify (python/cpython#77303): the server's 226 reply on
        the control channel is what confirms it has the whole file.
        """
        ftp.voidcmd("TYPE I")
        with ftp.transfercmd(f"STOR {name}") as data:
            while block := source.read(_BLOCK_SIZE):
                data.sendall(block)
            if isinstance(data, ssl.SSLSocket):
                with contextlib.suppress(ssl.SSLError, OSError):
                    data.unwrap()
        ftp.voidresp()

    @staticmethod
    def _rename(ftp: ftplib.FTP, temporary: str, final: str) -> None:
        try:
            ftp.rename(temporary, final)
        except ftplib.error_perm as refused:
            # Some servers refuse to rename over an existing file: remove it, try again.
            try:
                ftp.delete(final)
            except ftplib.error_perm:
                raise refused from None
            ftp.rename(temporary, final)


# --------------------------------------------------------------------------------- SFTP


_KeyCache = dict[tuple[str, str, str | None], paramiko.PKey]


class _SFTPHook(SFTPHook):
    """`SFTPHook` whose `private_key` extra is read with errors that name their cause."""

    def __init__(self, where: str, keys: _KeyCache, **kwargs: Any) -> None:
        self._where = where
        self._keys = keys
        super().__init__(**kwargs)

    def _pkey_from_private_key(
        self, private_key: str, passphrase: str | None = None
    ) -> paramiko.PKey:
        cache_key = ("inline", private_key, passphrase)
        if cache_key not in self._keys:
            self._keys[cache_key] = load_private_key(
                private_key.encode(), passphrase, self._where
            )
        return self._keys[cache_key]


class SftpTransport:
    """Uploads to a folder of an SSH server by SFTP (Airflow connection of type `sftp`).

    Credentials, from the connection:
    - a password (`password`);
    - a private key: a file named by the `key_file` extra, or the key itself in the
      `private_key` extra, with the `private_key_passphrase` extra when it is encrypted;
    - `privkey://PATH[:PASSPHRASE]` in the password field (definitions exported from
      older systems): the key file and its passphrase. The path ends at the first ':'
      that is not a Windows drive (`C:\\...`); the passphrase may contain ':'.

    Only the configured key and password are offered: the worker's own `~/.ssh` keys
    are not tried unless the extra says `"look_for_keys": true`. The server's host key
    must be known: the `host_key` extra (recommended), the worker's `known_hosts`, or
    `"no_host_key_check": true`.
    """

    def __init__(self, conn_id: str, directory: str = ".") -> None:
        self.conn_id = conn_id
        self.directory = directory
        self._keys: _KeyCache = {}  # decrypting a key is slow: once per transport

    @property
    def name(self) -> str:
        """The connection and the folder."""
        return f"SFTP connection {self.conn_id!r}, folder {self.directory}"

    def _build_hook(self) -> _SFTPHook:
        where = self.name
        with connection_scope(self.conn_id, where) as connection:
            extra = connection.extra_dejson
            try:
                hook = _SFTPHook(
                    where, self._keys, ssh_conn_id=self.conn_id, conn_retry_attempts=1
                )
            except (AirflowException, ValueError) as exc:
                raise ConnectionMisconfigured(where, str(exc)) from exc
        privkey = parse_privkey_password(hook.password)
        if privkey is not None:
            hook.pkey = self._key_file(*privkey)
            hook.password = None
        elif hook.key_file:
            hook.pkey = self._key_file(hook.key_file, extra.get("private_key_passphrase"))
            hook.key_file = None
        if "look_for_keys" not in extra:
            hook.look_for_keys = False
        if hook.conn_timeout is None:
            hook.conn_timeout = CONNECT_TIMEOUT
        hook.banner_timeout = hook.conn_timeout  # a server that accepts and never greets
        return hook

    def _key_file(self, path: str, passphrase: str | None) -> paramiko.PKey:
        cache_key = ("file", path, passphrase)
        if cache_key not in self._keys:
            self._keys[cache_key] = load_private_key_file(path, passphrase, self.name)
        return self._keys[cache_key]

    def _auth_error(self, exc: paramiko.AuthenticationException, hook: SFTPHook) -> DeliveryError:
        allowed = getattr(exc, "allowed_types", None)
        detail = f"the server accepts: {', '.join(allowed)}" if allowed else ""
        if hook.pkey is not None and not hook.password:
            return KeyRefused(self.name, detail)
        if hook.pkey is not None:
            return LoginRefused(self.name, detail or "neither the key nor the password worked")
        return LoginRefused(self.name, detail)

    def _connect_error(self, exc: BaseException, hook: SFTPHook) -> DeliveryError:
        """The domain error for a failure while connecting and logging in."""
        if isinstance(exc, paramiko.AuthenticationException):
            return self._auth_error(exc, hook)
        if isinstance(exc, paramiko.BadHostKeyException):
            return HostKeyRejected(self.name, "the host key has changed")
        if isinstance(exc, socket.gaierror):
            return ConnectionFailed(self.name, "unknown host")
        text = str(exc)
        if "known_hosts" in text:
            return HostKeyRejected(self.name, "unknown host key: set the host_key extra")
        if "No authentication methods available" in text:
            return LoginRefused(self.name, reason="the connection has no password and no key")
        if "banner" in text or "No existing session" in text:
            return ConnectionFailed(self.name, "no SSH greeting from the server")
        return ConnectionFailed(self.name, text or type(exc).__name__)

    @contextlib.contextmanager
    def _session(self) -> Iterator[SFTPClient]:
        """An SFTP session, checked to have the target folder; closed at the end.

        A new hook each time: after a dropped connection the hook's cached clients are
        dead. Closing is quiet, so a dead connection never hides the cause of a failure.
        """
        hook = self._build_hook()
        managed = hook.get_managed_conn()
        try:
            sftp = managed.__enter__()
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._connect_error(exc, hook) from exc
        try:
            sftp.get_channel().settimeout(IO_TIMEOUT)
            try:
                attributes = sftp.stat(self.directory)
            except FileNotFoundError as exc:
                raise RemoteFolderMissing(self.name) from exc
            except (OSError, EOFError, paramiko.SSHException) as exc:
                raise self._transfer_error(exc, sftp) from exc
            if attributes.st_mode is None or not stat.S_ISDIR(attributes.st_mode):
                raise RemoteFolderMissing(self.name, reason="the remote path is not a folder")
            yield sftp
        finally:
            with contextlib.suppress(Exception):
                managed.__exit__(None, None, None)
            if hook.client is not None:
                with contextlib.suppress(Exception):
                    hook.client.close()

    def _transfer_error(self, exc: BaseException, sftp: SFTPClient) -> DeliveryError:
        """The domain error for a failed upload or rename."""
        if isinstance(exc, PermissionError):
            return RemoteFolderNotWritable(self.name, exc.strerror or "")
        if isinstance(exc, FileNotFoundError):
            return RemoteFolderMissing(self.name)
        channel = sftp.get_channel()
        if isinstance(exc, OSError) and not isinstance(exc, socket.timeout) and not (
            channel is None or channel.closed
        ):
            return RemoteFolderNotWritable(self.name, str(exc))
        return ConnectionLost(self.name, str(exc) or type(exc).__name__)

    def check(self) -> None:
        """Connect, log in and check the folder exists."""
        with self._session():
            pass

    def send(self, path: Path, remote_name: str) -> None:
        """Upload as `.NAME.part`, then rename to `NAME` (replacing an older one)."""
        temporary = posixpath.join(self.directory, part_name(remote_name))
        final = posixpath.join(self.directory, remote_name)
        with self._session() as sftp:
            try:
                sftp.put(str(path), temporary, confirm=True)
                try:
                    sftp.posix_rename(temporary, final)
                except OSError:
                    # No posix-rename extension: remove the older file, then rename.
                    with contextlib.suppress(FileNotFoundError):
                        sftp.remove(final)
                    sftp.rename(temporary, final)
            except (OSError, EOFError, paramiko.SSHException) as exc:
                error = self._transfer_error(exc, sftp)
                if not isinstance(error, ConnectionLost):
                    with contextlib.suppress(Exception):
                        sftp.remove(temporary)
                raise error from exc


# ------------------------------------------------------------------------------ factory


def transport_for(
    config: LocalDelivery | FtpDelivery | SftpDelivery | EmailDelivery | Mapping[str, Any],
) -> Transport:
    """The transport of a task's `output.delivery` (a model, or the dict from JSON)."""
    if isinstance(config, Mapping):
        config = parse_delivery(dict(config))
    if isinstance(config, LocalDelivery):
        return LocalTransport(config.folder())
    if isinstance(config, FtpDelivery):
        return FtpTransport(config.conn_id, config.directory)
    if isinstance(config, SftpDelivery):
        return SftpTransport(config.conn_id, config.directory)
    return EmailTransport(
        to=config.to,
        subject=config.subject,
        mailer=mailer_for(config.smtp_conn_id),
        sender=config.from_,
    )
