"""`db_backup` ("Sauvegarde de la base"): a consistent backup of the dossier, delivered.

PostgreSQL: `pg_dump --format=custom` (one snapshot; restore with `pg_restore`). The
password goes to pg_dump through its environment, never its command line. The pg_dump
used is `COMPTOIR_PG_DUMP` if set, else the newest one found on PATH or in
`/usr/lib/postgresql/*/bin`; it must not be older than the server.
SQLite: the online backup API (a consistent copy while the dossier is in use).

The backup file is delivered like any other output (through the spool). For a `local`
delivery, `retention` keeps that many backups in the folder: older files whose names
match the file-name template are removed after each delivery.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import name_pattern, uses_store
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from comptoir.automation.catalog import RunContext

PG_DUMP_ENV = "COMPTOIR_PG_DUMP"


class BackupError(ComptoirError):
    """The backup could not be made."""


class Options(BaseModel):
    """Options of `db_backup`."""

    model_config = ConfigDict(extra="forbid")

    retention: int = Field(
        default=7, ge=0, le=1000, title="Backups kept",
        description="Local deliveries only: how many backups to keep in the folder (the "
        "oldest are removed). 0 keeps them all.",
        json_schema_extra={"section": "Retention"},
    )


def check(options: BaseModel, filename: str | None) -> None:
    """A backup is one file: no `{mag:...}`."""
    if filename and uses_store(filename):
        raise ValueError("output.filename: a backup is one file; remove the {mag:...} tag")


def _version(binary: str) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30,
                         check=False).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def find_pg_dump(server_major: int) -> str:
    """The pg_dump to use for a server of major version `server_major`."""
    if os.environ.get(PG_DUMP_ENV):
        return os.environ[PG_DUMP_ENV]
    candidates = sorted(set(glob.glob("/usr/lib/postgresql/*/bin/pg_dump")))
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(on_path)
    if not candidates:
        raise BackupError(
            f"pg_dump is not installed: install the PostgreSQL client {server_major} "
            f"(postgresql-client-{server_major}) or set {PG_DUMP_ENV}"
        )
    best = max(candidates, key=_version)
    found = _version(best)
    if found < server_major:
        raise BackupError(
            f"pg_dump {found} ({best}) is older than the server ({server_major}): install "
            f"postgresql-client-{server_major} or set {PG_DUMP_ENV}"
        )
    return best


def _pg_dump(engine: Engine, target: Path) -> None:
    from sqlalchemy import text

    with engine.connect() as conn:
        server_major = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    url = engine.url
    binary = find_pg_dump(server_major)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = [binary, "--format=custom", "--no-password", f"--file={target}"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    args.append(url.database or "postgres")
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip() or done.returncode}")


def _sqlite_backup(engine: Engine, target: Path) -> None:
    source_file = engine.url.database
    if not source_file or source_file == ":memory:":
        raise BackupError("the dossier is an in-memory SQLite database: nothing to back up")
    source = sqlite3.connect(source_file)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent backup of the dossier at `engine` into `target`."""
    if engine.dialect.name == "postgresql":
        _pg_dump(engine, target)
    elif engine.dialect.name == "sqlite":
        _sqlite_backup(engine, target)
    else:
        raise BackupError(f"no backup method for {engine.dialect.name}")


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Back the dossier up into the work folder."""
    kind = "pg_dump custom archive" if ctx.engine.dialect.name == "postgresql" else "SQLite copy"
    target = ctx.work_dir / "backup"
    backup(ctx.engine, target)
    size = target.stat().st_size
    ctx.log(f"backup written ({kind}, {size} bytes)")
    return TaskOutput(files=[ProducedFile(target)], summary=[f"Backup: {kind}, {size} bytes"])


def prune(delivery: Any, filename: str, options: Options, log: Callable[[str], None]) -> None:
    """Keep the `retention` newest backups of this task in a local delivery folder."""
    if options.retention == 0 or getattr(delivery, "method", None) != "local":
        return
    folder = delivery.folder()
    pattern = name_pattern(filename)
    backups = sorted(
        (p for p in folder.iterdir() if p.is_file() and pattern.match(p.name)),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    for old in backups[options.retention:]:
        old.unlink(missing_ok=True)
        log(f"retention: removed the old backup {old.name}")


TASK_TYPE = TaskType(
    name="db_backup",
    title="Sauvegarde de la base",
    category=Category.SYSTEME,
    description=(
        "Makes a consistent backup of the dossier (pg_dump custom format on PostgreSQL, the "
        "online backup API on SQLite) and delivers it like any other output; a local "
        "delivery keeps the last N backups."
    ),
    options=Options,
    run=run,
    default_filename="comptoir-{y}{m}{d}-{h}{i}{s}.backup",
    check=check,
    after_delivery=prune,
)
