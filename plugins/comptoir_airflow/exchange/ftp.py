"""FTP and FTPS: delivering files (`FtpTransport`) and fetching them (`FtpFolder`).

Both work in one `session(conn_id, directory)`: `FTPHook`, or `FTPSHook` when the
connection's extra says `"secure": true` (explicit TLS, data channel protected with
PROT P, the server's certificate checked against the system's trusted CAs); logged in,
in the folder, closed at the end whatever happened.

- Uploads go to `.NAME.part`, then are renamed to `NAME` (replacing an older one); a
  broken upload leaves at most a `.NAME.part`, never a partial `NAME`.
- Listings are read raw (MLSD, else NLST with SIZE and MDTM): lines end at CRLF only, so
  a name with a line break or bytes that are not UTF-8 is seen, and reported as
  unusable, instead of being lost or breaking the listing.
- Failures are mapped once (`connect_error`, `transfer_error`, `is_lost`) to the most
  specific `comptoir.exchange.errors` class. Connecting is tried once: the spool and
  the next fetch are the retry.
"""

from __future__ import annotations

import contextlib
import ftplib
import io
import posixpath
import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from airflow.providers.ftp.hooks.ftp import FTPHook, FTPSHook

from comptoir.exchange.errors import (
    CertificateRejected,
    ConnectionFailed,
    ConnectionLost,
    ExchangeError,
    LoginRefused,
    RemoteFolderMissing,
    RemoteFolderNotWritable,
    RemoteFolderUnreadable,
    TlsUnavailable,
)
from comptoir.exchange.names import CONTROL_CHARS, name_candidates
from comptoir.exchange.transports import (
    PROCESSED,
    FileChanged,
    NotRemoved,
    RemoteFile,
    Unreadable,
    part_name,
)
from comptoir_airflow.exchange.connections import connection_scope
from comptoir_airflow.exchange.net import (
    CONNECT_TIMEOUT,
    IO_TIMEOUT,
    default_socket_timeout,
    truthy,
)

__all__ = ["FtpFolder", "FtpTransport", "folder", "session"]

FTP_ERRORS = (OSError, EOFError, ftplib.Error)
BLOCK_SIZE = 64 * 1024
_LOST_CODES = ("421", "425", "426")
_NO_TLS_CODES = ("500", "502", "504", "534", "431")


def describe(conn_id: str, directory: str) -> str:
    """`FTP connection 'ID', folder DIR`: the start of every message."""
    return f"FTP connection {conn_id!r}, folder {directory}"


def reply(exc: BaseException) -> str:
    """The server's reply (or the error's text) carried by an ftplib error."""
    return str(exc).strip()


def is_lost(exc: BaseException) -> bool:
    """Whether an FTP error means the session is gone (rather than a refused command)."""
    if isinstance(exc, ftplib.error_perm):
        return False
    if isinstance(exc, ftplib.error_temp):
        return reply(exc).startswith(_LOST_CODES)
    return True


