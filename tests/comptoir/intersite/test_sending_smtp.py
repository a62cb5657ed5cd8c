"""Sending inter-site orders through a real SMTP server (aiosmtpd), Airflow connection."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from comptoir.intersite.sending import SendRequest, send_orders
from comptoir_airflow.exchange.smtp import SmtpMailer
from comptoir_airflow.send_mail import send as send_eml
from tests.comptoir.intersite.distributor import CENTRAL, SENDER, order, orders_state, reference
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.servers


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_conn(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_INTERSITE", json.dumps(smtp_server.connection()))
    return "smtp_intersite"


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home):  # type: ignore[no-untyped-def]
    reference(engine)
    order(engine, "CF1")
    order(engine, "CF2")
    return engine


def test_orders_go_through_the_smtp_connection(dossier, smtp_server, smtp_conn) -> None:
    result = send_orders(dossier, SendRequest(user="s.lefevre"), SmtpMailer(smtp_conn))
    assert result.exit_code == 0, result.as_json()
    [received] = smtp_server.messages
    assert (received.sender, received.recipients) == (SENDER, [CENTRAL])
    assert received.message["X-Comptoir-Intersite"] == "orders/1"
    [part] = list(received.message.iter_attachments())
    document = json.loads(part.get_payload(decode=True))
    assert [o["id"] for o in document["orders"]] == ["CF1", "CF2"]
    assert {state for state in orders_state(dossier).values()} == {
        ("pending", True, received.message["Message-ID"])}


def test_a_refused_recipient_changes_nothing_exit_3(dossier, smtp_server, smtp_conn) -> None:
    smtp_server.refuse(CENTRAL)
    result = send_orders(dossier, SendRequest(user="s.lefevre"), SmtpMailer(smtp_conn))
    assert result.exit_code == 3 and result.messages[0].state == "error"
    assert CENTRAL in (result.messages[0].error or "")
    assert smtp_server.messages == []
    assert {state for state in orders_state(dossier).values()} == {("confirmed", False, None)}


def test_a_server_down_changes_nothing_exit_3(dossier, smtp_server, smtp_conn) -> None:
    smtp_server.stop()
    result = send_orders(dossier, SendRequest(user="s.lefevre"), SmtpMailer(smtp_conn))
    assert result.exit_code == 3 and result.messages[0].state == "error"
    assert {state for state in orders_state(dossier).values()} == {("confirmed", False, None)}


def test_the_command_s_subprocess_sends_an_eml_file(smtp_server, smtp_conn, tmp_path) -> None:
    from comptoir.exchange.mail import build_message

    path = tmp_path / "m.eml"
    path.write_bytes(bytes(build_message(to=[CENTRAL], subject="Commandes", body="x",
                                         sender=SENDER)))
    assert send_eml(smtp_conn, path) == "SMTP connection 'smtp_intersite'"
    [received] = smtp_server.messages
    assert (received.sender, received.message["Subject"]) == (SENDER, "Commandes")
