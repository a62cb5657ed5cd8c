"""Inboxes: where files to import wait, and where they go once processed.

An inbox is a local folder:

    incoming/             complete files waiting to be processed
    done/<YYYY-MM-DD>/    processed files, each with `NAME.report.json` next to it
    failed/<YYYY-MM-DD>/  files that could not be processed, with their report
    .fetched.json         the fetch ledger (see `FetchLedger`)

Files only ever appear in `incoming/` complete: they are written under a hidden temporary
name (`.NAME.<id>.part`) and renamed. Every move is a rename inside the inbox (one
filesystem, so atomic), and a name already taken gets a suffix (`NAME-2.csv`): nothing is
ever overwritten. A file fetched from a server carries where it came from (remote name,
message id, sender, subject...): `Inbox.origin(path)`, kept as `NAME.origin.json` next to
it in done/ or failed/.

Where files come from is an `InboxSource`, a discriminated union on `kind`:

    {"kind": "local", "path": "articles"}
    {"kind": "sftp", "conn_id": "sftp_erp", "directory": "/out", "pattern": "*.csv"}
    {"kind": "ftp", "conn_id": "ftp_erp", "directory": "/out", "pattern": "ART*.csv"}
    {"kind": "imap", "conn_id": "imap_orders", "mailbox": "INBOX", "pattern": "*.csv",
     "sender": "erp@example.com"}

A local source is its own inbox (users drop files into its `incoming/`). The other kinds
are fetched into an inbox by `comptoir_airflow.inbox_sources.fetch`, with Airflow
connections; this module stays Airflow-free.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import fnmatch
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from comptoir import paths
from comptoir.automation.delivery import _CONTROL, _check_conn_id, _RemoteDelivery
from comptoir.automation.spool import _fsync_folder
from comptoir.errors import ComptoirError

__all__ = [
    "DEFAULT_PROCESSED_MAILBOX",
    "FetchLedger",
    "FetchResult",
    "FetchedFile",
    "FtpInboxSource",
    "ImapInboxSource",
    "Inbox",
    "InboxError",
    "InboxSource",
    "InvalidInboxSource",
    "LocalInboxSource",
    "SftpInboxSource",
    "Skipped",
    "UnsafeFileName",
    "check_name",
    "content_digest",
    "inbox_for",
    "inbox_source_from_dict",
    "is_temporary",
    "ledger_key",
    "matches",
    "name_candidates",
    "safe_name",
]

DEFAULT_PROCESSED_MAILBOX = "Comptoir/Traité"
_TEMPORARY_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".crdownload", "~")
_OUR_PART = re.compile(r"^\..+\.[0-9a-f]{32}\.part$")
_STALE_PART_SECONDS = 3600
_MAX_NAME_BYTES = 190  # leaves room for `.NAME.<id>.part`, `NAME.report.json`... (255 max)


class InvalidInboxSource(ComptoirError):
    """The inbox source of an import definition is invalid."""


class InboxError(ComptoirError):
    """A file cannot be moved in or out of the inbox as asked."""


class UnsafeFileName(InboxError, ValueError):
    """A file name that would leave the inbox folder, or never be seen in it."""


# ----------------------------------------------------------------------------- names


def is_temporary(name: str) -> bool:
    """True for names of files still being written or hidden: `.x`, `x.part`, `x.tmp`, `~$x`..."""
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(_TEMPORARY_SUFFIXES)


def matches(name: str, pattern: str) -> bool:
    """Whether `name` matches the glob `pattern`, ignoring case (`*.csv` takes `A.CSV`)."""
    return fnmatch.fnmatchcase(name.casefold(), pattern.casefold())


def check_name(name: str) -> str:
    """Return `name` if it is a plain file name; raise `UnsafeFileName` saying why not."""
    if not isinstance(name, str) or not name:
        raise UnsafeFileName("the file name is empty")
    if name in {".", ".."}:
        raise UnsafeFileName(f"{name!r} is not a file name")
    if "/" in name or "\\" in name:
        raise UnsafeFileName(f"the file name {name!r} contains a folder separator ('/' or '\\')")
    if _CONTROL.search(name):
        raise UnsafeFileName(f"the file name {name!r} contains a control character")
    if is_temporary(name):
        raise UnsafeFileName(
            f"the file name {name!r} is that of a hidden or temporary file, never picked up"
        )
    if len(name.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES:
        raise UnsafeFileName(f"the file name {name[:40]!r}... is too long")
    return name


def safe_name(name: str | None, fallback: str = "attachment") -> str:
    """A plain file name made from an untrusted one (an e-mail attachment's).

    Keeps the last path component, replaces control characters, drops leading dots and
    `~$`, strips temporary-file suffixes and shortens overlong names, keeping the extension.
    """
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = _CONTROL.sub("_", text).strip().lstrip(".")
    while text.startswith("~$"):
        text = text[2:].lstrip(".")
    while text and text.lower().endswith(_TEMPORARY_SUFFIXES):
        text = text.rstrip("~") if text.endswith("~") else text[: text.rfind(".")]
        text = text.rstrip(". ")
    if not text:
        text = fallback
    stem, suffix = os.path.splitext(text)
    while len((stem + suffix).encode()) > _MAX_NAME_BYTES - 10 and stem:
        stem = stem[:-1]
    return check_name(stem + suffix)


def name_candidates(name: str) -> Iterator[str]:
    """`name`, then `stem-2.ext`, `stem-3.ext`, ...: the names tried when one is taken."""
    yield name
    stem, suffix = os.path.splitext(name)
    number = 2
    while True:
        yield f"{stem}-{number}{suffix}"
        number += 1


def ledger_key(*parts: Any) -> str:
    """One ledger key from the parts that identify a remote file (source, name, size...)."""
    return json.dumps([str(part) for part in parts], ensure_ascii=False)


# --------------------------------------------------------------------------- sources


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    pattern: str = Field(
        default="*",
        description="Which files to take: a glob on the file name, ignoring case (`*.csv`).",
        min_length=1,
        max_length=250,
    )

    @field_validator("pattern")
    @classmethod
    def _plain_pattern(cls, value: str) -> str:
        if "/" in value or "\\" in value or _CONTROL.search(value):
            raise ValueError("the pattern applies to file names: no '/', '\\' or control character")
        return value


class LocalInboxSource(_Source):
    """A folder of the machine that runs the import; users drop files into its `incoming/`."""

    kind: Literal["local"] = Field(description="A folder on the task's machine.")
    path: str = Field(
        default=".",
        description=(
            "The inbox folder. A relative path is taken under the inbox of the data home "
            "(var/inbox) and cannot leave it; an absolute path is used as given."
        ),
        min_length=1,
    )
    min_age_seconds: float = Field(
        default=10.0,
        ge=0,
        description="A file modified more recently is left for the next run (still being copied).",
    )

    @field_validator("path")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        return paths.check_folder_setting(value, "inbox")

    def folder(self) -> Path:
        """The inbox folder, relative paths resolved under `paths.inbox_dir()`."""
        try:
            return paths.resolve_folder(self.path, paths.inbox_dir(), "inbox")
        except ValueError as exc:
            raise InvalidInboxSource(str(exc)) from None

    def describe(self) -> str:
        """One line, e.g. `local folder /srv/inbox/articles`."""
        try:
            return f"local folder {self.folder()}"
        except InvalidInboxSource:
            return f"local folder {self.path} (invalid)"


class SftpInboxSource(_Source, _RemoteDelivery):
    """Files of a folder of an SSH server, by SFTP; fetched ones go to `processed/` there."""

    kind: Literal["sftp"] = Field(description="A folder on an SFTP server.")

    def describe(self) -> str:
        """One line, e.g. `SFTP connection 'sftp_erp', folder /out, files *.csv`."""
        return f"SFTP connection {self.conn_id!r}, folder {self.directory}, files {self.pattern}"


class FtpInboxSource(_Source, _RemoteDelivery):
    """Files of a folder of an FTP or FTPS server; fetched ones go to `processed/` there."""

    kind: Literal["ftp"] = Field(description="A folder on an FTP or FTPS server.")

    def describe(self) -> str:
        """One line, e.g. `FTP connection 'ftp_erp', folder /out, files *.csv`."""
        return f"FTP connection {self.conn_id!r}, folder {self.directory}, files {self.pattern}"


class ImapInboxSource(_Source):
    """Attachments of the unread messages of a mailbox, by IMAP."""

    kind: Literal["imap"] = Field(description="Attachments of e-mails in an IMAP mailbox.")
    conn_id: str = Field(description="The Airflow `imap` connection: server, login, password.")
    mailbox: str = Field(default="INBOX", description="The folder to read.", min_length=1)
    sender: str | None = Field(
        default=None,
        description="Only messages whose From contains this text (an address or a domain).",
    )
    processed_mailbox: str | None = Field(
        default=DEFAULT_PROCESSED_MAILBOX,
        description=(
            "Where messages go once their attachments are saved, levels separated by '/' "
            "(created if missing); none leaves them in place, marked as read."
        ),
    )

    @field_validator("conn_id")
    @classmethod
    def _conn(cls, value: str) -> str:
        return _check_conn_id(value)

    @field_validator("mailbox", "sender", "processed_mailbox")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or _CONTROL.search(value) or '"' in value):
            raise ValueError("must be one line of text, without control characters or '\"'")
        return value

    @field_validator("sender")
    @classmethod
    def _ascii_sender(cls, value: str | None) -> str | None:
        if value is not None and not value.isascii():
            raise ValueError("the sender filter is an address or a domain, in plain ASCII")
        return value

    def describe(self) -> str:
        """One line, e.g. `IMAP connection 'imap_orders', mailbox INBOX, attachments *.csv`."""
        text = (
            f"IMAP connection {self.conn_id!r}, mailbox {self.mailbox}, "
            f"attachments {self.pattern}"
        )
        return f"{text}, from {self.sender}" if self.sender else text


InboxSource = Annotated[
    LocalInboxSource | SftpInboxSource | FtpInboxSource | ImapInboxSource,
    Field(discriminator="kind"),
]
"""Where an import's files come from: one of the four kinds, chosen by `kind`."""

_ADAPTER: TypeAdapter[InboxSource] = TypeAdapter(InboxSource)


def inbox_source_from_dict(
    data: Mapping[str, Any],
) -> LocalInboxSource | SftpInboxSource | FtpInboxSource | ImapInboxSource:
    """Validate an inbox source (a dict from JSON); raise `InvalidInboxSource` listing problems."""
    try:
        return _ADAPTER.validate_python(dict(data) if isinstance(data, Mapping) else data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'source'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise InvalidInboxSource(f"invalid inbox source: {problems}") from None


def inbox_for(
    source: LocalInboxSource | SftpInboxSource | FtpInboxSource | ImapInboxSource, name: str
) -> Inbox:
    """The inbox of a source: a local source's own folder, else `<inbox dir>/<name>`."""
    if isinstance(source, LocalInboxSource):
        return Inbox(source.folder())
    return Inbox(paths.inbox_dir() / check_name(name))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FetchedFile:
    """A file fetched into the inbox, and where it came from."""

    path: Path
    remote_name: str
    origin: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A remote file or message left where it is, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class FetchResult:
    """What one fetch brought into the inbox, and what it left on the server."""

    source: str
    fetched: tuple[FetchedFile, ...] = ()
    already_fetched: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def paths(self) -> list[Path]:
        """The files fetched now, in the inbox."""
        return [item.path for item in self.fetched]

    def summary(self) -> str:
        """Report lines: what came in, what was finished from an earlier fetch, what was left."""
        lines = [f"Fetched from {self.source}: {', '.join(f.remote_name for f in self.fetched)}"
                 if self.fetched else f"Nothing new in {self.source}"]
        if self.already_fetched:
            lines.append(f"Fetched earlier, now cleaned up: {', '.join(self.already_fetched)}")
        lines += [f"Left on the server: {item.name}: {item.reason}" for item in self.skipped]
        return "\n".join(lines)


# ----------------------------------------------------------------------------- inbox


Content = bytes | Path | Callable[[BinaryIO], None]
"""What `Inbox.receive` stores: bytes, a file to copy, or a function writing to a binary file."""


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        with open(temporary, "wb") as target:
            target.write(data)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")


class Inbox:
    """A local inbox folder (see the module's documentation); folders are created on use."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Inbox({str(self.root)!r})"

    @property
    def incoming(self) -> Path:
        """Where files wait."""
        return self.root / "incoming"

    def done_folder(self, day: dt.date | None = None) -> Path:
        """Where files processed on `day` (default today) go."""
        return self.root / "done" / (day or dt.date.today()).isoformat()

    def failed_folder(self, day: dt.date | None = None) -> Path:
        """Where files that failed on `day` (default today) go."""
        return self.root / "failed" / (day or dt.date.today()).isoformat()

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        """Serialises the renames of every process using this inbox (short sections)."""
        return _flock(self.root / ".lock")

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
        part = self._write_part(name, content)
        try:
            return self._publish(part, name, origin)
        finally:
            part.unlink(missing_ok=True)

    def _write_part(self, name: str, content: Content) -> Path:
        check_name(name)
        self.incoming.mkdir(parents=True, exist_ok=True)
        part = self.incoming / f".{name}.{uuid.uuid4().hex}.part"
        try:
            with open(part, "xb") as target:
                if isinstance(content, bytes):
                    target.write(content)
                elif isinstance(content, Path):
                    with open(content, "rb") as source:
                        shutil.copyfileobj(source, target)
                else:
                    content(target)
                target.flush()
                os.fsync(target.fileno())
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return part

    def _publish(
        self,
        part: Path,
        name: str,
        origin: Mapping[str, Any] | None,
        before: Callable[[Path], None] | None = None,
    ) -> Path:
        """Rename `part` to the first free name like `name`; `before(final)` runs just before."""
        with self._lock():
            final = next(
                self.incoming / candidate
                for candidate in name_candidates(name)
                if not os.path.lexists(self.incoming / candidate)
            )
            if origin is not None:
                _write_atomically(self._origin_file(final), _json_bytes(dict(origin)))
            if before is not None:
                before(final)
            os.replace(part, final)
            _fsync_folder(self.incoming)
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
            raise InboxError(f"{path} is not a file of the inbox {self.incoming}")
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if not path.is_file() or path.is_symlink():
                raise InboxError(f"{path.name} is no longer waiting in {self.incoming}")
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
                _write_atomically(
                    target.with_name(f"{target.name}.report.json"), _json_bytes(dict(report))
                )
            _fsync_folder(folder)
            _fsync_folder(self.incoming)
        return target

    # ----------------------------------------------------------------------- fetching

    @contextlib.contextmanager
    def fetching(self, source: str) -> Iterator[FetchLedger]:
        """Exclusive use of the fetch ledger for one pass over `source` (a stable id).

        Two fetches into the same inbox never run at once: the second waits.
        """
        with _flock(self.root / ".fetch.lock"):
            self.incoming.mkdir(parents=True, exist_ok=True)
            ledger = FetchLedger(self, source)
            ledger.clean_stale_parts()
            yield ledger


class FetchLedger:
    """Remembers what was fetched from a server and not yet removed from it.

    Fetching a remote file is: save it in the inbox, then remove it from the server. The
    ledger (`.fetched.json` in the inbox) covers a crash in between: a key recorded there
    is not fetched again, only removed from the server. The key is written before the file
    is renamed into `incoming/`, with the temporary name, so a crash during the rename is
    finished by the next fetch. Obtain one with `Inbox.fetching(source)`.
    """

    def __init__(self, inbox: Inbox, source: str) -> None:
        self.inbox = inbox
        self.source = source
        self.file = inbox.root / ".fetched.json"
        self._entries: dict[str, dict[str, Any]] = self._load()
        self.seen: set[str] = set()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            document = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise InboxError(
                f"the fetch ledger {self.file} cannot be read ({exc}); it prevents fetching "
                "a file twice: repair it, or remove it once the server holds no file already "
                "fetched"
            ) from exc
        return dict(document.get("entries", {}))

    def _save(self) -> None:
        _write_atomically(self.file, _json_bytes({"version": 1, "entries": self._entries}))

    def known(self, key: str) -> bool:
        """Whether `key` was fetched before and is still recorded (its remote not removed)."""
        self.seen.add(key)
        return key in self._entries

    def receive(
        self,
        key: str,
        name: str,
        content: Content,
        *,
        origin: Mapping[str, Any] | None = None,
    ) -> tuple[Path | None, bool]:
        """Store the remote file `key` as `incoming/NAME` unless it was stored before.

        Returns the inbox file (None when already processed and moved on) and whether it
        was written now. `content` is used only for a new key.
        """
        self.seen.add(key)
        if key in self._entries:
            return self._finish(key), False
        part = self.inbox._write_part(name, content)
        try:

            def record(final: Path) -> None:
                self._entries[key] = {
                    "source": self.source,
                    "file": final.name,
                    "part": part.name,
                    "origin": dict(origin or {}),
                    "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
                try:
                    self._save()
                except BaseException:
                    del self._entries[key]
                    raise

            return self.inbox._publish(part, name, origin, before=record), True
        finally:
            if key not in self._entries:  # else the next fetch finishes the rename
                part.unlink(missing_ok=True)

    def _finish(self, key: str) -> Path | None:
        """Complete a rename cut short by a crash; the file if still waiting."""
        entry = self._entries[key]
        part = self.inbox.incoming / entry.get("part", "")
        if entry.get("part") and part.is_file():
            def update(final: Path) -> None:
                entry["file"] = final.name
                self._save()

            origin = entry.get("origin") or None
            return self.inbox._publish(part, entry["file"], origin, before=update)
        final = self.inbox.incoming / entry["file"]
        return final if final.is_file() else None

    def forget(self, key: str) -> None:
        """The remote file was removed from the server: drop its key."""
        if self._entries.pop(key, None) is not None:
            self._save()

    def prune(self) -> None:
        """Drop this source's keys not seen in this pass (their remote file is gone)."""
        stale = [
            key
            for key, entry in self._entries.items()
            if entry.get("source") == self.source
            and key not in self.seen
            and not (self.inbox.incoming / entry.get("part", "")).is_file()
        ]
        for key in stale:
            del self._entries[key]
        if stale:
            self._save()

    def clean_stale_parts(self) -> None:
        """Remove temporary files left by crashed writes long ago (not those the ledger needs)."""
        needed = {entry.get("part") for entry in self._entries.values()}
        limit = time.time() - _STALE_PART_SECONDS
        for entry in os.scandir(self.inbox.incoming):
            if _OUR_PART.match(entry.name) and entry.name not in needed:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < limit:
                        os.unlink(entry.path)


def content_digest(data: bytes) -> str:
    """A short fingerprint of content, for ledger keys of attachments."""
    return hashlib.sha256(data).hexdigest()[:32]
