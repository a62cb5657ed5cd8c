"""An SMTP server (aiosmtpd) on loopback that keeps what it receives and can refuse people."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers import free_port

USER, PASSWORD = "mailer", "smtp-secret-1"


@dataclass
class Received:
    """One message as the server got it."""

    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class _Handler:
    refused: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class SmtpServer:
    """aiosmtpd on 127.0.0.1, plain SMTP; with `auth=True` a login is required."""

    def __init__(self, *, auth: bool = False) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = _Handler()
        self._options: dict[str, Any] = {}
        if auth:
            self._options = {
                "authenticator": _authenticator,
                "auth_required": True,
                "auth_require_tls": False,  # loopback only
            }
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        """Everything received so far."""
        return self.handler.messages

    def refuse(self, address: str) -> None:
        """Answer 550 to RCPT TO:<address>."""
        self.handler.refused.add(address)

    def start(self) -> None:
        """Listen (again) on the same port."""
        assert self._controller is None, "already running"
        self._controller = Controller(
            self.handler, hostname=self.host, port=self.port, ready_timeout=10, **self._options
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def connection(self, **extra: Any) -> dict:
        """An Airflow `smtp` connection (JSON form): no SSL, no STARTTLS, short timeout."""
        fields = {"disable_ssl": True, "disable_tls": True, "timeout": 5, "retry_limit": 0}
        fields |= extra
        return {"conn_type": "smtp", "host": self.host, "port": self.port, "extra": fields}
