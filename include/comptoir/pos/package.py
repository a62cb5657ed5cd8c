"""The zip package shared by POS ticket files and register base packages.

A package is a ZIP (stored or deflate, unencrypted) of plain members at its root, one of
them `manifest.json` describing the others (`bytes`, `sha256` of their uncompressed bytes,
`rows` for CSV members). Base packages may also hold one level `extra/<name>`.

Reading (`open_package`) never extracts anything to disk: members are read as bounded
streams. A package that cannot be trusted is refused whole with `PackageRefused`, whose
`rule` is the first of `RULES` it breaks, checked in that order (a CRC error is only seen
when a member is read, after the directory checks up to `missing_member`).

Writing (`write_package`) goes to `.NAME.part` in the target folder, flushed and synced,
then linked to the first free name among `NAME`, `NAME-2`, ... (never over a file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from comptoir.errors import ComptoirError
from comptoir.exchange.errors import UnsafeFileName
from comptoir.exchange.files import fsync_folder, link_to_free_name, write_durably
from comptoir.exchange.names import CONTROL_CHARS, check_name, printable

__all__ = [
    "DEFAULT_LIMITS",
    "EXTRA_FOLDER",
    "MANIFEST",
    "RULES",
    "Limits",
    "MemberData",
    "Package",
    "PackageRefused",
    "PackageSpec",
    "open_package",
    "write_package",
]

MiB = 1024 * 1024
GiB = 1024 * MiB

MANIFEST = "manifest.json"
"""The member describing all the others."""

EXTRA_FOLDER = "extra"
"""The one folder a package may hold, when its spec allows it (`extra/<name>`)."""

RULES = (
    "bad_zip", "too_large", "zip_bomb", "unsafe_member", "unexpected_member",
    "missing_member", "bad_manifest", "checksum", "bad_header", "bad_row",
    "duplicate_in_file", "orphan_row", "unknown_register",
)
"""Every reason a whole file is refused, in the order they are checked."""

_CHUNK = MiB
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_EOCD = b"PK\x05\x06"
_ACCEPTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


class PackageRefused(ComptoirError):
    """The package is refused whole; `rule` (one of `RULES`) and `message` say why."""

    def __init__(self, rule: str, message: str, *, member: str | None = None,
                 line: int | None = None) -> None:
        assert rule in RULES, rule
        self.rule = rule
        self.message = message
        self.member = member
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class Limits:
    """Size limits of a package (module defaults: the contract's; tests pass smaller)."""

    file_bytes: int = 512 * MiB
    member_bytes: int = 1 * GiB
    total_bytes: int = 2 * GiB
    ratio: int = 200
    ratio_from_bytes: int = 1 * MiB
    """A member larger than this may not declare more than `ratio` × its compressed size."""
    manifest_bytes: int = 1 * MiB
    members: int = 1000
    """Entries the central directory may declare (more is refused before it is parsed)."""


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class PackageSpec:
    """What a kind of package holds: its manifest `format` and members besides the manifest."""

    format: str
    version: int
    members: frozenset[str]
    kinds: frozenset[str] | None = None
    """Accepted values of the manifest's `kind`; None: the manifest has no `kind`."""
    allow_extra: bool = False
    """Whether `extra/<name>` members are accepted (base packages)."""
    check_manifest: Callable[[Mapping[str, Any]], str | None] | None = None
    """The kind's own manifest fields: returns why they are wrong (`bad_manifest`), or None."""


@dataclass(frozen=True)
class MemberData:
    """A member to write: its uncompressed bytes and, for a CSV member, its data rows."""

    name: str
    data: bytes
    rows: int | None = None


@dataclass
class Package:
    """An opened package whose container, manifest and checksums were checked."""

    path: Path
    manifest: dict[str, Any]
    names: tuple[str, ...]
    """Members besides the manifest, in directory order."""
    sha256: str
    """SHA-256 of the whole file (lowercase hex)."""
    _zip: zipfile.ZipFile = field(repr=False)

    @contextlib.contextmanager
    def open_member(self, name: str) -> Iterator[IO[bytes]]:
        """A binary stream of a member; a read error is `bad_zip`, never more than declared."""
        info = self._zip.getinfo(name)
        try:
            with self._zip.open(info) as stream:
                yield stream
        except PackageRefused:
            raise
        except _ZIP_ERRORS as exc:
            raise _unreadable(name, exc) from exc

    def rows_declared(self, name: str) -> int:
        """The `rows` the manifest declares for a CSV member."""
        return int(self.manifest["members"][name]["rows"])


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
               ValueError, struct.error, OSError)


