"""A big file imported twice into PostgreSQL: the re-run (every record `already_exists`)
must cost less time and memory than the first run, and leave bounded reports.

    python bench/import_rerun.py [--rows N] [--server URL]

The customers file comes from the demo generator (no mistakes). A fresh database gets
the reference files untimed; then `run_import` imports the file twice, each time in a
child process (time of the call, Great Expectations already imported; peak RSS of the
child; size of report.json, report.html and rejections.csv; size of the summary the
database keeps). Exits 1 when the re-run takes more time or memory than the first run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _one(path: str, url: str, report_dir: str) -> None:
    """Child process: import the file once, print the figures as JSON."""
    from sqlalchemy import create_engine, text

    from comptoir.imports.gx_runner import context
    from comptoir.imports.service import run_import

    context()
    start = time.perf_counter()
    report = run_import("customers", path, url=url, report_dir=report_dir, data_docs=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with create_engine(url).connect() as conn:
        stored = conn.execute(text("SELECT length(report) FROM import_batches WHERE id = :i"),
                              {"i": report.batch_id}).scalar_one()
    folder = Path(report_dir)
    sizes = {name: (folder / name).stat().st_size if (folder / name).exists() else 0
             for name in ("report.json", "report.html", "rejections.csv")}
    print(json.dumps({"seconds": seconds, "peak": peak, "records": report.records,
                      "accepted": report.accepted, "rejected": report.rejected,
                      "error": report.error, "stored": stored, **sizes}))


def _database(server: str, name: str, drop: bool = False) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default=os.environ.get("COMPTOIR_BENCH_DATABASE_URL",
                                                           SERVER))
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(*args.one)
        return 0

    from comptoir.backoffice import migrate
    from comptoir.demo.files import Request, write_files
    from comptoir.imports.service import run_import

    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-rerun-"))
    write_files(work, Request(customers=args.rows, suppliers=10))
    url = _database(args.server, f"comptoir_rerun_{os.getpid()}")
    runs = []
    try:
        migrate.upgrade(url)
        run_import("regimes", work / "regimes.csv", url=url, report_dir=work / "regimes")
        print(f"{'run':<8}{'records':>10}{'rejected':>10}{'time':>9}{'peak RSS':>11}"
              f"{'report.json':>13}{'report.html':>13}{'rejections.csv':>16}{'in the db':>11}")
        for label in ("first", "re-run"):
            child = subprocess.run(
                [sys.executable, __file__, "--one", str(work / "customers.csv"), url,
                 str(work / f"report-{label}")],
                capture_output=True, text=True, check=True, env={**os.environ})
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            if figures["error"]:
                print(f"{label}: {figures['error']}")
                return 1
            runs.append(figures)
            print(f"{label:<8}{figures['records']:>10,}{figures['rejected']:>10,}"
                  f"{figures['seconds']:>8.1f}s{figures['peak'] / 2**20:>7,.0f} MiB"
                  f"{figures['report.json'] / 2**10:>10,.0f} KiB"
                  f"{figures['report.html'] / 2**10:>10,.0f} KiB"
                  f"{figures['rejections.csv'] / 2**20:>12,.1f} MiB"
                  f"{figures['stored'] / 2**10:>8,.0f} KiB")
    finally:
        _database(args.server, f"comptoir_rerun_{os.getpid()}", drop=True)
        shutil.rmtree(work, ignore_errors=True)
    first, again = runs
    cheaper = again["seconds"] < first["seconds"] and again["peak"] < first["peak"]
    print(f"re-run cheaper than the first run in time and memory: "
          f"{'met' if cheaper else 'MISSED'}")
    return 0 if cheaper else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "include"))
    sys.exit(main())
