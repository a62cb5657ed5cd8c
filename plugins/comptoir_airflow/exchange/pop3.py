"""POP3: reading a mailbox whose messages stay on the server (a `Mailbox`).

Airflow has no POP3 provider: `Pop3Mailbox` reads its Airflow connection itself (any
type; host, port, login, password; extra `use_ssl`, default true: POP3S, port 995,
`false`: plain POP3, port 110; extra `ssl_context`: `default`, the system's trusted
CAs, or `none`, no verification) and talks to the server with `poplib`:

- `session()`: connected, `USER`/`PASS`, the `UIDL` listing read once; `QUIT` at the end
  whatever happened;
- `pending(sender)`: the UIDLs in server order; with a sender, only the messages whose
  From contains it (headers read with `TOP n 0`, the whole message if `TOP` is refused);
- `headers(uidl)`: the header block (`TOP n 0`, the whole message if `TOP` is refused);
- `read(uidl)`: the whole message (`RETR`); `done` does nothing.

Nothing is ever deleted: no `DELE` is sent, so the `QUIT` that ends each session commits
nothing. The messages stay listed; the fetch ledger remembers their UIDLs
(`keeps_messages`), which is why a server without `UIDL` is refused (`CommandRefused`).
Failures are mapped once, in `pop3_error`. `poplib` refuses lines over 2048 bytes (RFC
5322 allows 998): a message with one is refused with `CommandRefused`.
"""

from __future__ import annotations

import contextlib
import poplib
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from comptoir.exchange.errors import (
    CertificateRejected,
    CommandRefused,
    ConnectionFailed,
    ConnectionLost,
    ConnectionMisconfigured,
    ExchangeError,
    LoginRefused,
)
from comptoir.exchange.mail import MailMessage
from comptoir_airflow.exchange.connections import connection_scope
from comptoir_airflow.exchange.net import CONNECT_TIMEOUT, IO_TIMEOUT, hang_up, truthy

__all__ = ["POP3S_PORT", "POP3_PORT", "Pop3Mailbox", "pop3_error"]

POP3_PORT = 110
POP3S_PORT = 995
SSL_CONTEXTS = ("default", "none")

Stage = Literal["connect", "login", "session"]
"""Where a failure happened: before the greeting, at USER/PASS, or once logged in."""

_T = TypeVar("_T")


def _reply(exc: BaseException) -> str:
    """The server's words carried by a poplib error, without the `-ERR` status."""
    value: Any = exc.args[0] if exc.args else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    if text.upper().startswith("-ERR"):
        text = text[4:].strip()
    return text


def _os_text(exc: BaseException) -> str:
    strerror = exc.strerror if isinstance(exc, OSError) else None
    return strerror or str(exc) or type(exc).__name__


def pop3_error(exc: BaseException, where: str, stage: Stage) -> ExchangeError:
    """The domain error for a `poplib`, TLS or socket failure at `stage`."""
    before_login = stage != "session"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CertificateRejected(where, exc.verify_message or "")
    if isinstance(exc, ssl.SSLError) and stage == "connect":
        return ConnectionFailed(
            where, f"TLS failed ({exc.reason}): check the connection's use_ssl extra"
        )
    if isinstance(exc, poplib.error_proto):
        reply = _reply(exc)
        if reply == "EOF":  # poplib's word for a connection closed by the server
            if before_login:
                return ConnectionFailed(where, "the server closed the connection")
            return ConnectionLost(where, "the server closed the connection")
        if stage == "connect":
            return ConnectionFailed(where, reply or "the server refused the connection")
        if stage == "login":
            return LoginRefused(where, reply)
        return CommandRefused(where, reply)
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(where, "unknown host")
    if isinstance(exc, ValueError | OverflowError) and stage == "connect":
        return ConnectionMisconfigured(where, str(exc))  # a bad host name or port number
    if before_login:
        return ConnectionFailed(where, _os_text(exc))
    return ConnectionLost(where, _os_text(exc))


@dataclass(frozen=True)
class _Settings:
    """What a session needs from the Airflow connection."""

    host: str
    port: int
    use_ssl: bool
    context: ssl.SSLContext | None
    login: str
    password: str = field(repr=False)


