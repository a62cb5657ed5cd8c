"""Real protocol servers on loopback for transport tests: OpenSSH, pyftpdlib, aiosmtpd.

Each module starts its server on a free port of 127.0.0.1 and tears it down; the
fixtures exposing them live in `tests/plugins/conftest.py`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def silent_server() -> Iterator[int]:
    """A port where TCP connections succeed and the server never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)  # the kernel completes the handshakes; nobody accepts or writes
        yield int(sock.getsockname()[1])


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
