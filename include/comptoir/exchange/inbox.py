"""Inboxes: local folders where received files wait, and where they go once processed.

    incoming/             complete files waiting to be processed
    done/<YYYY-MM-DD>/    processed files, each with `NAME.report.json` next to it
    failed/<YYYY-MM-DD>/  files that could not be processed, with their report
    .fetched.json         the fetch ledger (`comptoir.exchange.ledger`)
    .runs.json            the files a pass is processing, and those the last pass took
    .lock, .fetch.lock, .run.lock

A *flat* inbox (`Inbox(root, flat=True)`) keeps its waiting files at the top of `root`
(a partner application's folder, which it drops files into): done/ and failed/ are then
folders beside them, and never picked up.

Files only ever appear in `incoming/` complete: they are written under a hidden temporary
name (`.NAME.<id>.part`) and renamed. Every move is a rename inside the inbox (one
filesystem, so atomic), and a name already taken gets a suffix (`NAME-2.csv`): nothing is
ever overwritten. A file fetched from a server carries where it came from (remote name,
message id, sender, subject...): `Inbox.origin(path)`, kept as `NAME.origin.json` next to
it in done/ or failed/.

A pass that moves files takes `processing()` (one pass at a time) and records what it
took with `claim(run_id, names)`. A reader that moves nothing (a dry run) takes neither:
`claims()` tells it which files a live pass is working on, and `peek(path, folder)`
gives it its own link to a waiting file, which a pass may then file away without
disturbing the reader.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comptoir import paths
from comptoir.exchange.endpoints import AnySource, LocalInboxSource
from comptoir.exchange.errors import InboxError
from comptoir.exchange.files import (
    Content,
    LockBusy,
    atomic_write,
    fsync_folder,
    json_bytes,
    locked,
    write_durably,
)
from comptoir.exchange.names import (
    check_identifier,
    check_name,
    is_temporary,
    matches,
    name_candidates,
)

__all__ = ["Claim", "Claims", "Inbox", "inbox_for"]


@dataclass(frozen=True)
class Claim:
    """The files one pass (an Airflow run) took from an inbox."""

    run_id: str
    started: str
    files: list[str] = field(default_factory=list)
    finished: str | None = None


@dataclass(frozen=True)
class Claims:
    """What `Inbox.claims()` knows: the live pass, if any, and the last finished one."""

    current: Claim | None = None
    """The pass working on the inbox now (None when none holds `processing()`)."""
    last: Claim | None = None

    def holder(self, name: str) -> Claim | None:
        """The live pass that took the file `name`, if one did."""
        return self.current if self.current and name in self.current.files else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Inbox:
    """A local inbox folder (see the module's documentation); folders are created on use."""

    def __init__(self, root: Path | str, *, flat: bool = False) -> None:
        self.root = Path(root)
        self.flat = flat
        """Files wait at the top of `root` itself (a partner's folder), not in `incoming/`."""

    def __repr__(self) -> str:
        return f"Inbox({str(self.root)!r}{', flat=True' if self.flat else ''})"

    @property
    def incoming(self) -> Path:
        """Where files wait: `incoming/`, or the root itself for a flat inbox."""
        return self.root if self.flat else self.root / "incoming"

    def done_folder(self, day: dt.date | None = None) -> Path:
        """Where files processed on `day` (default today) go."""
        return self.root / "done" / (day or dt.date.today()).isoformat()

    def failed_folder(self, day: dt.date | None = None) -> Path:
        """Where files that failed on `day` (default today) go."""
        return self.root / "failed" / (day or dt.date.today()).isoformat()

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        """Serialises the renames of every process using this inbox (short sections)."""
        return locked(self.root / ".lock")

    def processing(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive use of the waiting files for one pass (a second pass waits)."""
        return locked(self.root / ".run.lock")

    @contextlib.contextmanager
    def claim(self, run_id: str, names: Sequence[str]) -> Iterator[Claim]:
        """Record, for the block, that run `run_id` took the waiting files `names`.

        Call it inside `processing()`: a claim counts only while its pass holds that lock
        (one left by a process that died is ignored). On exit it becomes the last claim.
        """
        claim = Claim(run_id, _now(), sorted(names))
        with self._lock():
            document = self._runs()
            document["current"] = dataclasses.asdict(claim)
            atomic_write(self._runs_file, json_bytes(document))
        try:
            yield claim
        finally:
            with self._lock():
                document = self._runs()
                document["current"] = None
                document["last"] = dataclasses.asdict(
                    dataclasses.replace(claim, finished=_now()))
                atomic_write(self._runs_file, json_bytes(document))

    def claims(self) -> Claims:
        """The live pass and its files (None when no pass holds `processing()`), the last."""
        with self._lock():
            document = self._runs()
        current = document.get("current")
        if current:
            try:
                with locked(self.root / ".run.lock", wait=False):
                    current = None  # nobody holds the lock: its pass died
            except LockBusy:
                pass
        last = document.get("last")
        return Claims(Claim(**current) if current else None, Claim(**last) if last else None)

    @property
    def _runs_file(self) -> Path:
        return self.root / ".runs.json"

    def _runs(self) -> dict[str, Any]:
        try:
            document = json.loads(self._runs_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": 1, "current": None, "last": None}
        except (OSError, ValueError):
            return {"version": 1, "current": None, "last": None}  # rewritten by the next pass
        return document if isinstance(document, dict) else {"version": 1}

    def peek(self, path: Path, folder: Path) -> Path | None:
        """A private link to the waiting file `path` in `folder`, None if it is gone.

        For a reader that takes no claim: a pass can file the original away meanwhile,
        the link keeps the content the reader started with. A copy where links fail.
        """
        path = Path(path)
        if path.parent.resolve() != self.incoming.resolve():
            raise InboxError(reason=f"{path} is not a file of the inbox {self.incoming}")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        try:
            os.link(path, target, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError:
            try:
                shutil.copy2(path, target, follow_symlinks=False)
            except FileNotFoundError:
                return None
        return target

    def fetch_lock(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive use of the fetch ledger (a second fetch into this inbox waits)."""
        return locked(self.root / ".fetch.lock")

    # ------------------------------------------------------------------ waiting files

    def waiting(self, pattern: str = "*", *, min_age: float = 0.0) -> list[Path]:
        """The files waiting in `incoming/` whose name matches `pattern`, sorted by name.

        Hidden and temporary names (`.x`, `x.part`, `x.tmp`...), folders and symbolic links
        are ignored, as are files modified less than `min_age` seconds ago.
        """
        if not self.incoming.is_dir():
            return []
        limit = time.time() - min_age
        found = []
        for entry in os.scandir(self.incoming):
            if is_temporary(entry.name) or not matches(entry.name, pattern):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            if min_age and entry.stat(follow_symlinks=False).st_mtime > limit:
                continue
            found.append(Path(entry.path))
        return sorted(found, key=lambda p: p.name)

    def origin(self, path: Path) -> dict[str, Any] | None:
        """Where a file came from (remote name, message...), None for a local drop.

        For a waiting file, or one filed in done/ or failed/ (`NAME.origin.json`).
        """
        path = Path(path)
        for sidecar in (self._origin_file(path), path.with_name(f"{path.name}.origin.json")):
            try:
                return json.loads(sidecar.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (OSError, ValueError):
                return None
        return None

    def _origin_file(self, path: Path) -> Path:
        return path.with_name(f".{path.name}.origin.json")

    # ---------------------------------------------------------------------- arrivals

    def receive(
        self, name: str, content: Content, *, origin: Mapping[str, Any] | None = None
    ) -> Path:
        """Store `content` as `incoming/NAME` (`NAME-2`... if taken); return the new file.

        The file is complete before it appears under its name. `name` must be a plain file
        name (`check_name`); an unsafe one raises `UnsafeFileName`.
        """
        part = self.stage(name, content)
        try:
            return self.publish(part, name, origin)
        finally:
            part.unlink(missing_ok=True)

    def stage(self, name: str, content: Content) -> Path:
        """Write `content` under a hidden temporary name in `incoming/`; return it.

        Nothing picks the staged file up until `publish` renames it.
        """
        check_name(name)
        self.incoming.mkdir(parents=True, exist_ok=True)
        return write_durably(self.incoming / f".{name}.{uuid.uuid4().hex}.part", content)

    def publish(
        self,
        part: Path,
        name: str,
        origin: Mapping[str, Any] | None = None,
        before: Callable[[Path], None] | None = None,
    ) -> Path:
        """Rename a staged file to the first free name like `name`; return the final path.

        `before(final)` runs just before the rename, under the inbox lock (the ledger
        records the final name there).
        """
        with self._lock():
            final = next(
                self.incoming / candidate
                for candidate in name_candidates(name)
                if not os.path.lexists(self.incoming / candidate)
            )
            if origin is not None:
                atomic_write(self._origin_file(final), json_bytes(dict(origin)))
            if before is not None:
                before(final)
            os.replace(part, final)
            fsync_folder(self.incoming)
        return final

    # ------------------------------------------------------------------------- exits

    def done(
        self, path: Path, report: Mapping[str, Any] | None = None, *, day: dt.date | None = None
    ) -> Path:
        """Move a waiting file to `done/<day>/`, its report as `NAME.report.json`; return it."""
        return self._file_away(Path(path), self.done_folder(day), report)

    def failed(
        self, path: Path, report: Mapping[str, Any] | None = None, *, day: dt.date | None = None
    ) -> Path:
        """Move a waiting file to `failed/<day>/`, its report as `NAME.report.json`; return it."""
        return self._file_away(Path(path), self.failed_folder(day), report)

    def _file_away(self, path: Path, folder: Path, report: Mapping[str, Any] | None) -> Path:
        if path.parent.resolve() != self.incoming.resolve():
            raise InboxError(reason=f"{path} is not a file of the inbox {self.incoming}")
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if not path.is_file() or path.is_symlink():
                raise InboxError(reason=f"{path.name} is no longer waiting in {self.incoming}")
            target = next(
                folder / candidate
                for candidate in name_candidates(path.name)
                if not any(
                    os.path.lexists(folder / f"{candidate}{extra}")
                    for extra in ("", ".report.json", ".origin.json")
                )
            )
            os.replace(path, target)  # first the file: it is never processed twice
            origin = self._origin_file(path)
            if origin.exists():
                os.replace(origin, target.with_name(f"{target.name}.origin.json"))
            if report is not None:
                atomic_write(target.with_name(f"{target.name}.report.json"),
                             json_bytes(dict(report)))
            fsync_folder(folder)
            fsync_folder(self.incoming)
        return target


def inbox_for(source: AnySource, name: str) -> Inbox:
    """The inbox of a source: a local source's own folder, else `<inbox dir>/<name>`.

    `name` (usually the task id) must be an identifier: it names a folder.
    """
    if isinstance(source, LocalInboxSource):
        return Inbox(source.folder())
    return Inbox(paths.inbox_dir() / check_identifier(name, "inbox name", 200))
