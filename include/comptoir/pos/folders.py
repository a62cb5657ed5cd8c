"""The folders of the POS settings and pilot files, as paths of this machine.

`pos_outbox` (`var/pos/outbox`), `pos_inbox` (`var/inbox/pos`), `pos_lan_folder` and the
folders of a pilot file are typed by users. An absolute folder is used as given (a LAN
share is usually mounted somewhere); a relative one is taken under the data home, a
leading `var/` naming the data home itself (so the defaults follow `COMPTOIR_HOME`), and
cannot leave it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from comptoir import paths
from comptoir.errors import ComptoirError

__all__ = ["FolderError", "resolve_user_folder", "resolve_user_file"]


class FolderError(ComptoirError):
    """A folder or file typed by a user cannot be used (it leaves its base, a control
    character, a Windows path)."""


def resolve_user_folder(value: str) -> Path:
    """The folder `value` names: absolute as given, relative under the data home."""
    value = value.strip()
    try:
        paths.check_folder_setting(value, "data home")
        parts = PurePosixPath(value).parts
        if parts[:1] == ("var",):
            value = str(PurePosixPath(*parts[1:])) if len(parts) > 1 else "."
        return paths.resolve_folder(value, paths.home(), "data home")
    except ValueError as exc:
        raise FolderError(f"folder {value!r}: {exc}") from None


def resolve_user_file(value: str, base: Path) -> Path:
    """The file `value` names: absolute as given, relative under `base` (never outside)."""
    value = value.strip()
    try:
        paths.check_folder_setting(value, str(base))
        if PurePosixPath(value).is_absolute():
            return Path(value)
        root = base.resolve()
        target = (root / value).resolve()
        if root not in target.parents:
            raise ValueError(f"the path {value!r} leads outside {root}")
        return target
    except ValueError as exc:
        raise FolderError(f"file {value!r}: {exc}") from None
