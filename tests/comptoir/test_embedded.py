"""The embedded Airflow environment: the user's own AIRFLOW_HOME, or the embedded home."""

import os
import subprocess
import sys

from comptoir import paths
from comptoir.embedded import airflow_environment

AIRFLOW_CONN = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"


def without_airflow(environ: dict[str, str]) -> dict[str, str]:
    """An environment with no Airflow setting at all, as a new user's shell has."""
    return {k: v for k, v in environ.items() if not k.startswith("AIRFLOW")}


def test_without_airflow_home_the_embedded_home_gets_its_sqlite_database(comptoir_home):
    env = airflow_environment(without_airflow(dict(os.environ)))
    assert env["AIRFLOW_HOME"] == str(comptoir_home / "airflow")
    assert env[AIRFLOW_CONN] == f"sqlite:///{comptoir_home / 'airflow' / 'airflow.db'}"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(paths.PROJECT_ROOT / "dags")


def test_a_users_airflow_home_keeps_its_own_configuration(comptoir_home, tmp_path, monkeypatch):
    own = tmp_path / "my-airflow"
    env = airflow_environment({**without_airflow(dict(os.environ)), "AIRFLOW_HOME": str(own)})
    assert env["AIRFLOW_HOME"] == str(own)
    assert AIRFLOW_CONN not in env and "AIRFLOW__CORE__EXECUTOR" not in env  # its airflow.cfg
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(paths.PROJECT_ROOT / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(paths.PROJECT_ROOT / "plugins")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["COMPTOIR_HOME"] == str(comptoir_home)

    postgres = "postgresql://airflow@db/airflow"
    kept = airflow_environment({"AIRFLOW_HOME": str(own), AIRFLOW_CONN: postgres})
    assert kept[AIRFLOW_CONN] == postgres

    monkeypatch.setenv("AIRFLOW_HOME", str(own))
    assert paths.airflow_home() == own
    monkeypatch.delenv("AIRFLOW_HOME")
    assert paths.airflow_home() == comptoir_home / "airflow"


def test_a_relative_airflow_home_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = airflow_environment({"AIRFLOW_HOME": "here"})
    assert env["AIRFLOW_HOME"] == str(tmp_path.resolve() / "here")


def test_the_makefile_shell_gets_the_embedded_home_under_var_when_nothing_is_set(tmp_path):
    # `make demo` and `make airflow` eval `python -m comptoir.embedded` in a plain shell.
    env = without_airflow(dict(os.environ))
    env.pop("COMPTOIR_HOME")
    script = f'eval "$({sys.executable} -m comptoir.embedded)" && ' \
             'echo "$AIRFLOW_HOME|$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN|$AIRFLOW__CORE__DAGS_FOLDER"'
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          check=True, timeout=60)
    var = paths.PROJECT_ROOT / "var"
    assert done.stdout.strip().split("|") == [
        str(var / "airflow"), f"sqlite:///{var / 'airflow' / 'airflow.db'}",
        str(paths.PROJECT_ROOT / "dags")]
