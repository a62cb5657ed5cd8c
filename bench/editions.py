"""Editions at scale: `daily_journal` over a year of a 50-store chain
(spec/retail-tasks.md, "Benchmark").

    python bench/editions.py [--backend postgresql|sqlite|both] [--stores 50]
                             [--sqlite-stores 50] [--runs RUN ...] [--server URL]
                             [--reuse DATABASE] [--keep]

Each backend gets a fresh dossier (a PostgreSQL database the script creates and drops, a
SQLite file in a temporary folder), migrated, then filled by the database itself
(`bench/_editions_data.py`; timed, not a target): 50 stores × 3 registers × 310 trading
days of 2025, 400 tickets per store and day (6,200,000 tickets, 13,950,000 lines of kind
sale, return and defective at 20 % and 5.5 %, 6,820,000 payments in four modes, 62
tickets paid 1,00 € short), the secondary indexes built after the load, then `VACUUM
ANALYZE` (a year-old dossier has been vacuumed and analysed by autovacuum long since).

Timed, each run in its own child process through `runner.run_task` (`bench/_task_run.py`:
wall time of the call, peak RSS of the child, the SQL statements it executed):

1. `year_csv` — the year 01/01–31/12/2025 as one CSV: ≤ 120 s, peak ≤ 400 MiB;
2. `day_pdf` — one day of the whole chain (every store) as the PDF cash sheets (the
   default format): ≤ 3 s; `day_csv` — the same day as CSV: ≤ 3 s;
3. `store_month_pdf` — one store's month (MAG1, March 2025) as PDF: ≤ 10 s.

Every run: at most three statements per month of its period that read `pos_tickets` (the
contract's three aggregate queries per month, none per day or store; every statement is
counted and reported too), and its outcome checked (the report's store-days and payment
differences, the file's rows or pages).
`--runs queries` (also what runs when `daily_journal` is not in the catalog) measures
the contract's three aggregate queries per month of the year run directly, without the
edition, and prints the plan of one month's queries (`EXPLAIN ANALYZE`).

SQLite has no target: it is measured and reported, at the full volume by default
(`--sqlite-stores` for a smaller chain over the same year). Prints the figures,
then `editions bench (BACKEND): … met|MISSED`; exits 1 when a target, the statement
bound or a check is missed. `--reuse DATABASE` measures an existing PostgreSQL dossier
the bench filled (kept by `--keep`) instead of generating one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import database  # noqa: E402
from _editions_data import Shape, census, generate  # noqa: E402
from _task_run import in_child, measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
DAY = dt.date(2025, 6, 14)                       # a Saturday
MONTH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
STORE = "MAG1"
MEMORY_LIMIT = 400 * 2**20


def _journal(name: str, first: dt.date, last: dt.date, fmt: str, stores: list[str]) -> dict:
    return {"id": f"bench-{name}", "type": "daily_journal", "site": "central",
            "options": {"period": "custom", "date_from": first.isoformat(),
                        "date_to": last.isoformat(), "stores": stores, "format": fmt},
            "output": {"filename": f"brouillard-{name}.{fmt}",
                       "delivery": {"method": "local", "path": "."}}}


RUNS = {  # name: (definition, seconds target, memory target)
    "year_csv": (_journal("year_csv", *YEAR, "csv", []), 120.0, MEMORY_LIMIT),
    "day_pdf": (_journal("day_pdf", DAY, DAY, "pdf", []), 3.0, None),
    "day_csv": (_journal("day_csv", DAY, DAY, "csv", []), 3.0, None),
    "store_month_pdf": (_journal("store_month_pdf", *MONTH, "pdf", [STORE]), 10.0, None),
}
QUERIES = "queries"


def _months(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    found, start = [], first
    while start <= last:
        following = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        found.append((start, min(last, following - dt.timedelta(days=1))))
        start = following
    return found


def _stage(run: str, url: str, out: str) -> None:
    """Child process: one run through the runner; its figures as JSON."""
    definition = json.loads(json.dumps(RUNS[run][0]))
    definition["output"]["delivery"]["path"] = out
    print(json.dumps(measure(definition, f"bench-{run}", url, Path(out), "pos_tickets")))


# --- The contract's three aggregate queries, run directly -------------------------------

LINES_SQL = (
    "SELECT d.date, t.depot_id, l.kind, l.vat_rate, count(*), sum(l.quantity), "
    "sum(l.total_incl_tax) FROM pos_tickets t JOIN sales_days d ON d.id = t.sales_day_id "
    "JOIN pos_ticket_lines l ON l.ticket_id = t.id WHERE d.date BETWEEN :first AND :last "
    "GROUP BY d.date, t.depot_id, l.kind, l.vat_rate")
PAYMENTS_SQL = (
    "SELECT d.date, t.depot_id, p.payment_mode_id, count(*), sum(p.amount) "
    "FROM pos_tickets t JOIN sales_days d ON d.id = t.sales_day_id "
    "JOIN pos_ticket_payments p ON p.ticket_id = t.id WHERE d.date BETWEEN :first AND :last "
    "GROUP BY d.date, t.depot_id, p.payment_mode_id")
TICKETS_SQL = (
    "SELECT d.date, t.depot_id, count(*), sum(t.total_incl_tax) FROM pos_tickets t "
    "JOIN sales_days d ON d.id = t.sales_day_id WHERE d.date BETWEEN :first AND :last "
    "GROUP BY d.date, t.depot_id")


def _month_queries(conn, first: dt.date, last: dt.date) -> list:  # type: ignore[no-untyped-def]
    """The month's three queries, tickets first: the edition's own when it is there (its
    lines and payments bounded by the month's ticket ids, as `_month` runs them), else the
    bench's."""
    from sqlalchemy import text

    try:
        from comptoir.editions import daily_journal
        from comptoir.retail.scope import store_ids
    except ImportError:
        params = {"first": first, "last": last} if conn.dialect.name == "postgresql" else \
            {"first": first.isoformat(), "last": last.isoformat()}
        return [text(q).bindparams(**params) for q in (TICKETS_SQL, LINES_SQL, PAYMENTS_SQL)]
    ids = store_ids(conn, [])
    tickets = daily_journal.month_queries(conn, first, last, ids, False)[2]
    found = conn.execute(tickets).all()
    bounds = (min(r[5] for r in found), max(r[6] for r in found)) if found else (0, 0)
    lines, payments, _ = daily_journal.month_queries(conn, first, last, ids, False, bounds)
    return [tickets, lines, payments]


def _queries_stage(url: str) -> None:
    """Child process: the three aggregate queries of every month of the year, rows
    fetched; their figures as JSON."""
    import resource

    from sqlalchemy import event

    from comptoir.backoffice.engine import get_engine

    engine = get_engine(url)
    statements = rows = aggregates = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    start = time.perf_counter()
    per_query = [0.0, 0.0, 0.0]
    with engine.connect() as conn:
        event.listen(engine, "before_cursor_execute", count)
        for first, last in _months(*YEAR):
            for n, query in enumerate(_month_queries(conn, first, last)):
                aggregates += 1
                began = time.perf_counter()
                for _ in conn.execute(query):
                    rows += 1
                per_query[n] += time.perf_counter() - began
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "statements": statements,
                      "watched": aggregates, "level": "info", "rows": rows, "body": [
                          f"tickets {per_query[0]:.1f} s, lines {per_query[1]:.1f} s, "
                          f"payments {per_query[2]:.1f} s; {rows:,} rows"]}))


