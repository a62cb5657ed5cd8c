"""The protocols the delivery and fetch logic depend on, and the local folder transport.

- `Transport`: delivers one file at a time under its final name, and only ever shows a
  complete file under that name (it writes `part_name(NAME)` first, then renames).
  `check()` proves a file could be delivered now: connect, log in, write (e-mail: send a
  test message).
- `RemoteFolder`: a folder of a server in an open session, as a fetch sees it: list the
  files, download one, archive one (move it to `processed/`, or delete it).

The FTP/FTPS, SFTP and e-mail implementations live in `comptoir_airflow.exchange`; tests
use in-memory fakes of both protocols. Failures are `comptoir.exchange.errors` classes.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from comptoir.exchange.errors import LocalFolderMissing, LocalFolderNotWritable
from comptoir.exchange.files import atomic_write

__all__ = [
    "PROCESSED",
    "FileChanged",
    "LocalTransport",
    "NotRemoved",
    "RemoteFile",
    "RemoteFolder",
    "Transport",
    "Unreadable",
    "part_name",
]

PROCESSED = "processed"
"""The subfolder of a remote folder that fetched files are moved into."""


def part_name(remote_name: str) -> str:
    """The temporary name a file is written under before it is renamed to `remote_name`."""
    return f".{remote_name}.part"


@runtime_checkable
class Transport(Protocol):
    """Delivers files to one destination."""

    @property
    def name(self) -> str:
        """A one-line description of the destination, without credentials."""
        ...

    def check(self) -> None:
        """Prove a file can be delivered now; raise an `ExchangeError` saying why not."""
        ...

    def send(self, path: Path, remote_name: str) -> None:
        """Deliver `path` as `remote_name`; return only once it is complete under that name."""
        ...


@dataclass(frozen=True)
class RemoteFile:
    """A file of a remote folder, as listed; `unusable` says why it cannot be fetched."""

    name: str
    size: int | None
    mtime: str | None
    unusable: str | None = None


class FileChanged(Exception):
    """The file changed while it was downloaded (still being written): left for later."""


class Unreadable(Exception):
    """The file cannot be read (permissions, gone since the listing): left for later."""


class NotRemoved(Exception):
    """The file could be neither moved to `processed/` nor deleted."""


class RemoteFolder(Protocol):
    """The operations a fetch needs from a folder of a server, in an open session."""

    @property
    def name(self) -> str:
        """The connection and the folder, for messages."""
        ...

    def files(self) -> list[RemoteFile]:
        """The regular files of the folder (names that cannot be used have `unusable`)."""
        ...

    def download(self, remote: RemoteFile, target: BinaryIO) -> None:
        """Write the file's bytes to `target`.

        Raises `FileChanged` if it changed meanwhile, `Unreadable` if it cannot be read
        (or is gone), `ConnectionLost` if the session is gone.
        """
        ...

    def archive(self, name: str) -> None:
        """Move the file into `processed/` (`NAME-2`... when taken there), or delete it.

        Raises `NotRemoved` if neither works, `ConnectionLost` if the session is gone.
        """
        ...


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
            raise LocalFolderMissing(self.name, reason="the path exists but is not a folder")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except PermissionError as exc:
            raise LocalFolderNotWritable(self.name, "the folder cannot be created") from exc
        except OSError as exc:
            raise LocalFolderMissing(self.name, exc.strerror or "") from exc

    def check(self) -> None:
        """Create the folder if needed and prove a file can be written into it."""
        self._ensure_folder()
        probe = self.folder / f".comptoir-check-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"")
        except OSError as exc:
            raise LocalFolderNotWritable(self.name, exc.strerror or "") from exc
        probe.unlink(missing_ok=True)

    def send(self, path: Path, remote_name: str) -> None:
        """Copy under `.NAME.part`, flush to disk, then rename over any older `NAME`."""
        self._ensure_folder()
        temporary = self.folder / part_name(remote_name)
        try:
            atomic_write(self.folder / remote_name, Path(path), temporary=temporary)
        except OSError as exc:
            if exc.filename == str(path):  # the file to send, not the folder, is the problem
                raise
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise LocalFolderNotWritable(self.name, exc.strerror or str(exc)) from exc
