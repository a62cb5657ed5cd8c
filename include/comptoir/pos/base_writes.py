"""The set-based writes of a base package's rows into a register dossier.

Upserts by code, `INSERT … ON CONFLICT DO UPDATE … WHERE <a value differs>` through the
dialect's insert (SQLite, PostgreSQL), a few hundred rows per statement; prices are one
`UPDATE … SET sale_price = CASE code …` per chunk. Only rows that are new or differ are
written, so each count is what changed and a second load of the same package writes 0.
Rows absent from the package are left alone. Counts come from `RETURNING` (the rows
inserted or updated), which both dialects give reliably for an upsert. The caller holds
the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    families,
    payment_modes,
    registers,
    settings,
    vat_codes,
)
from comptoir.errors import ComptoirError
from comptoir.pos.base_values import Rows

__all__ = ["CHUNK", "write_tables"]

CHUNK = 500
"""Rows per statement (bounded bind parameters on SQLite and PostgreSQL)."""


def write_tables(conn: Connection, rows: Rows) -> dict[str, int]:
    """Write the checked rows; return, per table, the rows inserted or changed."""
    changes: dict[str, int] = {}
    register_rows = rows["registers.csv"]
    first = register_rows[0]
    changes["depots"] = upsert(conn, depots, [
        {"code": first["store"], "name": first["store_name"], "is_store": True}],
        ("code",), ("name", "is_store"))
    depot_id = conn.execute(select(depots.c.id).where(depots.c.code == first["store"])
                            ).scalar_one()
    changes["registers"] = upsert(conn, registers, [
        {"depot_id": depot_id, "code": row["register"], "name": row["name"],
         "number": row["number"]} for row in register_rows],
        ("depot_id", "code"), ("name", "number"))
    if "vat_codes.csv" in rows:
        changes["vat_codes"] = upsert(conn, vat_codes, rows["vat_codes.csv"], ("code",),
                                      ("name", "rate"))
    if "payment_modes.csv" in rows:
        changes["payment_modes"] = upsert(
            conn, payment_modes, rows["payment_modes.csv"], ("code",),
            ("name", "state_code", "is_credit", "is_deposit", "lettrable",
             "generates_delivery_note"))
    if "articles.csv" in rows:
        changes.update(_articles(conn, rows["articles.csv"]))
    if "prices.csv" in rows:
        changes["prices"] = _prices(conn, rows["prices.csv"])
    if "customers.csv" in rows:
        changes["customers"] = upsert(
            conn, customers, rows["customers.csv"], ("code",),
            ("name", "family", "postcode", "city", "email", "phone", "credit_limit"),
            stamp=True)
    changes["settings"] = upsert(conn, settings, [
        {"key": row["key"], "value": row["value"]} for row in rows["settings.csv"]
        if row["value"] is not None], ("key",), ("value",), stamp=True)
    return changes


def _articles(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Families (created by code, names kept), then the articles with their references."""
    codes = sorted({row["family"] for row in rows if row["family"] is not None})
    created = upsert(conn, families, [{"code": code, "name": code} for code in codes],
                     ("code",), ())
    family_ids = dict(conn.execute(select(families.c.code, families.c.id)).all())
    vat_ids = dict(conn.execute(select(vat_codes.c.code, vat_codes.c.id)).all())
    written = upsert(conn, articles, [
        {"code": row["code"], "name": row["name"], "vat_code_id": vat_ids.get(row["vat_code"]),
         "family_id": family_ids.get(row["family"]), "unit": row["unit"],
         "active": row["active"]} for row in rows],
        ("code",), ("name", "vat_code_id", "family_id", "unit", "active"), stamp=True)
    return {"families": created, "articles": written}


def _prices(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """`sale_price` of existing articles, one CASE update per chunk, only where it differs."""
    count = 0
    for chunk in _chunks(rows):
        prices = {row["article"]: row["sale_price"] for row in chunk}
        new = case(prices, value=articles.c.code)
        count += len(conn.execute(
            update(articles)
            .where(articles.c.code.in_(list(prices)), articles.c.sale_price.is_distinct_from(new))
            .values(sale_price=new, updated_at=func.now()).returning(articles.c.id)).all())
    return count


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
           keys: Sequence[str], columns: Sequence[str], *, stamp: bool = False) -> int:
    """Insert `rows`, or update `columns` of the row with the same `keys` where they differ.

    No `columns`: existing rows are left as they are. `stamp` sets `updated_at` on a
    change. Returns the rows inserted or changed.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert  # type: ignore[assignment]
    else:
        raise ComptoirError(f"base files load needs SQLite or PostgreSQL, not {dialect}")
    count = 0
    for chunk in _chunks(rows):
        statement = insert(table).values(list(chunk))
        if not columns:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))
        else:
            excluded = statement.excluded
            values: dict[str, Any] = {name: excluded[name] for name in columns}
            if stamp:
                values["updated_at"] = func.now()
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_=values,
                where=or_(*(table.c[name].is_distinct_from(excluded[name])
                            for name in columns)))
        count += len(conn.execute(statement.returning(table.c[keys[0]])).all())
    return count


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]
