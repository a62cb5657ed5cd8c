"""Errors of the import capability (all `ComptoirError`: a clear message, no traceback)."""

from __future__ import annotations

from comptoir.errors import ComptoirError


class ImportFileError(ComptoirError):
    """The file as a whole cannot be processed: nothing is written (exit status 1)."""

    exit_code = 1


class ImportUsageError(ComptoirError):
    """The import was asked something it cannot do (unknown entity, mode, unsafe path)."""

    exit_code = 1
