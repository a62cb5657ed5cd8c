"""The report every `pos` and `accounting` command writes (`spec/pos.md`, "Reports").

Common keys: `command`, `run_id`, `started_at`, `finished_at`, `dry_run`, `exit_code`,
`error` (null or `{"rule", "message"}`), `warnings`; the command adds its own. Amounts
are strings with 2 decimals, never JSON numbers; lists hold at most `LIST_LIMIT` items
(`<name>_truncated: true` beyond, counts stay whole). Written to
`var/reports/pos/<run_id>.json`; `--report` copies it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from pathlib import Path
from typing import Any

from comptoir import paths
from comptoir.exchange.files import atomic_write, json_bytes

LIST_LIMIT = 10_000
CENT = Decimal("0.01")


class Exit(IntEnum):
    """The exit statuses of every `pos` and `accounting` command."""

    DONE = 0          #: done
    REFUSED = 1       #: refused or could not run: nothing written
    USAGE = 2         #: usage error
    PARTIAL = 3       #: the items listed were rejected or skipped, the rest written
    CHECK_FAILED = 4  #: written, but a check failed


def money(value: Decimal | int | str) -> str:
    """An amount as the reports write it: 2 decimals, half away from zero (`"130.55"`)."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RunReport:
    """One command's report: the common keys, then the command's own (`body`)."""

    command: str
    dry_run: bool = False
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: dt.datetime = field(default_factory=now)
    finished_at: dt.datetime | None = None
    exit_code: int = Exit.DONE
    error: dict[str, str] | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    def refuse(self, rule: str, message: str) -> None:
        """The run could not be done: nothing written, exit 1."""
        self.error = {"rule": rule, "message": message}
        self.exit_code = Exit.REFUSED

    def put_list(self, name: str, items: list[Any]) -> None:
        """A list of the report, cut at `LIST_LIMIT` items (`<name>_truncated` says so)."""
        self.body[name] = items[:LIST_LIMIT]
        self.body[f"{name}_truncated"] = len(items) > LIST_LIMIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "dry_run": self.dry_run,
            "exit_code": int(self.exit_code),
            "error": self.error,
            "warnings": self.warnings,
            **self.body,
        }

    def finish(self, copy_to: Path | None = None) -> Path:
        """Stamp the end, write `var/reports/pos/<run_id>.json` (and a copy); its path."""
        self.finished_at = now()
        path = paths.reports_dir() / "pos" / f"{self.run_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json_bytes(self.to_dict()))
        if copy_to is not None:
            copy_to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy_to)
        return path
