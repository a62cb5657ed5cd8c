"""The Comptoir view in a real `airflow api-server` (started once for the module on a free
loopback port, stopped after): Airflow lists the plugin, its pages answer a logged-in user
and refuse an anonymous request, and "retry now" triggers the spool retry DAG as the user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers.airflow import ApiServer, running_api_server


@pytest.fixture(scope="module")
def api_server(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    folder = tmp_path_factory.mktemp("api-server")
    (folder / "tasks").mkdir()
    with running_api_server(folder, folder / "home", folder / "tasks") as server:
        yield server


def test_airflow_lists_the_plugin_with_its_app_and_navigation(api_server: ApiServer) -> None:
    answer = httpx.get(f"{api_server.url}/api/v2/plugins", timeout=30,
                       headers={"Authorization": f"Bearer {api_server.tokens['admin']}"})
    names = [p["name"] for p in answer.json()["plugins"]]
    assert names.count("comptoir") == 1  # plugins/.airflowignore: not again from ui/plugin.py
    plugins = {p["name"]: p for p in answer.json()["plugins"]}
    comptoir = plugins["comptoir"]
    assert comptoir["fastapi_apps"][0]["url_prefix"] == "/comptoir"
    views = {v["name"]: v for v in comptoir["external_views"]}
    assert set(views) >= {"Task reports", "Imports", "Spool"}
    assert {v["category"] for v in views.values()} == {"Comptoir"}
    assert views["Spool"]["href"] == "/comptoir/spool"
    errors = httpx.get(f"{api_server.url}/api/v2/plugins/importErrors", timeout=30,
                       headers={"Authorization": f"Bearer {api_server.tokens['admin']}"}).json()
    assert errors["import_errors"] == []


def test_a_page_answers_a_logged_in_user_and_refuses_an_anonymous_one(
        api_server: ApiServer) -> None:
    anonymous = httpx.get(f"{api_server.url}/comptoir/reports", timeout=30)
    assert anonymous.status_code == 401
    page = httpx.get(f"{api_server.url}/comptoir/reports", timeout=30,
                     cookies={"_token": api_server.tokens["viewer"]})
    assert page.status_code == 200
    assert "Task reports" in page.text


def test_retry_now_triggers_the_spool_retry_dag_as_the_user(api_server: ApiServer) -> None:
    def retry(user: str) -> httpx.Response:
        return httpx.post(f"{api_server.url}/comptoir/api/spool/retry", json={}, timeout=60,
                          headers={"Authorization": f"Bearer {api_server.tokens[user]}"})

    refused = retry("viewer")  # Airflow's own decision: a viewer may not trigger a DAG
    assert refused.status_code == 403, refused.text
    triggered = retry("admin")
    assert triggered.status_code == 200, triggered.text
    run = triggered.json()
    assert run["dag_id"] == "comptoir_spool_retry" and run["run_id"].startswith("manual__")
    runs = httpx.get(f"{api_server.url}/api/v2/dags/comptoir_spool_retry/dagRuns", timeout=30,
                     headers={"Authorization": f"Bearer {api_server.tokens['admin']}"}).json()
    assert run["run_id"] in [r["dag_run_id"] for r in runs["dag_runs"]]
