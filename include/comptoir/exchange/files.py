"""Writing files so that a crash never leaves half of one, and the one lock everyone uses.

- `write_durably(path, content)`: the bytes written, flushed and on disk (`O_EXCL`:
  never over an existing file);
- `atomic_write(path, content)`: the same under a temporary name in the same folder,
  then renamed over `path`: readers see the old file or the new one, never a mix;
- `fsync_folder(folder)`: a rename or an unlink made durable;
- `link_to_free_name(temporary, folder, name)`: a complete file published under the
  first free name among `NAME`, `NAME-2`, ... (never over another file);
- `locked(path)`: an exclusive advisory lock (`flock`) on a lock file, held for a block;
  processes of one machine take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from comptoir.exchange.names import name_candidates

__all__ = [
    "Content",
    "LockBusy",
    "atomic_write",
    "fsync_folder",
    "json_bytes",
    "link_to_free_name",
    "locked",
    "write_durably",
]

Content = bytes | Path | Callable[[BinaryIO], None]
"""What is written: bytes, a file to copy, or a function writing to a binary file."""


class LockBusy(BlockingIOError):
    """`locked(..., wait=False)` found the lock held by another process."""


def write_durably(path: Path, content: Content, *, mtime_ns: int | None = None) -> Path:
    """Write `content` into the new file `path`, flushed to disk; remove it on failure."""
    path = Path(path)
    try:
        with open(path, "xb") as target:
            if isinstance(content, bytes):
                target.write(content)
            elif isinstance(content, Path):
                with open(content, "rb") as source:
                    shutil.copyfileobj(source, target)
            else:
                content(target)
            target.flush()
            os.fsync(target.fileno())
        if mtime_ns is not None:
            os.utime(path, ns=(mtime_ns, mtime_ns))
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return path


def atomic_write(path: Path, content: Content, *, temporary: Path | None = None) -> Path:
    """Write `content` as `path`, replacing it in one rename; return `path`.

    The bytes go first to `temporary` (default `.NAME.<random>.part` next to `path`),
    which is removed if anything fails.
    """
    path = Path(path)
    temporary = temporary or path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # a leftover of an earlier attempt under a fixed name
    write_durably(temporary, content)
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path


def json_bytes(document: Any) -> bytes:
    """A JSON document as readable UTF-8 bytes (indented, accents kept)."""
    return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def fsync_folder(folder: Path) -> None:
    """Make the renames and removals in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def link_to_free_name(temporary: Path, folder: Path, name: str) -> Path:
    """Publish the complete file `temporary` as `folder/NAME` (`NAME-2`... when taken).

    A hard link never replaces a file, so two writers never overwrite each other; on a
    file system without hard links, a rename after checking the name is free. The
    temporary name is left for the caller to remove (gone after the fallback rename).
    """
    for candidate in name_candidates(name):
        target = Path(folder) / candidate
        try:
            os.link(temporary, target)
        except FileExistsError:
            continue
        except OSError:  # no hard links here (some network shares): a checked rename
            if os.path.lexists(target):
                continue
            os.replace(temporary, target)
        return target
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True, on_wait: Callable[[], None] | None = None
           ) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` (created with its folder) for the block.

    `wait=False` raises `LockBusy` at once when another process holds it; otherwise
    `on_wait()` (if given) is called once before waiting.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise LockBusy(f"{path} is locked by another process") from None
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