def _unreadable(name: str, exc: BaseException) -> PackageRefused:
    return PackageRefused(
        "bad_zip", f"the member {printable(name)!r} cannot be read: the file is truncated or "
        f"corrupt ({printable(str(exc))[:200]})", member=name)


# --------------------------------------------------------------------------- reading


@contextlib.contextmanager
def open_package(path: Path, spec: PackageSpec, limits: Limits = DEFAULT_LIMITS
                 ) -> Iterator[Package]:
    """Open and check the package at `path`; raise `PackageRefused` with the first rule broken.

    Checks the container (through `missing_member`), reads the manifest (`bad_manifest`)
    and every member once to compare its bytes and SHA-256 (`checksum`). CSV contents
    (rows, headers) are the caller's: see `comptoir.pos.package_csv`.
    """
    path = Path(path)
    size = _check_outside(path, limits)
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise PackageRefused(
            "bad_zip", f"{printable(path.name)!r} is not a readable zip file "
            f"({printable(str(exc))[:200]})") from exc
    try:
        infos = archive.infolist()
        _check_directory(infos, size, limits)
        names = _check_members(infos, spec)
        digests = {info.filename: _digest(archive, info) for info in infos}
        manifest = _read_manifest(archive, archive.getinfo(MANIFEST), spec, names, limits)
        _check_checksums(manifest, digests, names)
        yield Package(path=path, manifest=manifest, names=names, sha256=_file_sha256(path),
                      _zip=archive)
    finally:
        archive.close()


