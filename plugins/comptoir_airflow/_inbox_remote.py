"""Fetching the files of an SFTP or FTP folder into an inbox.

One pass: list the folder, and for each complete file whose name matches (hidden and
temporary names such as `.NAME.part` are uploads in progress, left alone), save it in the
inbox, then move it on the server into the `processed/` subfolder of the folder (created
if missing; `NAME-2.csv`... when the name is taken there). When it cannot be moved, it is
deleted; when it cannot be deleted either, it stays, and the inbox's fetch ledger keeps
it from being fetched again as long as its size and modification time do not change.

Sessions (connection, login, timeouts, keys, error mapping) are those of the delivery
transports: `SftpTransport` and `FtpTransport` of `comptoir_airflow.transports`.
"""

from __future__ import annotations

import contextlib
import ftplib
import posixpath
import socket
import ssl
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

import paramiko

from comptoir.automation.inbox import (
    FetchedFile,
    FetchResult,
    FtpInboxSource,
    Inbox,
    SftpInboxSource,
    Skipped,
    is_temporary,
    ledger_key,
    matches,
    name_candidates,
    safe_name,
)
from comptoir.automation.transports import ConnectionLost, RemoteFolderMissing
from comptoir_airflow.transports import (
    _BLOCK_SIZE,
    _FTP_ERRORS,
    FtpTransport,
    SftpTransport,
    _ftp_reply,
)

if TYPE_CHECKING:
    from paramiko.sftp_client import SFTPClient

PROCESSED = "processed"
"""The subfolder of a remote folder that fetched files are moved into."""

_SSH_ERRORS = (OSError, EOFError, paramiko.SSHException)


@dataclass(frozen=True)
class RemoteFile:
    """A file of the remote folder, as listed."""

    name: str
    size: int | None
    mtime: str | None


class FileChanged(Exception):
    """The file changed while it was downloaded (still being written): left for later."""


class Unreadable(Exception):
    """The file cannot be read (permissions, gone since the listing): left for later."""


class NotRemoved(Exception):
    """The file could be neither moved to `processed/` nor deleted."""


class RemoteFolder(Protocol):
    """The operations a fetch needs from a remote folder, in an open session."""

    def files(self) -> list[RemoteFile]:
        """The regular files of the folder."""
        ...

    def download(self, remote: RemoteFile, target: BinaryIO) -> None:
        """Write the file's bytes to `target`.

        Raises `FileChanged` if it changed meanwhile, `Unreadable` if it cannot be read,
        `ConnectionLost` if the session is gone.
        """
        ...

    def archive(self, name: str) -> None:
        """Move the file into `processed/`, or delete it.

        Raises `NotRemoved` if neither works, `ConnectionLost` if the session is gone.
        """
        ...


def _unique_name(name: str, taken: set[str]) -> str:
    return next(candidate for candidate in name_candidates(name) if candidate not in taken)


# ---------------------------------------------------------------------------- SFTP


