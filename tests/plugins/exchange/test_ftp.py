"""FTP and FTPS deliveries against a real pyftpdlib server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from comptoir.exchange import spool
from comptoir.exchange.errors import (
    CertificateRejected,
    ConnectionFailed,
    ConnectionLost,
    ConnectionNotDefined,
    LoginRefused,
    RemoteFolderMissing,
    RemoteFolderNotWritable,
    TlsUnavailable,
)
from comptoir_airflow.exchange import ftp
from comptoir_airflow.exchange.factory import transport_for
from comptoir_airflow.exchange.ftp import FtpTransport
from tests.servers import silent_server
from tests.servers.ftp import READER, READER_PASSWORD, FtpServer

pytestmark = pytest.mark.servers


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "clients-20240101.csv"
    path.parent.mkdir()
    path.write_bytes(b"code;nom\n1;Dupont\n")
    return path


def test_upload_arrives_under_its_final_name(
    ftp_server: FtpServer, set_connection, export: Path
) -> None:
    (ftp_server.root / "in").mkdir()
    set_connection("ftp_partner", ftp_server.connection())
    transport = transport_for({"method": "ftp", "conn_id": "ftp_partner", "directory": "/in"})
    assert isinstance(transport, FtpTransport)

    transport.check()
    transport.send(export, export.name)
    assert listing(ftp_server.root / "in") == [export.name]
    assert (ftp_server.root / "in" / export.name).read_bytes() == export.read_bytes()


def test_an_older_file_is_replaced(ftp_server: FtpServer, set_connection, export: Path) -> None:
    (ftp_server.root / export.name).write_bytes(b"old content, longer than the new one")
    set_connection("ftp_partner", ftp_server.connection())
    FtpTransport("ftp_partner", ".").send(export, export.name)
    assert listing(ftp_server.root) == [export.name]
    assert (ftp_server.root / export.name).read_bytes() == export.read_bytes()


def test_login_refused(ftp_server: FtpServer, set_connection) -> None:
    set_connection("ftp_partner", ftp_server.connection(password="wrong"))
    with pytest.raises(LoginRefused, match=r"FTP connection 'ftp_partner'.*login refused.*530"):
        FtpTransport("ftp_partner", "/").check()


def test_folder_missing(ftp_server: FtpServer, set_connection, export: Path) -> None:
    set_connection("ftp_partner", ftp_server.connection())
    with pytest.raises(RemoteFolderMissing, match="the remote folder does not exist"):
        FtpTransport("ftp_partner", "/nowhere").send(export, export.name)


def test_folder_not_writable(ftp_server: FtpServer, set_connection, export: Path) -> None:
    set_connection("ftp_reader", ftp_server.connection(login=READER, password=READER_PASSWORD))
    with pytest.raises(RemoteFolderNotWritable, match="not writable.*550"):
        FtpTransport("ftp_reader", "/").send(export, export.name)
    assert listing(ftp_server.root) == []


def test_check_proves_the_login_can_write(ftp_server: FtpServer, set_connection) -> None:
    set_connection("ftp_reader", ftp_server.connection(login=READER, password=READER_PASSWORD))
    with pytest.raises(RemoteFolderNotWritable, match="not writable"):
        FtpTransport("ftp_reader", "/").check()
    set_connection("ftp_partner", ftp_server.connection())
    FtpTransport("ftp_partner", "/").check()
    assert listing(ftp_server.root) == [], "the probe file is removed"


def test_connection_not_defined(export: Path) -> None:
    with pytest.raises(ConnectionNotDefined, match="'ftp_nobody'.*not defined"):
        FtpTransport("ftp_nobody", "/").send(export, export.name)


def test_password_never_in_the_message(ftp_server: FtpServer, set_connection) -> None:
    set_connection("ftp_partner", ftp_server.connection(password="Sup3r-secret-pw"))
    with pytest.raises(LoginRefused) as caught:
        FtpTransport("ftp_partner", "/").check()
    assert "Sup3r-secret-pw" not in str(caught.value)


def test_ftps_upload_with_protected_data_channel(
    ftps_server: FtpServer, set_connection, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server refuses clear-text control and data channels (tls_*_required): an
    # upload that arrives proves AUTH TLS and PROT P were used.
    monkeypatch.setenv("SSL_CERT_FILE", str(ftps_server.certificate))
    set_connection("ftps_partner", ftps_server.connection())
    transport = transport_for({"method": "ftp", "conn_id": "ftps_partner", "directory": "/"})
    transport.check()
    transport.send(export, export.name)
    assert listing(ftps_server.root) == [export.name]
    assert (ftps_server.root / export.name).read_bytes() == export.read_bytes()


def test_ftps_untrusted_certificate(
    ftps_server: FtpServer, set_connection, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    set_connection("ftps_partner", ftps_server.connection())
    with pytest.raises(CertificateRejected, match="certificate is not trusted"):
        FtpTransport("ftps_partner", "/").check()


def test_ftps_to_a_server_without_tls_says_so(ftp_server: FtpServer, set_connection) -> None:
    set_connection("ftps_partner", ftp_server.connection(secure=True))
    with pytest.raises(TlsUnavailable, match="does not offer TLS") as caught:
        FtpTransport("ftps_partner", "/").check()
    assert "password" not in str(caught.value)


def test_plain_ftp_to_a_server_requiring_tls_is_refused(
    ftps_server: FtpServer, set_connection
) -> None:
    set_connection("ftp_partner", ftps_server.connection(secure=False))
    with pytest.raises(LoginRefused):
        FtpTransport("ftp_partner", "/").check()


# ----------------------------------------------------------------------------- faults


def test_server_down_then_back_delivers_exactly_once(
    ftp_server: FtpServer, set_connection, export: Path, comptoir_home: Path
) -> None:
    set_connection("ftp_partner", ftp_server.connection())
    transport = FtpTransport("ftp_partner", "/")
    spool.enqueue("export-clients", [export])
    ftp_server.stop()

    down = spool.deliver_pending("export-clients", transport)
    assert isinstance(down.error, ConnectionFailed)
    assert "cannot connect to the server" in str(down.error)
    assert down.remaining == (export.name,)
    assert [p.name for p in spool.pending("export-clients")] == [export.name]
    assert listing(ftp_server.root) == []

    ftp_server.start()
    back = spool.deliver_pending("export-clients", transport)
    assert back.ok and back.delivered == (export.name,)
    assert spool.pending("export-clients") == []
    assert listing(ftp_server.root) == [export.name]
    assert (ftp_server.root / export.name).read_bytes() == export.read_bytes()

    again = spool.deliver_pending("export-clients", transport)
    assert again.ok and again.delivered == ()
    assert listing(ftp_server.root) == [export.name]


def test_connection_dropped_mid_upload_leaves_no_partial_file(
    ftp_server: FtpServer, set_connection, tmp_path: Path, comptoir_home: Path
) -> None:
    big = tmp_path / "stock-full.csv"
    big.write_bytes(os.urandom(4 * 1024 * 1024))
    set_connection("ftp_partner", ftp_server.connection())
    transport = FtpTransport("ftp_partner", "/")
    spool.enqueue("stock", [big])
    ftp_server.drop_next_upload_after(1024 * 1024)

    broken = spool.deliver_pending("stock", transport)
    assert ftp_server.fault.dropped == 1
    assert isinstance(broken.error, ConnectionLost), broken.error
    assert broken.remaining == (big.name,)
    assert big.name not in listing(ftp_server.root), "no partial file under the final name"
    assert [p.name for p in spool.pending("stock")] == [big.name]

    retry = spool.deliver_pending("stock", transport)
    assert retry.ok
    assert listing(ftp_server.root) == [big.name]
    assert (ftp_server.root / big.name).read_bytes() == big.read_bytes()
    assert spool.pending("stock") == []


# ------------------------------------------------------------------ outside a task


CLI_SCRIPT = """
import json, sys
from airflow.models.connection import Connection
from airflow.utils.session import create_session

