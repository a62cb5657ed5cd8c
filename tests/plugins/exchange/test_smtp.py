"""E-mail deliveries and the mailer, against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir import paths
from comptoir.exchange import spool
from comptoir.exchange.errors import (
    ConnectionFailed,
    ConnectionNotDefined,
    LoginRefused,
    RecipientRefused,
    SenderMissing,
)
from comptoir.exchange.mail import CHECK_SUBJECT, EmailTransport, FileMailer, build_message
from comptoir_airflow.exchange.factory import mailer_for, transport_for
from comptoir_airflow.exchange.smtp import SmtpMailer
from tests.servers.smtp import PASSWORD, USER, SmtpServer

pytestmark = pytest.mark.servers


@pytest.fixture
def smtp_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTOIR_MAIL_BACKEND", "smtp")


@pytest.fixture
def exports(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "work"
    folder.mkdir()
    first = folder / "ventes-20240101.csv"
    first.write_bytes("magasin;total\r\nParis;12,50\r\n".encode("cp1252"))
    second = folder / "ventes-20240102.csv"
    second.write_bytes(b"magasin;total\r\nLyon;3,10\r\n")
    return [first, second]


def delivery(**fields: object) -> dict:
    return {"method": "email", "to": ["compta@example.com", "edi@example.com"],
            "subject": "Ventes", "from": "shop@example.com", **fields}


def test_attachments_arrive_with_their_file_names(
    smtp_server: SmtpServer, set_connection, smtp_backend, exports, comptoir_home
) -> None:
    set_connection("smtp_default", smtp_server.connection())
    transport = transport_for(delivery())
    assert isinstance(transport, EmailTransport) and isinstance(transport.mailer, SmtpMailer)
    spool.enqueue("ventes", exports)
    result = spool.deliver_pending("ventes", transport)

    assert result.ok and result.delivered == tuple(p.name for p in exports)
    assert len(smtp_server.messages) == 2
    for received, export in zip(smtp_server.messages, exports, strict=True):
        assert received.sender == "shop@example.com"
        assert received.recipients == ["compta@example.com", "edi@example.com"]
        assert received.message["Subject"] == "Ventes"
        [attachment] = list(received.message.iter_attachments())
        assert attachment.get_filename() == export.name
        assert attachment.get_payload(decode=True) == export.read_bytes()


def test_check_sends_a_connection_test(smtp_server, set_connection, smtp_backend) -> None:
    set_connection("smtp_edi", smtp_server.connection(from_email="noreply@example.com"))
    transport_for(delivery(conn_id="smtp_edi", **{"from": None})).check()
    [received] = smtp_server.messages
    assert received.message["Subject"] == CHECK_SUBJECT
    assert received.sender == "noreply@example.com", "the connection's from_email is the default"


def test_a_refused_recipient_sends_nothing_and_keeps_the_file(
    smtp_server, set_connection, smtp_backend, exports, comptoir_home
) -> None:
    smtp_server.refuse("edi@example.com")
    set_connection("smtp_default", smtp_server.connection())
    spool.enqueue("ventes", exports[:1])
    result = spool.deliver_pending("ventes", transport_for(delivery()))

    assert isinstance(result.error, RecipientRefused)
    assert "the SMTP server refused a recipient" in str(result.error)
    assert "edi@example.com: 550" in str(result.error)
    assert smtp_server.messages == [], "nobody gets a message another recipient was refused"
    assert [p.name for p in spool.pending("ventes")] == [exports[0].name]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_refused(smtp_auth_server: SmtpServer, set_connection) -> None:
    set_connection(
        "smtp_default", smtp_auth_server.connection() | {"login": USER, "password": "wrong-pw"}
    )
    message = build_message(to=["a@example.com"], subject="s", body="b", sender="x@example.com")
    with pytest.raises(LoginRefused, match="login refused.*535") as caught:
        SmtpMailer().send(message)
    assert "wrong-pw" not in str(caught.value)

    set_connection(
        "smtp_default", smtp_auth_server.connection() | {"login": USER, "password": PASSWORD}
    )
    SmtpMailer().send(message)
    assert [m.recipients for m in smtp_auth_server.messages] == [["a@example.com"]]


def test_no_sender_anywhere(smtp_server, set_connection) -> None:
    set_connection("smtp_default", smtp_server.connection())
    with pytest.raises(SenderMissing, match="no sender address"):
        SmtpMailer().send(build_message(to=["a@example.com"], subject="s", body="b"))


def test_server_down(smtp_server: SmtpServer, set_connection) -> None:
    set_connection("smtp_default", smtp_server.connection())
    smtp_server.stop()
    with pytest.raises(ConnectionFailed, match="cannot connect to the server"):
        SmtpMailer().check()
    smtp_server.start()
    SmtpMailer().check()


def test_connection_not_defined(smtp_backend) -> None:
    with pytest.raises(ConnectionNotDefined, match="'smtp_nowhere'"):
        mailer_for("smtp_nowhere").send(
            build_message(to=["a@example.com"], subject="s", body="b", sender="x@example.com")
        )


def test_bcc_recipients_get_the_message_without_the_header(smtp_server, set_connection) -> None:
    set_connection("smtp_default", smtp_server.connection())
    message = build_message(to=["a@example.com"], subject="s", body="b", sender="x@example.com")
    message["Bcc"] = "hidden@example.com"
    SmtpMailer().send(message)
    [received] = smtp_server.messages
    assert received.recipients == ["a@example.com", "hidden@example.com"]
    assert received.message["Bcc"] is None


def test_file_backend_is_the_default(monkeypatch, exports, comptoir_home) -> None:
    monkeypatch.delenv("COMPTOIR_MAIL_BACKEND", raising=False)
    transport = transport_for(delivery())
    assert isinstance(transport, EmailTransport) and isinstance(transport.mailer, FileMailer)
    transport.send(exports[0], exports[0].name)
    assert len(list(paths.mail_dir().glob("*.eml"))) == 1
