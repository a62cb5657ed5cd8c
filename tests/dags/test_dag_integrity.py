"""Every DAG file imports cleanly, and every DAG says what it is, who owns it, how it retries."""

import time
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))


@pytest.fixture
def project_tasks(monkeypatch):
    """The project's own task definitions (the demo's)."""
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(ROOT / "tasks"))


@pytest.fixture
def bag(project_tasks) -> DagBag:
    return DagBag(dag_folder=str(ROOT / "dags"))


def test_every_dag_file_imports_without_error(bag):
    assert bag.import_errors == {}
    loaded = {Path(dag.fileloc).name for dag in bag.dags.values()}
    assert {"comptoir_tasks.py", "comptoir_spool_retry.py"} <= loaded


def test_every_dag_has_tags_owner_retries_and_docs(bag):
    for dag_id, dag in bag.dags.items():
        assert dag.tags, dag_id
        assert dag.doc_md, dag_id
        assert "retries" in dag.default_args, dag_id
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", (dag_id, task.task_id)


def test_no_project_task_definition_is_invalid(bag):
    assert not [d for d in bag.dags.values() if "invalid definition" in d.tags]
    assert {"export-stock-per-store", "weekly-maintenance", "nightly-backup"} <= set(bag.dags)


def test_the_dags_folder_parses_in_under_a_second(project_tasks):
    DagBag(dag_folder=str(ROOT / "dags"))  # warm imports, as a running dag-processor has them
    started = time.perf_counter()
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert time.perf_counter() - started < 1.0
    assert bag.import_errors == {} and len(bag.dags) >= 5
