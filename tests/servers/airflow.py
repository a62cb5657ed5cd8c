"""A real `airflow api-server` on a free loopback port, with the simple auth manager's users
admin (role admin) and viewer (role viewer) whose random passwords live in a private file."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from comptoir.embedded import airflow_environment

SIMPLE_AUTH_MANAGER = ("airflow.api_fastapi.auth.managers.simple.simple_auth_manager."
                       "SimpleAuthManager")


@dataclass(frozen=True)
class ApiServer:
    """The server's base URL, its users' passwords and a JWT of each user."""

    url: str
    passwords: dict[str, str]
    tokens: dict[str, str]

    def headers(self, user: str) -> dict[str, str]:
        """The headers of a REST request as `user`."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@contextmanager
def running_api_server(folder: Path, home: Path, tasks: Path) -> Iterator[ApiServer]:
    """Serialise the DAGs (those of `tasks` and the spool retry DAG), start the api-server
    with the data home `home`, and stop it, with every process it started, on exit.

    `folder` keeps the passwords file and the server's log (shown when it does not start).
    The Airflow metadata database is the test session's (`airflow_db` fixture)."""
    passwords = {"admin": secrets.token_urlsafe(12), "viewer": secrets.token_urlsafe(12)}
    (folder / "passwords.json").write_text(json.dumps(passwords))
    (folder / "passwords.json").chmod(0o600)
    env = airflow_environment(dict(os.environ) | {
        "COMPTOIR_HOME": str(home), "COMPTOIR_TASKS_DIR": str(tasks),
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(folder / "passwords.json"),
    })
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "dags", "reserialize"], env=env, check=True, capture_output=True,
                   timeout=240)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_file = folder / "api-server.log"
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the api-server did not start:\n"
                                   + log_file.read_text()[-4000:])
            time.sleep(0.5)
        tokens = {name: httpx.post(f"{url}/auth/token", json={"username": name,
                                                              "password": password},
                                   timeout=30).json()["access_token"]
                  for name, password in passwords.items()}
        yield ApiServer(url, passwords, tokens)
    finally:
        _stop(server)
