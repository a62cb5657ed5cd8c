"""Bulk writes into the dossier, inside the caller's transaction.

PostgreSQL: `COPY … FROM STDIN (FORMAT csv)` through psycopg on the transaction's own
connection. SQLite: one `executemany`. Frames hold database column names; a column named
in `scales` holds exact decimals as integers scaled by 10**scale (never floats).
Updates (modify mode) change only the values given: `col = COALESCE(:col, col)`.

What big files take off the tables they fill, and put back: `bulk`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, String, Table, bindparam, cast, func, select

from comptoir.backoffice.schema import counters
from comptoir.errors import ComptoirError
from comptoir.imports import values


class WriteError(ComptoirError):
    """The database refused a bulk write (the whole run is rolled back)."""


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _python_column(series: pd.Series, scale: int | None) -> list[object]:
    if scale is not None:
        return [values.scaled_to_decimal(v, scale) for v in series.astype("Int64").tolist()]
    if pd.api.types.is_datetime64_any_dtype(series):
        return values.to_dates(series)
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        return [None if v is pd.NA else bool(v) for v in series.astype("boolean").tolist()]
    if pd.api.types.is_integer_dtype(series):
        return [None if v is pd.NA else int(v) for v in series.astype("Int64").tolist()]
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
            for v in series.astype("object").tolist()]


def records(frame: pd.DataFrame, scales: Mapping[str, int] | None = None) -> list[dict]:
    """The frame as database-ready dicts (Decimal, date, bool, int, str, None)."""
    scales = scales or {}
    columns = {c: _python_column(frame[c], scales.get(c)) for c in frame.columns}
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _arrow_column(series: pd.Series, scale: int | None) -> pa.Array:
    if scale is not None:
        return values.scaled_text(series, scale)
    if pd.api.types.is_datetime64_any_dtype(series):
        return pa.array(series, type=pa.date32(), from_pandas=True)
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        return pa.array(series.astype("boolean"), type=pa.bool_(), from_pandas=True)
    if pd.api.types.is_integer_dtype(series):
        return pa.array(series.astype("Int64"), type=pa.int64(), from_pandas=True)
    return pa.array(series.astype("str"), type=pa.string(), from_pandas=True)


def copy_frame(conn: Connection, table: Table, frame: pd.DataFrame,
               scales: Mapping[str, int] | None = None) -> None:
    """PostgreSQL COPY of the frame into `table`, in the connection's transaction."""
    scales = scales or {}
    arrow = pa.table({c: _arrow_column(frame[c], scales.get(c)) for c in frame.columns})
    buffer = io.BytesIO()
    pacsv.write_csv(arrow, buffer, pacsv.WriteOptions(include_header=False,
                                                      quoting_style="needed"))
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    raw = conn.connection.driver_connection
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
            f'COPY "{table.name}" ({columns}) FROM STDIN (FORMAT csv)'
        ) as copy:
            view = buffer.getbuffer()
            for start in range(0, len(view), 1 << 22):
                copy.write(view[start:start + (1 << 22)])
            view.release()
    except dbapi_error as exc:
        first = str(exc).strip().splitlines()
        raise WriteError(f"{table.name}: {first[0] if first else type(exc).__name__}") from exc


def joined_values(conn: Connection, table: Table, column: str) -> str:
    """Every non-null value of `table.column` as ONE text, newline-separated (unordered).

    The database joins them (`string_agg`, `group_concat`): one round trip and no Python
    object per value, where a re-run of a big file reads the million codes it wrote.
    """
    col = table.c[column]
    joiner = func.string_agg if is_postgres(conn) else func.group_concat
    joined = conn.execute(select(joiner(cast(col, String), values.CODE_SEPARATOR))
                          .where(col.is_not(None))).scalar()
    return joined or ""


def insert(conn: Connection, table: Table, frame: pd.DataFrame,
           scales: Mapping[str, int] | None = None) -> int:
    """Insert every row of the frame: COPY on PostgreSQL, executemany on SQLite."""
    if frame.empty:
        return 0
    if is_postgres(conn):
        copy_frame(conn, table, frame, scales)
    else:
        conn.execute(table.insert(), records(frame, scales))
    return len(frame)


def update(conn: Connection, table: Table, key: str, frame: pd.DataFrame,
           scales: Mapping[str, int] | None = None) -> int:
    """Update rows found by `key`; a null value leaves the column as it is."""
    if frame.empty:
        return 0
    columns = [c for c in frame.columns if c != key]
    statement = (
        table.update()
        .where(table.c[key] == bindparam("_key"))
        .values({c: func.coalesce(bindparam(f"_v_{c}", type_=table.c[c].type), table.c[c])
                 for c in columns})
    )
    rows = records(frame, scales)
    params = [{"_key": r[key], **{f"_v_{c}": r[c] for c in columns}} for r in rows]
    conn.execute(statement, params)
    return len(frame)


def id_map(conn: Connection, table: Table, column: str = "code") -> dict:
    """code → id of a table (all of it; small referentials are read once per run)."""
    query = select(table.c[column], table.c.id)
    return dict(conn.execute(query).all())


def reserve_numbers(conn: Connection, name: str, count: int) -> int:
    """Reserve `count` consecutive numbers of the counter `name`; returns the first."""
    current = conn.execute(
        select(counters.c.value).where(counters.c.name == name).with_for_update()
    ).scalar_one_or_none()
    if current is None:
        conn.execute(counters.insert().values(name=name, value=count))
        return 1
    conn.execute(counters.update().where(counters.c.name == name)
                 .values(value=current + count))
    return current + 1