def connect_error(exc: BaseException, where: str, secure: bool) -> ExchangeError:
    """The domain error for a failure while connecting and logging in."""
    if isinstance(exc, ftplib.error_perm):
        if secure and reply(exc).startswith(_NO_TLS_CODES):
            return TlsUnavailable(where, reply(exc))
        return LoginRefused(where, reply(exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CertificateRejected(where, exc.verify_message or "")
    if isinstance(exc, ssl.SSLError):
        return ConnectionFailed(where, f"TLS failed ({exc.reason})")
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(where, "unknown host")
    return ConnectionFailed(where, reply(exc) or type(exc).__name__)


def transfer_error(exc: BaseException, where: str) -> ExchangeError:
    """The domain error for a failed upload (STOR), rename or removal."""
    if is_lost(exc):
        return ConnectionLost(where, reply(exc) or type(exc).__name__)
    return RemoteFolderNotWritable(where, reply(exc))


@contextlib.contextmanager
def session(conn_id: str, directory: str) -> Iterator[ftplib.FTP]:
    """Logged in, in `directory`; closed at the end whatever happened."""
    where = describe(conn_id, directory)
    with connection_scope(conn_id, where) as connection:
        secure = truthy(connection.extra_dejson.get("secure", False))
        hook = (FTPSHook if secure else FTPHook)(ftp_conn_id=conn_id)
        try:
            with default_socket_timeout(CONNECT_TIMEOUT):
                ftp = hook.get_conn()
            ftp.sock.settimeout(IO_TIMEOUT)
            ftp.timeout = IO_TIMEOUT  # data connections
            ftp.pwd()  # refused when not logged in (the plain hook skips login without a user)
        except FTP_ERRORS as exc:
            with contextlib.suppress(Exception):
                if hook.conn is not None:
                    hook.conn.close()
            raise connect_error(exc, where, secure) from exc
    try:
        try:
            ftp.cwd(directory)
        except ftplib.error_perm as exc:
            raise RemoteFolderMissing(where, reply(exc)) from exc
        except FTP_ERRORS as exc:
            raise ConnectionLost(where, reply(exc)) from exc
        yield ftp
    finally:
        with contextlib.suppress(Exception):
            ftp.quit()
        ftp.close()


def _unwrap(data: socket.socket) -> None:
    """End TLS on a data channel, tolerating FTPS servers that close it without answering
    our close_notify (python/cpython#77303): the server's 226 reply on the control
    channel is what confirms the transfer."""
    if isinstance(data, ssl.SSLSocket):
        with contextlib.suppress(ssl.SSLError, OSError):
            data.unwrap()


def store(ftp: ftplib.FTP, name: str, source: BinaryIO) -> None:
    """`STOR name` from `source`, in binary mode."""
    ftp.voidcmd("TYPE I")
    with ftp.transfercmd(f"STOR {name}") as data:
        while block := source.read(BLOCK_SIZE):
            data.sendall(block)
        _unwrap(data)
    ftp.voidresp()


def retrieve(ftp: ftplib.FTP, command: str, target: BinaryIO) -> int:
    """The bytes of a data transfer (`RETR name`, `MLSD`...) into `target`; their count."""
    received = 0
    ftp.voidcmd("TYPE I")
    with ftp.transfercmd(command) as data:
        while block := data.recv(BLOCK_SIZE):
            target.write(block)
            received += len(block)
        _unwrap(data)
    ftp.voidresp()
    return received


class FtpTransport:
    """Uploads to a folder of an FTP or FTPS server (Airflow connection of type `ftp`)."""

    def __init__(self, conn_id: str, directory: str = ".") -> None:
        self.conn_id = conn_id
        self.directory = directory

    @property
    def name(self) -> str:
        """The connection and the folder."""
        return describe(self.conn_id, self.directory)

    def check(self) -> None:
        """Connect, log in, enter the folder and write (then remove) an empty probe file."""
        probe = part_name(f"comptoir-check-{uuid.uuid4().hex}")
        with session(self.conn_id, self.directory) as ftp:
            try:
                store(ftp, probe, io.BytesIO())
            except FTP_ERRORS as exc:
                raise transfer_error(exc, self.name) from exc
            with contextlib.suppress(*FTP_ERRORS):
                ftp.delete(probe)

    def send(self, path: Path, remote_name: str) -> None:
        """Upload as `.NAME.part`, then rename to `NAME` (replacing an older one)."""
        temporary = part_name(remote_name)
        with session(self.conn_id, self.directory) as ftp:
            try:
                with open(path, "rb") as source:
                    store(ftp, temporary, source)
                self._rename(ftp, temporary, remote_name)
            except FTP_ERRORS as exc:
                error = transfer_error(exc, self.name)
                if not isinstance(error, ConnectionLost):  # else the next upload overwrites it
                    with contextlib.suppress(Exception):
                        ftp.delete(temporary)
                raise error from exc

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


def _parse_name(raw: bytes) -> tuple[str, str | None]:
    """A listed name as text, and why it cannot be used (None when it can)."""
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        return (raw.decode("utf-8", "surrogateescape"),
                "the name is not valid UTF-8: rename the file on the server")
    if CONTROL_CHARS.search(name):
        return name, ("the name holds a line break or a control character, which FTP "
                      "commands cannot carry: rename the file on the server")
    return name, None


class FtpFolder:
    """A folder of an FTP server, as a fetch sees it (`RemoteFolder`)."""

    def __init__(self, ftp: ftplib.FTP, where: str) -> None:
        self.ftp = ftp
        self.where = where

    @property
    def name(self) -> str:
        """The connection and the folder."""
        return self.where

    def _lost(self, exc: BaseException) -> ConnectionLost:
        return ConnectionLost(self.where, reply(exc) or type(exc).__name__)

    def _listing(self, command: str) -> list[bytes]:
        """The lines of a listing, split at CRLF only (a bare LF belongs to a name)."""
        collected = io.BytesIO()
        retrieve(self.ftp, command, collected)
        return [line for line in collected.getvalue().split(b"\r\n") if line]

    def files(self) -> list[RemoteFile]:
        """The regular files of the folder, names that cannot be used marked so."""
        try:
            try:
                return self._mlsd()
            except ftplib.error_perm as exc:
                if not reply(exc).startswith(("500", "501", "502")):
                    raise
            return self._files_without_mlsd()
        except FTP_ERRORS as exc:
            if is_lost(exc):
                raise self._lost(exc) from exc
            raise RemoteFolderUnreadable(self.where, reply(exc)) from exc

    def _mlsd(self) -> list[RemoteFile]:
        found = []
        for line in self._listing("MLSD"):
            facts_text, _, raw_name = line.partition(b" ")
            facts = {}
            for fact in facts_text.decode("ascii", "replace").rstrip(";").split(";"):
                key, _, value = fact.partition("=")
                facts[key.lower()] = value
            if facts.get("type", "").lower() != "file":
                continue
            name, unusable = _parse_name(raw_name)
            size = int(facts["size"]) if facts.get("size", "").isdigit() else None
            found.append(RemoteFile(name, size, facts.get("modify"), unusable))
        return found

    def _files_without_mlsd(self) -> list[RemoteFile]:
        """NLST, then SIZE and MDTM of each name (folders answer SIZE with an error)."""
        found = []
        for line in self._listing("NLST"):
            name, unusable = _parse_name(posixpath.basename(line))
            if unusable:
                found.append(RemoteFile(name, None, None, unusable))
                continue
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
        """RETR the file into `target`; a size that differs from the listing's: changed."""
        try:
            received = retrieve(self.ftp, f"RETR {remote.name}", target)
        except FTP_ERRORS as exc:
            if is_lost(exc):
                raise self._lost(exc) from exc
            raise Unreadable(reply(exc)) from exc
        if remote.size is not None and received != remote.size:
            raise FileChanged("the file changed while it was read (still being written?)")

    def archive(self, name: str) -> None:
        """Move the file into `processed/` (created if missing), else delete it."""
        try:
            try:
                try:
                    taken = {posixpath.basename(n) for n in self.ftp.nlst(PROCESSED)}
                except ftplib.error_perm:  # missing, or empty on some servers
                    with contextlib.suppress(ftplib.error_perm):
                        self.ftp.mkd(PROCESSED)
                    taken = set()
                target = next(c for c in name_candidates(name) if c not in taken)
                self.ftp.rename(name, f"{PROCESSED}/{target}")
                return
            except ftplib.error_perm as moving:
                refused = f"cannot move it to {PROCESSED}/ ({reply(moving)})"
            try:
                self.ftp.delete(name)
            except ftplib.error_perm as exc:
                raise NotRemoved(f"{refused}, cannot delete it ({reply(exc)})") from exc
        except FTP_ERRORS as exc:
            if is_lost(exc):
                raise self._lost(exc) from exc
            raise NotRemoved(reply(exc)) from exc


@contextlib.contextmanager
def folder(conn_id: str, directory: str) -> Iterator[FtpFolder]:
    """The folder in an FTP or FTPS session."""
    with session(conn_id, directory) as ftp:
        yield FtpFolder(ftp, describe(conn_id, directory))
