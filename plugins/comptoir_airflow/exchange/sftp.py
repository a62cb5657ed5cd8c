"""SFTP: delivering files (`SftpTransport`) and fetching them (`SftpFolder`).

Both work in one `session(conn_id, directory)` on `SFTPHook` (Airflow connection of
type `sftp`), checked to have the folder, closed at the end whatever happened.

Credentials, from the connection:
- a password (`password`);
- a private key: a file named by the `key_file` extra, or the key itself in the
  `private_key` extra, with the `private_key_passphrase` extra when it is encrypted;
- `privkey://PATH[:PASSPHRASE]` in the password field (definitions exported from older
  systems): the key file and its passphrase (see `keys.parse_privkey_password`).

Only the configured key and password are offered: the worker's own `~/.ssh` keys are not
tried unless the extra says `"look_for_keys": true`. The server's host key must be
known: the `host_key` extra (recommended), the worker's `known_hosts`, or
`"no_host_key_check": true`.

Uploads go to `.NAME.part`, then are renamed to `NAME`. Listings read names as bytes:
a name that is not UTF-8 is reported as unusable, the other files are fetched.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import socket
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import paramiko
from airflow.providers.sftp.hooks.sftp import SFTPHook
from airflow.sdk.exceptions import AirflowException
from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR, SFTPError
from paramiko.sftp_attr import SFTPAttributes

from comptoir.exchange.errors import (
    ConnectionFailed,
    ConnectionLost,
    ConnectionMisconfigured,
    ExchangeError,
    HostKeyRejected,
    KeyRefused,
    LoginRefused,
    RemoteFolderMissing,
    RemoteFolderNotWritable,
    RemoteFolderUnreadable,
)
from comptoir.exchange.names import name_candidates
from comptoir.exchange.transports import (
    PROCESSED,
    FileChanged,
    NotRemoved,
    RemoteFile,
    Unreadable,
    part_name,
)
from comptoir_airflow.exchange.connections import connection_scope
from comptoir_airflow.exchange.keys import (
    load_private_key,
    load_private_key_file,
    parse_privkey_password,
)
from comptoir_airflow.exchange.net import CONNECT_TIMEOUT, IO_TIMEOUT

if TYPE_CHECKING:
    from paramiko.sftp_client import SFTPClient

__all__ = ["SftpFolder", "SftpTransport", "folder", "session"]

SSH_ERRORS = (OSError, EOFError, paramiko.SSHException, SFTPError)

KeyCache = dict[tuple[str, str, str | None], paramiko.PKey]


def describe(conn_id: str, directory: str) -> str:
    """`SFTP connection 'ID', folder DIR`: the start of every message."""
    return f"SFTP connection {conn_id!r}, folder {directory}"


class _SFTPHook(SFTPHook):
    """`SFTPHook` whose `private_key` extra is read with errors that name their cause."""

    def __init__(self, where: str, keys: KeyCache, **kwargs: Any) -> None:
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


def is_lost(exc: BaseException, sftp: SFTPClient) -> bool:
    """Whether an error means the session is gone (rather than a refused operation)."""
    channel = sftp.get_channel()
    return (
        not isinstance(exc, OSError)
        or isinstance(exc, socket.timeout)
        or channel is None
        or channel.closed
    )


def _lost(exc: BaseException, where: str) -> ConnectionLost:
    return ConnectionLost(where, str(exc) or type(exc).__name__)


class Credentials:
    """The hook of a connection, keys decrypted once per instance (it is slow)."""

    def __init__(self, conn_id: str, where: str) -> None:
        self.conn_id = conn_id
        self.where = where
        self._keys: KeyCache = {}

    def hook(self) -> _SFTPHook:
        """A new hook: after a dropped connection the hook's cached clients are dead."""
        with connection_scope(self.conn_id, self.where) as connection:
            extra = connection.extra_dejson
            try:
                hook = _SFTPHook(
                    self.where, self._keys, ssh_conn_id=self.conn_id, conn_retry_attempts=1
                )
            except (AirflowException, ValueError) as exc:
                raise ConnectionMisconfigured(self.where, str(exc)) from exc
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
            self._keys[cache_key] = load_private_key_file(path, passphrase, self.where)
        return self._keys[cache_key]


def _auth_error(exc: paramiko.AuthenticationException, hook: SFTPHook,
                where: str) -> ExchangeError:
    allowed = getattr(exc, "allowed_types", None)
    detail = f"the server accepts: {', '.join(allowed)}" if allowed else ""
    if hook.pkey is not None and not hook.password:
        return KeyRefused(where, detail)
    if hook.pkey is not None:
        return LoginRefused(where, detail or "neither the key nor the password worked")
    return LoginRefused(where, detail)


