"""Exact decimal arithmetic and text helpers that SQLite and PostgreSQL compute alike.

SQLite has no NUMERIC arithmetic: a `NUMERIC(15, 2)` value is stored as a REAL, so
`ROUND(total * 20 / 120, 2)` may land on the wrong cent there. Set-based statements
therefore turn amounts into integers first (`to_units`: cents, ten-thousandths...),
compute on 64-bit integers — exact on both databases, whose integer `/` truncates —,
round with `div_round` (half away from zero, as every rounding of `spec/pos.md`) and
turn the result back with `from_units` only when it is written.

The scale factors are code constants, written into the SQL as literals (never values
from the user): PostgreSQL then sees the same expression in a SELECT and its GROUP BY.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, String, case, cast, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

MONEY = 2      #: decimals of an amount (cents)
PRICE = 4      #: decimals of a unit price
RATE = 3       #: decimals of a VAT rate


def scale(places: int) -> ColumnElement[Any]:
    """10**places as an SQL integer literal."""
    return literal_column(str(10 ** places), BigInteger)


def to_units(column: Any, places: int) -> ColumnElement[Any]:
    """A NUMERIC value as the integer count of its smallest unit (12.34, 2 → 1234)."""
    return cast(func.round(column * scale(places)), BigInteger)


def from_units(units: Any, places: int) -> ColumnElement[Any]:
    """An integer count of units back to a decimal value, for a NUMERIC column."""
    return units / literal_column(f"{10 ** places}.0")


def div_round(numerator: Any, denominator: Any) -> ColumnElement[Any]:
    """numerator / denominator rounded to an integer, half away from zero (denominator > 0).

    `(n + d // 2) // d` rounds half up for n ≥ 0: it is exact when d is even, and an odd
    d never meets a tie; a negative n is rounded as its opposite, then negated. Both are
    cast to BIGINT first: PostgreSQL's `SUM(bigint)` is NUMERIC, whose `/` is not integer
    division.
    """
    numerator, denominator = cast(numerator, BigInteger), cast(denominator, BigInteger)
    half = denominator // literal_column("2", BigInteger)
    return case(
        (numerator >= 0, (numerator + half) // denominator),
        else_=-((-numerator + half) // denominator),
    )


def year_of(conn: Connection, day: Any) -> ColumnElement[Any]:
    """The year of a DATE as 4 characters."""
    if conn.dialect.name == "postgresql":
        return func.to_char(day, "YYYY")
    return func.strftime("%Y", day)


def zero_pad(conn: Connection, number: Any, width: int) -> ColumnElement[Any]:
    """An integer as text, left-padded with zeros to `width` digits (never cut)."""
    text = cast(number, String)
    if conn.dialect.name == "postgresql":
        return func.lpad(text, func.greatest(width, func.length(text)), "0")
    return func.printf(f"%0{width}d", number)


def all_digits(conn: Connection, text: Any) -> ColumnElement[Any]:
    """True when `text` is one or more ASCII digits."""
    if conn.dialect.name == "postgresql":
        return text.op("~")("^[0-9]+$")
    return (text != "") & text.op("NOT GLOB")("*[^0-9]*")


def code_order(conn: Connection, code: Any) -> ColumnElement[Any]:
    """A code compared as text, character by character (`C1` < `C10` < `C2` < `c1`).

    PostgreSQL's default collation orders by language rules; the `C` collation (byte
    order of UTF-8, that is code point order) matches SQLite's and Python's.
    """
    if conn.dialect.name == "postgresql":
        return code.collate("C")
    return code
