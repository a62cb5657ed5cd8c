"""Connector settings: rows of `connector_settings` (connector, key, value), validated.

A connector is named by a code of 1–20 letters, digits, `_`, `-` (case-insensitive, stored
upper-case) and exists while its `link` row exists. Every key of the contract
(`spec/econnector.md`, "Connector settings") has a parser that returns the stored text or
raises `ValueError` with the reason; `Connector` is the typed view with the defaults
filled in. Folders: an absolute POSIX path as given, a relative one under
`COMPTOIR_HOME/connectors/` that may not leave it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from comptoir import paths
from comptoir.backoffice.schema import article_correspondences, connector_settings, depots
from comptoir.backoffice.settings import get_setting
from comptoir.econnector.filters import check_article_filter, check_customer_filter
from comptoir.errors import ComptoirError

__all__ = ["KEYS", "REQUIRED", "Connector", "ConnectorError", "check_code", "connector_codes",
           "connectors_dir", "create_connector", "delete_connector", "load_connector",
           "set_value"]

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_UNIT = re.compile(r"^\S{1,10}$")


class ConnectorError(ComptoirError):
    """An unknown connector, or a setting it does not accept (nothing was changed)."""

    exit_code = 1


def check_code(code: str) -> str:
    """The connector code upper-cased; `ConnectorError` if it is not 1–20 of `A-Z0-9_-`."""
    code = (code or "").strip()
    if not _CODE.match(code):
        raise ConnectorError(f"invalid connector code {code!r}: 1 to 20 letters, digits, "
                             "'_' or '-'")
    return code.upper()


def connectors_dir() -> Path:
    """Where relative connector folders live: `COMPTOIR_HOME/connectors/`."""
    return paths.home() / "connectors"


Parser = Callable[[Connection, str], str]


def _choice(*choices: str) -> Parser:
    def parse(conn: Connection, value: str) -> str:
        value = value.strip()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value
    return parse


def _folder(conn: Connection, value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a folder cannot be empty")
    paths.check_folder_setting(value, "connectors")
    paths.resolve_folder(value, connectors_dir(), "connectors folder")
    return value


def _integer(conn: Connection, value: str) -> str:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError("expected a whole number of seconds") from None
    if number < 0:
        raise ValueError("expected a number ≥ 0")
    return str(number)


def _depot(conn: Connection, value: str) -> str:
    value = value.strip()
    if conn.execute(select(depots.c.id).where(depots.c.code == value)).first() is None:
        raise ValueError(f"the dossier has no depot {value!r}")
    return value


def _family(conn: Connection, value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 40:
        raise ValueError("expected 1 to 40 characters")
    return value


def _unit(conn: Connection, value: str) -> str:
    value = value.strip()
    if not _UNIT.match(value):
        raise ValueError("expected 'article' or a unit code of 1 to 10 characters")
    return value


def _filter(check: Callable[[Connection, str], dict[str, Any]]) -> Parser:
    def parse(conn: Connection, value: str) -> str:
        if not value.strip():
            return ""
        return json.dumps(check(conn, value), ensure_ascii=False, sort_keys=True)
    return parse


def _separator(conn: Connection, value: str) -> str:
    aliases = {"tab": "\t", "\\t": "\t"}
    value = aliases.get(value.strip().lower(), value) if value.strip() else value
    if value not in (";", ",", "\t", "|"):
        raise ValueError("expected ; , | or tab")
    return value


#: Every key: its parser and its default (None: required, "" : empty).
KEYS: dict[str, tuple[Parser, str | None]] = {
    "link": (_choice("facilitime"), None),
    "import_path": (_folder, "{code}/in"),
    "export_path": (_folder, "{code}/out"),
    "min_age_seconds": (_integer, "10"),
    "document_type": (_choice("orders", "delivery_notes"), None),
    "depot": (_depot, None),
    "customer_family": (_family, None),
    "supplier_family": (_family, ""),
    "reception_mode": (_choice("manual", "at_start"), "manual"),
    "send_articles": (_choice("none", "exportable", "filter"), "none"),
    "article_filter": (_filter(check_article_filter), ""),
    "price_category": (_choice("sale_excl_tax", "sale_incl_tax", "purchase"), "sale_excl_tax"),
    "unit": (_unit, "article"),
    "send_depot": (_depot, ""),
    "send_customers": (_choice("none", "all", "filter"), "none"),
    "customer_filter": (_filter(check_customer_filter), ""),
    "send_contacts": (_choice("on", "off"), "off"),
    "separator": (_separator, ";"),
    "encoding": (_choice("utf-8", "utf-8-sig", "cp1252"), "cp1252"),
    "decimal_separator": (_choice(",", "."), ","),
}
REQUIRED = ("link", "document_type", "depot", "customer_family")


@dataclass(frozen=True)
class Connector:
    """A connector's settings with the defaults filled in."""

    code: str
    values: Mapping[str, str]

    def get(self, key: str) -> str:
        """The stored value of `key`, else its default."""
        if key in self.values:
            return self.values[key]
        default = KEYS[key][1]
        if key == "send_depot":
            return self.values.get("depot", "")
        return (default or "").format(code=self.code)

    def folder(self, key: str) -> Path:
        """`import_path` or `export_path` as an absolute folder."""
        return paths.resolve_folder(self.get(key), connectors_dir(), "connectors folder")

    @property
    def import_folder(self) -> Path:
        """Where the partner drops the files Comptoir receives."""
        return self.folder("import_path")

    @property
    def export_folder(self) -> Path:
        """Where Comptoir writes the files it sends."""
        return self.folder("export_path")

    @property
    def min_age(self) -> int:
        """Seconds a file must be left alone before a reception takes it."""
        return int(self.get("min_age_seconds"))

    @property
    def document_type(self) -> str:
        """The sales document type a reception creates: `C` (orders) or `B`."""
        return "C" if self.get("document_type") == "orders" else "B"

    def filter(self, key: str) -> dict[str, Any] | None:
        """`article_filter` or `customer_filter` as an object (None when empty)."""
        text = self.get(key)
        return json.loads(text) if text else None

    @property
    def send_contacts(self) -> bool:
        """Whether the contacts of the customers sent are sent too."""
        return self.get("send_contacts") == "on"

    def as_json(self) -> dict[str, Any]:
        """`connector show --json`: every key, folders absolute, filters as objects."""
        shown: dict[str, Any] = {"code": self.code}
        for key in KEYS:
            value: Any = self.get(key)
            if key in ("import_path", "export_path"):
                value = str(self.folder(key))
            elif key in ("article_filter", "customer_filter"):
                value = self.filter(key)
            elif key == "min_age_seconds":
                value = int(value)
            elif key == "send_contacts":
                value = value == "on"
            shown[key] = value
        return shown

    def check(self, conn: Connection) -> None:
        """Cross-key rules; `ConnectorError` says which key is missing."""
        for key in REQUIRED:
            if not self.values.get(key):
                raise ConnectorError(f"connector {self.code}: {key} is required")
        if (get_setting(conn, "purchases_module") or "on") == "on" \
                and not self.values.get("supplier_family"):
            raise ConnectorError(f"connector {self.code}: supplier_family is required while "
                                 "the purchases_module setting is on")
        for send, key in (("send_articles", "article_filter"),
                          ("send_customers", "customer_filter")):
            if self.get(send) == "filter" and not self.get(key):
                raise ConnectorError(f"connector {self.code}: {send} is filter, so {key} is "
                                     f"required (set {key} first)")


