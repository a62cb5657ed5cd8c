"""The spool: files waiting for delivery, each kept until a transport confirmed it.

Every file a task produces is first copied into the task's spool folder, as an entry of
its own, then delivered from there, oldest first:

    <spool>/UPDATE-<task id>/
      <entry id>/NAME          one file waiting, under its own name
      .staging-<entry id>/     an entry being copied in (never delivered)
      .delivered.jsonl         the delivery log: which entry went where, and when
    <spool>/.locks/UPDATE-<task id>.lock

- An entry id (`<time ns>-<sequence>-<random>`) is unique and sorts in the order files
  were produced. Two runs that produce a file of the same name make two entries: neither
  replaces or removes the other, and both are delivered, older first (the destination
  ends with the newer bytes, as it would have).
- An entry appears complete or not at all: its file is written and flushed in a staging
  folder, which is then renamed.
- Deliveries of one task are serialised by a lock, so a run and the retry DAG on the
  same machine never send the same entry twice. A failure stops the pass and leaves that
  entry and the following ones for the next run or the spool retry.
- An entry is logged as delivered before it is removed. Should the process die in
  between, the next pass only removes it; should it die between the server's
  confirmation and the log, the entry is sent again (at least once; FTP, SFTP and local
  deliveries overwrite it).
- A run that finds its own entry already delivered by another run (the retry DAG, or a
  run of the same task) says so, with the destination, from the log.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from comptoir import paths
from comptoir.exchange.errors import ExchangeError
from comptoir.exchange.files import atomic_write, fsync_folder, locked, write_durably
from comptoir.exchange.names import check_identifier, check_name, is_identifier, printable
from comptoir.exchange.transports import Transport

__all__ = [
    "DELIVERY_FAILED",
    "SPOOL_PREFIX",
    "Delivered",
    "DeliveryResult",
    "SpoolEntry",
    "all_spools",
    "deliver_pending",
    "delivery_log",
    "describe_entry",
    "enqueue",
    "pending",
    "spool_folder",
]

SPOOL_PREFIX = "UPDATE-"
DELIVERY_FAILED = "Delivery failed: "
"""Starts the line of a report that says why a delivery failed (`DeliveryResult.summary`)."""
TASK_ID_MAX = 250
_STAGING = ".staging-"
_LOG = ".delivered.jsonl"
_LOG_KEEP = 2000
_STALE_STAGING_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SpoolEntry:
    """One file waiting in a task's spool."""

    task_id: str
    id: str
    path: Path

    @property
    def name(self) -> str:
        """The file's name, as delivered."""
        return self.path.name


@dataclass(frozen=True)
class Delivered:
    """A log record: an entry that left the spool, where to, and when."""

    entry: str
    name: str
    destination: str
    at: str


@dataclass(frozen=True)
class DeliveryResult:
    """What one pass over a spool delivered, what is left, and why."""

    task_id: str
    destination: str
    delivered: tuple[str, ...]
    remaining: tuple[str, ...]
    error: ExchangeError | None = None
    elsewhere: tuple[Delivered, ...] = field(default=())
    """Entries of the caller's run that another run had delivered already."""

    @property
    def ok(self) -> bool:
        """True when nothing is left in the spool."""
        return self.error is None and not self.remaining

    def summary(self) -> str:
        """Report lines: delivered files, files another run delivered, what is left and why."""
        lines = []
        if self.delivered:
            lines.append(f"Delivered to {self.destination}: {_names(self.delivered)}")
        for record in self.elsewhere:
            lines.append(f"Delivered by another run (spool retry or a run of the same task) "
                         f"to {record.destination} at {record.at}: {printable(record.name)}")
        if not self.delivered and not self.elsewhere and not self.remaining:
            lines.append(f"Nothing to deliver to {self.destination}")
        if self.remaining:
            lines.append(f"Still in the spool, retried at the next run: {_names(self.remaining)}")
        if self.error is not None:
            lines.append(f"{DELIVERY_FAILED}{self.error}")
        return "\n".join(lines)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(printable(name) for name in names)


def spool_folder(task_id: str) -> Path:
    """The task's spool folder, `<spool>/UPDATE-<task id>` (not created)."""
    check_identifier(task_id, "task id", TASK_ID_MAX)
    return paths.spool_dir() / f"{SPOOL_PREFIX}{task_id}"


def _lock(task_id: str) -> contextlib.AbstractContextManager[None]:
    return locked(paths.spool_dir() / ".locks" / f"{SPOOL_PREFIX}{task_id}.lock")


