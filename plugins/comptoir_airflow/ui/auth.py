"""Who asks and what they may read: Airflow's own authentication and auth manager.

Every route depends on `Reader`: Airflow's `get_user` (the JWT of the `Authorization:
Bearer` header, else the UI's `_token` cookie) — no valid token, 401/403 — and the DAGs
the auth manager lets the user read. A task id is its DAG id, so a report, a spool or an
import task is shown only to a user who may read that DAG.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
from airflow.api_fastapi.core_api.security import get_user
from fastapi import Depends, HTTPException, Request, status

__all__ = ["Reader", "ReaderDep", "request_token"]


@dataclass(frozen=True)
class Reader:
    """The logged-in user and the DAGs (= Comptoir tasks) they may read."""

    user: Any
    dag_ids: frozenset[str]
    every_dag: bool = False
    """The auth manager lets the user read DAGs in general, not only some."""

    def may_read(self, task_id: str) -> bool:
        """Whether the user may read the DAG of the task `task_id`."""
        return task_id in self.dag_ids

    def may_read_any(self, task_ids: set[str]) -> bool:
        """Whether the user may read every DAG, or one of `task_ids`' (import runs carry no
        task: they are shown to whoever may read an import task)."""
        return self.every_dag or bool(self.dag_ids & task_ids)

    def require(self, task_id: str) -> None:
        """403 unless the user may read the DAG of `task_id`."""
        if not self.may_read(task_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"not allowed to read {task_id}")


def _reader(user: Annotated[Any, Depends(get_user)]) -> Reader:
    manager = get_auth_manager()
    dag_ids = manager.get_authorized_dag_ids(user=user, method="GET")
    return Reader(user, frozenset(dag_ids), manager.is_authorized_dag(method="GET", user=user))


ReaderDep = Annotated[Reader, Depends(_reader)]


def request_token(request: Request) -> str:
    """The JWT the request was authenticated with (header first, as `get_user` does)."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    token = request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Not authenticated")
    return token
