"""Door-counter files of `passage_counters`: read, checked row by row, upserted in `store_traffic`.

A file is `;`-separated with the header `MAGASIN;DATE;HEURE;ENTREES` (other columns
ignored, names compared without case): store code, date (`DD/MM/YYYY` or `YYYY-MM-DD`),
hour 0–23 (empty: the whole day), visitors entering (an integer ≥ 0). A row that breaks a
rule is rejected with one reason (`ligne 13 : magasin inconnu MAG99`); lines are counted
from the header (line 1). Two rows of one file for the same (store, date, hour): the
later one counts, as a corrected file would.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["COLUMNS", "Count", "TrafficFile", "parse", "upsert"]

COLUMNS = ("MAGASIN", "DATE", "HEURE", "ENTREES")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
DIGITS = re.compile(r"[0-9]+")
#: Rows per INSERT … ON CONFLICT statement.
CHUNK = 1000


@dataclass(frozen=True)
class Count:
    """One accepted row."""

    depot_id: int
    date: dt.date
    hour: int | None
    visitors: int


@dataclass
class TrafficFile:
    """What a file holds: its accepted rows, its rejected ones, or why it is refused whole."""

    counts: list[Count] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    error: str | None = None

    def unique(self) -> list[Count]:
        """The accepted rows, one per (store, date, hour): the later one wins."""
        last = {(c.depot_id, c.date, c.hour): c for c in self.counts}
        return list(last.values())


def _date(raw: str) -> dt.date | None:
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def _problem(values: dict[str, str], stores: dict[str, int]) -> str | Count:
    """The reason a row is rejected, else its `Count`."""
    store, raw_date, raw_hour, raw_count = (values[c] for c in COLUMNS)
    if not store:
        return "magasin manquant"
    if store not in stores:
        return f"magasin inconnu {store}"
    if not raw_date:
        return "date manquante"
    day = _date(raw_date)
    if day is None:
        return f"date invalide {raw_date}"
    hour = None
    if raw_hour:
        if not DIGITS.fullmatch(raw_hour) or int(raw_hour) > 23:
            return f"heure invalide {raw_hour}"
        hour = int(raw_hour)
    if not raw_count:
        return "entrées manquantes"
    if not DIGITS.fullmatch(raw_count):
        return f"entrées invalides {raw_count}"
    return Count(stores[store], day, hour, int(raw_count))


def parse(text: str, stores: dict[str, int]) -> TrafficFile:
    """Read a counter file; `stores`: store code → depot id of the dossier's stores."""
    result = TrafficFile()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = next(reader, None)
    names = [name.strip().upper() for name in header or []]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        result.error = ("fichier vide" if header is None
                        else f"colonnes manquantes : {', '.join(missing)}")
        return result
    where = {c: names.index(c) for c in COLUMNS}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        values = {c: (row[i].strip() if i < len(row) else "") for c, i in where.items()}
        found = _problem(values, stores)
        if isinstance(found, Count):
            result.counts.append(found)
        else:
            result.rejected.append(f"ligne {reader.line_num} : {found}")
    return result


def upsert(conn: Connection, counts: list[Count], source_file: str,
           moment: dt.datetime) -> None:
    """Insert the rows, replacing the figures already there for the same key.

    The key is the unique index (depot_id, date, coalesce(hour, -1)); one multi-row
    `INSERT … ON CONFLICT DO UPDATE` per `CHUNK` rows, on PostgreSQL and SQLite alike.
    """
    from sqlalchemy import literal_column

    from comptoir.backoffice.schema import store_traffic as t

    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows: list[dict[str, Any]] = [
        {"depot_id": c.depot_id, "date": c.date, "hour": c.hour, "visitors": c.visitors,
         "source_file": source_file[:255], "imported_at": moment} for c in counts]
    for start in range(0, len(rows), CHUNK):
        statement = insert(t).values(rows[start:start + CHUNK])
        conn.execute(statement.on_conflict_do_update(
            index_elements=[t.c.depot_id, t.c.date, literal_column("coalesce(hour, -1)")],
            set_={"visitors": statement.excluded.visitors,
                  "source_file": statement.excluded.source_file,
                  "imported_at": statement.excluded.imported_at}))
