"""The POS ticket file: the zip a register sends its offline tickets in.

`TicDeg<store><register><YYYYMMDDHHMMSS>.zip` (degraded tickets) or
`ticdep<store><register><YYYYMMDD>.zip` (untransferred ones): `manifest.json` and three
CSV members, `tickets.csv`, `lines.csv`, `payments.csv` (contract: `spec/pos.md`, "The
ticket file"). The name is never trusted: the manifest says what the file is.

`write_ticket_file` is the extraction's writer; `read_ticket_file` the integration's
reader. The reader checks the whole file through `unknown_register` and returns the
raw text columns; the values of each ticket (numbers, dates, kinds) are checked later,
ticket by ticket, by the integration.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comptoir.exchange.names import check_name, printable
from comptoir.pos.package import (
    DEFAULT_LIMITS,
    Limits,
    PackageRefused,
    PackageSpec,
    open_package,
    write_package,
)
from comptoir.pos.package_csv import CsvTable, csv_member, read_csv_members

__all__ = [
    "FORMAT",
    "KINDS",
    "LINES_HEADER",
    "PAYMENTS_HEADER",
    "TICKETS_HEADER",
    "TicketFile",
    "read_ticket_file",
    "ticket_file_name",
    "write_ticket_file",
]

FORMAT = "comptoir-pos-tickets"
VERSION = 1
KINDS = frozenset({"degraded", "untransferred"})

TICKETS = "tickets.csv"
LINES = "lines.csv"
PAYMENTS = "payments.csv"
TICKETS_HEADER = ("ticket", "issued_at", "day", "customer", "total_incl_tax")
LINES_HEADER = ("ticket", "line", "kind", "article", "quantity", "unit_price_incl_tax",
                "discount", "vat_rate", "total_incl_tax", "document")
PAYMENTS_HEADER = ("ticket", "line", "mode", "amount", "due_date", "reference")
HEADERS = {TICKETS: TICKETS_HEADER, LINES: LINES_HEADER, PAYMENTS: PAYMENTS_HEADER}


def _spec() -> PackageSpec:
    return PackageSpec(format=FORMAT, version=VERSION, members=frozenset(HEADERS), kinds=KINDS,
                       check_manifest=_manifest_problem)

Rows = Iterable[Sequence[object]]
"""Rows in header order: tuples, or a frame (its `itertuples(index=False, name=None)`)."""


@dataclass(frozen=True)
class TicketFile:
    """A ticket file that passed every whole-file check; its rows as text columns."""

    path: Path
    sha256: str
    kind: str
    store: str
    register: str
    extraction_id: str
    created_at: dt.datetime
    first_ticket: int | None
    last_ticket: int | None
    tickets: CsvTable
    lines: CsvTable
    payments: CsvTable
    manifest: Mapping[str, Any]


def ticket_file_name(kind: str, store: str, register: str, created_at: dt.datetime) -> str:
    """`TicDeg<store><register><YYYYMMDDHHMMSS>.zip` or `ticdep<store><register><YYYYMMDD>.zip`.

    `created_at` is the extraction time in the dossier's time zone.
    """
    if kind == "degraded":
        name = f"TicDeg{store}{register}{created_at:%Y%m%d%H%M%S}.zip"
    elif kind == "untransferred":
        name = f"ticdep{store}{register}{created_at:%Y%m%d}.zip"
    else:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(sorted(KINDS))}")
    return check_name(name)


def write_ticket_file(folder: Path, kind: str, store: str, register: str, tickets: Rows,
                      lines: Rows, payments: Rows, created_at: dt.datetime,
                      extraction_id: str | None = None) -> Path:
    """Write a ticket file into `folder`; return its path (`-2`, `-3`... when the name is taken).

    Rows come in ticket then line order, one value per header column (`str`, `Decimal`,
    `int`, `date`, `datetime` or None). The manifest counts the tickets and gives the
    lowest and highest ticket numbers. Written whole or not at all.
    """
    if created_at.utcoffset() is None:
        raise ValueError("created_at needs a time zone (the dossier's)")
    name = ticket_file_name(kind, store, register, created_at)
    ticket_rows = list(_rows(tickets))
    members = [csv_member(TICKETS, TICKETS_HEADER, ticket_rows),
               csv_member(LINES, LINES_HEADER, _rows(lines)),
               csv_member(PAYMENTS, PAYMENTS_HEADER, _rows(payments))]
    numbers = [int(row[0]) for row in ticket_rows]  # type: ignore[call-overload]
    manifest = {
        "format": FORMAT, "version": VERSION, "kind": kind, "store": store,
        "register": register, "extraction_id": extraction_id or str(uuid.uuid4()),
        "created_at": created_at.isoformat(), "tickets": len(numbers),
        "first_ticket": min(numbers, default=None), "last_ticket": max(numbers, default=None),
    }
    return write_package(Path(folder), name, manifest, members, created_at)


def _rows(rows: Rows) -> Rows:
    itertuples = getattr(rows, "itertuples", None)
    return itertuples(index=False, name=None) if itertuples is not None else rows


def read_ticket_file(path: Path, known_register: Callable[[str, str], bool] | None = None,
                     *, limits: Limits = DEFAULT_LIMITS) -> TicketFile:
    """Read and check a ticket file; raise `PackageRefused` with the first rule it breaks.

    Rules, in order: the package's (`bad_zip` ... `checksum`), the manifest's ticket
    counts (`checksum`), `bad_header`, `bad_row`, `duplicate_in_file`, `orphan_row`, then
    `unknown_register` when `known_register(store, register)` says False (None: not checked).
    """
    with open_package(Path(path), _spec(), limits) as package:
        manifest = package.manifest
        store, register = manifest["store"], manifest["register"]
        tables = read_csv_members(package, HEADERS,
                                  verify=lambda tables: _check_counts(manifest, tables))
        file_sha256 = package.sha256
    tickets, lines, payments = tables[TICKETS], tables[LINES], tables[PAYMENTS]
    _check_unique(tickets)
    for table in (lines, payments):
        _check_owned(table, tickets)
    if known_register is not None and not known_register(store, register):
        raise PackageRefused(
            "unknown_register", f"the register {printable(register)!r} of store "
            f"{printable(store)!r} is not in this dossier")
    return TicketFile(
        path=Path(path), sha256=file_sha256, kind=manifest["kind"], store=store,
        register=register, extraction_id=manifest["extraction_id"],
        created_at=dt.datetime.fromisoformat(manifest["created_at"]),
        first_ticket=manifest["first_ticket"], last_ticket=manifest["last_ticket"],
        tickets=tickets, lines=lines, payments=payments, manifest=manifest)


def _manifest_problem(manifest: Mapping[str, Any]) -> str | None:
    """Why the ticket file's own manifest fields are wrong (`bad_manifest`), or None."""
    for key in ("store", "register", "extraction_id"):
        value = manifest.get(key)
        if not isinstance(value, str) or not value.strip() or printable(value) != value:
            return f"{key!r} is {printable(repr(value))[:80]}, not a code"
    created = manifest.get("created_at")
    try:
        created_at = dt.datetime.fromisoformat(created)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        created_at = None
    if created_at is None or created_at.utcoffset() is None:
        return (f"'created_at' is {printable(repr(created))[:80]}, not a date and time with "
                "its offset")
    for key in ("tickets", "first_ticket", "last_ticket"):
        value = manifest.get(key)
        if not (type(value) is int and value >= 0) and not (key != "tickets" and value is None):
            return f"{key!r} is {printable(repr(value))[:80]}, not a count"
    return None


