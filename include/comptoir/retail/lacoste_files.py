"""The Lacoste point of sale's files: names, pairs, and their rows read strictly.

`DT42 Tickets YYYYMMDD HHMM NNNNN.txt` holds ticket lines, `DT43 Reglements YYYYMMDD HHMM
NNNNN.txt` payments. Files pair by the date in their names; several pairs of one date pair
in time order (HHMM, then NNNNN). Both are `;`-separated with one header row (columns found
by name, without case), UTF-8 when they decode as such, else Windows-1252, decimal comma or
point, dates `YYYYMMDD`, times `HHMMSS`. A row that cannot be read raises `Unreadable`
naming the file, the line and the reason: its pair is not converted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

__all__ = ["LINE_COLUMNS", "PAYMENT_COLUMNS", "Line", "Name", "Payment", "Unreadable",
           "pairs", "parse_name", "read_lines", "read_payments"]

NAME = re.compile(r"DT4([23])\s+(Tickets|Reglements)\s+(\d{8})\s+(\d{4})\s+(\d+)\.txt",
                  re.IGNORECASE)
NAME_RULE = ("attendu DT42 Tickets AAAAMMJJ HHMM NNNNN.txt ou "
             "DT43 Reglements AAAAMMJJ HHMM NNNNN.txt")
LINE_COLUMNS = ("MAGASIN", "CAISSE", "TICKET", "DATE", "HEURE", "LIGNE", "EAN", "REFERENCE",
                "LIBELLE", "QTE", "PU_TTC", "REMISE", "MONTANT_TTC", "TVA", "CLIENT")
PAYMENT_COLUMNS = ("MAGASIN", "CAISSE", "TICKET", "DATE", "MODE", "MONTANT")
INTEGER = re.compile(r"[0-9]+")
NUMBER = re.compile(r"[-+]?[0-9]+([.,][0-9]+)?")

Key = tuple[str, str, int, dt.date]
"""A ticket of the foreign point of sale: store, register, number, date."""


class Unreadable(Exception):  # noqa: N818  (a file's state, not a programming error)
    """A file or one of its rows cannot be read: the whole pair is refused."""


@dataclass(frozen=True)
class Name:
    """What a file's name says."""

    kind: str  # "42" (ticket lines) or "43" (payments)
    day: dt.date
    order: tuple[str, str]  # HHMM, NNNNN
    path: Path


def parse_name(path: Path) -> Name | None:
    """The file's kind, date and rank, None when its name is not one of the two."""
    found = NAME.fullmatch(path.name)
    if found is None or (found.group(1) == "2") != (found.group(2).lower() == "tickets"):
        return None
    try:
        day = dt.datetime.strptime(found.group(3), "%Y%m%d").date()
    except ValueError:
        return None
    return Name(f"4{found.group(1)}", day, (found.group(4), found.group(5).zfill(10)), path)


@dataclass
class Pairing:
    """The pairs ready, and the files still without a partner."""

    pairs: list[tuple[Name, Name]] = field(default_factory=list)
    alone: list[Name] = field(default_factory=list)


def pairs(names: list[Name]) -> Pairing:
    """Pair the DT42 and DT43 files of each date, in time order."""
    by_day: dict[dt.date, dict[str, list[Name]]] = defaultdict(lambda: {"42": [], "43": []})
    for name in names:
        by_day[name.day][name.kind].append(name)
    result = Pairing()
    for day in sorted(by_day):
        lines, payments = (sorted(by_day[day][k], key=lambda n: n.order) for k in ("42", "43"))
        result.pairs += list(zip(lines, payments, strict=False))
        result.alone += lines[len(payments):] + payments[len(lines):]
    return result


@dataclass(frozen=True)
class Line:
    """A ticket line of DT42."""

    key: Key
    time: dt.time
    line_no: int
    ean: str
    reference: str
    label: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    total: Decimal
    vat_rate: Decimal
    customer: str


@dataclass(frozen=True)
class Payment:
    """A payment of DT43."""

    key: Key
    mode: str
    amount: Decimal


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, cells by column) of the data rows; `Unreadable` when it cannot be."""
    from comptoir.retail.inbox_files import decode

    try:
        text = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise Unreadable(f"{path.name} : ni UTF-8 ni Windows-1252") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = [cell.strip().upper() for cell in next(reader, [])]
    missing = [c for c in columns if c not in header]
    if missing:
        raise Unreadable(f"{path.name} : colonnes manquantes : {', '.join(missing)}")
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise Unreadable(f"{path.name} ligne {reader.line_num} : {len(row)} champs au "
                             f"lieu de {len(header)}")
        rows.append((reader.line_num, {name: row[i].strip() for i, name in enumerate(header)}))
    return rows


class _Cells:
    """The cells of one row, converted with the reason when they cannot be."""

    def __init__(self, path: Path, line: int, cells: dict[str, str]) -> None:
        self.where = f"{path.name} ligne {line}"
        self.cells = cells

    def fail(self, column: str, what: str) -> Unreadable:
        return Unreadable(f"{self.where} : {column} {what} : '{self.cells[column]}'")

    def text(self, column: str) -> str:
        return self.cells[column]

    def required(self, column: str) -> str:
        if not self.cells[column]:
            raise Unreadable(f"{self.where} : {column} vide")
        return self.cells[column]

    def integer(self, column: str) -> int:
        if not INTEGER.fullmatch(self.cells[column]):
            raise self.fail(column, "n'est pas un nombre entier")
        return int(self.cells[column])

    def number(self, column: str, default: Decimal | None = None) -> Decimal:
        raw = self.cells[column]
        if not raw and default is not None:
            return default
        if not NUMBER.fullmatch(raw):
            raise self.fail(column, "n'est pas un nombre")
        try:
            return Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise self.fail(column, "n'est pas un nombre") from None

    def date(self, column: str) -> dt.date:
        try:
            return dt.datetime.strptime(self.cells[column], "%Y%m%d").date()
        except ValueError:
            raise self.fail(column, "n'est pas une date AAAAMMJJ") from None

    def time(self, column: str) -> dt.time:
        raw = self.cells[column]
        try:
            if len(raw) != 6:
                raise ValueError(raw)
            return dt.datetime.strptime(raw, "%H%M%S").time()
        except ValueError:
            raise self.fail(column, "n'est pas une heure HHMMSS") from None

    def key(self) -> Key:
        return (self.required("MAGASIN"), self.required("CAISSE"), self.integer("TICKET"),
                self.date("DATE"))


def read_lines(path: Path) -> list[Line]:
    """The ticket lines of a DT42 file."""
    found = []
    for number, cells in _rows(path, LINE_COLUMNS):
        row = _Cells(path, number, cells)
        key, time, line_no = row.key(), row.time("HEURE"), row.integer("LIGNE")
        if not row.text("REFERENCE") and not row.text("EAN"):
            raise Unreadable(f"{row.where} : ni REFERENCE ni EAN")
        found.append(Line(key, time, line_no, row.text("EAN"), row.text("REFERENCE"),
                          row.text("LIBELLE"), row.number("QTE"), row.number("PU_TTC"),
                          row.number("REMISE", Decimal(0)), row.number("MONTANT_TTC"),
                          row.number("TVA"), row.text("CLIENT")))
    return found


def read_payments(path: Path) -> list[Payment]:
    """The payments of a DT43 file."""
    found = []
    for number, cells in _rows(path, PAYMENT_COLUMNS):
        row = _Cells(path, number, cells)
        found.append(Payment(row.key(), row.required("MODE"), row.number("MONTANT")))
    return found
