"""The `comptoir db` and `comptoir settings` commands, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from comptoir.backoffice import migrate


def comptoir(*args: str, env_url: str | None = None, home: Path | None = None):
    import os

    env = dict(os.environ)
    if env_url:
        env["COMPTOIR_DATABASE_URL"] = env_url
    if home:
        env["COMPTOIR_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-c", "from comptoir.cli import main; main()", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


def test_db_init_creates_the_default_sqlite_dossier(comptoir_home: Path, monkeypatch) -> None:
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    result = comptoir("db", "init", home=comptoir_home)
    assert result.returncode == 0, result.stderr
    assert "dossier created" in result.stdout
    assert (comptoir_home / "comptoir.db").exists()
    again = comptoir("db", "init", home=comptoir_home)
    assert again.returncode == 0 and "already exists" in again.stdout


def test_settings_set_then_get(dossier_url: str) -> None:
    assert comptoir("settings", "set", "default_regime", "FR", env_url=dossier_url).returncode == 0
    got = comptoir("settings", "get", "default_regime", env_url=dossier_url)
    assert got.stdout.strip() == "FR"


def test_user_mistake_is_one_clear_line_without_traceback(dossier_url: str) -> None:
    result = comptoir("settings", "set", "purchases_module", "maybe", env_url=dossier_url)
    assert result.returncode == 1
    assert "invalid value 'maybe' for purchases_module" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_status_reports_an_outdated_dossier(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    result = comptoir("db", "status", env_url=url)
    assert result.returncode == 4 and "not created" in result.stdout
    migrate.upgrade(url)
    assert comptoir("db", "status", env_url=url).returncode == 0


def test_a_dossier_never_created_is_named_with_the_command_that_creates_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    for args in (("settings", "get", "timezone"), ("messages",),
                 ("import", "customers", str(tmp_path / "c.csv"))):
        result = comptoir(*args, env_url=url)
        assert result.returncode == 1, args
        assert "is not created yet: run `comptoir db init`" in result.stderr, args
        assert "Traceback" not in result.stderr + result.stdout, args


def test_an_unreachable_database_is_one_line_without_traceback() -> None:
    result = comptoir("db", "status", env_url="postgresql://nobody@127.0.0.1:1/dossier")
    assert result.returncode == 1
    assert "cannot use the dossier database: connection failed" in result.stderr
    assert "Traceback" not in result.stderr
