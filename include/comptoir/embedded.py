"""The embedded Airflow setup: one place that says how Airflow runs on this project locally.

Used by the Makefile (`make demo`, `make airflow`), by CLI commands that start Airflow in a
subprocess, and by tests. Airflow itself is not imported here.

    python -m comptoir.embedded          # prints `export NAME=value` lines for a shell

The Airflow home is the user's `AIRFLOW_HOME` when it is set: Airflow then reads its own
`airflow.cfg` and metadata database there, untouched. Without it, the embedded home
`airflow/` under the data home gets a SQLite metadata database and the LocalExecutor.
Either way Airflow finds this project's DAGs, plugins and task definitions.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from comptoir import paths

RESULT_MARKER = "COMPTOIR-RUN "
"""Starts the line `comptoir_airflow.run_task` prints after each DAG: its result as JSON."""

NOTICE_MARKER = "COMPTOIR-NOTICE "
"""Starts a line an Airflow-side module prints for the user (e.g. it waits for a lock)."""

UNAVAILABLE_MARKER = "COMPTOIR-UNAVAILABLE "
"""Starts the one line an Airflow-side module prints when Airflow could not be prepared."""

SPOOL_MARKER = "COMPTOIR-SPOOL "
"""Starts the line `comptoir_airflow.spool_retry` prints with its outcomes as JSON."""


def airflow_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an Airflow process of this project (values already set win).

    `AIRFLOW_HOME` is always set, as an absolute path: the user's own when `base` has
    one, else the embedded home, which alone gets the metadata database and executor.
    """
    env = dict(os.environ if base is None else base)
    own_home = env.get("AIRFLOW_HOME", "")
    home = Path(own_home).expanduser().resolve() if own_home else paths.embedded_airflow_home()
    env["AIRFLOW_HOME"] = str(home)
    project = {  # what makes Airflow see this project, whatever the home
        "AIRFLOW__CORE__DAGS_FOLDER": str(paths.PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(paths.PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "COMPTOIR_HOME": str(paths.home()),
        "COMPTOIR_TASKS_DIR": str(paths.tasks_dir()),
        "GX_ANALYTICS_ENABLED": "False",
    }
    embedded = {  # the embedded home's own configuration; a user's home has its airflow.cfg
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__CORE__PARALLELISM": str(machine_parallelism()),
    }
    for key, value in (project | ({} if own_home else embedded)).items():
        env.setdefault(key, value)
    plugins = str(paths.PROJECT_ROOT / "plugins")
    pythonpath = env.get("PYTHONPATH", "")
    if plugins not in pythonpath.split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, pythonpath) if p)
    venv_bin = os.path.dirname(sys.executable)
    if venv_bin not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = os.pathsep.join(p for p in (venv_bin, env.get("PATH", "")) if p)
    return env


EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - only when asked for (`make airflow HOST=0.0.0.0`)
"""The address that listens on every interface; the UI listens on 127.0.0.1 by default."""


def machine_parallelism() -> int:
    """Task instances run at once by the embedded home's LocalExecutor: one per CPU this
    process may use (at least 2), rather than Airflow's 32 idle workers on a small machine."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(2, cpus)


def ui_environment(host: str, port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """`airflow_environment` for `comptoir airflow`: the API server (UI) on `host`:`port`,
    and the task workers told where it is (Airflow assumes localhost:8080)."""
    env = airflow_environment(base)
    env["AIRFLOW__API__HOST"] = host
    env["AIRFLOW__API__PORT"] = str(port)
    local = "127.0.0.1" if host in (EVERY_INTERFACE, "") else "[::1]" if host == "::" else (
        f"[{host}]" if ":" in host else host)
    env.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f"http://{local}:{port}/execution/")
    return env


def _changed(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if os.environ.get(k) != v}


if __name__ == "__main__":
    for name, value in sorted(_changed(airflow_environment()).items()):
        print(f"export {name}={shlex.quote(value)}")