def _explain(url: str) -> list[str]:
    """`EXPLAIN ANALYZE` of one month's three queries (PostgreSQL)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    found = []
    with engine.connect() as conn:
        for query in _month_queries(conn, *MONTH):
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars()
            found.extend([*plan, ""])
    engine.dispose()
    return found


# --- Checks --------------------------------------------------------------------------------

def _expected(shape: Shape, run: str) -> dict:
    """Store-days and payment differences the run must report, from the data's rules."""
    days = shape.trading_days()
    first, last = {"year_csv": YEAR, "day_pdf": (DAY, DAY), "day_csv": (DAY, DAY),
                   "store_month_pdf": MONTH}[run]
    stores = {0} if run == "store_month_pdf" else set(range(shape.stores))
    inside = [n for n, day in enumerate(days) if first <= day <= last]
    per_day = shape.stores * shape.tickets
    short = {(k // per_day, k % per_day // shape.tickets)
             for k in range(shape.mismatch // 2, shape.all_tickets, shape.mismatch)}
    return {"store_days": len(inside) * len(stores),
            "differences": len({(n, s) for n, s in short if n in inside and s in stores}),
            "days": len(inside)}


def _outcome(run: str, figures: dict, shape: Shape, out: Path) -> list[str]:
    """What is wrong with the report or the file after `run` (empty: as expected)."""
    if figures["level"] == "error":
        return ["the run failed: " + " | ".join(figures["body"][-5:])]
    expected = _expected(shape, run)
    body = "\n".join(figures["body"])
    problems = []
    found = re.search(r"Brouillard : ([\d\s\u202f\u00a0]+) journ", body)
    store_days = int(re.sub(r"\D", "", found.group(1))) if found else None
    differences = body.count("Écart de règlement ")
    if (store_days, differences) != (expected["store_days"], expected["differences"]):
        problems.append(f"expected {expected['store_days']:,} store-days and "
                        f"{expected['differences']} payment differences in the report, "
                        f"found {store_days} and {differences}")
    files = sorted(out.glob(f"brouillard-{run}.*"))
    if len(files) != 1:
        return [*problems, f"expected one file brouillard-{run}.*, found {files}"]
    path = files[0]
    if path.suffix == ".csv":
        with open(path, encoding="utf-8") as handle:
            checks = sum(1 for row in handle if ";check;difference;" in row)
        if checks != expected["store_days"]:
            problems.append(f"{path.name}: {checks:,} check rows, expected "
                            f"{expected['store_days']:,} (one per store-day)")
        figures["file"] = f"{checks:,} store-days, {path.stat().st_size / 2**20:,.1f} MiB"
    else:
        from pypdf import PdfReader

        reader = PdfReader(path)
        outline = len(reader.outline)
        if outline != expected["store_days"] or len(reader.pages) < outline:
            problems.append(f"{path.name}: {outline} bookmarks, {len(reader.pages)} pages, "
                            f"expected {expected['store_days']} (one per store-day)")
        figures["file"] = f"{len(reader.pages)} pages, {path.stat().st_size / 2**10:,.0f} KiB"
    path.unlink()
    return problems


def _journal_in_catalog() -> bool:
    from comptoir.automation import catalog

    try:
        catalog.get("daily_journal")
    except catalog.UnknownTaskType:
        return False
    return True


# --- The bench -----------------------------------------------------------------------------

def _fill(url: str, backend: str, shape: Shape) -> float:
    """Migrate and generate; the seconds it took (printed per stage)."""
    from sqlalchemy import create_engine

    from comptoir.backoffice import migrate

    began = last = time.perf_counter()
    migrate.upgrade(url)
    engine = create_engine(url)
    stages = []

    def step(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        stages.append(f"{name} {now - last:.1f} s")
        last = now

    generate(engine, shape, step)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE")
    step("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE")
    engine.dispose()
    seconds = time.perf_counter() - began
    print(f"   written in {seconds:.1f} s: {', '.join(stages)}")
    return seconds


def _bench(backend: str, shape: Shape, runs: list[str], server: str, work: Path,
           reuse: str | None, keep: bool) -> bool:
    """Generate, run, print; whether everything was met."""
    from comptoir.backoffice.engine import dispose_engines, get_engine

    kind = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[backend]
    name = reuse or f"comptoir_bench_editions_{os.getpid()}"
    if backend == "postgresql":
        from sqlalchemy.engine import make_url

        url = database(server, name) if not reuse else make_url(server).set(
            database=name, drivername="postgresql+psycopg").render_as_string(False)
    else:
        url = f"sqlite:///{work / f'{backend}.db'}"
    out = work / f"out-{backend}"
    out.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        print(f"== {kind}: {shape.stores} stores × {shape.registers} registers × "
              f"{shape.days} trading days of {shape.year}, {shape.tickets} tickets per store "
              "and day")
        if not reuse:
            _fill(url, backend, shape)
        counts = census(get_engine(url)) if shape.all_tickets < 1_000_000 else {}
        if counts:
            print(f"   census: {counts}")
        if backend == "postgresql":
            print("   " + _sizes(url))
        print(f"   {'run':<18}{'seconds':>9}{'target':>9}{'peak RSS':>11}{'limit':>9}"
              f"{'stmts':>7}{'aggr':>6}{'bound':>6}{'load':>6}  report")
        for run in runs:
            load = os.getloadavg()[0]
            got, error = in_child(__file__, ["--stage", run, url, str(out)],
                                  work / f"home-{backend}")
            if got is None:
                print(f"   {run}: failed\n{error}")
                ok = False
                continue
            if run == QUERIES:
                target, memory, bound, problems = None, None, 3 * 12, []
                summary = got["body"][0]
            else:
                _, target, memory = RUNS[run]
                definition = RUNS[run][0]["options"]
                bound = 3 * len(_months(dt.date.fromisoformat(definition["date_from"]),
                                        dt.date.fromisoformat(definition["date_to"])))
                problems = _outcome(run, got, shape, out)
                lines = [line for line in got["body"] if line.startswith("Brouillard")]
                differences = sum(line.startswith("Écart") for line in got["body"])
                summary = ((lines or got["body"][-1:] or [""])[0][:90]
                           + f", {differences} Écart lines"
                           + (f"; {got['file']}" if "file" in got else ""))
            if backend != "postgresql":
                target = memory = None       # SQLite: measured and reported only
            met = ((target is None or got["seconds"] <= target)
                   and (memory is None or got["peak"] <= memory)
                   and got["watched"] <= bound)
            print(f"   {run:<18}{got['seconds']:>9.1f}{f'{target:g} s' if target else '—':>9}"
                  f"{got['peak'] / 2**20:>7,.0f} MiB"
                  f"{f'{memory / 2**20:,.0f} MiB' if memory else '—':>9}"
                  f"{got['statements']:>7,}{got['watched']:>6,}{bound:>6}{load:>6.1f}  "
                  f"{got['level']}: {summary}"
                  f"{'' if met else '  MISSED'}")
            for problem in problems:
                print(f"   {'':<18}{problem}")
            ok &= met and not problems
        if backend == "postgresql" and (not ok or QUERIES in runs):
            print("   EXPLAIN ANALYZE of the three queries of March 2025:")
            for line in _explain(url):
                print(f"     {line}")
        print(f"editions bench ({kind}, {shape.all_tickets:,} tickets): "
              f"{'met' if ok else 'MISSED'}")
    finally:
        dispose_engines()
        if backend == "postgresql" and not keep and not reuse:
            database(server, name, drop=True)
        elif backend == "postgresql" and keep:
            print(f"   kept: --reuse {name}")
    return ok


def _sizes(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT relname, reltuples::bigint, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relname IN ('pos_tickets', 'pos_ticket_lines', 'pos_ticket_payments', "
            "'sales_days') ORDER BY relname")).all()
    engine.dispose()
    return "; ".join(f"{name} {tuples:,} rows, {size / 2**20:,.0f} MiB"
                     for name, tuples, size in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--sqlite-stores", type=int, default=50)
    parser.add_argument("--runs", nargs="+", choices=[*RUNS, QUERIES], default=list(RUNS))
    parser.add_argument("--server", default=os.environ.get("COMPTOIR_BENCH_DATABASE_URL",
                                                           SERVER))
    parser.add_argument("--reuse", help="an existing PostgreSQL database the bench filled")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        if args.stage[0] == QUERIES:
            _queries_stage(args.stage[1])
        else:
            _stage(*args.stage)
        return 0
    runs = [run for run in [*RUNS, QUERIES] if run in args.runs]
    if not _journal_in_catalog() and set(runs) - {QUERIES}:
        print("editions bench: daily_journal is not in the catalog — measuring the "
              "contract's three aggregate queries per month directly instead (--runs "
              "queries)")
        runs = [QUERIES]
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-editions-"))
    try:
        results = [_bench(backend, Shape(stores=args.stores if backend == "postgresql"
                                         else args.sqlite_stores),
                          runs, args.server, work, args.reuse, args.keep)
                   for backend in backends]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "include"))
    sys.exit(main())
