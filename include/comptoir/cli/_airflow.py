"""Starting Airflow-side code from the CLI: a subprocess in the embedded Airflow environment.

The `comptoir` command never imports Airflow; commands that need it run
`python -m comptoir_airflow.<module>` with `comptoir.embedded.airflow_environment()`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from comptoir import paths
from comptoir.embedded import airflow_environment
from comptoir.errors import ComptoirError


class AirflowUnavailable(ComptoirError):
    """Airflow could not be prepared or started."""


def ensure_metadata_db(env: dict[str, str]) -> None:
    """Create the embedded Airflow's SQLite metadata database on first use."""
    conn = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if not conn.startswith("sqlite"):
        return  # a real deployment migrates its own database
    database = make_url(conn).database
    if database and Path(database).exists():
        return
    done = subprocess.run([str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AirflowUnavailable(f"`airflow db migrate` failed:\n{done.stderr[-2000:]}")


def log_file(name: str) -> Path:
    """A new log file under the data home's `logs/`."""
    folder = paths.home() / "logs" / "cli"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"


def run_module(module: str, args: list[str], *, log: Path, echo: bool = False) -> tuple[int, str]:
    """Run `python -m module args` in the embedded Airflow environment; return (status, output).

    The whole output goes to `log`; with `echo` it is printed as it comes too.
    """
    env = airflow_environment()
    ensure_metadata_db(env)
    lines: list[str] = []
    with open(log, "w", encoding="utf-8") as out, subprocess.Popen(
        [sys.executable, "-m", module, *args], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            lines.append(line)
            if echo:
                sys.stdout.write(line)
        status = process.wait()
    return status, "".join(lines)


RESULT_MARKER = "COMPTOIR-RUN "  # printed after each DAG by comptoir_airflow.run_task


def run_results(output: str) -> list[dict[str, Any]]:
    """The results `comptoir_airflow.run_task` printed, one per DAG, in order."""
    return [json.loads(line[len(RESULT_MARKER):]) for line in output.splitlines()
            if line.startswith(RESULT_MARKER)]
