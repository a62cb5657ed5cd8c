"""Finding Airflow connections both inside a task and from the `comptoir` command.

Inside a task, the Task SDK looks connections up in environment variables
(`AIRFLOW_CONN_<ID>`), then through the API server. Outside a task (the CLI, a test),
Airflow 3 looks only in environment variables and custom secrets backends, unless the
process says it is a server (`_AIRFLOW_PROCESS_CONTEXT=server`, the switch the SDK itself
reads): a connection stored in the metadata database would then be "not defined".
`connection_scope` makes the hooks see it in both cases: outside a task, when the usual
lookup fails, the block runs with `_AIRFLOW_PROCESS_CONTEXT=server` (environment
variables, then the metadata database) and the variable is restored afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from comptoir.exchange.errors import ConnectionNotDefined

__all__ = ["connection_scope"]

_CONTEXT_ENV = "_AIRFLOW_PROCESS_CONTEXT"


def _inside_task() -> bool:
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:  # pragma: no cover - the SDK always ships it
        return False
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


@contextmanager
def _server_context() -> Iterator[None]:
    previous = os.environ.get(_CONTEXT_ENV)
    os.environ[_CONTEXT_ENV] = "server"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_CONTEXT_ENV, None)
        else:
            os.environ[_CONTEXT_ENV] = previous


@contextmanager
def connection_scope(conn_id: str, where: str) -> Iterator[Any]:
    """Yield the connection `conn_id`, hooks built inside the block finding it too.

    Raises `ConnectionNotDefined` (prefixed with `where`) when no backend knows it.
    """
    try:
        connection = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        connection = None
    if connection is not None:
        yield connection
        return
    if _inside_task() or os.environ.get(_CONTEXT_ENV):
        raise ConnectionNotDefined(where)
    with _server_context():
        try:
            connection = BaseHook.get_connection(conn_id)
        except AirflowNotFoundException:
            raise ConnectionNotDefined(where) from None
        yield connection
