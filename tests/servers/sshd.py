"""OpenSSH's sshd on a free loopback port, for SFTP tests.

`/usr/sbin/sshd -D -e -f <generated config>` runs as a child of the test process (which
must be root, as sshd is to log another user in), with a generated ed25519 host key,
`AuthorizedKeysFile` pointing at a file of the test, `UsePAM no` and the internal SFTP
server. Logins are those of the system user `comptoir-test`, created on first use with
`useradd` and given a known password with `chpasswd` (sshd checks passwords against the
system's shadow file): run the tests on a CI machine or a container, not on a desktop.
`root` cannot log in. The user has no home (`/nonexistent`): tests use absolute paths
under `root`, a folder of the test the user owns; `root/readonly` belongs to root.

Needs the Debian package `openssh-server` (`apt-get install openssh-server`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
TEST_USER = "comptoir-test"
TEST_PASSWORD = "Comptoir-test-2024"


def require_sshd() -> None:
    """Fail (never skip) when sshd is missing or cannot log another user in."""
    if not SSHD.exists():
        pytest.fail(
            f"{SSHD} is missing: the SFTP tests need OpenSSH's server. "
            "Install it with `apt-get install openssh-server`."
        )
    if os.geteuid() != 0:
        pytest.fail("the SFTP tests start sshd for the user comptoir-test and must run as root")


def ensure_test_user() -> pwd.struct_passwd:
    """The system user `comptoir-test`, created if needed, its password (re)set."""
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/bin/sh", TEST_USER],
            check=True, capture_output=True,
        )
    subprocess.run(
        ["chpasswd"], input=f"{TEST_USER}:{TEST_PASSWORD}\n", text=True,
        check=True, capture_output=True,
    )
    return pwd.getpwnam(TEST_USER)


def keygen(path: Path, key_type: str = "ed25519", passphrase: str = "", *extra: str) -> Path:
    """A new key pair `path` / `path.pub` made by ssh-keygen."""
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", key_type, "-N", passphrase, "-C", "comptoir-test",
         "-f", str(path), *extra],
        check=True, capture_output=True,
    )
    return path


class SshServer:
    """One sshd; `stop()` and `start()` again keep the port, keys and files."""

    def __init__(self, workdir: Path) -> None:
        require_sshd()
        self.user = ensure_test_user()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.workdir = workdir
        self.host_key = keygen(workdir / "ssh_host_ed25519_key")
        self.host_public_key = " ".join(
            (workdir / "ssh_host_ed25519_key.pub").read_text().split()[:2]
        )
        # sshd reads authorized_keys as the user: keep it out of pytest's private folders.
        self._public = Path(tempfile.mkdtemp(prefix="comptoir-sshd-"))
        self._public.chmod(0o755)
        self.authorized_keys = self._public / "authorized_keys"
        self.authorized_keys.write_text("")
        self.authorized_keys.chmod(0o644)
        self.log = workdir / "sshd.log"
        # A folder the user can reach (pytest's tmp folders are private to root).
        self.root = Path(tempfile.mkdtemp(prefix="comptoir-sftp-"))
        self.root.chmod(0o755)
        os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        (self.root / "readonly").mkdir(mode=0o755)
        self._process: subprocess.Popen[bytes] | None = None

    def _config(self) -> Path:
        config = self.workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {self.host}:{self.port}",
                    f"HostKey {self.host_key}",
                    f"AuthorizedKeysFile {self.authorized_keys}",
                    "PidFile none",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin no",
                    f"AllowUsers {TEST_USER}",
                    "PasswordAuthentication yes",
                    "PubkeyAuthentication yes",
                    "KbdInteractiveAuthentication no",
                    "MaxAuthTries 10",
                    "MaxStartups 50",
                    "LogLevel VERBOSE",
                    "Subsystem sftp internal-sftp",
                    "",
                ]
            )
        )
        return config

    def start(self) -> None:
        """Start listening; wait for the SSH banner."""
        assert self._process is None, "already running"
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self._config())],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                pytest.fail(f"sshd exited at start:\n{self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        pytest.fail(f"sshd did not answer on port {self.port}:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop listening, then end the sessions still open."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process = None
        self.kill_sessions()

    def close(self) -> None:
        """Stop and remove the user's folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self._public, ignore_errors=True)

    def session_pids(self) -> list[int]:
        """The processes running as the test user: the SFTP sessions."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid == self.user.pw_uid:
                    pids.append(int(entry.name))
            except FileNotFoundError:
                continue
        return pids

    def kill_sessions(self, sig: int = signal.SIGKILL) -> list[int]:
        """Send `sig` to every session process of the test user; return their ids."""
        pids = self.session_pids()
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue
        return pids

    def authorize(self, public_key: Path) -> None:
        """Let the key of `public_key` (a `.pub` file) log in."""
        with open(self.authorized_keys, "a") as keys:
            keys.write(public_key.read_text().strip() + "\n")

    def user_folder(self, name: str) -> Path:
        """A new folder under `root` owned by the test user."""
        folder = self.root / name
        folder.mkdir()
        os.chown(folder, self.user.pw_uid, self.user.pw_gid)
        return folder

    def connection(self, *, host_key: bool = True, **fields: Any) -> dict:
        """An Airflow `sftp` connection (JSON form); `extra=` adds extra fields."""
        extra = dict(fields.pop("extra", {}))
        if host_key:
            extra.setdefault("host_key", self.host_public_key)
        conn = {
            "conn_type": "sftp",
            "host": self.host,
            "port": self.port,
            "login": TEST_USER,
            "extra": extra,
        }
        conn.update(fields)
        return conn
