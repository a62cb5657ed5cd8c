"""The embedded Airflow setup: one place that says how Airflow runs on this project locally.

Used by the Makefile (`make demo`, `make airflow`), by CLI commands that start Airflow in a
subprocess, and by tests. Airflow itself is not imported here.

    python -m comptoir.embedded          # prints `export NAME=value` lines for a shell
"""

from __future__ import annotations

import os
import shlex
import sys

from comptoir import paths


def airflow_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an Airflow process of the embedded setup (values already set win)."""
    env = dict(os.environ if base is None else base)
    home = paths.airflow_home()
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(paths.PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(paths.PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "COMPTOIR_HOME": str(paths.home()),
        "COMPTOIR_TASKS_DIR": str(paths.tasks_dir()),
        "GX_ANALYTICS_ENABLED": "False",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    plugins = str(paths.PROJECT_ROOT / "plugins")
    pythonpath = env.get("PYTHONPATH", "")
    if plugins not in pythonpath.split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, pythonpath) if p)
    venv_bin = os.path.dirname(sys.executable)
    if venv_bin not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = os.pathsep.join(p for p in (venv_bin, env.get("PATH", "")) if p)
    return env


SPOOL_MARKER = "COMPTOIR-SPOOL "
"""Starts the line where `python -m comptoir_airflow.spool_retry` prints its outcomes (JSON)."""


def _changed(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if os.environ.get(k) != v}


if __name__ == "__main__":
    for name, value in sorted(_changed(airflow_environment()).items()):
        print(f"export {name}={shlex.quote(value)}")