def _parse(conn: Connection, key: str, value: str) -> str:
    if key not in KEYS:
        raise ConnectorError(f"unknown setting {key!r}; known settings: {', '.join(KEYS)}")
    if not value.strip() and KEYS[key][1] is not None and key != "separator":
        return ""  # an optional key set empty goes back to its default
    try:
        return KEYS[key][0](conn, value)
    except ValueError as exc:
        raise ConnectorError(f"invalid value {value!r} for {key}: {exc}") from None


def _stored(conn: Connection, code: str) -> dict[str, str]:
    rows = conn.execute(select(connector_settings.c.key, connector_settings.c.value)
                        .where(connector_settings.c.connector == code))
    return {key: value for key, value in rows}


def connector_codes(conn: Connection) -> list[str]:
    """Every connector of the dossier, by code."""
    return list(conn.execute(select(connector_settings.c.connector)
                             .where(connector_settings.c.key == "link")
                             .order_by(connector_settings.c.connector)).scalars())


def load_connector(conn: Connection, code: str) -> Connector:
    """The connector `code`; `ConnectorError` when the dossier has none."""
    code = check_code(code)
    values = _stored(conn, code)
    if "link" not in values:
        raise ConnectorError(f"unknown connector {code}"
                             + (f"; known: {', '.join(connector_codes(conn))}"
                                if connector_codes(conn) else "; none is set up yet "
                                "(comptoir connector create)"))
    return Connector(code, values)


def create_connector(conn: Connection, code: str, values: Mapping[str, str | None]) -> Connector:
    """Create a connector from its settings (checked); `ConnectorError` and nothing written."""
    code = check_code(code)
    if "link" in _stored(conn, code):
        raise ConnectorError(f"connector {code} already exists")
    parsed = {key: _parse(conn, key, value) for key, value in values.items()
              if value is not None}
    connector = Connector(code, {k: v for k, v in parsed.items() if v != ""})
    connector.check(conn)
    conn.execute(delete(connector_settings).where(connector_settings.c.connector == code))
    conn.execute(insert(connector_settings), [
        {"connector": code, "key": key, "value": value}
        for key, value in connector.values.items()])
    return connector


def set_value(conn: Connection, code: str, key: str, value: str) -> Connector:
    """Set one key (checked with the others); `ConnectorError` and nothing changed."""
    current = load_connector(conn, code)
    parsed = _parse(conn, key, value)
    values = {k: v for k, v in current.values.items() if k != key}
    if parsed != "":
        values[key] = parsed
    connector = Connector(current.code, values)
    connector.check(conn)
    table = connector_settings
    where = (table.c.connector == current.code) & (table.c.key == key)
    if parsed == "":
        conn.execute(delete(table).where(where))
    elif key in current.values:
        conn.execute(update(table).where(where).values(value=parsed))
    else:
        conn.execute(insert(table).values(connector=current.code, key=key, value=parsed))
    return connector


def delete_connector(conn: Connection, code: str) -> None:
    """Remove a connector's settings and correspondences (its history stays)."""
    connector = load_connector(conn, code)
    conn.execute(delete(article_correspondences)
                 .where(article_correspondences.c.connector == connector.code))
    conn.execute(delete(connector_settings)
                 .where(connector_settings.c.connector == connector.code))
