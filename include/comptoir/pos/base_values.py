"""The CSV members of a base package: their headers and the checks of their values.

`check_tables` turns the text columns a package reader gives (`CsvTable`) into typed rows,
or refuses the package whole (`PackageRefused`, naming the member and the line):
`bad_row` for a value that does not fit its column, `duplicate_in_file` for a code twice,
`checksum` when `settings.csv` or `registers.csv` disagree with the manifest, `orphan_row`
for a reference to a VAT code or an article that neither the package nor the dossier has.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, select

from comptoir.backoffice.schema import articles, vat_codes
from comptoir.backoffice.settings import KNOWN
from comptoir.exchange.names import printable
from comptoir.pos.package import PackageRefused
from comptoir.pos.package_csv import CsvTable

__all__ = ["HEADERS", "Rows", "check_tables"]

HEADERS: dict[str, tuple[str, ...]] = {
    "settings.csv": ("key", "value"),
    "registers.csv": ("store", "store_name", "register", "name", "number"),
    "vat_codes.csv": ("code", "name", "rate"),
    "payment_modes.csv": ("code", "name", "state_code", "is_credit", "is_deposit",
                          "lettrable", "generates_delivery_note"),
    "articles.csv": ("code", "name", "vat_code", "family", "unit", "active"),
    "prices.csv": ("article", "sale_price", "sale_price_incl_tax"),
    "customers.csv": ("code", "name", "family", "postcode", "city", "email", "phone",
                      "credit_limit"),
}
"""Every CSV member a base package may hold, with its header (the contract's)."""

SETTINGS_KEYS = frozenset({"company_name", "timezone", "pos_counter_customer", "pos_store",
                           "pos_register"})

Rows = dict[str, list[dict[str, Any]]]
"""Typed rows by member name (`articles.csv` → [{"code": ..., ...}, ...])."""

Check = Callable[[str], Any]
"""Turns a value's text into its typed value; ValueError says why it does not fit."""


def _text(limit: int, *, required: bool = True) -> Check:
    def check(text: str) -> str | None:
        if not text:
            if required:
                raise ValueError("is empty")
            return None
        if len(text) > limit:
            raise ValueError(f"is longer than {limit} characters")
        if not text.isprintable():
            raise ValueError("holds a control character")
        return text
    return check


def _code(limit: int = 40, *, required: bool = True) -> Check:
    text = _text(limit, required=required)

    def check(value: str) -> str | None:
        if value != value.strip():
            raise ValueError("has spaces around it")
        return text(value)
    return check


def _decimal(integers: int, places: int, *, required: bool = True,
             signed: bool = False) -> Check:
    pattern = re.compile(rf"^{'-?' if signed else ''}\d{{1,{integers}}}(\.\d{{1,{places}}})?$")

    def check(text: str) -> Decimal | None:
        if not text and not required:
            return None
        if not pattern.match(text):
            raise ValueError(f"is not a decimal of at most {integers} digits and {places} "
                             "decimals, with '.'")
        return Decimal(text)
    return check


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("is not 1 or 0")
    return text == "1"


def _number(text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 32767):
        raise ValueError("is not a register number from 0 to 32767")
    return int(text)


COLUMNS: dict[str, dict[str, Check]] = {
    "settings.csv": {"key": _code(64), "value": _text(1000, required=False)},
    "registers.csv": {"store": _code(), "store_name": _text(120), "register": _code(),
                      "name": _text(120), "number": _number},
    "vat_codes.csv": {"code": _code(), "name": _text(120), "rate": _decimal(3, 3)},
    "payment_modes.csv": {"code": _code(), "name": _text(120),
                          "state_code": _code(20, required=False), "is_credit": _flag,
                          "is_deposit": _flag, "lettrable": _flag,
                          "generates_delivery_note": _flag},
    "articles.csv": {"code": _code(), "name": _text(200), "vat_code": _code(required=False),
                     "family": _code(required=False), "unit": _text(10, required=False),
                     "active": _flag},
    "prices.csv": {"article": _code(), "sale_price": _decimal(11, 4, signed=True),
                   "sale_price_incl_tax": _decimal(13, 2, required=False, signed=True)},
    "customers.csv": {"code": _code(), "name": _text(120), "family": _text(40, required=False),
                      "postcode": _text(20, required=False), "city": _text(80, required=False),
                      "email": _text(200, required=False), "phone": _text(40, required=False),
                      "credit_limit": _decimal(13, 2, required=False, signed=True)},
}

_KEYS = {"settings.csv": ("key",), "registers.csv": ("store", "register"),
         "vat_codes.csv": ("code",), "payment_modes.csv": ("code",), "articles.csv": ("code",),
         "prices.csv": ("article",), "customers.csv": ("code",)}


def check_tables(conn: Connection, tables: Mapping[str, CsvTable], store: str, register: str
                 ) -> Rows:
    """Typed rows of every member, checked (see the module's docstring)."""
    rows = {name: _typed(table) for name, table in tables.items()}
    for name, table in tables.items():
        _check_unique(table, rows[name], _KEYS[name])
    _check_settings(tables["settings.csv"], rows["settings.csv"], store, register)
    _check_registers(tables["registers.csv"], rows["registers.csv"], store, register)
    if "articles.csv" in rows:
        known = {row["code"] for row in rows.get("vat_codes.csv", [])}
        _check_references(conn, tables["articles.csv"], rows["articles.csv"], "vat_code",
                          known, vat_codes, "VAT code")
    if "prices.csv" in rows:
        known = {row["code"] for row in rows.get("articles.csv", [])}
        _check_references(conn, tables["prices.csv"], rows["prices.csv"], "article", known,
                          articles, "article")
    return rows


def _typed(table: CsvTable) -> list[dict[str, Any]]:
    checks = COLUMNS[table.name]
    columns = {column: [] for column in checks}  # type: dict[str, list[Any]]
    for column, check in checks.items():
        values = columns[column]
        for text, line in zip(table.column(column), table.line_numbers, strict=True):
            try:
                values.append(check(text))
            except ValueError as exc:
                raise _bad(table, line, f"{column} {printable(text)[:60]!r} {exc}") from None
    return [dict(zip(checks, values, strict=True))
            for values in zip(*columns.values(), strict=True)]


def _bad(table: CsvTable, line: int, why: str, rule: str = "bad_row") -> PackageRefused:
    return PackageRefused(rule, f"line {line} of {table.name}: {why}", member=table.name,
                          line=line)


def _check_unique(table: CsvTable, rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for row, line in zip(rows, table.line_numbers, strict=True):
        value = tuple(row[column] for column in key)
        if value in seen:
            raise _bad(table, line, f"{'/'.join(map(str, value))!r} appears twice (first on "
                       f"line {seen[value]})", "duplicate_in_file")
        seen[value] = line


def _check_settings(table: CsvTable, rows: list[dict[str, Any]], store: str,
                    register: str) -> None:
    """Known keys, valid values (parsed in place), pos_store/pos_register = the manifest's."""
    for row, line in zip(rows, table.line_numbers, strict=True):
        key = row["key"]
        if key not in SETTINGS_KEYS:
            raise _bad(table, line, f"{printable(key)!r} is not a setting a base package "
                       f"carries ({', '.join(sorted(SETTINGS_KEYS))})")
        if row["value"] is None:
            continue
        try:
            row["value"] = KNOWN[key].parse(row["value"])
        except ValueError as exc:
            raise _bad(table, line, f"{key} {printable(row['value'])[:60]!r}: {exc}") from None
    given = {row["key"]: row["value"] for row in rows}
    for key, expected in (("pos_store", store), ("pos_register", register)):
        if given.get(key) != expected:
            raise PackageRefused(
                "checksum", f"settings.csv gives {key} {given.get(key)!r}, the manifest "
                f"{expected!r}: the file was altered or damaged", member=table.name)


def _check_registers(table: CsvTable, rows: list[dict[str, Any]], store: str,
                     register: str) -> None:
    """Every register is of the manifest's store, which holds the manifest's register."""
    for row, line in zip(rows, table.line_numbers, strict=True):
        if row["store"] != store:
            raise _bad(table, line, f"store {printable(row['store'])!r} is not the package's "
                       f"store {store!r}")
    if register not in {row["register"] for row in rows}:
        raise PackageRefused(
            "checksum", f"registers.csv does not hold the manifest's register {register!r}: "
            "the file was altered or damaged", member=table.name)


def _check_references(conn: Connection, table: CsvTable, rows: list[dict[str, Any]],
                      column: str, known: set[str], target: Table, what: str) -> None:
    """orphan_row: a code neither in the package nor in the dossier (one SELECT)."""
    wanted = {row[column] for row in rows if row[column] is not None} - known
    if not wanted:
        return
    codes = sorted(wanted)
    found: set[str] = set()
    for start in range(0, len(codes), 500):  # bounded parameters per statement
        found.update(conn.execute(select(target.c.code).where(
            target.c.code.in_(codes[start:start + 500]))).scalars())
    for row, line in zip(rows, table.line_numbers, strict=True):
        if row[column] is not None and row[column] not in known | found:
            raise _bad(table, line, f"{what} {printable(row[column])!r} is neither in the "
                       "package nor in this dossier", "orphan_row")