class _SftpFolder:
    def __init__(self, sftp: SFTPClient, directory: str, where: str) -> None:
        self.sftp = sftp
        self.directory = directory
        self.where = where

    def _path(self, *names: str) -> str:
        return posixpath.join(self.directory, *names)

    def _lost(self, exc: BaseException) -> bool:
        channel = self.sftp.get_channel()
        return (
            not isinstance(exc, OSError)
            or isinstance(exc, socket.timeout)
            or channel is None
            or channel.closed
        )

    def files(self) -> list[RemoteFile]:
        try:
            entries = self.sftp.listdir_attr(self.directory)
        except _SSH_ERRORS as exc:
            if not self._lost(exc):
                raise RemoteFolderMissing(
                    self.where, str(exc), reason="the remote folder cannot be read"
                ) from exc
            raise ConnectionLost(self.where, str(exc) or type(exc).__name__) from exc
        return [
            RemoteFile(entry.filename, entry.st_size, str(entry.st_mtime))
            for entry in entries
            if entry.st_mode is not None and stat.S_ISREG(entry.st_mode)
        ]

    def download(self, remote: RemoteFile, target: BinaryIO) -> None:
        path = self._path(remote.name)
        try:
            self.sftp.getfo(path, target)
            after = self.sftp.stat(path)
        except _SSH_ERRORS as exc:
            if self._lost(exc):
                raise ConnectionLost(self.where, str(exc) or type(exc).__name__) from exc
            raise Unreadable(str(exc)) from exc
        if (after.st_size, str(after.st_mtime)) != (remote.size, remote.mtime):
            raise FileChanged("the file changed while it was read (still being written?)")

    def archive(self, name: str) -> None:
        processed = self._path(PROCESSED)
        try:
            try:
                attributes = self.sftp.stat(processed)
                if attributes.st_mode is None or not stat.S_ISDIR(attributes.st_mode):
                    raise NotADirectoryError(f"{processed} is not a folder")
            except FileNotFoundError:
                self.sftp.mkdir(processed)
            target = _unique_name(name, set(self.sftp.listdir(processed)))
            self.sftp.rename(self._path(name), posixpath.join(processed, target))
            return
        except _SSH_ERRORS as exc:
            if self._lost(exc):
                raise ConnectionLost(self.where, str(exc) or type(exc).__name__) from exc
            refused = f"cannot move it to {PROCESSED}/ ({exc})"
        try:
            self.sftp.remove(self._path(name))
        except _SSH_ERRORS as exc:
            if self._lost(exc):
                raise ConnectionLost(self.where, str(exc) or type(exc).__name__) from exc
            raise NotRemoved(f"{refused}, cannot delete it ({exc})") from exc


@contextlib.contextmanager
def sftp_folder(source: SftpInboxSource) -> Iterator[RemoteFolder]:
    """The source's folder in an SFTP session (the delivery transport's session)."""
    transport = SftpTransport(source.conn_id, source.directory)
    with transport._session() as sftp:
        yield _SftpFolder(sftp, source.directory, transport.name)


# ----------------------------------------------------------------------------- FTP


def _is_lost(exc: BaseException) -> bool:
    """Whether an FTP error means the session is gone (rather than a refused command)."""
    if isinstance(exc, ftplib.error_perm):
        return False
    if isinstance(exc, ftplib.error_temp):
        return _ftp_reply(exc).startswith(("421", "425", "426"))
    return True