def connect_error(exc: BaseException, hook: SFTPHook, where: str) -> ExchangeError:
    """The domain error for a failure while connecting and logging in."""
    if isinstance(exc, paramiko.AuthenticationException):
        return _auth_error(exc, hook, where)
    if isinstance(exc, paramiko.BadHostKeyException):
        return HostKeyRejected(where, "the host key has changed")
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(where, "unknown host")
    text = str(exc)
    if "known_hosts" in text:
        return HostKeyRejected(where, "unknown host key: set the host_key extra")
    if "No authentication methods available" in text:
        return LoginRefused(where, reason="the connection has no password and no key")
    if "banner" in text or "No existing session" in text:
        return ConnectionFailed(where, "no SSH greeting from the server")
    return ConnectionFailed(where, text or type(exc).__name__)


def transfer_error(exc: BaseException, sftp: SFTPClient, where: str) -> ExchangeError:
    """The domain error for a failed upload, rename or removal."""
    if isinstance(exc, PermissionError):
        return RemoteFolderNotWritable(where, exc.strerror or "")
    if isinstance(exc, FileNotFoundError):
        return RemoteFolderMissing(where)
    if is_lost(exc, sftp):
        return _lost(exc, where)
    return RemoteFolderNotWritable(where, str(exc))


@contextlib.contextmanager
def session(credentials: Credentials, directory: str) -> Iterator[SFTPClient]:
    """An SFTP session, checked to have `directory`; closed at the end.

    Closing is quiet, so a dead connection never hides the cause of a failure.
    """
    where = describe(credentials.conn_id, directory)
    hook = credentials.hook()
    managed = hook.get_managed_conn()
    try:
        sftp = managed.__enter__()
    except SSH_ERRORS as exc:
        raise connect_error(exc, hook, where) from exc
    try:
        sftp.get_channel().settimeout(IO_TIMEOUT)
        try:
            attributes = sftp.stat(directory)
        except FileNotFoundError as exc:
            raise RemoteFolderMissing(where) from exc
        except SSH_ERRORS as exc:
            raise transfer_error(exc, sftp, where) from exc
        if attributes.st_mode is None or not stat.S_ISDIR(attributes.st_mode):
            raise RemoteFolderMissing(where, reason="the remote path is not a folder")
        yield sftp
    finally:
        with contextlib.suppress(Exception):
            managed.__exit__(None, None, None)
        if hook.client is not None:
            with contextlib.suppress(Exception):
                hook.client.close()


class SftpTransport:
    """Uploads to a folder of an SSH server by SFTP (Airflow connection of type `sftp`)."""

    def __init__(self, conn_id: str, directory: str = ".") -> None:
        self.conn_id = conn_id
        self.directory = directory
        self.credentials = Credentials(conn_id, self.name)

    @property
    def name(self) -> str:
        """The connection and the folder."""
        return describe(self.conn_id, self.directory)

    def check(self) -> None:
        """Connect, log in, check the folder and write (then remove) an empty probe file."""
        probe = posixpath.join(self.directory,
                               part_name(f"comptoir-check-{uuid.uuid4().hex}"))
        with session(self.credentials, self.directory) as sftp:
            try:
                sftp.putfo(io.BytesIO(), probe, confirm=False)
            except SSH_ERRORS as exc:
                raise transfer_error(exc, sftp, self.name) from exc
            with contextlib.suppress(*SSH_ERRORS):
                sftp.remove(probe)

    def send(self, path: Path, remote_name: str) -> None:
        """Upload as `.NAME.part`, then rename to `NAME` (replacing an older one)."""
        temporary = posixpath.join(self.directory, part_name(remote_name))
        final = posixpath.join(self.directory, remote_name)
        with session(self.credentials, self.directory) as sftp:
            try:
                sftp.put(str(path), temporary, confirm=True)
                try:
                    sftp.posix_rename(temporary, final)
                except OSError:
                    # No posix-rename extension: remove the older file, then rename.
                    with contextlib.suppress(FileNotFoundError):
                        sftp.remove(final)
                    sftp.rename(temporary, final)
            except SSH_ERRORS as exc:
                error = transfer_error(exc, sftp, self.name)
                if not isinstance(error, ConnectionLost):
                    with contextlib.suppress(Exception):
                        sftp.remove(temporary)
                raise error from exc


