"""Two imports of one dossier at once, as two real `comptoir import` processes: they take
turns on the dossier's import lock. The second one controls against what the first one
wrote; past the wait, one plain line and nothing written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from comptoir.imports.lock import ADVISORY_KEY, WAIT_ENV
from tests.comptoir.imports.conftest import count

ROWS = 3000


def start(url: str, path: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from comptoir.cli import main; main()", "import", "customers",
         str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COMPTOIR_DATABASE_URL": url, **env})


def customers_file(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text("CODE;DESIG;REGIME_CODE\n" + "".join(
        f"C{i:05d};Client {i};FR\n" for i in range(ROWS)))
    return path


@pytest.fixture
def dossier(engine):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tax_regimes (code, name) VALUES ('FR', 'France')"))
    return engine


def test_two_imports_at_once_take_turns_and_never_fail_on_the_database(
        dossier_url, dossier, tmp_path: Path) -> None:
    path = customers_file(tmp_path)
    first, second = start(dossier_url, path), start(dossier_url, path)
    outcomes = [(p.wait(timeout=240), *p.communicate()) for p in (first, second)]

    assert sorted(code for code, _, _ in outcomes) == [0, 3], outcomes
    for _, stdout, stderr in outcomes:
        assert "deadlock" not in stdout + stderr and "Traceback" not in stdout + stderr
        assert "duplicate key" not in stdout + stderr
    loser = next(stdout for code, stdout, _ in outcomes if code == 3)
    assert f"{ROWS} records, 0 accepted, {ROWS} rejected" in loser
    assert "already_exists" in loser
    assert count(dossier, "customers") == ROWS


def test_past_the_wait_one_plain_line_and_nothing_written(
        dossier_url, dossier, tmp_path: Path) -> None:
    path = customers_file(tmp_path)
    url = make_url(dossier_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the dossier
        release = holder.rollback
    else:
        engine = create_engine(dossier_url)
        connection = engine.connect()
        transaction = connection.begin()
        connection.execute(select(text(f"pg_advisory_xact_lock({ADVISORY_KEY})")))

        def release() -> None:
            transaction.rollback()
            connection.close()
            engine.dispose()
    try:
        blocked = start(dossier_url, path, **{WAIT_ENV: "1"})
        code = blocked.wait(timeout=120)
        stdout, stderr = blocked.communicate()
    finally:
        release()
    assert code == 1, stdout + stderr
    assert [line for line in stderr.splitlines() if line.strip()] == [
        "error: another import of this dossier has been running for more than 1 s: nothing "
        f"was read or written; start this one again when it has finished (or set {WAIT_ENV} "
        "to wait longer)"]
    assert count(dossier, "customers") == 0

    done = start(dossier_url, path, **{WAIT_ENV: "1"})
    assert done.wait(timeout=120) == 0, done.communicate()
    assert count(dossier, "customers") == ROWS
