"""Network settings shared by the protocol modules: timeouts and the socket default."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["CONNECT_TIMEOUT", "IO_TIMEOUT", "default_socket_timeout", "hang_up", "truthy"]

CONNECT_TIMEOUT = 30
"""Seconds to wait for a server to answer: TCP connection and greeting (SSH: unless the
connection's `conn_timeout` extra says otherwise)."""
IO_TIMEOUT = 60
"""Seconds without progress after which a transfer is given up."""


@contextlib.contextmanager
def default_socket_timeout(seconds: float) -> Iterator[None]:
    """Bound Python's default socket timeout while a hook connects.

    Some hooks (FTP, IMAP) open their socket with the default timeout, which is none: a
    server that accepts and never greets would hang the task.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def truthy(value: Any) -> bool:
    """A connection extra read as a boolean (`"true"`, `"1"`, `true`...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def hang_up(goodbye: Callable[[], object], close: Callable[[], object]) -> None:
    """End a session: say goodbye (QUIT, LOGOUT...), else just close the socket.

    Quietly: a dead connection at the end must never hide the cause of a failure.
    """
    try:
        goodbye()
    except Exception:
        with contextlib.suppress(Exception):
            close()
