"""DAG tests: the project's task definitions (the metadata database is `airflow_db`, in
tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project_definition(request: pytest.FixtureRequest, tasks_dir: Path) -> Path:
    """The project's own definition of the test module's `TASK` (tasks/<TASK>.json), in the
    test's tasks folder."""
    task = request.module.TASK
    (tasks_dir / f"{task}.json").write_text((ROOT / "tasks" / f"{task}.json").read_text())
    return tasks_dir
