"""One task run measured in a child process of its own (`make bench` skips `_` modules).

The parent calls `in_child(script, args, home)`: the script runs again with those
arguments, calls `measure(definition, run_id, url, out)` and prints its `json` line. The
child's figures: wall time of `runner.run_task`, peak RSS of the child, the SQL statements
the engine executed (a `before_cursor_execute` listener, plus one per `COPY` sent through
the driver on PostgreSQL; the runner's own statements included), the report's level and
lines.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(definition: dict, run_id: str, url: str, out: Path, watch: str | None = None
            ) -> dict:
    """In this process: `definition` run once through the runner; its figures (with
    `watch`, also `watched`: how many statements name that table)."""
    from sqlalchemy import event

    from comptoir.automation import runner
    from comptoir.automation.definitions import TaskDefinition
    from comptoir.backoffice.engine import get_engine
    from comptoir.exchange.transports import LocalTransport

    task = TaskDefinition.model_validate(definition)
    engine = get_engine(url)
    statements = watched = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    def look(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        nonlocal watched
        watched += watch in statement  # type: ignore[operator]

    event.listen(engine, "before_cursor_execute", count)
    if watch:
        event.listen(engine, "before_cursor_execute", look)
    if engine.dialect.name == "postgresql":  # COPY goes through the driver: count it too
        import psycopg

        copy = psycopg.Cursor.copy

        def counted_copy(self: psycopg.Cursor, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            count()
            return copy(self, *args, **kwargs)

        psycopg.Cursor.copy = counted_copy  # type: ignore[method-assign]
    transport = LocalTransport(out) if task.task_type.produces_files else None
    start = time.perf_counter()
    report = runner.run_task(task, run_id, transport, engine=engine, log=lambda _: None)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "peak": peak, "statements": statements, "watched": watched,
            "level": report.level, "body": report.body.splitlines()}


def in_child(script: str, args: list[str], home: Path) -> tuple[dict | None, str]:
    """Run `script args` (whose last output line is `measure`'s figures as JSON) with
    `COMPTOIR_HOME=home`; the figures, or None and the end of its error output."""
    env = {**os.environ, "COMPTOIR_HOME": str(home),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "include"),
                                          os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                           env=env)
    if child.returncode != 0:
        return None, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1]), ""
