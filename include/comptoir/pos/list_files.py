"""List files of the base files (the seed's `pvpplstfic.txt`, `pvpplstmail.txt`).

A list file is UTF-8 (a BOM tolerated) or Windows-1252 (detected); blank lines and lines
starting with `;` are ignored; the first other line is `DEBUT LISTE`, the last `FIN LISTE`
(any case, spaces trimmed), with at least one entry between. Any problem is a
`ListFileError` naming the file and the line: nothing is built or sent.

- `read_file_list`: entries name members of the base package (`articles`, `prices`,
  `customers`, `vat_codes`, `payment_modes`, `.csv` optional, any case) or specific files
  relative to the list's folder (at most `MAX_EXTRA_FILES`, each at most `MAX_EXTRA_BYTES`,
  never outside that folder), shipped as `extra/<name>`.
- `read_mail_list`: entries are e-mail addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import check_address
from comptoir.exchange.errors import UnsafeFileName
from comptoir.exchange.names import CONTROL_CHARS, check_name, printable

__all__ = [
    "LISTABLE_MEMBERS",
    "MAX_EXTRA_BYTES",
    "MAX_EXTRA_FILES",
    "FileList",
    "ListEntry",
    "ListFileError",
    "read_file_list",
    "read_list",
    "read_mail_list",
]

LISTABLE_MEMBERS = ("vat_codes", "payment_modes", "articles", "prices", "customers")
"""Members a `--list` entry can name (`settings` and `registers` are always in)."""
ALWAYS_MEMBERS = ("settings", "registers")
MAX_EXTRA_FILES = 20
MAX_EXTRA_BYTES = 50 * 1024 * 1024
MAX_LIST_BYTES = 1024 * 1024

_BEGIN = "DEBUT LISTE"
_END = "FIN LISTE"
_LINE_BREAK = re.compile(r"\r\n|\n|\r")


class ListFileError(ComptoirError):
    """A list file that cannot be used; the message names the file and the line."""

    def __init__(self, path: Path, line: int | None, why: str) -> None:
        self.path = path
        self.line = line
        where = f"{printable(Path(path).name)}, line {line}" if line else printable(
            Path(path).name)
        super().__init__(f"list file {where}: {why}")


@dataclass(frozen=True)
class ListEntry:
    """One entry of a list file: its text (trimmed) and its line."""

    line: int
    text: str


@dataclass(frozen=True)
class FileList:
    """What a `--list` file asks for: members (without `.csv`) and specific files."""

    members: frozenset[str]
    extras: tuple[Path, ...]
    """Resolved paths of the specific files, shipped as `extra/<their name>`."""


def read_list(path: Path) -> list[ListEntry]:
    """The entries between `DEBUT LISTE` and `FIN LISTE`; `ListFileError` naming the line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise ListFileError(path, None, f"larger than {MAX_LIST_BYTES:,} bytes: not a list")
        raw = path.read_bytes()
    except OSError as exc:
        raise ListFileError(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    text = _decode(path, raw)
    lines = [(number, line.strip()) for number, line in
             enumerate(_LINE_BREAK.split(text), start=1)]
    kept = [(number, line) for number, line in lines if line and not line.startswith(";")]
    if not kept:
        raise ListFileError(path, None, f"empty: it must start with {_BEGIN!r} and end with "
                            f"{_END!r}")
    first_line, first = kept[0]
    if first.upper() != _BEGIN:
        raise ListFileError(path, first_line, f"{printable(first)[:80]!r}: the first line must "
                            f"be {_BEGIN!r}")
    last_line, last = kept[-1]
    if len(kept) == 1 or last.upper() != _END:
        raise ListFileError(path, last_line, f"{printable(last)[:80]!r}: the last line must be "
                            f"{_END!r}")
    entries = [ListEntry(number, line) for number, line in kept[1:-1]]
    for entry in entries:
        if entry.text.upper() in (_BEGIN, _END):
            raise ListFileError(path, entry.line, f"{entry.text!r} again: one list per file")
        if CONTROL_CHARS.search(entry.text):
            raise ListFileError(path, entry.line, "the entry holds a control character")
    if not entries:
        raise ListFileError(path, last_line, f"no entry between {_BEGIN!r} and {_END!r}")
    return entries


def _decode(path: Path, raw: bytes) -> str:
    """UTF-8 (BOM tolerated), else Windows-1252; an undefined byte names its line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ListFileError(path, line, "neither UTF-8 nor Windows-1252 text") from exc


def member_name(text: str) -> str | None:
    """The member an entry names (`Articles.CSV` → `articles`), or None."""
    name = text.lower()
    name = name[:-4] if name.endswith(".csv") else name
    return name if name in LISTABLE_MEMBERS + ALWAYS_MEMBERS else None


def read_file_list(path: Path) -> FileList:
    """Members and specific files of a `--list` file (see the module's docstring)."""
    path = Path(path)
    root = path.parent.resolve()
    members: set[str] = set()
    extras: dict[str, tuple[int, Path]] = {}
    for entry in read_list(path):
        member = member_name(entry.text)
        if member is not None:
            members.add(member)
            continue
        found = _specific_file(path, root, entry)
        name = found.name
        if name in extras:
            raise ListFileError(path, entry.line, f"{name!r} is already listed on line "
                                f"{extras[name][0]}: both would be extra/{name}")
        extras[name] = (entry.line, found)
        if len(extras) > MAX_EXTRA_FILES:
            raise ListFileError(path, entry.line, f"more than {MAX_EXTRA_FILES} specific files")
    return FileList(frozenset(members - set(ALWAYS_MEMBERS)),
                    tuple(found for _, found in extras.values()))


def _specific_file(path: Path, root: Path, entry: ListEntry) -> Path:
    """The file an entry names, inside the list's folder, a plain file within the size limit."""
    text = entry.text.replace("\\", "/")
    shown = printable(entry.text)[:120]
    known = ", ".join(LISTABLE_MEMBERS)
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise ListFileError(path, entry.line, f"{shown!r}: specific files are given relative "
                            "to the list's folder, not as absolute paths")
    candidate = (root / text).resolve()
    if candidate == root or root not in candidate.parents:
        raise ListFileError(path, entry.line, f"{shown!r} leads outside the list's folder "
                            f"{root}")
    if not candidate.is_file():
        raise ListFileError(path, entry.line, f"{shown!r} is neither a member ({known}) nor a "
                            f"file of {root}")
    try:
        check_name(candidate.name)
    except UnsafeFileName as exc:
        raise ListFileError(path, entry.line, f"{shown!r}: {exc}") from exc
    size = candidate.stat().st_size
    if size > MAX_EXTRA_BYTES:
        raise ListFileError(path, entry.line, f"{shown!r} is {size:,} bytes; a specific file "
                            f"may not exceed {MAX_EXTRA_BYTES:,}")
    return candidate


def read_mail_list(path: Path) -> tuple[str, ...]:
    """The addresses of a `--mail-list` file, in order, each once (case ignored)."""
    path = Path(path)
    addresses: dict[str, str] = {}
    for entry in read_list(path):
        try:
            address = check_address(entry.text)
        except ValueError:
            raise ListFileError(path, entry.line, f"{printable(entry.text)[:120]!r} is not an "
                                "e-mail address") from None
        addresses.setdefault(address.casefold(), address)
    return tuple(addresses.values())
