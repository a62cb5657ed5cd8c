"""`run_group`, what `comptoir airflow` runs `airflow standalone` under: nothing it started
outlives it, even a process that left the group or ignores SIGINT and SIGTERM."""

import signal
import subprocess
import sys
import time

import psutil

RUN = ("import os, sys; from comptoir.cli.process_group import run_group; "
       "sys.exit(run_group(sys.argv[1:], dict(os.environ), grace=2))")


def started(parent: subprocess.Popen, count: int) -> list[psutil.Process]:
    """The processes below `parent` once there are `count` of them."""
    deadline = time.monotonic() + 30
    while True:
        found = psutil.Process(parent.pid).children(recursive=True)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_sigterm_stops_the_command_and_all_it_started_even_the_stubborn_and_the_detached():
    # a detached sleep (its own session), then a shell and a sleep ignoring SIGINT and SIGTERM
    script = "setsid sleep 300 & trap '' INT TERM; sleep 300 & wait"
    runner = subprocess.Popen([sys.executable, "-c", RUN, "sh", "-c", script])
    try:
        processes = started(runner, 3)
        assert len(processes) == 3
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=20) == 128 + signal.SIGTERM
    finally:
        if runner.poll() is None:
            runner.kill()
    assert not alive(processes), [p.cmdline() for p in alive(processes)]


def test_when_the_command_ends_what_it_left_running_is_stopped_and_its_status_kept():
    runner = subprocess.Popen([sys.executable, "-c", RUN, "sh", "-c",
                               "sleep 300 & sleep 1; exit 3"])
    try:
        processes = started(runner, 2)
        assert runner.wait(timeout=20) == 3
    finally:
        if runner.poll() is None:
            runner.kill()
    assert not alive(processes)
