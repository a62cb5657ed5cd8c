"""Test environment: an isolated data home, and the dossier on SQLite and PostgreSQL.

Every test that takes `dossier_url` (or `engine`) runs once per database: SQLite always,
PostgreSQL when `COMPTOIR_TEST_DATABASE_URL` names a server (CI sets it). Each test gets
its own freshly migrated database, copied from a template migrated once per session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="comptoir-tests-"))

# Before anything imports Airflow or Comptoir: nothing a test does touches var/.
os.environ["COMPTOIR_HOME"] = str(_SESSION_HOME / "home")
os.environ["COMPTOIR_TASKS_DIR"] = str(_SESSION_HOME / "tasks")
os.environ["AIRFLOW_HOME"] = str(_SESSION_HOME / "airflow")
# The same Airflow metadata database in this process and in the subprocesses tests start.
_AIRFLOW_DB = _SESSION_HOME / "airflow" / "airflow.db"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_DB}"
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["GX_ANALYTICS_ENABLED"] = "False"
os.environ.pop("COMPTOIR_DATABASE_URL", None)

PG_SERVER = os.environ.get("COMPTOIR_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_SERVER else [])


def _pg_admin():  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    from comptoir.backoffice.engine import normalize_url

    return create_engine(normalize_url(PG_SERVER), isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    from comptoir.backoffice.engine import normalize_url

    return make_url(normalize_url(PG_SERVER)).set(database=name).render_as_string(  # type: ignore[arg-type]
        hide_password=False
    )


@pytest.fixture(scope="session")
def _templates() -> Iterator[dict[str, str]]:
    """One migrated dossier per backend, copied by every test that needs one."""
    from comptoir.backoffice import migrate
    from comptoir.backoffice.engine import dispose_engines

    made: dict[str, str] = {}
    sqlite_file = _SESSION_HOME / "template.db"
    migrate.upgrade(f"sqlite:///{sqlite_file}")
    made["sqlite"] = str(sqlite_file)
    admin = None
    if PG_SERVER:
        from sqlalchemy import text

        admin = _pg_admin()
        name = f"comptoir_tpl_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        migrate.upgrade(_pg_url(name))
        made["postgresql"] = name
    dispose_engines()
    yield made
    dispose_engines()
    if admin is not None:
        from sqlalchemy import text

        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{made["postgresql"]}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def dossier_url(
    request: pytest.FixtureRequest,
    _templates: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """A new, migrated, empty dossier; also set as COMPTOIR_DATABASE_URL for the test."""
    from comptoir.backoffice.engine import dispose_engines

    backend = request.param
    if backend == "sqlite":
        target = tmp_path / "dossier.db"
        shutil.copyfile(_templates["sqlite"], target)
        url = f"sqlite:///{target}"
        monkeypatch.setenv("COMPTOIR_DATABASE_URL", url)
        yield url
        dispose_engines()
        return
    from sqlalchemy import text

    name = f"comptoir_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_templates["postgresql"]}"'))
    url = _pg_url(name)
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", url)
    try:
        yield url
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(dossier_url: str):  # type: ignore[no-untyped-def]
    """The engine of a fresh dossier (SQLite, then PostgreSQL when available)."""
    from comptoir.backoffice.engine import get_engine

    return get_engine(dossier_url)


@pytest.fixture
def comptoir_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data home of the test's own."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("COMPTOIR_HOME", str(home))
    return home


@pytest.fixture
def tasks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty tasks folder of the test's own, set as COMPTOIR_TASKS_DIR."""
    folder = tmp_path / "tasks"
    folder.mkdir()
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The test Airflow's metadata database, migrated once per session."""
    if not _AIRFLOW_DB.exists():
        import subprocess
        import sys

        airflow = Path(sys.executable).with_name("airflow")
        subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True,
                       env=dict(os.environ))
    return _AIRFLOW_DB
