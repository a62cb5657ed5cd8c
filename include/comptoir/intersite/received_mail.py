"""One received mail: its key, its order attachments, their archive.

The key is the Message-ID (trimmed, angle brackets kept), else `sha256:` and the hex
digest of the raw message. The order attachments are the parts named `*.json` (ignoring
case) or typed `application/json`. Every attachment of a handled message is copied under
`COMPTOIR_HOME/intersite/received/<day>/` with a safe name (`-2` when taken).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from comptoir import paths
from comptoir.exchange.files import atomic_write
from comptoir.exchange.mail import MailMessage
from comptoir.exchange.names import matches, name_candidates, safe_name

__all__ = ["MAX_KEY", "Part", "archive", "archive_dir", "header_key", "message_key", "parts"]

#: Longest key the dossier keeps (`intersite_mails.key`); a longer Message-ID is digested.
MAX_KEY = 250


@dataclass(frozen=True)
class Part:
    """One attachment: its name as sent (may be empty), its bytes, whether it is JSON."""

    filename: str
    payload: bytes
    is_json: bool


def header_key(message: MailMessage) -> str | None:
    """The key when the Message-ID gives it (decidable from the headers alone)."""
    value = (message.message_id or "").strip()
    return value if value and len(value) <= MAX_KEY else None


def message_key(message: MailMessage) -> str:
    """The Message-ID, else `sha256:<hex of the raw message>`."""
    found = header_key(message)
    if found:
        return found
    raw = message.raw or bytes(message.message)
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def parts(message: MailMessage) -> list[Part]:
    """Every attachment (a part with a name, or a JSON part), in order."""
    found = []
    for part in message.message.walk():
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename() or ""
        except (ValueError, TypeError, LookupError):
            filename = ""
        content_type = part.get_content_type()
        is_json = content_type == "application/json" or (
            bool(filename) and matches(filename, "*.json"))
        if not filename and not is_json:
            continue
        try:
            payload = part.get_payload(decode=True)
        except (ValueError, TypeError, LookupError):
            payload = None
        found.append(Part(filename, payload if isinstance(payload, bytes) else b"", is_json))
    return found


def archive_dir(day: dt.date) -> Path:
    """`COMPTOIR_HOME/intersite/received/<day>/`."""
    return paths.home() / "intersite" / "received" / day.isoformat()


def archive(items: list[Part], day: dt.date) -> list[Path]:
    """Copy the attachments into the day's archive folder; the paths written."""
    folder = archive_dir(day)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for item in items:
        try:
            name = safe_name(item.filename, "attachment.json" if item.is_json else "attachment")
        except ValueError:
            name = "attachment.json" if item.is_json else "attachment"
        target = next(folder / candidate for candidate in name_candidates(name)
                      if not os.path.lexists(folder / candidate))
        atomic_write(target, item.payload)
        written.append(target)
    return written