class _FtpFolder:
    def __init__(self, ftp: ftplib.FTP, where: str) -> None:
        self.ftp = ftp
        self.where = where

    def _lost(self, exc: BaseException) -> ConnectionLost:
        return ConnectionLost(self.where, _ftp_reply(exc) or type(exc).__name__)

    def files(self) -> list[RemoteFile]:
        try:
            try:
                return [
                    RemoteFile(
                        name, int(facts["size"]) if "size" in facts else None, facts.get("modify")
                    )
                    for name, facts in self.ftp.mlsd(facts=["type", "size", "modify"])
                    if facts.get("type") == "file"
                ]
            except ftplib.error_perm as exc:
                if not _ftp_reply(exc).startswith(("500", "501", "502")):
                    raise
            return self._files_without_mlsd()
        except _FTP_ERRORS as exc:
            if _is_lost(exc):
                raise self._lost(exc) from exc
            raise RemoteFolderMissing(
                self.where, _ftp_reply(exc), reason="the remote folder cannot be read"
            ) from exc

    def _files_without_mlsd(self) -> list[RemoteFile]:
        """NLST, then SIZE and MDTM of each name (folders answer SIZE with an error)."""
        found = []
        self.ftp.voidcmd("TYPE I")
        for name in self.ftp.nlst():
            name = posixpath.basename(name)
            try:
                size = self.ftp.size(name)
            except ftplib.error_perm:
                continue
            try:
                mtime: str | None = self.ftp.voidcmd(f"MDTM {name}").split()[-1]
            except ftplib.error_perm:
                mtime = None
            found.append(RemoteFile(name, size, mtime))
        return found

    def download(self, remote: RemoteFile, target: BinaryIO) -> None:
        """RETR, tolerating FTPS servers that close the data channel without a TLS goodbye."""
        received = 0
        try:
            self.ftp.voidcmd("TYPE I")
            with self.ftp.transfercmd(f"RETR {remote.name}") as data:
                while block := data.recv(_BLOCK_SIZE):
                    target.write(block)
                    received += len(block)
                if isinstance(data, ssl.SSLSocket):
                    with contextlib.suppress(ssl.SSLError, OSError):
                        data.unwrap()
            self.ftp.voidresp()
        except _FTP_ERRORS as exc:
            if _is_lost(exc):
                raise self._lost(exc) from exc
            raise Unreadable(_ftp_reply(exc)) from exc
        if remote.size is not None and received != remote.size:
            raise FileChanged("the file changed while it was read (still being written?)")

    def archive(self, name: str) -> None:
        try:
            try:
                try:
                    taken = {posixpath.basename(n) for n in self.ftp.nlst(PROCESSED)}
                except ftplib.error_perm:  # missing, or empty on some servers
                    with contextlib.suppress(ftplib.error_perm):
                        self.ftp.mkd(PROCESSED)
                    taken = set()
                self.ftp.rename(name, f"{PROCESSED}/{_unique_name(name, taken)}")
                return
            except ftplib.error_perm as moving:
                refused = f"cannot move it to {PROCESSED}/ ({_ftp_reply(moving)})"
            try:
                self.ftp.delete(name)
            except ftplib.error_perm as exc:
                raise NotRemoved(f"{refused}, cannot delete it ({_ftp_reply(exc)})") from exc
        except _FTP_ERRORS as exc:
            if _is_lost(exc):
                raise self._lost(exc) from exc
            raise NotRemoved(_ftp_reply(exc)) from exc


@contextlib.contextmanager
def ftp_folder(source: FtpInboxSource) -> Iterator[RemoteFolder]:
    """The source's folder in an FTP or FTPS session (the delivery transport's session)."""
    transport = FtpTransport(source.conn_id, source.directory)
    with transport._session() as ftp:
        yield _FtpFolder(ftp, transport.name)


# ------------------------------------------------------------------------- the pass


def fetch_folder(
    folder: RemoteFolder, source: SftpInboxSource | FtpInboxSource, inbox: Inbox
) -> FetchResult:
    """Fetch every matching file of `folder` into `inbox`, then remove it from the server."""
    source_id = ledger_key(source.kind, source.conn_id, source.directory)
    fetched: list[FetchedFile] = []
    already: list[str] = []
    skipped: list[Skipped] = []
    with inbox.fetching(source_id) as ledger:
        for remote in sorted(folder.files(), key=lambda f: f.name):
            if is_temporary(remote.name) or not matches(remote.name, source.pattern):
                continue
            key = ledger_key(source_id, remote.name, remote.size, remote.mtime)
            origin = {
                "source": source.describe(),
                "remote_name": remote.name,
                "size": remote.size,
                "modified": remote.mtime,
            }
            try:
                path, new = ledger.receive(
                    key,
                    safe_name(remote.name),
                    lambda target, remote=remote: folder.download(remote, target),
                    origin=origin,
                )
            except FileChanged as exc:
                skipped.append(Skipped(remote.name, str(exc)))
                continue
            except Unreadable as exc:
                skipped.append(Skipped(remote.name, f"cannot be read ({exc})"))
                continue
            if new and path is not None:
                fetched.append(FetchedFile(path, remote.name, origin))
            try:
                folder.archive(remote.name)
            except NotRemoved as exc:
                skipped.append(Skipped(remote.name, f"fetched, but left on the server: {exc}"))
                continue
            ledger.forget(key)
            if not new:
                already.append(remote.name)
        ledger.prune()
    return FetchResult(source.describe(), tuple(fetched), tuple(already), tuple(skipped))
