"""Run a command with everything it starts, and stop all of it on Ctrl-C or SIGTERM.

`airflow standalone` starts the scheduler, DAG processor, API server and triggerer, which
start workers of their own; it stops them on Ctrl-C only, and a SIGTERM leaves them all
running. `run_group` starts the command in a process group of its own; on SIGINT or
SIGTERM it sends the command SIGINT, then, to whatever is still running after half of
`grace` seconds, SIGTERM, and SIGKILL after the other half; it returns once every process
has ended. On Linux this process is also made a "child subreaper": processes whose parent
ended are handed to it, so it knows when the last one of them is gone, even one that left
the group.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux); False where the system has no such thing."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below `pid` (this one by default), from /proc (Linux)."""
    found: list[int] = []
    todo = [pid or os.getpid()]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


def _reap(process: subprocess.Popen) -> bool:
    """Reap the children that ended (keeping `process`'s status); True when none is left."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            return False
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_all(pgid: int, signum: int) -> None:
    for pid in {*descendants(), pgid}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _wait_all(process: subprocess.Popen, subreaper: bool, timeout: float) -> bool:
    """Wait until every process started is gone; False when `timeout` ran out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = _reap(process) if subreaper else process.poll() is not None
        if done and (subreaper or not _group_alive(process.pid)):
            return True
        time.sleep(0.1)
    return False


def run_group(command: list[str], env: dict[str, str], *, grace: float = 30.0) -> int:
    """Run `command` and everything it starts; stop them all on SIGINT/SIGTERM.

    Returns the command's exit status (128 + the signal's number when it was stopped).
    """
    subreaper = _become_subreaper()
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if not stopping:
            stopping.append(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        process = subprocess.Popen(command, env=env, start_new_session=True)
        pgid = process.pid
        while process.poll() is None and not stopping:
            time.sleep(0.2)
        # The command ended or was asked to: nothing it started may outlive it. First the
        # command's own way (`airflow standalone` stops its components on Ctrl-C), then
        # SIGTERM to every process left, then SIGKILL.
        done = False
        if stopping and process.poll() is None:
            process.send_signal(signal.SIGINT)
            done = _wait_all(process, subreaper, grace / 2)
        if not done:
            _signal_all(pgid, signal.SIGTERM)
            if not _wait_all(process, subreaper, grace / 2):
                _signal_all(pgid, signal.SIGKILL)
                _wait_all(process, subreaper, 5.0)
        status = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 + stopping[0] if stopping else status