fields = json.loads(sys.argv[1])
fields["extra"] = json.dumps(fields["extra"])
with create_session() as session:
    session.add(Connection(conn_id="ftp_in_db", **fields))

from comptoir_airflow.exchange.ftp import FtpTransport

FtpTransport("ftp_in_db", "/").check()
print("checked")
"""


def test_a_connection_of_the_metadata_database_is_found_from_the_command_line(
    ftp_server: FtpServer, tmp_path: Path
) -> None:
    # Outside a task Airflow 3 looks only in env vars and secrets backends; the
    # transports also look in the metadata database, as `comptoir tasks check` needs.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AIRFLOW_CONN_") and k != "_AIRFLOW_PROCESS_CONTEXT"}
    env["AIRFLOW_HOME"] = str(tmp_path / "airflow")
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tmp_path / 'airflow.db'}"
    root = Path(__file__).resolve().parents[3]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "plugins"), str(root / "include")])
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "airflow"), "db", "migrate"], env=env, check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT, json.dumps(ftp_server.connection())],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("checked")


def test_a_server_that_never_answers_times_out(
    set_connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ftp, "CONNECT_TIMEOUT", 0.5)
    with silent_server() as port:
        set_connection("ftp_partner", {"conn_type": "ftp", "host": "127.0.0.1", "port": port,
                                       "login": "x", "password": "y"})
        with pytest.raises(ConnectionFailed, match="timed out"):
            FtpTransport("ftp_partner", "/").check()
