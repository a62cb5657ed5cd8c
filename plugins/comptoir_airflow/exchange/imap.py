"""IMAP: reading a mailbox, and filing its messages away (a `Mailbox`).

`ImapMailbox` connects with the provider's `ImapHook` (an Airflow connection of type
`imap`: host, port, login, password; extra `use_ssl`, default true, and `ssl_context`)
and works on the raw `imaplib` client the hook logged in, by UID:

- `pending(sender)`: the unread messages, optionally only those from a sender
  (`every_message=True`: every message not flagged deleted, read or not — the inter-site
  reception, which knows the messages it handled by their key);
- `headers(uid)`: the header block only, left unread (`BODY.PEEK[HEADER]`);
- `read(uid)`: one message read without marking it read (`BODY.PEEK[]`);
- `done(uid, kept)`: marked read, then moved to the processed folder when its
  attachments were kept (`move`: folder created and subscribed when missing; `MOVE` when
  the server has it, else `COPY` then, with `UIDPLUS`, delete and expunge that one
  message only). Nothing is ever deleted otherwise.

Folder names are written with '/' between levels (`Comptoir/Traité`) and turned into the
server's names: its personal namespace prefix and hierarchy delimiter, non-ASCII letters
in modified UTF-7 (RFC 3501). A refused command is `CommandRefused`, a dropped session
`ConnectionLost`.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import socket
import ssl
from collections.abc import Iterator
from typing import Any

from airflow.providers.imap.hooks.imap import ImapHook

from comptoir.exchange.errors import (
    CertificateRejected,
    CommandRefused,
    ConnectionFailed,
    ConnectionLost,
    ConnectionMisconfigured,
    ExchangeError,
    LoginRefused,
    RemoteFolderMissing,
)
from comptoir.exchange.mail import MailMessage
from comptoir_airflow.exchange.connections import connection_scope
from comptoir_airflow.exchange.net import (
    CONNECT_TIMEOUT,
    IO_TIMEOUT,
    default_socket_timeout,
    hang_up,
)

__all__ = ["ImapMailbox", "encode_mailbox_name"]

_NAMESPACE = re.compile(rb'^\(\("((?:[^"\\]|\\.)*)" (?:"((?:[^"\\]|\\.)*)"|NIL)\)')
_LIST_DELIMITER = re.compile(rb'\) (?:"((?:[^"\\]|\\.)*)"|NIL) ')


def _text(value: Any) -> str:
    """The text of an imaplib error or response item."""
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _quote(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def encode_mailbox_name(text: str) -> str:
    """`text` in IMAP's modified UTF-7 (RFC 3501, 5.1.3): `Traité` -> `Trait&AOk-`."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in text:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _connect_error(exc: BaseException, where: str) -> ExchangeError:
    """The domain error for a failure while connecting and logging in."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CertificateRejected(where, exc.verify_message or "")
    if isinstance(exc, ssl.SSLError):
        return ConnectionFailed(
            where, f"TLS failed ({exc.reason}): check the connection's use_ssl extra"
        )
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(where, "unknown host")
    if isinstance(exc, imaplib.IMAP4.abort):
        return ConnectionFailed(where, _text(exc))
    if isinstance(exc, imaplib.IMAP4.error):
        return LoginRefused(where, _text(exc))
    if isinstance(exc, RuntimeError | ValueError):
        return ConnectionMisconfigured(where, str(exc))
    if isinstance(exc, OSError):
        return ConnectionFailed(where, exc.strerror or str(exc) or type(exc).__name__)
    return ConnectionFailed(where, str(exc) or type(exc).__name__)


class ImapMailbox:
    """One folder of an IMAP account (Airflow connection `conn_id`), opened by `session()`.

    `processed_mailbox`: where `done` moves a message whose attachments were kept
    (None: left in place, read). `every_message`: `pending` lists read messages too.
    """

    keeps_messages = False

    def __init__(self, conn_id: str, mailbox: str = "INBOX",
                 processed_mailbox: str | None = None, *, every_message: bool = False) -> None:
        self.conn_id = conn_id
        self.every_message = every_message
        self.mailbox = mailbox
        self.processed_mailbox = processed_mailbox
        self.client: imaplib.IMAP4 | None = None
        self._prefix = ""
        self._delimiter: str | None = "/"
        self._created: set[str] = set()
        self._capabilities: frozenset[str] = frozenset()
        self.uid_validity = ""
        """The folder's UIDVALIDITY once selected: UIDs are stable while it is unchanged."""

    @property
    def name(self) -> str:
        """The connection and the folder."""
        return f"IMAP connection {self.conn_id!r}, mailbox {self.mailbox}"

    # -------------------------------------------------------------------- session

    @contextlib.contextmanager
    def session(self) -> Iterator[ImapMailbox]:
        """Logged in, the folder selected; logged out at the end whatever happened.

        Failures of the server are raised as the most specific `ExchangeError`.
        """
        client = self._login()
        self.client = client
        try:
            self._read_capabilities()
            self._read_namespace()
            typ, data = self._command("select", _quote(self.server_name(self.mailbox)))
            if typ != "OK":
                raise RemoteFolderMissing(self.name, _text(data[0] if data else ""))
            _, data = self._command("response", "UIDVALIDITY")
            self.uid_validity = _text(data[0]) if data and data[0] else ""
            yield self
        finally:
            self.client = None
            hang_up(client.logout, client.shutdown)

    def _command(self, command: str, *args: Any) -> tuple[str, list[Any]]:
        """Run one `imaplib` command; its failures as domain errors."""
        try:
            return getattr(self._client, command)(*args)
        except imaplib.IMAP4.abort as exc:
            raise ConnectionLost(self.name, _text(exc)) from exc
        except imaplib.IMAP4.error as exc:
            raise CommandRefused(self.name, _text(exc)) from exc
        except (OSError, EOFError) as exc:
            raise ConnectionLost(self.name, str(exc) or type(exc).__name__) from exc

    def _login(self) -> imaplib.IMAP4:
        with connection_scope(self.conn_id, self.name):
            hook = ImapHook(imap_conn_id=self.conn_id)
            try:
                with default_socket_timeout(CONNECT_TIMEOUT):
                    hook.get_conn()
            except Exception as exc:
                if hook.mail_client is not None:
                    with contextlib.suppress(Exception):
                        hook.mail_client.shutdown()
                raise _connect_error(exc, self.name) from exc
        client = hook.mail_client
        assert client is not None
        if client.state != "AUTH":  # the hook logs in only with a login and a password
            with contextlib.suppress(Exception):
                client.shutdown()
            raise LoginRefused(self.name, reason="the connection has no login or no password")
        client.sock.settimeout(IO_TIMEOUT)
        return client

    def _read_capabilities(self) -> None:
        """What the server can do once logged in (it tells less before the login)."""
        typ, data = self._command("capability")
        text = _text(data[-1]) if typ == "OK" and data else ""
        self._capabilities = frozenset(text.upper().split()) or frozenset(
            self._client.capabilities
        )

    def _read_namespace(self) -> None:
        """The personal namespace's prefix and the hierarchy delimiter of the server."""
        if "NAMESPACE" in self._capabilities:
            typ, data = self._command("namespace")
            found = _NAMESPACE.match(data[0] or b"") if typ == "OK" and data else None
            if found:
                self._prefix = found.group(1).decode()
                self._delimiter = found.group(2).decode() if found.group(2) else None
                return
        typ, data = self._command("list", '""', '""')
        found = _LIST_DELIMITER.search(data[0] or b"") if typ == "OK" and data else None
        if found:
            self._delimiter = found.group(1).decode() if found.group(1) else None

    @property
    def _client(self) -> imaplib.IMAP4:
        if self.client is None:
            raise RuntimeError("use the mailbox inside `with mailbox.session():`")
        return self.client

    def server_name(self, path: str) -> str:
        """The server's name of a folder written `Level/Level` (`INBOX` stays `INBOX`)."""
        levels = [level for level in path.split("/") if level]
        if levels and levels[0].upper() == "INBOX":
            levels[0], prefix = "INBOX", ""
        else:
            prefix = self._prefix
        return prefix + (self._delimiter or "-").join(encode_mailbox_name(lv) for lv in levels)

    # ------------------------------------------------------------------- messages

    def pending(self, sender: str | None = None) -> list[str]:
        """The UIDs of the unread messages (`every_message`: of every message not flagged
        deleted), from `sender` when given, oldest first."""
        criteria = ["UNDELETED" if self.every_message else "UNSEEN"]
        criteria += ["FROM", _quote(sender)] if sender else []
        typ, data = self._command("uid", "SEARCH", *criteria)
        if typ != "OK":
            raise CommandRefused(self.name, _text(data[0] if data else ""),
                                 reason="the IMAP server refused the search")
        return [uid.decode() for uid in (data[0] or b"").split()]

    def key(self, uid: str) -> str:
        """`UIDVALIDITY:UID`: stable while the folder's UIDVALIDITY is unchanged."""
        return f"{self.uid_validity}:{uid}"

    def read(self, uid: str) -> MailMessage | None:
        """The message `uid`, left unread; None if it is gone."""
        return self._fetch(uid, "BODY.PEEK[]")

    def headers(self, uid: str) -> MailMessage | None:
        """The header block of message `uid` only (no body), left unread; None if gone."""
        return self._fetch(uid, "BODY.PEEK[HEADER]")

    def _fetch(self, uid: str, item: str) -> MailMessage | None:
        typ, data = self._command("uid", "FETCH", uid, f"({item})")
        raw = next((part[1] for part in data or [] if isinstance(part, tuple)), None)
        if typ != "OK" or raw is None:
            return None
        return MailMessage.parse(uid, raw)

    def done(self, uid: str, *, kept: bool) -> None:
        """Mark the message read; move it to the processed folder when it was `kept`."""
        self.mark_seen(uid)
        if kept and self.processed_mailbox:
            self.move(uid, self.processed_mailbox)

    def mark_seen(self, uid: str) -> None:
        """Flag the message as read."""
        typ, data = self._command("uid", "STORE", uid, "+FLAGS", "(\\Seen)")
        if typ != "OK":
            raise CommandRefused(self.name, _text(data[0] if data else ""),
                                 reason="the message cannot be marked as read")

    def move(self, uid: str, folder: str) -> None:
        """Move the message into `folder` (`Level/Level`), created if missing."""
        target = _quote(self.ensure_folder(folder))
        capabilities = self._capabilities
        if "MOVE" in capabilities:
            typ, data = self._command("uid", "MOVE", uid, target)
        else:
            typ, data = self._command("uid", "COPY", uid, target)
            if typ == "OK" and "UIDPLUS" in capabilities:
                self._command("uid", "STORE", uid, "+FLAGS", "(\\Deleted)")
                self._command("uid", "EXPUNGE", uid)
        if typ != "OK":
            raise CommandRefused(self.name, _text(data[0] if data else ""),
                                 reason=f"the message cannot be moved to {folder}")

    def ensure_folder(self, folder: str) -> str:
        """The server name of `folder`, created (and subscribed) if missing."""
        name = self.server_name(folder)
        if name in self._created:
            return name
        typ, data = self._command("list", '""', _quote(name))
        if typ != "OK" or not any(data or []):
            typ, data = self._command("create", _quote(name))
            if typ != "OK":
                raise CommandRefused(self.name, _text(data[0] if data else ""),
                                     reason=f"the folder {folder} cannot be created")
            self._command("subscribe", _quote(name))
        self._created.add(name)
        return name
