"""One data home: every file Comptoir writes by default lives under it.

`COMPTOIR_HOME` overrides the default `var/` folder at the project root. The Airflow home
is the user's `AIRFLOW_HOME` when set, else the embedded one under the data home.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath

from comptoir.exchange.names import CONTROL_CHARS

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def home() -> Path:
    """The data home (`COMPTOIR_HOME`, else `var/` at the project root)."""
    env = os.environ.get("COMPTOIR_HOME")
    return Path(env).expanduser().resolve() if env else PROJECT_ROOT / "var"


def dossier_file() -> Path:
    """The embedded SQLite dossier."""
    return home() / "comptoir.db"


def airflow_home() -> Path:
    """The Airflow home: `AIRFLOW_HOME` when set, else the embedded one."""
    env = os.environ.get("AIRFLOW_HOME")
    return Path(env).expanduser().resolve() if env else embedded_airflow_home()


def embedded_airflow_home() -> Path:
    """The Airflow home of the embedded setup, used when `AIRFLOW_HOME` is not set."""
    return home() / "airflow"


def airflow_locks_dir() -> Path:
    """Lock files of the runs the `comptoir` command starts on the Airflow home."""
    return airflow_home() / "comptoir-locks"


def spool_dir() -> Path:
    """Files waiting for delivery, one folder per task."""
    return home() / "spool"


def reports_dir() -> Path:
    """Run reports (imports, tasks)."""
    return home() / "reports"


def inbox_dir() -> Path:
    """Files waiting to be imported."""
    return home() / "inbox"


def outbox_dir() -> Path:
    """Local deliveries of the demo and of tasks with a relative path."""
    return home() / "outbox"


def exports_dir() -> Path:
    """Files the accounting commands export by default (the FEC)."""
    return home() / "exports"


def work_dir() -> Path:
    """Scratch folders of running tasks."""
    return home() / "work"


def mail_dir() -> Path:
    """File-based mail of the embedded setup: one .eml per message sent."""
    return home() / "mail"


def tasks_dir() -> Path:
    """Task definitions (`COMPTOIR_TASKS_DIR`, else `tasks/` at the project root)."""
    env = os.environ.get("COMPTOIR_TASKS_DIR")
    return Path(env).expanduser().resolve() if env else PROJECT_ROOT / "tasks"


def check_folder_setting(value: str, base_name: str) -> str:
    """Validate a folder typed by a user: POSIX, no control character, a relative one inside
    `base_name` (the folder it is relative to). Raises ValueError with the reason."""
    if CONTROL_CHARS.search(value):
        raise ValueError("the path contains a control character")
    if "\\" in value:
        raise ValueError("use a path with '/' separators (this is not a Windows path)")
    if not value.startswith("/"):
        normal = posixpath.normpath(value)
        if normal == ".." or normal.startswith("../"):
            raise ValueError(f"a relative path must stay inside the {base_name} folder")
    return value


def resolve_folder(value: str, base: Path, base_name: str) -> Path:
    """An absolute folder as given, a relative one under `base` (the `base_name` folder);
    ValueError if it leaves it."""
    if PurePosixPath(value).is_absolute():
        return Path(value)
    root = base.resolve()
    folder = (root / value).resolve()
    if folder != root and root not in folder.parents:
        raise ValueError(f"the local path {value!r} leads outside the {base_name} {root}")
    return folder
