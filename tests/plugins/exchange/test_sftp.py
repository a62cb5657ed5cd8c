"""SFTP deliveries against OpenSSH's sshd on loopback: passwords, keys, folders, faults."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from comptoir.exchange import spool
from comptoir.exchange.errors import (
    ConnectionFailed,
    ConnectionLost,
    ConnectionMisconfigured,
    HostKeyRejected,
    KeyRefused,
    KeyTypeUnsupported,
    LoginRefused,
    PrivateKeyPassphraseMissing,
    PrivateKeyUnreadable,
    RemoteFolderMissing,
    RemoteFolderNotWritable,
)
from comptoir_airflow.exchange.factory import transport_for
from comptoir_airflow.exchange.keys import load_private_key_file, parse_privkey_password
from comptoir_airflow.exchange.sftp import SftpTransport
from tests.servers import silent_server
from tests.servers.sshd import TEST_PASSWORD, SshServer, keygen

pytestmark = pytest.mark.servers

PASSPHRASE = "tototiti-42"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Private keys made by ssh-keygen, as users make them."""
    folder = tmp_path_factory.mktemp("keys")
    return {
        "plain": keygen(folder / "id_plain"),
        "encrypted": keygen(folder / "id_encrypted", "ed25519", PASSPHRASE),
        "rsa_pem": keygen(folder / "id_rsa_pem", "rsa", PASSPHRASE, "-b", "2048", "-m", "PEM"),
        "ecdsa": keygen(folder / "id_ecdsa", "ecdsa", PASSPHRASE),
        "stranger": keygen(folder / "id_stranger"),
        "dsa": keygen(folder / "id_dsa", "dsa"),
    }


@pytest.fixture
def inbox(sshd: SshServer) -> Path:
    """The remote folder the user delivers into."""
    return sshd.user_folder("in")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "clients-20240101.csv"
    path.parent.mkdir()
    path.write_bytes(b"code;nom\n1;Dupont\n")
    return path


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def deliver(conn_id: str, folder: Path, export: Path) -> None:
    transport = transport_for({"method": "sftp", "conn_id": conn_id, "directory": str(folder)})
    assert isinstance(transport, SftpTransport)
    transport.check()
    transport.send(export, export.name)
    assert listing(folder) == [export.name]
    assert (folder / export.name).read_bytes() == export.read_bytes()


def test_password_login(sshd: SshServer, set_connection, inbox: Path, export: Path) -> None:
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD))
    deliver("sftp_loyalty", inbox, export)


def test_wrong_password(sshd: SshServer, set_connection, inbox: Path) -> None:
    set_connection("sftp_loyalty", sshd.connection(password="not-the-password"))
    with pytest.raises(LoginRefused, match="'sftp_loyalty'.*login refused") as caught:
        SftpTransport("sftp_loyalty", str(inbox)).check()
    assert "not-the-password" not in str(caught.value)


def test_unencrypted_key_file(sshd, set_connection, keys, inbox, export) -> None:
    sshd.authorize(keys["plain"].with_suffix(".pub"))
    set_connection("sftp_key", sshd.connection(extra={"key_file": str(keys["plain"])}))
    deliver("sftp_key", inbox, export)


def test_encrypted_pem_key_with_passphrase(sshd, set_connection, keys, inbox, export) -> None:
    sshd.authorize(keys["rsa_pem"].with_suffix(".pub"))
    set_connection(
        "sftp_key",
        sshd.connection(
            extra={"key_file": str(keys["rsa_pem"]), "private_key_passphrase": PASSPHRASE}
        ),
    )
    deliver("sftp_key", inbox, export)


def test_encrypted_key_without_passphrase(sshd, set_connection, keys, inbox) -> None:
    sshd.authorize(keys["encrypted"].with_suffix(".pub"))
    set_connection("sftp_key", sshd.connection(extra={"key_file": str(keys["encrypted"])}))
    with pytest.raises(
        PrivateKeyPassphraseMissing,
        match="the private key is encrypted but no passphrase was given",
    ):
        SftpTransport("sftp_key", str(inbox)).check()


def test_wrong_passphrase(sshd, set_connection, keys, inbox) -> None:
    sshd.authorize(keys["encrypted"].with_suffix(".pub"))
    set_connection(
        "sftp_key",
        sshd.connection(
            extra={"key_file": str(keys["encrypted"]), "private_key_passphrase": "wrong-one"}
        ),
    )
    with pytest.raises(
        PrivateKeyUnreadable, match="the passphrase is wrong or the key is unreadable"
    ):
        SftpTransport("sftp_key", str(inbox)).check()


def test_key_refused_by_the_server(sshd, set_connection, keys, inbox) -> None:
    sshd.authorize(keys["plain"].with_suffix(".pub"))
    set_connection("sftp_key", sshd.connection(extra={"key_file": str(keys["stranger"])}))
    with pytest.raises(
        KeyRefused, match=r"the server refused the key: Permission denied \(publickey\)"
    ):
        SftpTransport("sftp_key", str(inbox)).check()


