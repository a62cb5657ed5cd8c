"""An edition's `format` option against its file name (spec/retail-tasks.md, "Format and
file name"): the extension of `output.filename` follows the format, and `{mag:...}` only
where the edition writes one file per store."""

from __future__ import annotations

from comptoir.automation.filenames import uses_store

__all__ = ["check_extension", "per_store", "refuse_store_tag"]


def check_extension(fmt: str, filename: str | None, extension: str | None = None, *,
                    option: str = "format") -> None:
    """`output.filename` ends with the format's extension (`extension`, else `.<fmt>`);
    else `ValueError`: `output.filename: format csv writes a .csv file`. `option`: the
    option that chooses the format, when it is not `format` (`layout zip writes…`)."""
    wanted = extension or f".{fmt}"
    if filename and not filename.lower().endswith(wanted):
        raise ValueError(f"output.filename: {option} {fmt} writes a {wanted} file")


def refuse_store_tag(type_name: str, filename: str | None) -> None:
    """A type that writes one file for every store refuses `{mag:...}`."""
    if filename and uses_store(filename):
        raise ValueError(f"output.filename: {type_name} writes one file for every store; "
                         "remove {mag:...}")


def per_store(filename: str | None) -> bool:
    """Whether the run writes one file per store (`{mag:code}` or `{mag:name}` in the name)."""
    return bool(filename and uses_store(filename))