def list_folder(sftp: SFTPClient, directory: str) -> list[tuple[bytes, SFTPAttributes]]:
    """`SFTPClient.listdir_attr`, with the names as bytes.

    paramiko decodes names as strict UTF-8, so one name that is not UTF-8 makes the
    whole listing fail. This reads the same protocol messages (OPENDIR, READDIR...,
    CLOSE) through paramiko's request layer and leaves the decoding to the caller.
    """
    kind, message = sftp._request(CMD_OPENDIR, directory)
    if kind != CMD_HANDLE:
        raise SFTPError("Expected handle")
    handle = message.get_binary()
    entries: list[tuple[bytes, SFTPAttributes]] = []
    try:
        while True:
            try:
                kind, message = sftp._request(CMD_READDIR, handle)
            except EOFError:  # the end of the folder
                break
            if kind != CMD_NAME:
                raise SFTPError("Expected name response")
            for _ in range(message.get_int()):
                name = message.get_string()
                message.get_string()  # the `ls -l` line
                attributes = SFTPAttributes._from_msg(message)
                if name not in (b".", b".."):
                    entries.append((name, attributes))
    finally:
        with contextlib.suppress(*SSH_ERRORS):
            sftp._request(CMD_CLOSE, handle)
    return entries


class SftpFolder:
    """A folder of an SFTP server, as a fetch sees it (`RemoteFolder`)."""

    def __init__(self, sftp: SFTPClient, directory: str, where: str) -> None:
        self.sftp = sftp
        self.directory = directory
        self.where = where

    @property
    def name(self) -> str:
        """The connection and the folder."""
        return self.where

    def _path(self, *names: str) -> str:
        return posixpath.join(self.directory, *names)

    def files(self) -> list[RemoteFile]:
        """The regular files of the folder; a name that is not UTF-8 is marked unusable."""
        try:
            entries = list_folder(self.sftp, self.directory)
        except SSH_ERRORS as exc:
            if is_lost(exc, self.sftp):
                raise _lost(exc, self.where) from exc
            raise RemoteFolderUnreadable(self.where, str(exc)) from exc
        found = []
        for raw, attributes in entries:
            if attributes.st_mode is None or not stat.S_ISREG(attributes.st_mode):
                continue
            try:
                name, unusable = raw.decode("utf-8"), None
            except UnicodeDecodeError:
                name = raw.decode("utf-8", "surrogateescape")
                unusable = "the name is not valid UTF-8: rename the file on the server"
            found.append(RemoteFile(name, attributes.st_size, str(attributes.st_mtime),
                                    unusable))
        return found

    def download(self, remote: RemoteFile, target: BinaryIO) -> None:
        """The file's bytes into `target`; a size or date that changed meanwhile: changed."""
        path = self._path(remote.name)
        try:
            self.sftp.getfo(path, target)
            after = self.sftp.stat(path)
        except SSH_ERRORS as exc:
            if is_lost(exc, self.sftp):
                raise _lost(exc, self.where) from exc
            raise Unreadable(str(exc)) from exc
        if (after.st_size, str(after.st_mtime)) != (remote.size, remote.mtime):
            raise FileChanged("the file changed while it was read (still being written?)")

    def archive(self, name: str) -> None:
        """Move the file into `processed/` (created if missing), else delete it."""
        processed = self._path(PROCESSED)
        try:
            try:
                attributes = self.sftp.stat(processed)
                if attributes.st_mode is None or not stat.S_ISDIR(attributes.st_mode):
                    raise NotADirectoryError(f"{processed} is not a folder")
            except FileNotFoundError:
                self.sftp.mkdir(processed)
            taken = {raw.decode("utf-8", "surrogateescape")
                     for raw, _ in list_folder(self.sftp, processed)}
            target = next(c for c in name_candidates(name) if c not in taken)
            self.sftp.rename(self._path(name), posixpath.join(processed, target))
            return
        except SSH_ERRORS as exc:
            if is_lost(exc, self.sftp):
                raise _lost(exc, self.where) from exc
            refused = f"cannot move it to {PROCESSED}/ ({exc})"
        try:
            self.sftp.remove(self._path(name))
        except SSH_ERRORS as exc:
            if is_lost(exc, self.sftp):
                raise _lost(exc, self.where) from exc
            raise NotRemoved(f"{refused}, cannot delete it ({exc})") from exc


@contextlib.contextmanager
def folder(conn_id: str, directory: str) -> Iterator[SftpFolder]:
    """The folder in an SFTP session."""
    where = describe(conn_id, directory)
    with session(Credentials(conn_id, where), directory) as sftp:
        yield SftpFolder(sftp, directory, where)
