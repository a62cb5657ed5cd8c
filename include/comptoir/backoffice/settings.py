"""Dossier settings: a small key/value table with known keys, defaults and validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import Connection, select

from comptoir.backoffice.schema import settings as settings_table
from comptoir.errors import ComptoirError


class SettingError(ComptoirError):
    """An unknown setting, or a value it does not accept."""


def _on_off(value: str) -> str:
    v = value.strip().lower()
    if v not in {"on", "off"}:
        raise ValueError("expected on or off")
    return v


def _timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("expected an IANA time zone such as Europe/Paris")
    ZoneInfo(value)
    return value


def _code(value: str) -> str:
    v = value.strip()
    if not v or len(v) > 40:
        raise ValueError("expected a code of 1 to 40 characters")
    return v


def _text(value: str) -> str:
    return value.strip()


@dataclass(frozen=True)
class Setting:
    """A known setting: its default and what it means."""

    key: str
    default: str | None
    description: str
    parse: Callable[[str], str]


KNOWN: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("company_name", "Comptoir", "Name of the business, printed on reports", _text),
        Setting("timezone", "Europe/Paris", "Time zone of the dossier (file-name tags)", _timezone),
        Setting("default_regime", None, "Tax regime given to imported third parties "
                "without one", _code),
        Setting("purchases_module", "on", "Purchases and stock module: on or off", _on_off),
        Setting("default_supplier", None, "Supplier given to imported articles when the "
                "purchases module is off", _code),
        Setting("isolated_mode", "off", "Isolated mode: scheduled tasks are skipped", _on_off),
        Setting("school_mode", "off", "School mode: scheduled tasks are skipped", _on_off),
    ]
}


def _known(key: str) -> Setting:
    try:
        return KNOWN[key]
    except KeyError:
        raise SettingError(
            f"unknown setting {key!r}; known settings: {', '.join(sorted(KNOWN))}"
        ) from None


def get_setting(conn: Connection, key: str) -> str | None:
    """The value of `key` in the dossier, or its default."""
    setting = _known(key)
    value = conn.execute(
        select(settings_table.c.value).where(settings_table.c.key == key)
    ).scalar_one_or_none()
    return setting.default if value is None else value


def set_setting(conn: Connection, key: str, value: str) -> str:
    """Validate and store `value` for `key`; returns the stored value."""
    setting = _known(key)
    try:
        parsed = setting.parse(value)
    except ValueError as exc:
        raise SettingError(f"invalid value {value!r} for {key}: {exc}") from None
    updated = conn.execute(
        settings_table.update().where(settings_table.c.key == key).values(value=parsed)
    )
    if updated.rowcount == 0:
        conn.execute(settings_table.insert().values(key=key, value=parsed))
    return parsed


def all_settings(conn: Connection) -> dict[str, str | None]:
    """Every known setting with its current value."""
    stored = dict(conn.execute(select(settings_table.c.key, settings_table.c.value)).all())
    return {key: stored.get(key, s.default) for key, s in sorted(KNOWN.items())}
