"""The spool: files waiting for delivery, kept until a transport confirms each one.

Every file a task produces is first copied into `<spool>/UPDATE-<task id>/` (under
`paths.spool_dir()`), then delivered from there, oldest first. A file leaves the spool
only once its transport returned, i.e. once it is complete under its final name at the
destination; a failure stops the delivery and leaves that file and the following ones
for the next run of the task or the spool retry DAG.

- Copies into the spool are atomic: a temporary file in `<spool>/.tmp/`, flushed, then
  renamed into the task's folder. A task's folder only ever holds complete files.
- A file with the same name as a pending one replaces it: the destination would have
  overwritten the older file with the newer one anyway.
- Deliveries of one task are serialised by a lock file (`<spool>/.locks/`), so a run and
  the retry DAG on the same machine never send the same file twice.
- Should the process die between the confirmation and the removal, the file is sent
  again next time (at least once; FTP, SFTP and local deliveries overwrite it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from comptoir import paths
from comptoir.automation.transports import DeliveryError, Transport
from comptoir.errors import ComptoirError

__all__ = [
    "SPOOL_PREFIX",
    "DeliveryResult",
    "InvalidTaskId",
    "all_spools",
    "deliver_pending",
    "enqueue",
    "pending",
    "spool_folder",
]

SPOOL_PREFIX = "UPDATE-"
_TASK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")
_STALE_TEMPORARY_SECONDS = 24 * 3600


class InvalidTaskId(ComptoirError):
    """A task id that is not made of letters, digits, '-', '_' and '.'."""


@dataclass(frozen=True)
class DeliveryResult:
    """What one pass over a spool delivered, what is left, and why."""

    task_id: str
    destination: str
    delivered: tuple[str, ...]
    remaining: tuple[str, ...]
    error: DeliveryError | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is left in the spool."""
        return self.error is None and not self.remaining

    def summary(self) -> str:
        """Report lines: delivered files, remaining files and the cause of the failure."""
        lines = []
        if self.delivered:
            lines.append(f"Delivered to {self.destination}: {', '.join(self.delivered)}")
        elif not self.remaining:
            lines.append(f"Nothing to deliver to {self.destination}")
        if self.remaining:
            lines.append(
                f"Still in the spool, retried at the next run: {', '.join(self.remaining)}"
            )
        if self.error is not None:
            lines.append(f"Delivery failed: {self.error}")
        return "\n".join(lines)


def _check_task_id(task_id: str) -> str:
    if not _TASK_ID.match(task_id) or task_id in {".", ".."}:
        raise InvalidTaskId(
            f"invalid task id {task_id!r}: use letters, digits, '-', '_' and '.'"
        )
    return task_id


def spool_folder(task_id: str) -> Path:
    """The task's spool folder, `<spool>/UPDATE-<task id>` (not created)."""
    return paths.spool_dir() / f"{SPOOL_PREFIX}{_check_task_id(task_id)}"


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _clean_stale_temporaries(tmp: Path) -> None:
    limit = time.time() - _STALE_TEMPORARY_SECONDS
    for leftover in tmp.iterdir():
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < limit:
                leftover.unlink()


def enqueue(task_id: str, files: Iterable[Path]) -> list[Path]:
    """Copy `files` into the task's spool, in order, under their own names; return the copies.

    Each copy gets a later modification time than anything already pending, so the
    delivery order is the order of runs, then the order of `files`.
    """
    folder = spool_folder(task_id)
    tmp = paths.spool_dir() / ".tmp"
    folder.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    _clean_stale_temporaries(tmp)
    stamp = max([time.time_ns()] + [p.stat().st_mtime_ns + 1 for p in pending(task_id)])
    copies = []
    for source in files:
        source = Path(source)
        name = source.name
        if name in {"", ".", ".."}:
            raise ValueError(f"not a file name: {source}")
        temporary = tmp / f"{uuid.uuid4().hex}.spooling"
        try:
            with open(source, "rb") as src, open(temporary, "wb") as dst:
                shutil.copyfileobj(src, dst)
                dst.flush()
                os.fsync(dst.fileno())
            os.utime(temporary, ns=(stamp, stamp))
            os.replace(temporary, folder / name)
        finally:
            temporary.unlink(missing_ok=True)
        stamp += 1
        copies.append(folder / name)
    _fsync_folder(folder)
    return copies


def pending(task_id: str) -> list[Path]:
    """The files waiting in the task's spool, oldest first."""
    folder = spool_folder(task_id)
    if not folder.is_dir():
        return []
    files = [entry for entry in folder.iterdir() if entry.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


@contextlib.contextmanager
def _locked(task_id: str) -> Iterator[None]:
    locks = paths.spool_dir() / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{SPOOL_PREFIX}{task_id}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def deliver_pending(task_id: str, transport: Transport) -> DeliveryResult:
    """Send every pending file, oldest first, removing each once the transport confirmed it.

    Stops at the first `DeliveryError` and returns it in the result with the files left;
    any other exception propagates, with the file still in the spool.
    """
    _check_task_id(task_id)
    delivered: list[str] = []
    with _locked(task_id):
        files = pending(task_id)
        for index, path in enumerate(files):
            try:
                transport.send(path, path.name)
            except DeliveryError as error:
                return DeliveryResult(
                    task_id=task_id,
                    destination=transport.name,
                    delivered=tuple(delivered),
                    remaining=tuple(p.name for p in files[index:]),
                    error=error,
                )
            path.unlink()
            delivered.append(path.name)
    return DeliveryResult(
        task_id=task_id, destination=transport.name, delivered=tuple(delivered), remaining=()
    )


def all_spools() -> dict[str, list[Path]]:
    """Every task with files waiting, mapped to its pending files (oldest first)."""
    root = paths.spool_dir()
    if not root.is_dir():
        return {}
    spools: dict[str, list[Path]] = {}
    for folder in sorted(root.iterdir()):
        if not (folder.is_dir() and folder.name.startswith(SPOOL_PREFIX)):
            continue
        task_id = folder.name[len(SPOOL_PREFIX):]
        if not _TASK_ID.match(task_id) or task_id in {".", ".."}:
            continue
        files = pending(task_id)
        if files:
            spools[task_id] = files
    return spools
