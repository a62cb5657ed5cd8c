"""DAG tests: an Airflow metadata database, migrated once per session in the test AIRFLOW_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_DB = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The test Airflow's metadata database, migrated."""
    if not AIRFLOW_DB.exists():
        airflow = Path(sys.executable).with_name("airflow")
        subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True,
                       env=dict(os.environ))
    return AIRFLOW_DB


@pytest.fixture
def project_definition(request: pytest.FixtureRequest, tasks_dir: Path) -> Path:
    """The project's own definition of the test module's `TASK` (tasks/<TASK>.json), in the
    test's tasks folder."""
    task = request.module.TASK
    (tasks_dir / f"{task}.json").write_text((ROOT / "tasks" / f"{task}.json").read_text())
    return tasks_dir
