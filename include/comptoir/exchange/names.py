"""Names: identifiers, plain file names, and text from outside shown safely.

One place for every rule about a name:

- identifiers (task ids, connection ids, sites): letters, digits, `-`, `_`, `.`;
- plain file names (`check_name`): no folder, no control character, not hidden or
  temporary, at most `MAX_NAME_BYTES`; `safe_name` makes one from an untrusted name;
- `printable`: a name that came from a server or a partner, with every control,
  format and undecodable character escaped, for reports, logs and terminals.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import unicodedata
from collections.abc import Iterator

from comptoir.exchange.errors import InvalidIdentifier, UnsafeFileName

__all__ = [
    "CONTROL_CHARS",
    "MAX_NAME_BYTES",
    "check_identifier",
    "check_name",
    "is_identifier",
    "is_temporary",
    "matches",
    "name_candidates",
    "printable",
    "safe_name",
    "to_identifier",
]

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
"""Characters refused in names, paths, subjects and other one-line settings."""

MAX_NAME_BYTES = 190
"""Longest file name accepted: leaves room for `.NAME.<id>.part`, `NAME.report.json`..."""

TEMPORARY_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".crdownload", "~")
"""Suffixes of files still being written by common tools (ours write `.NAME.part`)."""

_IDENTIFIER_CHARS = "A-Za-z0-9_.-"


@functools.cache
def _identifier(max_length: int) -> re.Pattern[str]:
    return re.compile(rf"^[{_IDENTIFIER_CHARS}]{{1,{max_length}}}$")


def is_identifier(value: object, max_length: int = 250) -> bool:
    """Whether `value` is 1 to `max_length` letters, digits, `-`, `_`, `.` (not `.`, `..`)."""
    return (isinstance(value, str) and value not in {".", ".."}
            and bool(_identifier(max_length).match(value)))


def check_identifier(value: str, what: str, max_length: int = 250) -> str:
    """Return `value` if it is an identifier; raise `InvalidIdentifier` naming `what`."""
    if not is_identifier(value, max_length):
        raise InvalidIdentifier(
            reason=f"{what} {printable(str(value))!r} is not 1 to {max_length} letters, "
            "digits, '-', '_' and '.'"
        )
    return value


def to_identifier(text: str, max_length: int = 120) -> str:
    """`text` with every character an identifier cannot hold replaced by `_`."""
    return re.sub(rf"[^{_IDENTIFIER_CHARS}]", "_", text)[:max_length] or "_"


def printable(text: str) -> str:
    """`text` with control, format and undecodable characters escaped (`\\x1b`, `\\u202e`).

    For names that come from outside (a server's listing, an attachment): shown in a
    report, a log line or a terminal, they can neither move the cursor nor forge a line.
    """
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def is_temporary(name: str) -> bool:
    """True for names of files still being written or hidden: `.x`, `x.part`, `x.tmp`, `~$x`..."""
    return name.startswith((".", "~$")) or name.lower().endswith(TEMPORARY_SUFFIXES)


def matches(name: str, pattern: str) -> bool:
    """Whether `name` matches the glob `pattern`, ignoring case (`*.csv` takes `A.CSV`)."""
    return fnmatch.fnmatchcase(name.casefold(), pattern.casefold())


def check_name(name: str) -> str:
    """Return `name` if it is a plain file name; raise `UnsafeFileName` saying why not.

    A plain name stays in its folder (no `/`, `\\`, `.`, `..`), holds no control
    character, is not hidden or temporary (receivers ignore those: `.x`, `x.part`...)
    and is at most `MAX_NAME_BYTES` long.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnsafeFileName(reason="the file name is empty")
    shown = printable(name)
    if name in {".", ".."}:
        raise UnsafeFileName(reason=f"{shown!r} is not a file name")
    if "/" in name or "\\" in name:
        raise UnsafeFileName(
            reason=f"the file name {shown!r} contains a folder separator ('/' or '\\')"
        )
    if CONTROL_CHARS.search(name):
        raise UnsafeFileName(reason=f"the file name {shown!r} contains a control character")
    if name.startswith("."):
        raise UnsafeFileName(
            reason=f"the file name {shown!r} cannot start with '.': hidden files are the "
            "temporary names of uploads, never picked up"
        )
    if is_temporary(name):
        raise UnsafeFileName(
            reason=f"the file name {shown!r} is that of a temporary file, never picked up"
        )
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > MAX_NAME_BYTES:
        raise UnsafeFileName(
            reason=f"the file name {shown[:40]!r}... is too long ({size} bytes, at most "
            f"{MAX_NAME_BYTES})"
        )
    return name


def safe_name(name: str | None, fallback: str = "attachment") -> str:
    """A plain file name made from an untrusted one (an attachment's, a partner's).

    Keeps the last path component, replaces control characters, drops leading dots and
    `~$`, strips temporary-file suffixes and shortens overlong names, keeping the extension.
    """
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = CONTROL_CHARS.sub("_", text).strip().lstrip(".")
    while text.startswith("~$"):
        text = text[2:].lstrip(".")
    while text and text.lower().endswith(TEMPORARY_SUFFIXES):
        text = text.rstrip("~") if text.endswith("~") else text[: text.rfind(".")]
        text = text.rstrip(". ")
    if not text:
        text = fallback
    stem, suffix = os.path.splitext(text)
    while len((stem + suffix).encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES - 10 and stem:
        stem = stem[:-1]
    return check_name(stem + suffix)


def name_candidates(name: str) -> Iterator[str]:
    """`name`, then `stem-2.ext`, `stem-3.ext`, ...: the names tried when one is taken."""
    yield name
    stem, suffix = os.path.splitext(name)
    number = 2
    while True:
        yield f"{stem}-{number}{suffix}"
        number += 1
