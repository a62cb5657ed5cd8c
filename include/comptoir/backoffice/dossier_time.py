"""The dossier's time zone (setting `timezone`) and its moments as ISO 8601 text.

SQLite keeps a timestamp without its offset: a moment the dossier wrote in its own zone
is read back naive, and is that zone's wall time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

__all__ = ["DEFAULT_ZONE", "aware", "dossier_zone", "local_iso"]

DEFAULT_ZONE = "Europe/Paris"


def dossier_zone(conn: Connection) -> ZoneInfo:
    """The dossier's time zone."""
    from comptoir.backoffice.settings import get_setting

    return ZoneInfo(get_setting(conn, "timezone") or DEFAULT_ZONE)


def aware(moment: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """`moment` in `zone` (a naive one is `zone`'s wall time)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def local_iso(moment: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """`moment` in `zone`, ISO 8601 with its offset (a naive one is `zone`'s wall time)."""
    found = aware(moment, zone)
    return None if found is None else found.isoformat()
