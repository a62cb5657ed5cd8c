"""Dovecot's IMAP and POP3 servers on free loopback ports, for the mailbox inbox tests.

`dovecot -F -c <generated config>` runs as a child of the test process (which must be
root: Dovecot starts as root and switches users), with its own `base_dir`, `state_dir`
and `instance_name`, so it neither reads nor disturbs a system Dovecot. Plain IMAP
(`port`) and plain POP3 (`pop3_port`) on 127.0.0.1 (no TLS: loopback only), both on the
same mail: a message delivered with IMAP APPEND is in the POP3 listing (UIDLs
`%08Xu%08Xv`: IMAP UID and UIDVALIDITY). Mail stored as Maildir in a private folder owned
by `nobody`, whom the mail processes run as. Failed logins are answered at once (no
`auth_failure_delay`, no per-IP penalty), so the tests stay fast. The log (Dovecot writes
it to stderr) is kept in `dovecot.log` of the server's folder.

Stopping Dovecot takes a second, so one server serves many tests: each test takes an
account of its own (`add_account()`), with an empty mailbox. Any user name logs in with
the password `PASSWORD` (a static passdb) and gets a mailbox of its own.

Needs the Debian packages `dovecot-imapd` and `dovecot-pop3d` (`apt-get install
dovecot-imapd dovecot-pop3d`, which `scripts/ensure-test-servers.sh` runs).
"""

from __future__ import annotations

import ctypes
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port

DOVECOT = Path("/usr/sbin/dovecot")
IMAP_BINARY = Path("/usr/lib/dovecot/imap")
POP3_BINARY = Path("/usr/lib/dovecot/pop3")
PASSWORD = "imap-secret-1"
MAIL_USER = "nobody"
_PR_SET_PDEATHSIG = 1


