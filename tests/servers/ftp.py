"""An FTP or FTPS server (pyftpdlib) in a thread, with a switch to break an upload midway."""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import DTPHandler, FTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from tests.servers import free_port

USER, PASSWORD = "comptoir", "ftp-secret-1"
READER, READER_PASSWORD = "reader", "ftp-secret-2"


def make_certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and localhost, key included, as one PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = folder / "ftps-cert.pem"
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@dataclass
class _Fault:
    drop_after: int | None = None  # bytes of the next upload after which the server hangs up
    dropped: int = 0


def _breaking_dtp(base: type[DTPHandler], fault: _Fault) -> type[DTPHandler]:
    class BreakingDTP(base):  # type: ignore[valid-type,misc]
        def handle_read(self) -> None:
            super().handle_read()
            limit = fault.drop_after
            if limit is not None and self.tot_bytes_received >= limit:
                fault.drop_after = None
                fault.dropped += 1
                self.file_obj.flush()
                self.cmd_channel.close()  # hangs up control and data connections

        handle_read_event = handle_read

    return BreakingDTP


class FtpServer:
    """pyftpdlib on 127.0.0.1; `root` is the home of both users (`reader` may not write)."""

    def __init__(self, root: Path, certificate: Path | None = None) -> None:
        self.root = root
        self.certificate = certificate
        self.host = "127.0.0.1"
        self.port = free_port()
        self.fault = _Fault()
        self._server: FTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def secure(self) -> bool:
        """FTPS (explicit TLS, protected data channel required)."""
        return self.certificate is not None

    def _handler(self) -> type[FTPHandler]:
        authorizer = DummyAuthorizer()
        authorizer.add_user(USER, PASSWORD, str(self.root), perm="elradfmwMT")
        authorizer.add_user(READER, READER_PASSWORD, str(self.root), perm="elr")
        attributes: dict[str, Any] = {
            "authorizer": authorizer,
            "banner": "comptoir test ftpd",
            "auth_failed_timeout": 0.05,  # pyftpdlib waits 3 s after a failed login
        }
        if self.secure:
            attributes |= {
                "certfile": str(self.certificate),
                "tls_control_required": True,
                "tls_data_required": True,
                "ssl_context": None,
                "dtp_handler": _breaking_dtp(TLS_DTPHandler, self.fault),
            }
            return type("TestFtpsHandler", (TLS_FTPHandler,), attributes)
        attributes["dtp_handler"] = _breaking_dtp(DTPHandler, self.fault)
        return type("TestFtpHandler", (FTPHandler,), attributes)

    def start(self) -> None:
        """Listen (again) on the same port."""
        assert self._thread is None, "already running"
        self._stop.clear()
        ioloop = IOLoop()
        self._server = FTPServer((self.host, self.port), self._handler(), ioloop=ioloop)
        server = self._server

        def loop() -> None:
            try:
                while not self._stop.is_set():
                    ioloop.loop(timeout=0.05, blocking=False)  # serve_forever logs each round
            finally:
                server.close_all()

        self._thread = threading.Thread(target=loop, name=f"ftpd-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and hang up on every client."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(10)
        self._thread = None
        self._server = None

    def drop_next_upload_after(self, size: int) -> None:
        """Make the server hang up once the next upload has sent `size` bytes."""
        self.fault.drop_after = size

    def connection(self, *, login: str = USER, password: str = PASSWORD, **extra: Any) -> dict:
        """An Airflow connection (JSON form) to this server."""
        if self.secure:
            extra.setdefault("secure", True)
        return {
            "conn_type": "ftp",
            "host": self.host,
            "port": self.port,
            "login": login,
            "password": password,
            "extra": extra,
        }