def _clean_stale_staging(folder: Path) -> None:
    limit = time.time() - _STALE_STAGING_SECONDS
    for leftover in folder.glob(f"{_STAGING}*"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < limit:
                shutil.rmtree(leftover)


def enqueue(task_id: str, files: Iterable[Path]) -> list[SpoolEntry]:
    """Copy `files` into the task's spool, in order, one entry each; return the entries.

    Entries sort after everything already waiting: the delivery order is the order of
    runs, then the order of `files`. Nothing waiting is replaced or touched.
    """
    folder = spool_folder(task_id)
    folder.mkdir(parents=True, exist_ok=True)
    _clean_stale_staging(folder)
    waiting = [entry.id for entry in pending(task_id)]
    stamp = time.time_ns()
    if waiting:
        stamp = max(stamp, int(max(waiting).split("-", 1)[0]) + 1)
    entries = []
    for sequence, source in enumerate(files):
        source = Path(source)
        check_name(source.name)
        entry_id = f"{stamp:020d}-{sequence:04d}-{uuid.uuid4().hex[:8]}"
        staging = folder / f"{_STAGING}{entry_id}"
        staging.mkdir()
        try:
            write_durably(staging / source.name, source)
            fsync_folder(staging)
            os.rename(staging, folder / entry_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        entries.append(SpoolEntry(task_id, entry_id, folder / entry_id / source.name))
    fsync_folder(folder)
    return entries


def pending(task_id: str) -> list[SpoolEntry]:
    """The entries waiting in the task's spool, oldest first.

    A plain file directly in the folder (a spool written by an older version) is an
    entry too, ordered by its modification time.
    """
    folder = spool_folder(task_id)
    if not folder.is_dir():
        return []
    found: list[SpoolEntry] = []
    for item in folder.iterdir():
        if item.name.startswith("."):
            continue
        if item.is_dir():
            files = [f for f in item.iterdir() if f.is_file() and not f.name.startswith(".")]
            if files:
                found.append(SpoolEntry(task_id, item.name, files[0]))
            else:
                with contextlib.suppress(OSError):
                    item.rmdir()  # an entry whose file was removed (crash after delivery)
        elif item.is_file():
            legacy = f"{item.stat().st_mtime_ns:020d}-0000-{item.name}"
            found.append(SpoolEntry(task_id, legacy, item))
    return sorted(found, key=lambda entry: entry.id)


def delivery_log(task_id: str, entry_ids: Iterable[str] | None = None) -> list[Delivered]:
    """The delivery log of a task (only the given entries when `entry_ids` is set)."""
    wanted = None if entry_ids is None else set(entry_ids)
    log = spool_folder(task_id) / _LOG
    try:
        text = log.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    records = []
    for line in text.splitlines():
        try:
            record = Delivered(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut by a crash
        if wanted is None or record.entry in wanted:
            records.append(record)
    return records


def _log_delivery(entry: SpoolEntry, destination: str) -> None:
    log = spool_folder(entry.task_id) / _LOG
    record = Delivered(entry.id, entry.name, destination,
                       datetime.now(UTC).isoformat(timespec="seconds"))
    line = json.dumps(record.__dict__, ensure_ascii=False) + "\n"
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    if log.stat().st_size > _LOG_KEEP * 300:
        kept = log.read_text(encoding="utf-8").splitlines(keepends=True)[-_LOG_KEEP // 2:]
        atomic_write(log, "".join(kept).encode("utf-8"))


def _remove(entry: SpoolEntry) -> None:
    entry.path.unlink(missing_ok=True)
    if entry.path.parent.name == entry.id:
        with contextlib.suppress(OSError):
            entry.path.parent.rmdir()


def deliver_pending(task_id: str, transport: Transport,
                    own: Sequence[str] = ()) -> DeliveryResult:
    """Send every pending entry, oldest first, removing each once the transport confirmed it.

    Stops at the first `ExchangeError` and returns it in the result with the entries
    left; any other exception propagates, with the entry still in the spool. `own`: the
    entry ids of the caller's run, to report those another run delivered.
    """
    delivered: list[str] = []
    with _lock(task_id):
        entries = pending(task_id)
        logged = {record.entry for record in delivery_log(task_id, [e.id for e in entries])}
        for index, entry in enumerate(entries):
            if entry.id in logged:  # delivered, then a crash before its removal
                _remove(entry)
                continue
            try:
                transport.send(entry.path, entry.name)
            except ExchangeError as error:
                return DeliveryResult(
                    task_id=task_id, destination=transport.name, delivered=tuple(delivered),
                    remaining=tuple(e.name for e in entries[index:]), error=error,
                    elsewhere=_elsewhere(task_id, own, entries),
                )
            _log_delivery(entry, transport.name)
            _remove(entry)
            delivered.append(entry.name)
    return DeliveryResult(task_id=task_id, destination=transport.name,
                          delivered=tuple(delivered), remaining=(),
                          elsewhere=_elsewhere(task_id, own, entries))


def _elsewhere(task_id: str, own: Sequence[str],
               this_pass: Sequence[SpoolEntry]) -> tuple[Delivered, ...]:
    """The caller's entries that were gone before this pass: delivered by another run."""
    seen = {entry.id for entry in this_pass}
    missing = [entry_id for entry_id in own if entry_id not in seen]
    return tuple(delivery_log(task_id, missing)) if missing else ()


def all_spools() -> dict[str, list[SpoolEntry]]:
    """Every task with entries waiting, mapped to them (oldest first)."""
    root = paths.spool_dir()
    if not root.is_dir():
        return {}
    spools: dict[str, list[SpoolEntry]] = {}
    for folder in sorted(root.iterdir()):
        if not (folder.is_dir() and folder.name.startswith(SPOOL_PREFIX)):
            continue
        task_id = folder.name[len(SPOOL_PREFIX):]
        if not is_identifier(task_id, TASK_ID_MAX):
            continue
        entries = pending(task_id)
        if entries:
            spools[task_id] = entries
    return spools


def describe_entry(entry: SpoolEntry) -> str:
    """`NAME (waiting since TIME)` for listings."""
    since = datetime.fromtimestamp(entry.path.stat().st_mtime, UTC)
    return f"{printable(entry.name)} (waiting since {since:%Y-%m-%d %H:%M:%S} UTC)"