def _check_counts(manifest: Mapping[str, Any], tables: Mapping[str, CsvTable]) -> None:
    """checksum: the manifest's tickets, first_ticket and last_ticket against tickets.csv."""
    rows = manifest["members"][TICKETS]["rows"]
    if manifest["tickets"] != rows:
        raise PackageRefused(
            "checksum", f"manifest.json says tickets {manifest['tickets']}, and {rows} rows "
            f"for {TICKETS}: the file was altered or damaged", member=TICKETS)
    table = tables.get(TICKETS)
    if table is None:
        return  # unreadable: its bad_header / bad_row follows
    numbers = [int(text) for text in table.column("ticket") if _is_number(text)]  # C-fast
    found = {"tickets": len(table), "first_ticket": min(numbers, default=None),
             "last_ticket": max(numbers, default=None)}
    for key, value in found.items():
        if manifest[key] != value:
            raise PackageRefused(
                "checksum", f"manifest.json says {key} {manifest[key]}, tickets.csv gives "
                f"{value}: the file was altered or damaged", member=TICKETS)


def _is_number(text: str) -> bool:
    """Digits only, short enough for `int` (a 5,000-digit "number" stays text)."""
    return text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 18


def _key(text: str) -> int | str:
    """A ticket number as the integration keys it (`0148` is 148); other text as is."""
    return int(text) if _is_number(text) else text


def _check_unique(tickets: CsvTable) -> dict[int | str, int]:
    """duplicate_in_file; return each ticket key with its line."""
    texts = tickets.column("ticket")
    if len(set(texts)) == len(texts) and not any(text.startswith("0") for text in texts):
        return dict(zip(texts, tickets.line_numbers, strict=True))  # same text, same number
    keys: dict[int | str, int] = {}
    for text, line in zip(texts, tickets.line_numbers, strict=True):
        key = _key(text)
        if key in keys:
            raise PackageRefused(
                "duplicate_in_file", f"line {line} of {TICKETS}: ticket "
                f"{printable(text)!r} appears twice (first on line {keys[key]})",
                member=TICKETS, line=line)
        keys[key] = line
    return keys


def _check_owned(table: CsvTable, tickets: CsvTable) -> None:
    """orphan_row: every line or payment belongs to a ticket of tickets.csv."""
    column = table.column("ticket")
    texts = set(tickets.column("ticket"))
    if set(column) <= texts:
        return  # the usual case: the same text as in tickets.csv
    keys = {_key(text) for text in texts}
    for text, line in zip(column, table.line_numbers, strict=True):
        if text not in texts and _key(text) not in keys:
            raise PackageRefused(
                "orphan_row", f"line {line} of {table.name}: ticket {printable(text)!r} is "
                f"not in {TICKETS}", member=table.name, line=line)
