"""Airflow ready for a run the `comptoir` command started: its metadata database migrated.

`comptoir_airflow.run_task` and `comptoir_airflow.check_delivery` call `prepared()` first,
in the process that loads Airflow anyway: Airflow's own configuration (the environment,
else the home's `airflow.cfg`) says where the metadata database is, so checking it costs a
query, not another Airflow start. A SQLite database without Airflow's tables is migrated
on first use (`airflow db migrate`), one process at a time (a lock file of the Airflow
home); any other database belongs to a deployment, which migrates its own.

What goes wrong is one line for the user, after `UNAVAILABLE_MARKER`; lines after
`NOTICE_MARKER` are shown to the user even when Airflow's output is not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from comptoir import paths
from comptoir.embedded import NOTICE_MARKER, UNAVAILABLE_MARKER
from comptoir.errors import ComptoirError
from comptoir.exchange.files import locked

METADATA_LOCK = "metadata-db.lock"


class MetadataUnavailable(ComptoirError):
    """Airflow's metadata database cannot be used; the message says why."""


def notice(text: str) -> None:
    """Print a line the `comptoir` command shows its user (e.g. that it waits for a lock)."""
    print(NOTICE_MARKER + text, flush=True)


def first_line(text: str) -> str:
    """The first non-blank line of `text` (the gist of an error message)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def last_line(text: str) -> str:
    """The last non-blank line of `text` (the exception at the end of a traceback)."""
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")


def _has_airflow_tables(engine) -> bool:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() > 0


def ensure_metadata_db() -> None:
    """Migrate a SQLite metadata database on first use; `MetadataUnavailable` if unusable."""
    from airflow import settings
    from sqlalchemy.exc import SQLAlchemyError

    engine = settings.get_engine()
    url = engine.url  # str() hides a password
    sqlite = url.get_backend_name() == "sqlite"
    waiting = "another process is preparing Airflow's metadata database: waiting for it to finish"
    with locked(paths.airflow_locks_dir() / METADATA_LOCK, on_wait=lambda: notice(waiting)):
        try:
            if sqlite and url.database:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            if _has_airflow_tables(engine):
                return
        except OSError as exc:
            raise MetadataUnavailable(f"cannot open Airflow's metadata database {url}: "
                                      f"{exc.strerror or exc} ({exc.filename})") from None
        except SQLAlchemyError as exc:
            raise MetadataUnavailable(f"cannot open Airflow's metadata database {url}: "
                                      f"{first_line(str(exc.orig or exc))}") from None
        if not sqlite:
            raise MetadataUnavailable(f"Airflow's metadata database {url} has no Airflow "
                                      "tables yet: run `airflow db migrate` first")
        done = subprocess.run([str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise MetadataUnavailable(f"`airflow db migrate` failed on {url}: "
                                      f"{last_line(done.stderr) or last_line(done.stdout)}")


def prepared() -> bool:
    """Ensure the metadata database; on failure print the one line the user sees and say so."""
    try:
        ensure_metadata_db()
    except Exception as exc:  # a broken airflow.cfg too: one line, never a traceback
        reason = str(exc) if isinstance(exc, ComptoirError) else \
            f"{type(exc).__name__}: {first_line(str(exc))}"
        print(UNAVAILABLE_MARKER + " ".join(reason.split()), flush=True)
        return False
    return True