def _ssl_context(name: str) -> ssl.SSLContext:
    """`default`: certificates checked against the system's CAs; `none`: not checked."""
    context = ssl.create_default_context()
    if name == "none":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class Pop3Mailbox:
    """The mailbox of a POP3 account (Airflow connection `conn_id`), opened by `session()`.

    Handles are UIDLs; messages are never deleted, so they stay listed and the fetch
    ledger remembers which were read (`keeps_messages`).
    """

    keeps_messages = True

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        self.client: poplib.POP3 | None = None
        self._numbers: dict[str, int] = {}
        self._top = True

    @property
    def name(self) -> str:
        """The connection."""
        return f"POP3 connection {self.conn_id!r}"

    # -------------------------------------------------------------------- session

    @contextlib.contextmanager
    def session(self) -> Iterator[Pop3Mailbox]:
        """Logged in, the UIDL listing read; `QUIT` at the end whatever happened.

        Failures of the server are raised as the most specific `ExchangeError`.
        """
        client = self._login()
        self.client = client
        self._top = True
        try:
            self._read_listing()
            yield self
        finally:
            self.client = None
            self._numbers = {}
            hang_up(client.quit, client.close)  # QUIT commits nothing: nothing marked deleted

    def _settings(self, connection: Any) -> _Settings:
        """The connection's fields and extras, checked."""
        extra = connection.extra_dejson or {}
        host = (connection.host or "").strip()
        if not host:
            raise ConnectionMisconfigured(self.name, "no host")
        use_ssl = truthy(extra.get("use_ssl", True))
        context_name = str(extra.get("ssl_context") or "default").strip().lower()
        if context_name not in SSL_CONTEXTS:
            raise ConnectionMisconfigured(
                self.name, f"ssl_context must be 'default' or 'none', not {context_name!r}"
            )
        login, password = connection.login or "", connection.password or ""
        if not login or not password:
            raise LoginRefused(self.name, reason="the connection has no login or no password")
        if any(char in value for value in (login, password) for char in "\r\n\0"):
            raise ConnectionMisconfigured(
                self.name, "the login or the password contains a line break or a NUL"
            )
        return _Settings(
            host=host,
            port=int(connection.port or (POP3S_PORT if use_ssl else POP3_PORT)),
            use_ssl=use_ssl,
            context=_ssl_context(context_name) if use_ssl else None,
            login=login,
            password=password,
        )

    def _login(self) -> poplib.POP3:
        """Connected (TLS when `use_ssl`) and logged in, the I/O timeout set."""
        with connection_scope(self.conn_id, self.name) as connection:
            settings = self._settings(connection)
        try:
            if settings.use_ssl:
                client: poplib.POP3 = poplib.POP3_SSL(
                    settings.host, settings.port, timeout=CONNECT_TIMEOUT,
                    context=settings.context,
                )
            else:
                client = poplib.POP3(settings.host, settings.port, timeout=CONNECT_TIMEOUT)
        except Exception as exc:
            raise pop3_error(exc, self.name, "connect") from exc
        try:
            client.sock.settimeout(IO_TIMEOUT)
            client.user(settings.login)
            client.pass_(settings.password)
        except Exception as exc:
            with contextlib.suppress(Exception):
                client.close()
            raise pop3_error(exc, self.name, "login") from exc
        return client

    def _command(self, command: Callable[..., _T], *args: Any) -> _T:
        """Run one `poplib` command of the open session; its failures as domain errors."""
        try:
            return command(*args)
        except (poplib.error_proto, OSError, EOFError) as exc:
            raise pop3_error(exc, self.name, "session") from exc

    @property
    def _client(self) -> poplib.POP3:
        if self.client is None:
            raise RuntimeError("use the mailbox inside `with mailbox.session():`")
        return self.client

    @property
    def _listing(self) -> dict[str, int]:
        """UIDL → message number, as the open session read it."""
        if self.client is None:
            raise RuntimeError("use the mailbox inside `with mailbox.session():`")
        return self._numbers

    def _read_listing(self) -> None:
        """UIDL → message number, in server order (numbers are stable for the session)."""
        try:
            _, lines, _ = self._command(self._client.uidl)
        except CommandRefused as exc:
            raise CommandRefused(
                self.name, exc.detail,
                reason=("the server does not offer UIDL: without it, POP3 messages cannot "
                        "be told apart and would be fetched twice"),
            ) from exc
        numbers: dict[str, int] = {}
        for line in lines:
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or not parts[0].isdigit():
                continue
            numbers.setdefault(parts[1].strip().decode("ascii", "backslashreplace"),
                               int(parts[0]))
        self._numbers = numbers

    # ------------------------------------------------------------------- messages

    def pending(self, sender: str | None = None) -> list[str]:
        """The UIDLs of the messages (from `sender` when given), in server order."""
        if sender is None:
            return list(self._listing)
        return [uidl for uidl, number in self._listing.items()
                if MailMessage.parse(uidl, self._headers(number)).is_from(sender)]

    def _headers(self, number: int) -> bytes:
        """The header of message `number` (`TOP n 0`; the whole message if refused)."""
        if self._top:
            try:
                _, lines, _ = self._command(self._client.top, number, 0)
                return b"\r\n".join(lines) + b"\r\n"
            except CommandRefused:
                self._top = False
        return self._retrieve(number)

    def _retrieve(self, number: int) -> bytes:
        _, lines, _ = self._command(self._client.retr, number)
        return b"\r\n".join(lines) + b"\r\n"

    def key(self, uidl: str) -> str:
        """The UIDL: stable for the account (the ledger's key includes the connection)."""
        return uidl

    def headers(self, uidl: str) -> MailMessage | None:
        """The header block of message `uidl`; None if the server no longer lists it."""
        number = self._listing.get(uidl)
        if number is None:
            return None
        return MailMessage.parse(uidl, self._headers(number))

    def read(self, uidl: str) -> MailMessage | None:
        """The whole message `uidl`; None if the server no longer lists it."""
        number = self._listing.get(uidl)
        if number is None:
            return None
        return MailMessage.parse(uidl, self._retrieve(number))

    def done(self, uidl: str, *, kept: bool) -> None:
        """Nothing: POP3 has no folders, and messages are never deleted."""
