"""SMTP: sending e-mail through an Airflow SMTP connection, deliveries and reports alike.

(`factory.mailer_for()` picks between this and the embedded `.eml` folder.)

`SmtpMailer` logs in with `SmtpHook` (host, port, SSL/STARTTLS, login and `from_email`
come from the connection), then runs the SMTP transaction itself: every recipient is
offered before the message, and if the server refuses one the transaction is abandoned
(RSET) and `RecipientRefused` names it. Nobody receives a message some other recipient
was refused, so the retry from the spool never sends anyone a second copy. (The hook's
`send_email_smtp` would silently drop refused recipients and retry on any error.)
"""

from __future__ import annotations

import contextlib
import copy
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk.exceptions import AirflowException

from comptoir.exchange.endpoints import DEFAULT_SMTP_CONN_ID
from comptoir.exchange.errors import (
    CertificateRejected,
    ConnectionFailed,
    ConnectionLost,
    ExchangeError,
    LoginRefused,
    MessageRefused,
    RecipientRefused,
    SenderMissing,
    SenderRefused,
)
from comptoir.exchange.mail import recipients
from comptoir_airflow.exchange.connections import connection_scope

__all__ = ["SmtpMailer"]


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _connect_error(exc: BaseException, where: str) -> ExchangeError:
    """The domain error for a failure while connecting and logging in."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return LoginRefused(where, _reply(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return LoginRefused(where, str(exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CertificateRejected(where, exc.verify_message or "")
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(where, "unknown host")
    if isinstance(exc, smtplib.SMTPResponseException):
        return ConnectionFailed(where, _reply(exc.smtp_code, exc.smtp_error))
    return ConnectionFailed(where, str(exc) or type(exc).__name__)


class SmtpMailer:
    """Sends messages through the Airflow SMTP connection `conn_id`."""

    def __init__(self, conn_id: str = DEFAULT_SMTP_CONN_ID) -> None:
        self.conn_id = conn_id

    @property
    def name(self) -> str:
        """The connection used."""
        return f"SMTP connection {self.conn_id!r}"

    def _login(self) -> tuple[SmtpHook, smtplib.SMTP]:
        with connection_scope(self.conn_id, self.name):
            hook = SmtpHook(smtp_conn_id=self.conn_id)
            try:
                hook.get_conn()
            except (OSError, AirflowException) as exc:
                raise _connect_error(exc, self.name) from exc
        client = hook._smtp_client  # the hook exposes its logged-in client no other way
        assert isinstance(client, smtplib.SMTP)
        return hook, client

    def send(self, message: EmailMessage) -> None:
        """Send `message` to all its recipients or to none; `From` defaults to `from_email`."""
        hook, client = self._login()
        try:
            if message["From"] is None:
                if not hook.from_email:
                    raise SenderMissing(self.name)
                message["From"] = hook.from_email
            sender = parseaddr(str(message["From"]))[1]
            to = recipients(message)
            wire = copy.deepcopy(message)
            del wire["Bcc"]
            # CRLF on the wire: smtplib sends bytes as they are, and bare LFs make one
            # over-long line for the server (RFC 5321 4.5.3.1.6)
            data = wire.as_bytes(policy=wire.policy.clone(linesep="\r\n"))
            self._transaction(client, sender, to, data)
        except OSError as exc:  # smtplib's errors are OSErrors too
            raise ConnectionLost(self.name, str(exc) or type(exc).__name__) from exc
        finally:
            with contextlib.suppress(Exception):
                client.quit()
            client.close()

    def _transaction(
        self, client: smtplib.SMTP, sender: str, to: list[str], data: bytes
    ) -> None:
        client.ehlo_or_helo_if_needed()
        code, text = client.mail(sender)
        if code != 250:
            client.rset()
            raise SenderRefused(self.name, f"{sender}: {_reply(code, text)}")
        refused = []
        for address in to:
            code, text = client.rcpt(address)
            if code not in (250, 251):
                refused.append(f"{address}: {_reply(code, text)}")
        if refused:
            client.rset()
            raise RecipientRefused(self.name, "; ".join(refused))
        try:
            code, text = client.data(data)
        except smtplib.SMTPDataError as exc:
            raise MessageRefused(self.name, _reply(exc.smtp_code, exc.smtp_error)) from exc
        if code != 250:  # smtplib returns the reply to the message's end, never raises it
            raise MessageRefused(self.name, _reply(code, text))

    def check(self) -> None:
        """Connect and log in, then leave."""
        _, client = self._login()
        with contextlib.suppress(Exception):
            client.quit()
        client.close()