def _check_outside(path: Path, limits: Limits) -> int:
    """bad_zip / too_large / zip_bomb from the file size and end record, before parsing."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - (65535 + 22)))
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise PackageRefused("bad_zip", f"{printable(path.name)!r} is not a zip file "
                             "(no end of central directory: not a zip, or truncated)")
    if size > limits.file_bytes:
        raise PackageRefused("too_large", f"{printable(path.name)!r} is {size:,} bytes; a "
                             f"package may not exceed {limits.file_bytes:,} bytes")
    entries = struct.unpack("<H", tail[at + 10:at + 12])[0]
    if entries > limits.members:  # 0xFFFF (zip64) too: no package of ours needs it
        raise PackageRefused("zip_bomb", f"{printable(path.name)!r} declares {entries:,} "
                             f"members; a package holds at most {limits.members:,}")
    return size


def _check_directory(infos: list[zipfile.ZipInfo], size: int, limits: Limits) -> None:
    """bad_zip (compression method) and zip_bomb (declared sizes) from the directory."""
    for info in infos:
        if info.compress_type not in _ACCEPTED_METHODS:
            raise PackageRefused(
                "bad_zip", f"the member {printable(info.filename)!r} uses compression method "
                f"{info.compress_type}; only stored and deflate are accepted",
                member=info.filename)
    total = 0
    for info in infos:
        shown = printable(info.filename)
        total += info.file_size
        if info.file_size > limits.member_bytes:
            raise PackageRefused(
                "zip_bomb", f"the member {shown!r} declares {info.file_size:,} bytes; a member "
                f"may not exceed {limits.member_bytes:,}", member=info.filename)
        if (info.file_size > limits.ratio_from_bytes
                and info.file_size > limits.ratio * max(info.compress_size, 1)):
            raise PackageRefused(
                "zip_bomb", f"the member {shown!r} declares {info.file_size:,} bytes from "
                f"{info.compress_size:,} compressed: more than {limits.ratio} times",
                member=info.filename)
    if total > limits.total_bytes:
        raise PackageRefused("zip_bomb", f"the members declare {total:,} bytes in all; a "
                             f"package may not exceed {limits.total_bytes:,}")


def _unsafe_reason(name: str, allow_extra: bool) -> str | None:
    """Why a member name or entry is unsafe, or None."""
    if not name:
        return "has an empty name"
    if CONTROL_CHARS.search(name):
        return "has a control character in its name"
    if "\\" in name:
        return "has a '\\' in its name"
    if ".." in name:
        return "has '..' in its name"
    if _DRIVE.match(name):
        return "names a drive"
    if "/" in name:
        folder, _, rest = name.partition("/")
        if not (allow_extra and folder == EXTRA_FOLDER):
            return "is in a folder (members are at the root)"
        try:
            check_name(rest)
        except UnsafeFileName as exc:
            return f"is not a plain file of {EXTRA_FOLDER}/ ({exc})"
    return None


def _check_members(infos: list[zipfile.ZipInfo], spec: PackageSpec) -> tuple[str, ...]:
    """unsafe_member, unexpected_member, missing_member; return the names besides the manifest."""
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        shown = printable(name)
        reason = _unsafe_reason(name, spec.allow_extra)
        if reason is None:
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0: no Unix type given
            if info.is_dir() or kind not in (0, stat.S_IFREG):
                reason = "is a link, a folder or a device, not a plain file"
            elif info.flag_bits & 0x1:
                reason = "is encrypted"
            elif name in seen:
                reason = "appears twice"
        if reason is not None:
            raise PackageRefused("unsafe_member", f"the member {shown!r} {reason}",
                                 member=name)
        seen.add(name)
    expected = spec.members | {MANIFEST}
    for info in infos:
        name = info.filename
        if name not in expected and not (spec.allow_extra and name.startswith("extra/")):
            raise PackageRefused(
                "unexpected_member", f"the member {printable(name)!r} is not expected here "
                f"(expected: {', '.join(sorted(expected))})", member=name)
    for name in sorted(expected - seen):
        raise PackageRefused("missing_member", f"the member {name!r} is missing", member=name)
    return tuple(info.filename for info in infos if info.filename != MANIFEST)


def _digest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, str]:
    """(bytes, sha256) of a member, read as a stream; CRC or data errors are bad_zip."""
    digest = hashlib.sha256()
    count = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                count += len(chunk)
                if count > info.file_size:  # zipfile stops there; never trust it alone
                    raise PackageRefused(
                        "zip_bomb", f"the member {printable(info.filename)!r} holds more than "
                        f"the {info.file_size:,} bytes it declares", member=info.filename)
                digest.update(chunk)
    except PackageRefused:
        raise
    except _ZIP_ERRORS as exc:
        raise _unreadable(info.filename, exc) from exc
    return count, digest.hexdigest()


def _read_manifest(archive: zipfile.ZipFile, info: zipfile.ZipInfo, spec: PackageSpec,
                   names: tuple[str, ...], limits: Limits) -> dict[str, Any]:
    """The manifest, checked for format, version, kind and a well-formed `members`."""
    def refuse(why: str) -> PackageRefused:
        return PackageRefused("bad_manifest", f"{MANIFEST}: {why}", member=MANIFEST)

    if info.file_size > limits.manifest_bytes:
        raise refuse(f"{info.file_size:,} bytes, at most {limits.manifest_bytes:,}")
    with archive.open(info) as stream:
        raw = stream.read(limits.manifest_bytes + 1)
    try:
        manifest = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise refuse(f"not readable JSON ({printable(str(exc))[:200]})") from exc
    if not isinstance(manifest, dict):
        raise refuse("not a JSON object")
    if manifest.get("format") != spec.format:
        raise refuse(f"format {_shown(manifest.get('format'))}, expected {spec.format!r}")
    version = manifest.get("version")
    if type(version) is not int or version != spec.version:
        raise refuse(f"version {_shown(version)}, expected {spec.version}")
    if spec.kinds is not None and manifest.get("kind") not in spec.kinds:
        raise refuse(f"kind {_shown(manifest.get('kind'))}, expected one of "
                     f"{', '.join(sorted(spec.kinds))}")
    if spec.check_manifest is not None and (why := spec.check_manifest(manifest)):
        raise refuse(why)
    members = manifest.get("members")
    if not isinstance(members, dict):
        raise refuse("'members' is missing or not an object")
    for name in sorted(set(members) - set(names)):
        raise refuse(f"describes {printable(str(name))!r}, which the file does not hold")
    for name in names:
        entry = members.get(name)
        if entry is None:
            raise refuse(f"does not describe the member {printable(name)!r}")
        if not isinstance(entry, dict):
            raise refuse(f"the entry of {printable(name)!r} is not an object")
        needed = ("rows", "bytes") if name.endswith(".csv") else ("bytes",)
        for key in needed:
            if not _is_count(entry.get(key)):
                raise refuse(f"{printable(name)}: {key!r} is {_shown(entry.get(key))}, not a "
                             "count")
        if "rows" in entry and not _is_count(entry["rows"]):
            raise refuse(f"{printable(name)}: 'rows' is {_shown(entry['rows'])}, not a count")
        if not (isinstance(entry.get("sha256"), str) and _SHA256.match(entry["sha256"])):
            raise refuse(f"{printable(name)}: 'sha256' is {_shown(entry.get('sha256'))}, not "
                         "64 lowercase hexadecimal digits")
    return manifest


def _check_checksums(manifest: dict[str, Any], digests: Mapping[str, tuple[int, str]],
                     names: tuple[str, ...]) -> None:
    for name in names:
        entry = manifest["members"][name]
        count, sha256 = digests[name]
        if entry["bytes"] != count:
            raise PackageRefused(
                "checksum", f"{printable(name)} holds {count:,} bytes, the manifest says "
                f"{entry['bytes']:,}: the file was altered or damaged", member=name)
        if entry["sha256"] != sha256:
            raise PackageRefused(
                "checksum", f"the SHA-256 of {printable(name)} does not match the manifest's: "
                "the file was altered or damaged", member=name)


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _shown(value: object) -> str:
    return printable(repr(value))[:80]


# --------------------------------------------------------------------------- writing


def write_package(folder: Path, name: str, manifest: Mapping[str, Any],
                  members: list[MemberData], created_at: dt.datetime) -> Path:
    """Write a package into `folder` under the first free name like `name`; return its path.

    `manifest` gets a `members` entry (`rows` for CSV members, `bytes`, `sha256`) and is
    written first. The file appears whole or not at all: `.NAME.part`, fsync, then a link
    to `NAME` (`NAME-2`... when taken; never over a file) and the part removed.
    """
    folder = Path(folder)
    check_name(name)
    described = dict(manifest)
    described["members"] = {
        member.name: ({"rows": member.rows} if member.rows is not None else {})
        | {"bytes": len(member.data), "sha256": hashlib.sha256(member.data).hexdigest()}
        for member in members
    }
    manifest_bytes = json.dumps(described, indent=2, ensure_ascii=False).encode("utf-8")
    stamp = max(created_at.timetuple()[:6], (1980, 1, 1, 0, 0, 0))

    def write(target: IO[bytes]) -> None:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for member_name, data in [(MANIFEST, manifest_bytes)] + [
                    (member.name, member.data) for member in members]:
                info = zipfile.ZipInfo(member_name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                archive.writestr(info, data)

    temporary = folder / f".{name}.part"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # a leftover of a crashed attempt: never published
    write_durably(temporary, write)
    try:
        final = link_to_free_name(temporary, folder, name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    fsync_folder(folder)
    return final

