"""The first and a deep page of each Comptoir UI listing, on a big dossier and a big run.

    python bench/ui_pages.py [--messages N] [--rejections N] [--server URL]

Writes N task reports (default 1,000,000, over 50 tasks, 1 in 20 an error) into a fresh
dossier (SQLite in a temporary folder, or a new PostgreSQL database on `--server`) and a
`rejections.csv` of N rejections (default 1,000,000) for one import run, then times, as the
pages do: the first page of the task reports (every task readable; one task; errors only),
the page after 10,000 reports, the first page of import runs, the first page of
rejections and the page after 900,000 of them. Exits 1 when a first page takes more than
200 ms (the issue's target).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import database  # noqa: E402

LIMIT_MS = 200.0


def _timed(what: str, call: Callable[[], object], first: bool, slow: list[str]) -> object:
    call()  # warm: the page the user opens after the previous one
    start = time.perf_counter()
    result = call()
    ms = (time.perf_counter() - start) * 1000
    flag = "  (over the target)" if first and ms > LIMIT_MS else ""
    print(f"{what:<48} {ms:8.1f} ms{flag}")
    if flag:
        slow.append(what)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rejections", type=int, default=1_000_000)
    parser.add_argument("--server", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="comptoir-bench-ui-"))
    os.environ["COMPTOIR_HOME"] = str(folder)
    from comptoir.backoffice import migrate
    from comptoir.backoffice.engine import get_engine
    from comptoir.backoffice.schema import import_batches, messages

    name = f"comptoir_bench_ui_{os.getpid()}"
    url = (database(args.server, name) if args.server
           else f"sqlite:///{folder / 'comptoir.db'}")
    migrate.upgrade(url)
    engine = get_engine(url)
    tasks = [f"task-{i:02d}" for i in range(50)]
    batch = str(uuid.uuid4())
    start = time.perf_counter()
    with engine.begin() as conn:
        for offset in range(0, args.messages, 50_000):
            conn.execute(messages.insert(), [
                {"task_id": tasks[i % 50], "run_id": f"scheduled__{i}",
                 "level": "error" if i % 20 == 0 else "info", "title": f"report {i}",
                 "body": "Delivered to sftp://example/out: file.csv"}
                for i in range(offset, min(offset + 50_000, args.messages))])
        conn.execute(import_batches.insert(), [
            {"id": batch if i == 0 else str(uuid.uuid4()), "entity": "customers",
             "mode": "create", "files": json.dumps([f"customers-{i}.csv"]),
             "records": args.rejections, "accepted": 0, "rejected": args.rejections}
            for i in range(1000)])
    from comptoir.views.imports import page_import_runs, page_rejections, reports_root

    csv = reports_root() / batch / "rejections.csv"
    csv.parent.mkdir(parents=True)
    with csv.open("w", encoding="utf-8") as f:
        f.write("file;line;key;rule;field;message;record\n")
        for i in range(args.rejections):
            f.write(f'customers.csv;{i + 2};C{i};already_exists;code;the customer exists;'
                    f'"C{i};Name {i};""quoted"""\n')
    if engine.dialect.name == "postgresql":  # as autovacuum would, after such a load
        from sqlalchemy import text

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE messages"))
            conn.execute(text("ANALYZE import_batches"))
    print(f"data written in {time.perf_counter() - start:.1f} s ({engine.dialect.name})")

    from comptoir.automation.messages import page_messages

    slow: list[str] = []
    with engine.connect() as conn:
        _timed("task reports, first page (50 tasks readable)",
               lambda: page_messages(conn, task_ids=set(tasks)), True, slow)
        _timed("task reports, first page of one task",
               lambda: page_messages(conn, task_ids=set(tasks), task_id="task-07"), True, slow)
        _timed("task reports, first page of errors",
               lambda: page_messages(conn, task_ids=set(tasks), level="error"), True, slow)
        deep = None
        for _ in range(200):
            deep = page_messages(conn, task_ids=set(tasks), after=deep.next if deep else None)
        _timed("task reports, the page after 10,000",
               lambda: page_messages(conn, task_ids=set(tasks), after=deep.next), False, slow)
        _timed("import runs, first page (1,000 runs)", lambda: page_import_runs(conn), True, slow)
    _timed(f"rejections, first page ({args.rejections:,})",
           lambda: page_rejections(batch), True, slow)
    with csv.open("rb") as f:  # the cursor the pages give after ~90 % of the file
        f.seek(csv.stat().st_size * 9 // 10)
        f.readline()
        after = str(f.tell())
    _timed("rejections, a page after 90 % of the file",
           lambda: page_rejections(batch, after=after), False, slow)
    engine.dispose()
    if args.server:
        database(args.server, name, drop=True)
    print("first pages within 200 ms" if not slow else f"over 200 ms: {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
