"""Starting Airflow-side code from the CLI: a subprocess in the embedded Airflow environment.

The `comptoir` command never imports Airflow; commands that need it run
`python -m comptoir_airflow.<module>` with `comptoir.embedded.airflow_environment()`.
The CLI makes sure the Airflow home is a folder it can use; the subprocess, which loads
Airflow anyway, prepares the metadata database (`comptoir_airflow.preparation`) and says
in one line, after `UNAVAILABLE_MARKER`, when it cannot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comptoir import paths
from comptoir.embedded import (
    NOTICE_MARKER,
    RESULT_MARKER,
    UNAVAILABLE_MARKER,
    airflow_environment,
)
from comptoir.errors import ComptoirError


class AirflowUnavailable(ComptoirError):
    """Airflow could not be prepared or started."""


def prepare_home(env: dict[str, str]) -> None:
    """Create the Airflow home of `env` if needed; `AirflowUnavailable` if it is unusable."""
    home = Path(env["AIRFLOW_HOME"])
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AirflowUnavailable(f"cannot use the Airflow home {home} (AIRFLOW_HOME): "
                                 f"{exc.strerror or exc}") from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise AirflowUnavailable(f"cannot use the Airflow home {home} (AIRFLOW_HOME): "
                                 "it is not writable")


def log_file(name: str) -> Path:
    """A new log file under the data home's `logs/`."""
    folder = paths.home() / "logs" / "cli"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"


def run_module(module: str, args: list[str], *, log: Path, echo: bool = False) -> tuple[int, str]:
    """Run `python -m module args` in the embedded Airflow environment; return (status, output).

    The whole output goes to `log`; with `echo` it is printed as it comes too. Notices
    (e.g. waiting for another run) are always printed; `AirflowUnavailable` when the
    module says Airflow could not be prepared.
    """
    env = airflow_environment()
    prepare_home(env)
    lines: list[str] = []
    with open(log, "w", encoding="utf-8") as out, subprocess.Popen(
        [sys.executable, "-m", module, *args], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            lines.append(line)
            if line.startswith(NOTICE_MARKER):
                sys.stdout.write(line[len(NOTICE_MARKER):])
                sys.stdout.flush()
            elif echo:
                sys.stdout.write(line)
        status = process.wait()
    for line in lines:
        if line.startswith(UNAVAILABLE_MARKER):
            raise AirflowUnavailable(f"Airflow could not be prepared: "
                                     f"{line[len(UNAVAILABLE_MARKER):].strip()}")
    return status, "".join(lines)


def last_line(output: str) -> str:
    """The last non-blank line of a subprocess's output (the error a traceback ends with)."""
    return next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")


def run_results(output: str) -> list[dict[str, Any]]:
    """The results `comptoir_airflow.run_task` printed, one per DAG, in order."""
    return [json.loads(line[len(RESULT_MARKER):]) for line in output.splitlines()
            if line.startswith(RESULT_MARKER)]