def test_unsupported_key_type(sshd, set_connection, keys, inbox) -> None:
    # DSA keys: ssh-keygen still makes them, OpenSSH and paramiko no longer use them.
    set_connection("sftp_key", sshd.connection(extra={"key_file": str(keys["dsa"])}))
    with pytest.raises(KeyTypeUnsupported, match=r"key type is not supported.*ssh-dss"):
        SftpTransport("sftp_key", str(inbox)).check()


def test_missing_key_file(sshd, set_connection, tmp_path, inbox) -> None:
    set_connection("sftp_key", sshd.connection(extra={"key_file": str(tmp_path / "nope")}))
    with pytest.raises(PrivateKeyUnreadable, match="cannot be read"):
        SftpTransport("sftp_key", str(inbox)).check()


def test_inline_private_key_in_the_extra(sshd, set_connection, keys, inbox, export) -> None:
    sshd.authorize(keys["ecdsa"].with_suffix(".pub"))
    set_connection(
        "sftp_inline",
        sshd.connection(
            extra={
                "private_key": keys["ecdsa"].read_text(),
                "private_key_passphrase": PASSPHRASE,
            }
        ),
    )
    deliver("sftp_inline", inbox, export)


def test_inline_private_key_without_passphrase(sshd, set_connection, keys, inbox) -> None:
    set_connection("sftp_inline", sshd.connection(extra={"private_key": keys["ecdsa"].read_text()}))
    with pytest.raises(PrivateKeyPassphraseMissing):
        SftpTransport("sftp_inline", str(inbox)).check()


def test_privkey_password_form(sshd, set_connection, keys, inbox, export) -> None:
    sshd.authorize(keys["encrypted"].with_suffix(".pub"))
    set_connection(
        "sftp_legacy", sshd.connection(password=f"privkey://{keys['encrypted']}:{PASSPHRASE}")
    )
    deliver("sftp_legacy", inbox, export)


def test_privkey_password_form_without_passphrase(sshd, set_connection, keys, inbox) -> None:
    sshd.authorize(keys["plain"].with_suffix(".pub"))
    set_connection("sftp_legacy", sshd.connection(password=f"privkey://{keys['plain']}"))
    SftpTransport("sftp_legacy", str(inbox)).check()
    set_connection("sftp_legacy", sshd.connection(password=f"privkey://{keys['encrypted']}"))
    with pytest.raises(PrivateKeyPassphraseMissing):
        SftpTransport("sftp_legacy", str(inbox)).check()


def test_remote_folder_missing(sshd, set_connection, export) -> None:
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD))
    with pytest.raises(RemoteFolderMissing, match="the remote folder does not exist"):
        SftpTransport("sftp_loyalty", str(sshd.root / "missing")).send(export, export.name)


def test_check_proves_the_folder_is_writable(sshd, set_connection) -> None:
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD))
    with pytest.raises(RemoteFolderNotWritable, match="the remote folder is not writable"):
        SftpTransport("sftp_loyalty", str(sshd.root / "readonly")).check()
    writable = sshd.user_folder("out")
    SftpTransport("sftp_loyalty", str(writable)).check()
    assert listing(writable) == [], "the probe file is removed"


def test_remote_folder_not_writable(sshd, set_connection, export) -> None:
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD))
    with pytest.raises(RemoteFolderNotWritable, match="the remote folder is not writable"):
        SftpTransport("sftp_loyalty", str(sshd.root / "readonly")).send(export, export.name)
    assert listing(sshd.root / "readonly") == []


def test_an_older_file_is_replaced(sshd, set_connection, inbox, export) -> None:
    older = inbox / export.name
    older.write_bytes(b"yesterday's much longer content")
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD))
    SftpTransport("sftp_loyalty", str(inbox)).send(export, export.name)
    assert listing(inbox) == [export.name]
    assert older.read_bytes() == export.read_bytes()


def test_unknown_host_key(sshd, set_connection, inbox) -> None:
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD, host_key=False))
    with pytest.raises(HostKeyRejected, match="host key"):
        SftpTransport("sftp_loyalty", str(inbox)).check()


# ----------------------------------------------------------------------------- faults


def test_server_down_then_back_delivers_exactly_once(
    sshd: SshServer, set_connection, inbox: Path, export: Path, comptoir_home: Path
) -> None:
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD))
    transport = SftpTransport("sftp_loyalty", str(inbox))
    spool.enqueue("export-clients", [export])
    sshd.stop()

    down = spool.deliver_pending("export-clients", transport)
    assert isinstance(down.error, ConnectionFailed), down.error
    assert "cannot connect to the server" in str(down.error)
    assert [p.name for p in spool.pending("export-clients")] == [export.name]

    sshd.start()
    back = spool.deliver_pending("export-clients", transport)
    assert back.ok and back.delivered == (export.name,)
    assert spool.pending("export-clients") == []
    assert listing(inbox) == [export.name]
    assert (inbox / export.name).read_bytes() == export.read_bytes()


