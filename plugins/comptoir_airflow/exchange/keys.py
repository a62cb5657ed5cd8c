"""SSH private keys for SFTP: the `privkey://` password form, and loading a key
with an error that names the cause (missing passphrase, wrong passphrase, unsupported type).
"""

from __future__ import annotations

import base64
import io
import re
import struct
from pathlib import Path

import paramiko
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from comptoir.exchange.errors import (
    KeyTypeUnsupported,
    PrivateKeyPassphraseMissing,
    PrivateKeyUnreadable,
)

PRIVKEY_SCHEME = "privkey://"
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_SUPPORTED_TYPES = ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp")
_PEM_DSA = b"-----BEGIN DSA PRIVATE KEY-----"
_OPENSSH_BLOCK = re.compile(
    rb"-----BEGIN OPENSSH PRIVATE KEY-----(.+?)-----END OPENSSH PRIVATE KEY-----", re.S
)


def parse_privkey_password(password: str | None) -> tuple[str, str | None] | None:
    """Split a `privkey://PATH[:PASSPHRASE]` password into path and passphrase; else None.

    The path ends at the first ':' that is not the drive of a Windows path (`C:\\...`,
    as in definitions exported from older systems): everything after it is the
    passphrase, which may itself contain ':'. A key path containing ':' cannot be written
    this way; name it in the `key_file` extra instead. An empty passphrase means none.
    """
    if not password or not password.startswith(PRIVKEY_SCHEME):
        return None
    rest = password[len(PRIVKEY_SCHEME):]
    start = 2 if _DRIVE.match(rest) else 0
    colon = rest.find(":", start)
    if colon < 0:
        return rest, None
    return rest[:colon], rest[colon + 1:] or None


def _openssh_key_type(data: bytes) -> str | None:
    """The key type of an OpenSSH-format private key, readable even when it is encrypted."""
    block = _OPENSSH_BLOCK.search(data)
    if block is None:
        return None
    try:
        blob = base64.b64decode(b"".join(block.group(1).split()))
        magic = b"openssh-key-v1\x00"
        if not blob.startswith(magic):
            return None
        offset = len(magic)
        for _ in range(3):  # cipher name, kdf name, kdf options
            (length,) = struct.unpack_from(">I", blob, offset)
            offset += 4 + length
        offset += 4  # number of keys
        offset += 4  # length of the first public key
        (length,) = struct.unpack_from(">I", blob, offset)
        return blob[offset + 4 : offset + 4 + length].decode("ascii")
    except (ValueError, struct.error, UnicodeDecodeError):
        return None


def _decode(data: bytes, passphrase: bytes | None):  # type: ignore[no-untyped-def]
    """A cryptography private key from OpenSSH, PEM or PKCS#8 text."""
    if _OPENSSH_BLOCK.search(data):
        return serialization.load_ssh_private_key(data, password=passphrase)
    return serialization.load_pem_private_key(data, password=passphrase)


def load_private_key(data: bytes, passphrase: str | None, where: str) -> paramiko.PKey:
    """A paramiko key from key text; errors name the cause, prefixed with `where`."""
    if data.lstrip().startswith(b"PuTTY-User-Key-File"):
        raise KeyTypeUnsupported(
            where, reason="PuTTY .ppk keys are not supported: export the key in OpenSSH format"
        )
    key_type = _openssh_key_type(data)
    if (key_type and not key_type.startswith(_SUPPORTED_TYPES)) or _PEM_DSA in data:
        raise KeyTypeUnsupported(where, key_type or "ssh-dss")
    secret = passphrase.encode() if passphrase else None
    try:
        try:
            key = _decode(data, secret)
        except TypeError:
            if secret is None:  # encrypted, and no passphrase
                raise
            key = _decode(data, None)  # a passphrase for a key that is not encrypted
    except TypeError as exc:
        raise PrivateKeyPassphraseMissing(where) from exc
    except UnsupportedAlgorithm as exc:
        raise KeyTypeUnsupported(where, key_type or "") from exc
    except ValueError as exc:
        raise PrivateKeyUnreadable(where) from exc
    if isinstance(key, rsa.RSAPrivateKey):
        key_class: type[paramiko.PKey] = paramiko.RSAKey
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        key_class = paramiko.Ed25519Key
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        key_class = paramiko.ECDSAKey
    else:
        raise KeyTypeUnsupported(where, key_type or type(key).__name__)
    text = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode("ascii")
    try:
        return key_class.from_private_key(io.StringIO(text))
    except (paramiko.SSHException, ValueError) as exc:
        raise KeyTypeUnsupported(where, str(exc)) from exc


def load_private_key_file(path: str, passphrase: str | None, where: str) -> paramiko.PKey:
    """A paramiko key from a key file (`~` expanded)."""
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PrivateKeyUnreadable(
            where, reason=f"the private key file {path} cannot be read ({exc.strerror})"
        ) from exc
    return load_private_key(data, passphrase, where)
