"""Fixtures of the plugin tests: real servers on loopback and Airflow connections in env vars."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers.ftp import FtpServer, make_certificate
from tests.servers.imap import ImapAccount, ImapServer
from tests.servers.smtp import SmtpServer
from tests.servers.sshd import SshServer

SetConnection = Callable[[str, dict], None]


@pytest.fixture
def set_connection(monkeypatch: pytest.MonkeyPatch) -> SetConnection:
    """Define an Airflow connection for the test, as `AIRFLOW_CONN_<ID>` in JSON form."""

    def define(conn_id: str, fields: dict) -> None:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))

    return define


@pytest.fixture
def ftp_server(tmp_path: Path) -> Iterator[FtpServer]:
    """A plain FTP server whose users' home is `ftp_server.root`."""
    root = tmp_path / "ftp-root"
    root.mkdir()
    server = FtpServer(root)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ftps_server(tmp_path: Path) -> Iterator[FtpServer]:
    """An FTPS server (explicit TLS required on control and data channels), self-signed.

    Its certificate is trusted through `SSL_CERT_FILE`, as an administrator would add a
    private CA to the worker's trust store.
    """
    root = tmp_path / "ftps-root"
    root.mkdir()
    server = FtpServer(root, certificate=make_certificate(tmp_path))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshServer]:
    """OpenSSH's sshd; log in as `comptoir-test` (password or authorized key)."""
    workdir = tmp_path / "sshd"
    workdir.mkdir()
    server = SshServer(workdir)
    server.start()
    yield server
    server.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server keeping the messages it receives."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    """An SMTP server requiring a login."""
    server = SmtpServer(auth=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def imap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    """Dovecot (plain IMAP on loopback), shared by the session: it takes a second to stop."""
    server = ImapServer(tmp_path_factory.mktemp("dovecot"))
    server.start()
    yield server
    server.close()


@pytest.fixture
def imap_account(imap_server: ImapServer) -> ImapAccount:
    """An account of its own on the IMAP server, with an empty mailbox."""
    return imap_server.add_account()