def test_session_killed_mid_upload_leaves_no_partial_file(
    sshd: SshServer, set_connection, inbox: Path, tmp_path: Path, comptoir_home: Path
) -> None:
    big = tmp_path / "stock-full.csv"
    big.write_bytes(os.urandom(24 * 1024 * 1024))
    set_connection("sftp_loyalty", sshd.connection(password=TEST_PASSWORD))
    transport = SftpTransport("sftp_loyalty", str(inbox))
    spool.enqueue("stock", [big])

    part = inbox / f".{big.name}.part"
    seen: list[int] = []
    done = threading.Event()

    def kill_when_half_written() -> None:
        # Kill the user's SFTP session once the server has part of the file, not all.
        while not done.is_set():
            try:
                size = part.stat().st_size
            except FileNotFoundError:
                time.sleep(0.0005)
                continue
            if size > 0:
                seen.append(size)
                sshd.kill_sessions()
                return
            time.sleep(0.0005)

    watcher = threading.Thread(target=kill_when_half_written)
    watcher.start()
    try:
        broken = spool.deliver_pending("stock", transport)
    finally:
        done.set()
        watcher.join()

    assert seen and 0 < seen[0] < big.stat().st_size, "the session died mid-upload"
    assert isinstance(broken.error, ConnectionLost), broken.error
    assert big.name not in listing(inbox), "no partial file under the final name"
    assert [p.name for p in spool.pending("stock")] == [big.name]

    retry = spool.deliver_pending("stock", transport)
    assert retry.ok, retry.error
    assert listing(inbox) == [big.name]
    assert (inbox / big.name).read_bytes() == big.read_bytes()
    assert spool.pending("stock") == []


def test_a_server_that_never_answers_times_out(set_connection, sshd: SshServer) -> None:
    with silent_server() as port:
        set_connection(
            "sftp_loyalty",
            sshd.connection(password=TEST_PASSWORD, port=port, extra={"conn_timeout": 1}),
        )
        started = time.monotonic()
        with pytest.raises(ConnectionFailed, match="timed out.*no SSH greeting"):
            SftpTransport("sftp_loyalty", "/").check()
        assert time.monotonic() - started < 5


# ------------------------------------------------------------- the privkey:// form


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("privkey:///home/edi/.ssh/id_ed25519", ("/home/edi/.ssh/id_ed25519", None)),
        ("privkey:///home/edi/key:tototiti", ("/home/edi/key", "tototiti")),
        ("privkey:///home/edi/key:", ("/home/edi/key", None)),
        ("privkey:///k:pass:with:colons/and/slashes", ("/k", "pass:with:colons/and/slashes")),
        ("privkey://~/.ssh/id_rsa:secret", ("~/.ssh/id_rsa", "secret")),
        # A definition exported from a Windows machine (the seed's own example).
        ("privkey://C:\\Users\\julie\\ssh\\testkey2:tototiti",
         ("C:\\Users\\julie\\ssh\\testkey2", "tototiti")),
        ("privkey://C:/keys/id", ("C:/keys/id", None)),
        ("an ordinary password", None),
        ("", None),
        (None, None),
    ],
)
def test_privkey_password_parsing(password, expected) -> None:
    assert parse_privkey_password(password) == expected


def test_putty_keys_are_named_as_unsupported(tmp_path: Path) -> None:
    ppk = tmp_path / "key.ppk"
    ppk.write_text("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n")
    with pytest.raises(KeyTypeUnsupported, match="PuTTY"):
        load_private_key_file(str(ppk), None, "SFTP connection 'x'")


def test_garbage_is_unreadable(tmp_path: Path) -> None:
    junk = tmp_path / "key"
    junk.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n"
                    "-----END OPENSSH PRIVATE KEY-----\n")
    with pytest.raises(PrivateKeyUnreadable, match="the passphrase is wrong or the key"):
        load_private_key_file(str(junk), None, "SFTP connection 'x'")


def test_key_file_and_inline_key_together_are_a_misconfiguration(
    sshd: SshServer, set_connection, keys
) -> None:
    set_connection("sftp_key", sshd.connection(extra={
        "key_file": str(keys["plain"]), "private_key": keys["plain"].read_text()}))
    with pytest.raises(ConnectionMisconfigured, match="key_file and private_key"):
        SftpTransport("sftp_key", "/").check()


def test_no_password_and_no_key(sshd: SshServer, set_connection, monkeypatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    set_connection("sftp_nothing", sshd.connection())
    with pytest.raises(LoginRefused, match="no password and no key"):
        SftpTransport("sftp_nothing", "/").check()
