import re
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from comptoir.automation.catalog import RunContext
from comptoir.automation.types import db_backup, db_maintenance
from comptoir.exchange.endpoints import LocalDelivery


def context(engine, tmp_path: Path, lines: list[str]) -> RunContext:
    return RunContext("t", "r", engine, tmp_path, datetime(2024, 1, 2), None, lines.append)


def test_maintenance_logs_every_table_then_the_total(engine, tmp_path):
    with engine.begin() as conn:  # a name that only works quoted
        conn.execute(text('CREATE TABLE "Odd Name" (id INTEGER PRIMARY KEY)'))
        conn.execute(text('CREATE INDEX "ix Odd" ON "Odd Name" (id)'))
    logged: list[str] = []
    output = db_maintenance.run(context(engine, tmp_path, logged), db_maintenance.Options())
    assert output.files == []
    assert "REINDEX «customers»" in logged and "REINDEX «Odd Name»" in logged
    vacuum = "VACUUM «customers»" if engine.dialect.name == "postgresql" else "ANALYZE «customers»"
    assert vacuum in logged
    assert logged.index("REINDEX «settings»") < logged.index(vacuum)
    assert logged[-1].startswith("Database maintenance of ")
    assert re.search(r" tables finished without error in \d+ s$", logged[-1])
    assert output.summary == [logged[-1]]


def test_maintenance_steps_can_be_left_out(engine, tmp_path):
    logged: list[str] = []
    db_maintenance.run(context(engine, tmp_path, logged), db_maintenance.Options(reindex=False))
    assert not any(line.startswith("REINDEX") for line in logged)


def test_backup_is_a_consistent_copy_of_the_dossier(engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO settings (key, value) VALUES ('company_name', 'Chez Nous')"))
    output = db_backup.run(context(engine, tmp_path, []), db_backup.Options())
    (produced,) = output.files
    if engine.dialect.name == "postgresql":
        assert produced.path.read_bytes()[:5] == b"PGDMP"  # pg_dump custom format
        assert "pg_dump custom archive" in output.summary[0]
    else:
        copy = sqlite3.connect(produced.path)
        assert copy.execute("SELECT value FROM settings").fetchone() == ("Chez Nous",)
        copy.close()


def test_retention_keeps_the_newest_local_backups(comptoir_home, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    template = "comptoir-{y}{m}{d}.backup"
    for day in range(1, 6):
        path = folder / f"comptoir-202401{day:02d}.backup"
        path.write_text("x")
        stamp = 1_700_000_000 + day * 86400
        import os
        os.utime(path, (stamp, stamp))
    (folder / "notes.txt").write_text("kept")
    removed: list[str] = []
    db_backup.prune(LocalDelivery(method="local", path=str(folder)), template,
                    db_backup.Options(retention=2), removed.append)
    assert sorted(p.name for p in folder.iterdir()) == [
        "comptoir-20240104.backup", "comptoir-20240105.backup", "notes.txt"]
    assert len(removed) == 3
