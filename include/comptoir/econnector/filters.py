"""The JSON filters of a connector: which articles and which customers are sent.

Articles: `code` (glob patterns, ignoring case), `family`, `brand`, `supplier` (lists of
codes), `active`, `exportable` (booleans). Customers: `code` (globs), `family` (values),
`store` (depot codes), `country` (ISO 3166 alpha-2). Any value of a key matches; every
key must match. `check_*` refuse an unknown key, a value of the wrong type or a code the
dossier does not have (`ValueError` with the reason); `*_condition` turn a checked filter
into a SQL condition (parameterised).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, true

from comptoir.backoffice.schema import articles, brands, customers, depots, families, suppliers

__all__ = ["ARTICLE_KEYS", "CUSTOMER_KEYS", "article_condition", "check_article_filter",
           "check_customer_filter", "customer_condition", "glob_to_like", "parse_filter"]

#: Article filter keys → the kind of their values.
ARTICLE_KEYS = {"code": "globs", "family": "codes", "brand": "codes", "supplier": "codes",
                "active": "bool", "exportable": "bool"}
#: Customer filter keys → the kind of their values.
CUSTOMER_KEYS = {"code": "globs", "family": "values", "store": "codes", "country": "countries"}
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_filter(text: str | Mapping[str, Any]) -> dict[str, Any]:
    """A filter as an object (JSON text or already parsed); `ValueError` if it is not one."""
    if isinstance(text, Mapping):
        return dict(text)
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ValueError('a filter is a JSON object, e.g. {"family": ["VET"]}')
    return value


def _shape(value: dict[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, raw in value.items():
        kind = keys.get(key)
        if kind is None:
            raise ValueError(f"unknown filter key {key!r}; known keys: {', '.join(keys)}")
        if kind == "bool":
            if not isinstance(raw, bool):
                raise ValueError(f"{key}: expected true or false")
            clean[key] = raw
            continue
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items or not all(
                isinstance(v, str) and v.strip() for v in items):
            raise ValueError(f"{key}: expected a list of non-empty texts")
        items = [v.strip() for v in items]
        if kind == "countries":
            items = [v.upper() for v in items]
            bad = [v for v in items if not _COUNTRY.match(v)]
            if bad:
                raise ValueError(f"{key}: {', '.join(bad)} is not an ISO 3166 alpha-2 code")
        clean[key] = items
    return clean


def _check_codes(conn: Connection, key: str, wanted: list[str], column: Any) -> None:
    known = set(conn.execute(select(column).where(column.in_(wanted))).scalars())
    missing = [code for code in wanted if code not in known]
    if missing:
        raise ValueError(f"{key}: the dossier has no {key} {', '.join(missing)}")


def check_article_filter(conn: Connection, value: str | Mapping[str, Any]) -> dict[str, Any]:
    """The article filter, checked against the dossier; `ValueError` says why not."""
    clean = _shape(parse_filter(value), ARTICLE_KEYS)
    for key, table in (("family", families), ("brand", brands), ("supplier", suppliers)):
        if key in clean:
            _check_codes(conn, key, clean[key], table.c.code)
    return clean


def check_customer_filter(conn: Connection, value: str | Mapping[str, Any]) -> dict[str, Any]:
    """The customer filter, checked against the dossier; `ValueError` says why not."""
    clean = _shape(parse_filter(value), CUSTOMER_KEYS)
    if "store" in clean:
        _check_codes(conn, "store", clean["store"], depots.c.code)
    return clean


def glob_to_like(pattern: str) -> str:
    """A glob (`*`, `?`) as a LIKE pattern with `\\` as escape character."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _globs(column: Any, patterns: list[str]) -> ColumnElement[bool]:
    return or_(*(func.lower(column).like(glob_to_like(p.lower()), escape="\\")
                 for p in patterns))


def _code_in(column: Any, table: Any, codes: list[str]) -> ColumnElement[bool]:
    return column.in_(select(table.c.id).where(table.c.code.in_(codes)).scalar_subquery())


def article_condition(value: Mapping[str, Any] | None) -> ColumnElement[bool]:
    """The SQL condition on `articles` of a checked filter (None: every article)."""
    if not value:
        return true()
    parts: list[ColumnElement[bool]] = []
    if "code" in value:
        parts.append(_globs(articles.c.code, value["code"]))
    for key, column, table in (("family", articles.c.family_id, families),
                               ("brand", articles.c.brand_id, brands),
                               ("supplier", articles.c.supplier_id, suppliers)):
        if key in value:
            parts.append(_code_in(column, table, value[key]))
    for key in ("active", "exportable"):
        if key in value:
            parts.append(articles.c[key].is_(value[key]))
    return and_(*parts)


def customer_condition(value: Mapping[str, Any] | None) -> ColumnElement[bool]:
    """The SQL condition on `customers` of a checked filter (None: every customer)."""
    if not value:
        return true()
    parts: list[ColumnElement[bool]] = []
    if "code" in value:
        parts.append(_globs(customers.c.code, value["code"]))
    if "family" in value:
        parts.append(customers.c.family.in_(value["family"]))
    if "store" in value:
        parts.append(_code_in(customers.c.store_id, depots, value["store"]))
    if "country" in value:
        parts.append(func.upper(customers.c.country).in_(value["country"]))
    return and_(*parts)

