"""Crafted ticket files for the tests: a valid one by default, any part of it overridden."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TICKETS_CSV = (
    "ticket;issued_at;day;customer;total_incl_tax\n"
    "148;2026-01-12T10:01:00+01:00;2026-01-12;;12.50\n"
    "149;2026-01-12T10:05:00+01:00;2026-01-12;C0001;30.00\n"
    "150;2026-01-12T10:09:00+01:00;2026-01-12;;-4.00\n"
)
LINES_CSV = (
    "ticket;line;kind;article;quantity;unit_price_incl_tax;discount;vat_rate;total_incl_tax;"
    "document\n"
    "148;1;sale;ART1;1;12.5000;0;20;12.50;\n"
    "149;1;invoice_payment;;1;30.00;0;0;30.00;FA2026-000012\n"
    "150;1;return;ART2;-1;4.0000;0;5.5;-4.00;\n"
)
PAYMENTS_CSV = (
    "ticket;line;mode;amount;due_date;reference\n"
    "148;1;ESP;12.50;;\n"
    "149;1;CB;30.00;;\n"
    "150;1;ESP;-4.00;;\n"
)


def data_rows(data: bytes) -> int:
    """Data rows of a CSV member (header and trailing blank lines excluded)."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return max(len([row for row in rows if row]) - 1, 0)


def manifest_for(members: dict[str, bytes], **fields: Any) -> dict[str, Any]:
    """A manifest matching `members` (ticket counts from tickets.csv), `fields` overriding."""
    text = members.get("tickets.csv", b"").decode("utf-8-sig", "replace")
    numbers = [int(row.split(";", 1)[0]) for row in text.splitlines()[1:]
               if row.split(";", 1)[0].isdigit()]
    manifest: dict[str, Any] = {
        "format": "comptoir-pos-tickets", "version": 1, "kind": "degraded",
        "store": "MAG01", "register": "C1",
        "extraction_id": "6f1c1f0e-3f57-4a57-9a39-1f0f4c7e2d11",
        "created_at": "2026-01-12T18:30:05+01:00", "tickets": len(numbers),
        "first_ticket": min(numbers, default=None), "last_ticket": max(numbers, default=None),
        "members": {
            name: {"rows": data_rows(data), "bytes": len(data),
                   "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in members.items() if name != "manifest.json"
        },
    }
    manifest.update(fields)
    return manifest


def default_members() -> dict[str, bytes]:
    return {"tickets.csv": TICKETS_CSV.encode(), "lines.csv": LINES_CSV.encode(),
            "payments.csv": PAYMENTS_CSV.encode()}


def craft(
    path: Path,
    members: dict[str, bytes] | None = None,
    *,
    manifest: dict[str, Any] | bytes | None = None,
    edit_manifest: Callable[[dict[str, Any]], None] | None = None,
    after: dict[str, bytes] | None = None,
    infos: dict[str, Callable[[zipfile.ZipInfo], None]] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Write a ticket zip at `path`.

    `members` (default: a valid file) get a matching manifest unless `manifest` is given;
    `edit_manifest` changes it; `after` members are added after the manifest was computed
    (tampering); `infos[name]` edits a member's ZipInfo before it is written.
    """
    members = default_members() if members is None else members
    if manifest is None:
        manifest = manifest_for(members)
        if edit_manifest is not None:
            edit_manifest(manifest)
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    entries = [("manifest.json", raw), *members.items(), *(after or {}).items()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 12, 18, 30, 5))
            info.compress_type = compression
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            if infos and name in infos:
                infos[name](info)
            archive.writestr(info, data)
    return path


def set_encrypted_flag(path: Path, name: str) -> None:
    """Set bit 0 (encrypted) of `name`'s flags in its local and central headers."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at:start + name_at + len(encoded)] == encoded:
                data[start + flag_at] |= 0x1
            start += 4
    path.write_bytes(bytes(data))
