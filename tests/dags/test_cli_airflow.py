"""`comptoir airflow` (what `make airflow` runs): the UI on 127.0.0.1 and the port asked for,
LocalExecutor sized to the machine, and SIGTERM stops every process it started."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from comptoir.embedded import airflow_environment, machine_parallelism

CLI = [sys.executable, "-c", "from comptoir.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except urllib.error.HTTPError:
        return True  # an HTTP answer, whatever its status
    except OSError:
        return False
    return True


def other_addresses() -> list[str]:
    """This machine's IPv4 addresses other than the loopback's."""
    return [a.address for addrs in psutil.net_if_addrs().values() for a in addrs
            if a.family == socket.AF_INET and not a.address.startswith("127.")]


def command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # ended meanwhile, or a zombie its parent has not reaped yet
        return ""


def stop_leftovers(process: subprocess.Popen) -> None:
    """After a failure: stop `process` as a user would, then kill whatever it left."""
    if process.poll() is not None:
        return
    below = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    for leftover in below:
        with contextlib.suppress(psutil.Error):
            leftover.kill()


def test_the_embedded_home_runs_as_many_tasks_at_once_as_the_machine_has_cpus(comptoir_home):
    env = airflow_environment({k: v for k, v in os.environ.items()
                               if not k.startswith("AIRFLOW")})
    assert env["AIRFLOW__CORE__PARALLELISM"] == str(machine_parallelism())
    assert 2 <= machine_parallelism() <= (os.cpu_count() or 1) + 2
    own = airflow_environment({"AIRFLOW_HOME": str(comptoir_home / "mine")})
    assert "AIRFLOW__CORE__PARALLELISM" not in own  # a user's home keeps its airflow.cfg


@pytest.mark.slow
def test_airflow_listens_on_localhost_only_and_sigterm_stops_every_process(
        airflow_db, comptoir_home, tmp_path):
    # the embedded home (no AIRFLOW_* setting), its metadata database already migrated
    (comptoir_home / "airflow").mkdir()
    shutil.copy(airflow_db, comptoir_home / "airflow" / "airflow.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
    port = free_port()
    log = tmp_path / "airflow.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([*CLI, "airflow", "--port", str(port)], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 300  # about 30 s on an idle 2-core machine
        while not answers(f"http://127.0.0.1:{port}/api/v2/version"):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        listening = {c.laddr.ip for c in psutil.net_connections("tcp")
                     if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
        assert listening == {"127.0.0.1"}
        for address in other_addresses():
            assert not answers(f"http://{address}:{port}/api/v2/version"), address
        started = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(command_line(p) for p in started)
        assert "standalone" in names and len(started) >= 5  # standalone and its components

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        stop_leftovers(process)
    output = log.read_text()
    assert process.returncode == 0, output
    assert f"http://localhost:{port}" in output and "Airflow stopped." in output
    assert "Shutting down components" in output  # standalone's own way out, a Ctrl-C
    left = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, [command_line(p) for p in left]
    assert not answers(f"http://127.0.0.1:{port}/api/v2/version")
