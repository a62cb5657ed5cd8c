"""The fetch ledger: what was fetched from a server and not yet removed from it.

Fetching a remote file is: save it in the inbox, then remove it from the server. The
ledger (`.fetched.json` in the inbox) covers a crash in between: a key recorded there is
not fetched again, only removed from the server. The key is written before the file is
renamed into `incoming/`, with the temporary name, so a crash during the rename is
finished by the next fetch.

Some sources never remove what they serve (POP3: messages stay on the server). Their
keys are *settled*: kept as long as the server lists them, skipped without a word.
Obtain a ledger with `FetchLedger.open(inbox, source)`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from comptoir.exchange.errors import InboxError
from comptoir.exchange.files import Content, atomic_write, json_bytes
from comptoir.exchange.inbox import Inbox

__all__ = ["FetchLedger", "content_digest", "ledger_key"]

_OUR_PART = re.compile(r"^\..+\.[0-9a-f]{32}\.part$")
_STALE_PART_SECONDS = 3600


def ledger_key(*parts: Any) -> str:
    """One ledger key from the parts that identify a remote file (source, name, size...)."""
    return json.dumps([str(part) for part in parts], ensure_ascii=False)


def content_digest(data: bytes) -> str:
    """A short fingerprint of content, for ledger keys of attachments."""
    return hashlib.sha256(data).hexdigest()[:32]


class FetchLedger:
    """Remembers, per inbox, what was fetched from a source and is still on its server."""

    def __init__(self, inbox: Inbox, source: str) -> None:
        self.inbox = inbox
        self.source = source
        self.file = inbox.root / ".fetched.json"
        self._entries: dict[str, dict[str, Any]] = self._load()
        self.seen: set[str] = set()

    @classmethod
    @contextlib.contextmanager
    def open(cls, inbox: Inbox, source: str) -> Iterator[FetchLedger]:
        """Exclusive use of the inbox's ledger for one pass over `source` (a stable id).

        Two fetches into the same inbox never run at once: the second waits.
        """
        with inbox.fetch_lock():
            inbox.incoming.mkdir(parents=True, exist_ok=True)
            ledger = cls(inbox, source)
            ledger.clean_stale_parts()
            yield ledger

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            document = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise InboxError(reason=(
                f"the fetch ledger {self.file} cannot be read ({exc}); it prevents fetching "
                "a file twice: repair it, or remove it once the server holds no file already "
                "fetched")) from exc
        return dict(document.get("entries", {}))

    def _save(self) -> None:
        atomic_write(self.file, json_bytes({"version": 1, "entries": self._entries}))

    def known(self, key: str) -> bool:
        """Whether `key` was fetched before and is still recorded (its remote not removed)."""
        self.seen.add(key)
        return key in self._entries

    def settled(self, key: str) -> bool:
        """Whether `key` was fetched completely and stays on the server (skip it)."""
        self.seen.add(key)
        return bool(self._entries.get(key, {}).get("settled"))

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
        part = self.inbox.stage(name, content)
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

            return self.inbox.publish(part, name, origin, before=record), True
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
            return self.inbox.publish(part, entry["file"], origin, before=update)
        final = self.inbox.incoming / entry.get("file", "")
        return final if entry.get("file") and final.is_file() else None

    def forget(self, key: str) -> None:
        """The remote file was removed from the server: drop its key."""
        if self._entries.pop(key, None) is not None:
            self._save()

    def settle(self, key: str) -> None:
        """The remote item is handled and stays on the server: remember it, quietly."""
        self.seen.add(key)
        entry = self._entries.setdefault(key, {"source": self.source})
        entry["settled"] = True
        entry.pop("part", None)
        entry.setdefault("at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        self._save()

    def prune(self) -> None:
        """Drop this source's keys not seen in this pass (their remote file is gone)."""
        stale = [
            key
            for key, entry in self._entries.items()
            if entry.get("source") == self.source
            and key not in self.seen
            and not (entry.get("part") and (self.inbox.incoming / entry["part"]).is_file())
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
