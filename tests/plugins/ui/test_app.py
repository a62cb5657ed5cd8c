"""The Comptoir view's FastAPI app, with real JWTs of Airflow's simple auth manager:
every endpoint refuses an anonymous request, a viewer sees only the DAGs they may read,
no path leaves the import reports."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from comptoir.automation.messages import Report, record
from comptoir.backoffice.schema import import_batches
from comptoir.exchange import spool
from tests.plugins.ui.conftest import token_for

GETS = ["/", "/reports", "/api/messages", "/imports", "/api/imports", "/spool", "/api/spool",
        "/more", f"/imports/{uuid.UUID(int=1)}", f"/api/imports/{uuid.UUID(int=1)}/rejections",
        f"/files/imports/{uuid.UUID(int=1)}/report.html"]


@pytest.fixture
def client(auth_manager: object) -> TestClient:
    from comptoir_airflow.ui.app import app

    return TestClient(app, root_path="/comptoir")


@pytest.fixture
def as_viewer(auth_manager: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(auth_manager, 'viewer')}"}


def test_every_endpoint_refuses_an_anonymous_request(client: TestClient) -> None:
    for path in GETS:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 401, path
    assert client.post("/api/spool/retry", json={}).status_code == 401


def test_a_forged_token_is_refused(client: TestClient) -> None:
    answer = client.get("/api/messages", headers={"Authorization": "Bearer not.a.jwt"})
    assert answer.status_code == 403
    client.cookies.set("_token", "forged")
    assert client.get("/reports").status_code == 403


def test_a_viewer_reads_the_reports_of_the_dags_they_may_read(
        client: TestClient, as_viewer: dict[str, str], auth_manager: object,
        dossier_url: str) -> None:
    from comptoir.backoffice.engine import get_engine

    with get_engine(dossier_url).begin() as conn:
        record(conn, Report("daily", "manual__2026-01-01", "error", "daily failed", "why"))
        record(conn, Report("secret", "manual__2026-01-01", "info", "secret done", "hidden"))
    mine = client.get("/api/messages", headers=as_viewer).json()
    assert [m["title"] for m in mine["items"]] == ["daily failed"]
    admin = {"Authorization": f"Bearer {token_for(auth_manager, 'admin')}"}
    every = client.get("/api/messages", headers=admin).json()
    assert {m["title"] for m in every["items"]} == {"daily failed", "secret done"}
    client.cookies.set("_token", token_for(auth_manager, "viewer"))  # as the UI sends it
    page = client.get("/reports", params={"level": "error"})
    assert page.status_code == 200
    assert "daily failed" in page.text and "secret done" not in page.text
    assert 'href="/dags/daily/runs/manual__2026-01-01"' in page.text
    assert client.get("/api/messages", params={"level": "fatal"}).status_code == 400


def test_an_import_run_shows_its_rejections_and_serves_its_csv(
        client: TestClient, as_viewer: dict[str, str], dossier_url: str,
        comptoir_home: Path) -> None:
    from comptoir.backoffice.engine import get_engine
    from comptoir.views.imports import reports_root

    batch = str(uuid.uuid4())
    with get_engine(dossier_url).begin() as conn:
        conn.execute(import_batches.insert().values(
            id=batch, entity="articles", mode="create", files=json.dumps(["a.csv"]),
            records=3, accepted=2, rejected=1))
    folder = reports_root() / batch
    folder.mkdir(parents=True)
    (folder / "rejections.csv").write_text(
        "file;line;key;rule;field;message;record\n"
        'a.csv;3;A2;missing_value;label;the label is empty;"A2;;1"\n', encoding="utf-8")
    runs = client.get("/api/imports", headers=as_viewer).json()
    assert [(r["id"], r["rejected"]) for r in runs["items"]] == [(batch, 1)]
    rejections = client.get(f"/api/imports/{batch}/rejections", headers=as_viewer).json()
    assert rejections["items"] == [{"file": "a.csv", "line": 3, "key": "A2",
                                    "rule": "missing_value", "field": "label",
                                    "message": "the label is empty", "record": "A2;;1"}]
    page = client.get(f"/imports/{batch}", headers=as_viewer)
    assert "missing_value" in page.text and "the label is empty" in page.text
    links = re.search(r"<p>\s*(.*?)</p>", page.text.split("rejected</span>.</p>")[1], re.S)
    assert links and re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", links.group(1))).strip() == (
        "Rejected lines (CSV)")  # the only link: no separator before it
    csv = client.get(f"/files/imports/{batch}/rejections.csv", headers=as_viewer)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    (folder / "report.html").write_text("<script>document.cookie</script>")
    report = client.get(f"/files/imports/{batch}/report.html", headers=as_viewer)
    assert report.status_code == 200
    assert report.headers["content-security-policy"].startswith("sandbox allow-scripts")
    assert "allow-same-origin" not in report.headers["content-security-policy"]


def test_a_path_escape_is_refused(client: TestClient, as_viewer: dict[str, str],
                                  comptoir_home: Path) -> None:
    (comptoir_home / "private.txt").write_text("the dossier")
    for path in ("/files/imports/..%2F..%2Fprivate.txt", "/files/imports/%2Fetc%2Fpasswd",
                 "/files/imports/x/..%2F..%2F..%2Fprivate.txt"):
        answer = client.get(path, headers=as_viewer)
        assert answer.status_code in (400, 404), path
        assert "the dossier" not in answer.text
    assert client.get("/api/imports/%2E%2E/rejections",
                      headers=as_viewer).status_code == 400


def test_the_spool_shows_only_the_readable_tasks(client: TestClient, as_viewer: dict[str, str],
                                                 comptoir_home: Path, tasks_dir: Path,
                                                 tmp_path: Path) -> None:
    waiting = tmp_path / "out.csv"
    waiting.write_text("x")
    spool.enqueue("daily", [waiting])
    spool.enqueue("secret", [waiting])
    found = client.get("/api/spool", headers=as_viewer).json()
    assert [t["task_id"] for t in found["items"]] == ["daily"]
    page = client.get("/spool", headers=as_viewer)
    assert "out.csv" in page.text and "secret" not in page.text.split("<h1>")[1]


def test_the_retry_wants_json_so_a_cross_site_form_cannot_trigger_it(
        client: TestClient, as_viewer: dict[str, str]) -> None:
    answer = client.post("/api/spool/retry", headers=as_viewer, data={"a": "b"})
    assert answer.status_code == 422


def test_without_a_dossier_the_pages_say_so(client: TestClient, as_viewer: dict[str, str],
                                            comptoir_home: Path) -> None:
    page = client.get("/reports", headers=as_viewer)
    assert page.status_code == 200 and "No dossier" in page.text
    assert client.get("/api/messages", headers=as_viewer).status_code == 503
