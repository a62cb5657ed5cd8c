"""Reading an IMAP mailbox: unread messages, their attachments, and filing them away.

`ImapMailbox` connects with the provider's `ImapHook` (an Airflow connection of type
`imap`: host, port, login, password; extra `use_ssl`, default true, and `ssl_context`)
and works on the raw `imaplib` client the hook logged in, by UID:

- `unseen(sender)`: the unread messages, optionally only those from a sender;
- `message(uid)`: one message read without marking it read (`BODY.PEEK[]`), with its
  Message-ID, sender, subject, date and attachments;
- `mark_seen(uid)`, `move(uid, folder)` (folder created and subscribed when missing;
  `MOVE` when the server has it, else `COPY` then, with `UIDPLUS`, delete and expunge
  that one message only).

Folder names are written with '/' between levels (`Comptoir/Traité`) and turned into the
server's names: its personal namespace prefix and hierarchy delimiter, non-ASCII letters
in modified UTF-7 (RFC 3501). `fetch_attachments` is the inbox fetch built on it, one
message at a time by `save_attachments`.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import email.utils
import imaplib
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from airflow.providers.imap.hooks.imap import ImapHook

from comptoir.automation.inbox import (
    FetchedFile,
    FetchLedger,
    FetchResult,
    ImapInboxSource,
    Inbox,
    Skipped,
    content_digest,
    ledger_key,
    matches,
    safe_name,
)
from comptoir.automation.transports import (
    CertificateRejected,
    ConnectionFailed,
    ConnectionLost,
    ConnectionMisconfigured,
    DeliveryError,
    LoginRefused,
    RemoteFolderMissing,
)
from comptoir_airflow._connections import connection_scope
from comptoir_airflow.transports import CONNECT_TIMEOUT, IO_TIMEOUT, _default_socket_timeout

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


@dataclass(frozen=True)
class Attachment:
    """One attachment: its name as sent, a safe file name made from it, its bytes."""

    filename: str
    safe_name: str
    payload: bytes


@dataclass(frozen=True)
class MailMessage:
    """One message of the mailbox."""

    uid: str
    message_id: str | None
    sender: str
    subject: str
    date: str | None
    message: EmailMessage = field(repr=False)

    @property
    def sender_address(self) -> str:
        """The bare address of the sender (`a@example.com`)."""
        return email.utils.parseaddr(self.sender)[1]

    def attachments(self, pattern: str = "*") -> list[Attachment]:
        """The attachments whose name matches `pattern` (a glob, ignoring case), in order."""
        found = []
        for part in self.message.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if not filename or not matches(filename, pattern):
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append(Attachment(filename, safe_name(filename), payload))
        return found

    def describe(self) -> str:
        """One line naming the message for reports."""
        return f"message {self.subject!r} from {self.sender or 'an unknown sender'}"


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):  # a header too broken to parse
        value = message.get_all(name, [None])[0]
    return None if value is None else " ".join(str(value).split())


def _connect_error(exc: BaseException, where: str) -> DeliveryError:
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
    """One folder of an IMAP account (Airflow connection `conn_id`), opened by `session()`."""

    def __init__(self, conn_id: str, mailbox: str = "INBOX") -> None:
        self.conn_id = conn_id
        self.mailbox = mailbox
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

        Failures of the server are raised as the most specific `DeliveryError`.
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
            try:
                client.logout()
            except Exception:
                with contextlib.suppress(Exception):
                    client.shutdown()

    def _command(self, command: str, *args: Any) -> tuple[str, list[Any]]:
        """Run one `imaplib` command; its failures as domain errors."""
        try:
            return getattr(self._client, command)(*args)
        except imaplib.IMAP4.abort as exc:
            raise ConnectionLost(self.name, _text(exc)) from exc
        except imaplib.IMAP4.error as exc:
            raise DeliveryError(
                self.name, _text(exc), reason="the IMAP server refused a command"
            ) from exc
        except (OSError, EOFError) as exc:
            raise ConnectionLost(self.name, str(exc) or type(exc).__name__) from exc

    def _login(self) -> imaplib.IMAP4:
        with connection_scope(self.conn_id, self.name):
            hook = ImapHook(imap_conn_id=self.conn_id)
            try:
                with _default_socket_timeout(CONNECT_TIMEOUT):
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

    def unseen(self, sender: str | None = None) -> list[str]:
        """The UIDs of the unread messages (from `sender` when given), oldest first."""
        criteria = ["UNSEEN"] + (["FROM", _quote(sender)] if sender else [])
        typ, data = self._command("uid", "SEARCH", *criteria)
        if typ != "OK":
            raise DeliveryError(
                self.name, _text(data[0] if data else ""),
                reason="the IMAP server refused the search",
            )
        return [uid.decode() for uid in (data[0] or b"").split()]

    def message(self, uid: str) -> MailMessage | None:
        """The message `uid`, left unread; None if it is gone."""
        typ, data = self._command("uid", "FETCH", uid, "(BODY.PEEK[])")
        raw = next((item[1] for item in data or [] if isinstance(item, tuple)), None)
        if typ != "OK" or raw is None:
            return None
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return MailMessage(
            uid=uid,
            message_id=_header(message, "Message-ID"),
            sender=_header(message, "From") or "",
            subject=_header(message, "Subject") or "",
            date=_header(message, "Date"),
            message=message,
        )

    def mark_seen(self, uid: str) -> None:
        """Flag the message as read."""
        typ, data = self._command("uid", "STORE", uid, "+FLAGS", "(\\Seen)")
        if typ != "OK":
            raise DeliveryError(
                self.name, _text(data[0] if data else ""),
                reason="the message cannot be marked as read",
            )

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
            raise DeliveryError(
                self.name, _text(data[0] if data else ""),
                reason=f"the message cannot be moved to {folder}",
            )

    def ensure_folder(self, folder: str) -> str:
        """The server name of `folder`, created (and subscribed) if missing."""
        name = self.server_name(folder)
        if name in self._created:
            return name
        typ, data = self._command("list", '""', _quote(name))
        if typ != "OK" or not any(data or []):
            typ, data = self._command("create", _quote(name))
            if typ != "OK":
                raise DeliveryError(
                    self.name, _text(data[0] if data else ""),
                    reason=f"the folder {folder} cannot be created",
                )
            self._command("subscribe", _quote(name))
        self._created.add(name)
        return name


def imap_source_id(source: ImapInboxSource) -> str:
    """The id of the source in the fetch ledger."""
    return ledger_key(source.kind, source.conn_id, source.mailbox)


@dataclass
class SavedAttachments:
    """What `save_attachments` did with one message."""

    keys: list[str] = field(default_factory=list)
    fetched: list[FetchedFile] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def save_attachments(
    source: ImapInboxSource, ledger: FetchLedger, message: MailMessage, uid_validity: str
) -> SavedAttachments:
    """Save the message's matching attachments into the ledger's inbox, unless saved before.

    Attachments are keyed by Message-ID (else UIDVALIDITY and UID), position, name and
    a digest of the content: a message seen again after a crash is not saved twice.
    """
    saved = SavedAttachments()
    identity = message.message_id or f"uid:{uid_validity}:{message.uid}"
    origin = {
        "source": source.describe(),
        "message_id": message.message_id,
        "sender": message.sender,
        "subject": message.subject,
        "date": message.date,
    }
    for index, attachment in enumerate(message.attachments(source.pattern)):
        key = ledger_key(
            imap_source_id(source), identity, index, attachment.safe_name,
            content_digest(attachment.payload),
        )
        saved.keys.append(key)
        where = origin | {"remote_name": attachment.filename}
        path, new = ledger.receive(key, attachment.safe_name, attachment.payload, origin=where)
        if new and path is not None:
            saved.fetched.append(FetchedFile(path, attachment.filename, where))
        elif not new:
            saved.already.append(attachment.filename)
    return saved


def fetch_attachments(source: ImapInboxSource, inbox: Inbox) -> FetchResult:
    """Save the matching attachments of the unread messages into `inbox`, then file them.

    A message is marked as read once all its matching attachments are in the inbox, and
    then moved to `source.processed_mailbox` (when set). A message without a matching
    attachment is marked as read and left where it is (listed as skipped). A crash
    before the message is marked leaves no duplicate (see `save_attachments`).
    """
    mailbox = ImapMailbox(source.conn_id, source.mailbox)
    fetched: list[FetchedFile] = []
    already: list[str] = []
    skipped: list[Skipped] = []
    with mailbox.session(), inbox.fetching(imap_source_id(source)) as ledger:
        for uid in mailbox.unseen(source.sender):
            message = mailbox.message(uid)
            if message is None:
                continue
            saved = save_attachments(source, ledger, message, mailbox.uid_validity)
            fetched += saved.fetched
            already += saved.already
            mailbox.mark_seen(uid)
            if not saved.keys:
                skipped.append(Skipped(
                    message.describe(), f"no attachment matching {source.pattern}; marked as read"
                ))
            elif source.processed_mailbox:
                try:
                    mailbox.move(uid, source.processed_mailbox)
                except DeliveryError as exc:
                    skipped.append(Skipped(
                        message.describe(), f"attachments fetched, marked as read, not moved: {exc}"
                    ))
            for key in saved.keys:
                ledger.forget(key)
        ledger.prune()
    return FetchResult(source.describe(), tuple(fetched), tuple(already), tuple(skipped))
