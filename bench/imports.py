"""Controlled import of 1,000,000 customers and 1,000,000 articles into PostgreSQL, against
PostgreSQL's own COPY of the same files into a bare table.

    python bench/imports.py [--rows N] [--errors RATE] [--server URL]

The files come from the demo generator (`comptoir.demo.files`: valid IBANs, a sprinkling
of mistakes). A fresh PostgreSQL database gets the reference files (regimes, VAT codes,
suppliers) untimed; then each big file is imported in create mode by `run_import` in a
child process (time of the call, Great Expectations already imported; peak RSS of the
child), and loaded again by `COPY … FROM STDIN` into a bare table of text columns. For
reference, "table COPY" is PostgreSQL's COPY of the rows the import wrote into an empty
table made like the dossier table (its defaults, constraints and indexes, maintained row
by row; no foreign keys), rolled back: a plain bulk load with no control at all. Prints
whether each import is within 3 × its bare COPY (the issue's target, missed on a 2-core
machine: see docs/performance.md); exits 1 when an import takes more than 2 × the table
COPY or more than 1.5 GiB (the guard against regressions).

Then the customers file is imported a second time (every record `already_exists`): the
re-run must take less time and memory than the first run, and its reports stay bounded
(sizes of report.json, report.html, rejections.csv and of the summary the database
keeps are printed); exits 1 when the re-run costs more.
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
RATIO_LIMIT = 3.0        # the target, against the bare COPY (reported)
FLOOR_LIMIT = 2.0        # what the exit status guards: against COPY into the dossier table
MEMORY_LIMIT = 1.5 * 2**30
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _one(entity: str, path: str, url: str, report_dir: str) -> None:
    """Child process: import one file, print the figures as JSON."""
    from comptoir.imports.gx_runner import context
    from comptoir.imports.service import run_import

    context()  # a worker has Great Expectations loaded: time the import, not the module
    start = time.perf_counter()
    report = run_import(entity, path, url=url, report_dir=report_dir)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    from sqlalchemy import create_engine, text

    with create_engine(url).connect() as conn:
        stored = conn.execute(text("SELECT length(report) FROM import_batches WHERE id = :i"),
                              {"i": report.batch_id}).scalar() or 0
    sizes = {name: (Path(report_dir) / name).stat().st_size
             if (Path(report_dir) / name).exists() else 0
             for name in ("report.json", "report.html", "rejections.csv")}
    print(json.dumps({"seconds": seconds, "peak": peak, "records": report.records,
                      "accepted": report.accepted, "rejected": report.rejected,
                      "error": report.error, "written": report.written, "stored": stored,
                      **sizes}))


def _child(entity: str, path: Path, url: str, report_dir: Path) -> dict:
    """Import one file in a child process; its figures."""
    child = subprocess.run(
        [sys.executable, __file__, "--one", entity, str(path), url, str(report_dir)],
        capture_output=True, text=True, check=True, env={**os.environ})
    return json.loads(child.stdout.strip().splitlines()[-1])


def _rerun(first: dict, path: Path, url: str, report_dir: Path) -> bool:
    """Import `path` again (every record already exists); whether it cost less."""
    again = _child("customers", path, url, report_dir)
    print(f"{'run':<9}{'records':>10}{'rejected':>10}{'time':>9}{'peak RSS':>11}"
          f"{'report.json':>13}{'report.html':>13}{'rejections.csv':>16}{'in the db':>11}")
    for label, figures in (("first", first), ("re-run", again)):
        print(f"{label:<9}{figures['records']:>10,}{figures['rejected']:>10,}"
              f"{figures['seconds']:>8.1f}s{figures['peak'] / 2**20:>7,.0f} MiB"
              f"{figures['report.json'] / 2**10:>9,.0f} KiB"
              f"{figures['report.html'] / 2**10:>9,.0f} KiB"
              f"{figures['rejections.csv'] / 2**20:>12,.1f} MiB"
              f"{figures['stored'] / 2**10:>7,.0f} KiB")
    cheaper = again["seconds"] < first["seconds"] and again["peak"] < first["peak"]
    print(f"re-run under the first run's time and memory: {'met' if cheaper else 'MISSED'}")
    return cheaper


def _bare_copy(url: str, path: Path) -> float:
    import psycopg

    columns = path.open(encoding="utf-8").readline().strip().split(";")
    table = f"bare_{path.stem}"
    with psycopg.connect(url) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{table}"')
        definition = ", ".join(f'"{c}" text' for c in columns)
        conn.execute(f'CREATE TABLE "{table}" ({definition})')
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(
            f'COPY "{table}" FROM STDIN (FORMAT csv, DELIMITER \';\', HEADER true)'
        ) as copy, path.open("rb") as handle:
            while block := handle.read(1 << 22):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - start


def _table_copy(url: str, table: str) -> float:
    """COPY of the rows the import wrote into an empty table made like the dossier table
    (same columns, defaults, constraints and indexes), rolled back: what loading them
    costs PostgreSQL with the table's indexes maintained row by row."""
    import io

    import psycopg

    with psycopg.connect(url) as conn:
        buffer = io.BytesIO()
        columns = [row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND column_name <> 'id' ORDER BY ordinal_position", (table,))]
        names = ", ".join(f'"{c}"' for c in columns)
        with conn.cursor().copy(f'COPY "{table}" ({names}) TO STDOUT (FORMAT csv)') as copy:
            for block in copy:
                buffer.write(block)
        conn.execute(f'CREATE TABLE "floor_{table}" (LIKE "{table}" INCLUDING ALL)')
        start = time.perf_counter()
        with conn.cursor().copy(f'COPY "floor_{table}" ({names}) FROM STDIN (FORMAT csv)'
                                ) as copy:
            copy.write(buffer.getvalue())
        seconds = time.perf_counter() - start
        conn.rollback()
        return seconds


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
    parser.add_argument("--errors", type=float, default=0.002)
    parser.add_argument("--server", default=os.environ.get("COMPTOIR_BENCH_DATABASE_URL",
                                                           SERVER))
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(*args.one)
        return 0

    from comptoir.backoffice import migrate
    from comptoir.demo.files import Request, write_files
    from comptoir.imports.service import run_import

    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-imports-"))
    start = time.perf_counter()
    write_files(work, Request(customers=args.rows, articles=args.rows, suppliers=2000,
                              errors=args.errors))
    print(f"files: {args.rows:,} customers and articles written in "
          f"{time.perf_counter() - start:.1f} s ({work})")
    name = f"comptoir_bench_{os.getpid()}"
    url = _database(args.server, name)
    failed = False
    within = True
    try:
        migrate.upgrade(url)
        for entity in ("regimes", "vat", "suppliers"):
            run_import(entity, work / f"{entity}.csv", url=url, report_dir=work / entity)
        print(f"{'file':<14}{'records':>10}{'rejected':>10}{'import':>10}{'bare COPY':>11}"
              f"{'ratio':>8}{'peak RSS':>11}{'table COPY':>12}")
        firsts = {}
        for entity in ("customers", "articles"):
            path = work / f"{entity}.csv"
            figures = firsts[entity] = _child(entity, path, url, work / f"report-{entity}")
            if figures["error"]:
                print(f"{entity}: {figures['error']}")
                return 1
            plain = url.replace("+psycopg", "")
            bare = _bare_copy(plain, path)
            floor = _table_copy(plain, entity)
            ratio = figures["seconds"] / bare
            print(f"{path.name:<14}{figures['records']:>10,}{figures['rejected']:>10,}"
                  f"{figures['seconds']:>9.1f}s{bare:>10.1f}s{ratio:>8.2f}"
                  f"{figures['peak'] / 2**20:>8,.0f} MiB{floor:>11.1f}s")
            within &= ratio <= RATIO_LIMIT
            failed |= figures["seconds"] > FLOOR_LIMIT * floor or figures["peak"] > MEMORY_LIMIT
        failed |= not _rerun(firsts["customers"], work / "customers.csv", url,
                             work / "report-customers-again")
    finally:
        _database(args.server, name, drop=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"import within {RATIO_LIMIT:g} × bare COPY: {'met' if within else 'MISSED'}; "
          f"within {FLOOR_LIMIT:g} × table COPY and under 1.5 GiB: "
          f"{'MISSED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "include"))
    sys.exit(main())