def _die_with_the_tests() -> None:
    """In the child, before exec: Dovecot gets SIGTERM if the test process dies."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def require_dovecot() -> None:
    """Fail (never skip) when Dovecot is missing or cannot be started."""
    missing = [binary for binary in (DOVECOT, IMAP_BINARY, POP3_BINARY) if not binary.exists()]
    if missing:
        pytest.fail(
            f"Dovecot is missing ({', '.join(map(str, missing))}): the IMAP and POP3 tests "
            "need it. Install it with `apt-get install dovecot-imapd dovecot-pop3d` "
            "(or `make test-servers`)."
        )
    if os.geteuid() != 0:
        pytest.fail("the IMAP and POP3 tests start Dovecot, which must run as root")


class ImapServer:
    """One Dovecot; `stop()` and `start()` again keep the port and the mail."""

    def __init__(self, workdir: Path) -> None:
        require_dovecot()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.pop3_port = free_port()
        while self.pop3_port == self.port:
            self.pop3_port = free_port()
        self.workdir = workdir
        self.log = workdir / "dovecot.log"
        account = pwd.getpwnam(MAIL_USER)
        # Folders Dovecot's unprivileged processes reach (pytest's are private to root).
        self.root = Path(tempfile.mkdtemp(prefix="comptoir-imap-"))
        self.root.chmod(0o755)
        self.mail = self.root / "mail"
        self.mail.mkdir(mode=0o700)
        os.chown(self.mail, account.pw_uid, account.pw_gid)
        self._accounts = 0
        self._lock = threading.Lock()
        self.uid, self.gid = account.pw_uid, account.pw_gid
        self._process: subprocess.Popen[bytes] | None = None

    def _config(self) -> Path:
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = comptoir-test-{self.port}
protocols = imap pop3
listen = {self.host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = /dev/stderr
first_valid_uid = {self.uid}
first_valid_gid = {self.gid}
mail_location = maildir:{self.mail}/%u
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.mail}/%u
}}
namespace inbox {{
  inbox = yes
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = {self.host}
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""
        )
        return config

    def start(self) -> None:
        """Start listening; wait for the IMAP and the POP3 greetings."""
        assert self._process is None, "already running"
        config = self._config()
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(config)],
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_the_tests,
            )
        waiting = {self.port: b"* OK", self.pop3_port: b"+OK"}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                pytest.fail(f"dovecot exited at start:\n{self.log.read_text()[-2000:]}")
            for port, greeting in list(waiting.items()):
                if self._greets(port, greeting):
                    del waiting[port]
            if not waiting:
                return
            time.sleep(0.02)
        self.stop()
        pytest.fail(f"dovecot did not answer on port(s) {', '.join(map(str, waiting))}:\n"
                    f"{self.log.read_text()[-2000:]}")

    def _greets(self, port: int, greeting: bytes) -> bool:
        """Whether the server on `port` answers a connection with `greeting`."""
        try:
            with socket.create_connection((self.host, port), timeout=1) as sock:
                return sock.recv(64).startswith(greeting)
        except OSError:
            return False

    def stop(self) -> None:
        """Stop Dovecot and every process it started."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        self._process = None

    def close(self) -> None:
        """Stop and remove the mail."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def add_account(self) -> ImapAccount:
        """A new account with an empty mailbox."""
        with self._lock:
            self._accounts += 1
            login = f"user{self._accounts}@comptoir.test"
        return ImapAccount(self, login, PASSWORD)


@dataclass
class ImapAccount:
    """One account of an `ImapServer`."""

    server: ImapServer
    login: str
    password: str

    def client(self) -> imaplib.IMAP4:
        """A logged-in IMAP client, to deliver and inspect messages as a mail program would."""
        client = imaplib.IMAP4(self.server.host, self.server.port, timeout=10)
        client.login(self.login, self.password)
        return client

    def deliver(self, message: EmailMessage, mailbox: str = "INBOX") -> None:
        """Put `message` into `mailbox`, unread (IMAP APPEND)."""
        client = self.client()
        try:
            typ, data = client.append(mailbox, "", None, message.as_bytes())
            assert typ == "OK", data
        finally:
            client.logout()

    def messages(self, mailbox: str = "INBOX") -> dict[str, set[str]]:
        """The Message-ID and flags (but `\\Recent`) of every message of `mailbox`, a name
        as the server gives it."""
        client = self.client()
        try:
            typ, data = client.select(f'"{mailbox}"', readonly=True)
            assert typ == "OK", data
            typ, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            found = {}
            for item in data:
                if isinstance(item, tuple):
                    flags = imaplib.ParseFlags(item[0])
                    message_id = item[1].decode().split(":", 1)[1].strip()
                    found[message_id] = {flag.decode() for flag in flags} - {"\\Recent"}
            return found
        finally:
            client.logout()

    def mailboxes(self) -> list[str]:
        """The names of the account's mailboxes, as the server gives them."""
        client = self.client()
        try:
            typ, data = client.list()
            assert typ == "OK", data
            return sorted(line.decode().rsplit(" ", 1)[1].strip('"') for line in data if line)
        finally:
            client.logout()

    def connection(self, **fields: Any) -> dict:
        """An Airflow `imap` connection (JSON form) to this account, without TLS."""
        extra = {"use_ssl": False} | dict(fields.pop("extra", {}))
        conn = {
            "conn_type": "imap",
            "host": self.server.host,
            "port": self.server.port,
            "login": self.login,
            "password": self.password,
            "extra": extra,
        }
        conn.update(fields)
        return conn

    def pop3_connection(self, **fields: Any) -> dict:
        """An Airflow connection (JSON form) to this account's POP3 side, without TLS."""
        extra = {"use_ssl": False} | dict(fields.pop("extra", {}))
        conn = {
            "conn_type": "pop3",
            "host": self.server.host,
            "port": self.server.pop3_port,
            "login": self.login,
            "password": self.password,
            "extra": extra,
        }
        conn.update(fields)
        return conn


def order(sender: str, subject: str, message_id: str,
          *attachments: tuple[str, bytes]) -> EmailMessage:
    """A message as a store or a partner sends it: a short text and the files attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "commandes@comptoir.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("Bonjour, ci-joint les fichiers.\n")
    for name, payload in attachments:
        maintype, subtype = ("text", "csv") if name.endswith(".csv") else ("application", "pdf")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return message
