"""Retail task types at scale: `sales_correction` on 1,000,000 ticket lines, then
`restock_alert` and `season_end` over the same data (spec/retail-tasks.md, "Benchmark").

    python bench/retail.py [--backend postgresql|sqlite|both] [--lines 1000000]
                           [--runs RUN ...] [--server URL]

Each backend gets a fresh dossier (a PostgreSQL database the script creates and drops, a
SQLite file in a temporary folder), migrated, then filled by the database itself
(`bench/_retail_data.py`, untimed): 50 stores × 3 registers × 30 `pending` days (4,500
days), ~435,000 tickets, N lines, 20,000 articles with a stock record in every store,
5 % of the store-article pairs short, 0.5 % unknown codes, 0.2 % return lines keyed
positive, 200 kits made of short articles, three priority depots, family ZZZ/DIV. The
30 days start 10 days before the first day of the month three months before today's,
so `season_end` with `keep_months: 3` finds a third of the tickets old enough. With fewer
lines, articles and kits shrink in proportion (a store sells every article).

Timed, each run in its own child process through `runner.run_task` (wall time of the
call, peak RSS of the child, the SQL statements the engine executes counted by a
`before_cursor_execute` listener), in this order:

1. `sales_correction` — `method: transfers` (DEP1, DEP2, DEP3), `misc_sub_family:
   ZZZ/DIV`, `fix_returns`, `split_kits`: every day must end `updated`, every unknown
   code and return error corrected; at most 400 statements plus one per 10,000 rows
   written (rows inserted in any table, plus the days, stock records, ticket lines and
   tickets it updates);
2. the same task again: nothing pending, `Aucune journée de vente à mettre à jour`;
3. `restock_alert` (every depot): draft orders created;
4. `season_end` (`keep_months: 3`, the archive in a local folder): the tickets before
   the cut-off archived, the others kept.

Targets: run 1 ≤ 90 s on PostgreSQL, ≤ 180 s on SQLite; run 2 ≤ 5 s; peak memory ≤ 1.5
GiB for every run (runs 3 and 4 have no time target: measured and reported). Prints the
figures either way, then `retail bench (BACKEND): … met|MISSED`; exits 1 when a target,
the statement bound or an expected outcome is missed, 2 when a task type is not in the
catalog (nothing is generated then). `--runs` measures only the runs named (while a type
is being written); the default is all four.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import database, row_counts  # noqa: E402
from _retail_data import DEPOTS, ZONE, Shape, census, generate, season_start  # noqa: E402
from _task_run import in_child, measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
KEEP_MONTHS = 3
FIRST_TARGET = {"postgresql": 90.0, "sqlite": 180.0}
AGAIN_TARGET = 5.0
MEMORY_LIMIT = 1.5 * 2**30
STATEMENTS = 400                 # plus one per ROWS_PER_STATEMENT rows written
ROWS_PER_STATEMENT = 10_000
NOTHING_PENDING = "Aucune journée de vente à mettre à jour"

CORRECTION = {"id": "bench-ventes", "type": "sales_correction", "options": {
    "method": "transfers", "transfer_stores": list(DEPOTS), "misc_sub_family": "ZZZ/DIV",
    "fix_returns": True, "split_kits": True}}
RUNS = {
    "sales_correction": CORRECTION,
    "sales_correction_again": CORRECTION,
    "restock_alert": {"id": "bench-reassort", "type": "restock_alert", "options": {}},
    "season_end": {"id": "bench-historique", "type": "season_end",
                   "options": {"keep_months": KEEP_MONTHS}},
}


def _definition(run: str, out: Path) -> dict:
    """The task definition of a run; a type that writes files delivers into `out`."""
    from comptoir.automation import catalog

    found = {"site": "central", "output": None, **RUNS[run]}
    if catalog.get(found["type"]).produces_files:
        found["output"] = {"delivery": {"method": "local", "path": str(out)}}
    return found


def _stage(run: str, url: str, out: str) -> None:
    """Child process: one run through the runner; its figures as JSON."""
    print(json.dumps(measure(_definition(run, Path(out)), f"bench-{run}", url, Path(out))))


def _missing_types() -> list[str]:
    from comptoir.automation import catalog

    missing = []
    for name in dict.fromkeys(definition["type"] for definition in RUNS.values()):
        try:
            catalog.get(name)
        except catalog.UnknownTaskType:
            missing.append(name)
    return missing


def _all_tables(url: str) -> dict[str, int]:
    from comptoir.backoffice import schema as s

    return row_counts(url, {name: name for name in s.metadata.tables})


def _scalars(url: str, queries: dict[str, str]) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = {label: conn.execute(text(query)).scalar_one() or 0
                 for label, query in queries.items()}
    engine.dispose()
    return found


def _written(url: str, before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Rows the correction wrote: inserted anywhere, plus what it updates (every day taken,
    every stock record moved, every ticket line corrected and its ticket re-totalled)."""
    updated = _scalars(url, {
        "days": "SELECT count(*) FROM sales_days WHERE stock_state <> 'pending'",
        "stock_records": "SELECT count(*) FROM (SELECT l.article_id, m.depot_id FROM "
                         "stock_movement_lines l JOIN stock_movements m ON "
                         "m.id = l.movement_id UNION SELECT l.article_id, m.target_depot_id "
                         "FROM stock_movement_lines l JOIN stock_movements m ON "
                         "m.id = l.movement_id WHERE m.target_depot_id IS NOT NULL) x",
        "ticket_lines": "SELECT count(*) FROM pos_ticket_lines WHERE correction IS NOT NULL",
        "tickets": "SELECT count(DISTINCT ticket_id) FROM pos_ticket_lines "
                   "WHERE correction = 'return_sign'"})
    inserted = sum(max(0, after[t] - before.get(t, 0)) for t in after)
    return {"inserted": inserted, **updated}


def _outcome(run: str, url: str, figures: dict, shape_counts: dict, cutoff: dt.date,
             out: Path) -> list[str]:
    """What is wrong with the dossier or the report after `run` (empty: as expected)."""
    problems = []
    if figures["level"] == "error":
        problems.append("the run failed: " + " | ".join(figures["body"][-5:]))
        return problems
    if run == "sales_correction":
        found = _scalars(url, {
            "updated": "SELECT count(*) FROM sales_days WHERE stock_state = 'updated'",
            "misc_article": "SELECT count(*) FROM pos_ticket_lines "
                            "WHERE correction = 'misc_article'",
            "return_sign": "SELECT count(*) FROM pos_ticket_lines "
                           "WHERE correction = 'return_sign'"})
        expected = {"updated": shape_counts["days"], "misc_article":
                    shape_counts["unknown_codes"], "return_sign": shape_counts["return_errors"]}
        if found != expected:
            problems.append(f"expected {expected} (every day corrected and updated), "
                            f"found {found}")
    elif run == "sales_correction_again":
        if NOTHING_PENDING not in figures["body"]:
            problems.append(f"expected « {NOTHING_PENDING} », got "
                            + " | ".join(figures["body"][2:6]))
    elif run == "restock_alert":
        orders = _scalars(url, {"orders": "SELECT count(*) FROM purchase_orders"})["orders"]
        if orders == 0:
            problems.append("no draft order created")
    elif run == "season_end":
        found = _scalars(url, {
            "kept": "SELECT count(*) FROM pos_tickets",
            "expected": "SELECT count(*) FROM pos_tickets t JOIN sales_days d ON "
                        f"d.id = t.sales_day_id WHERE d.date >= '{cutoff.isoformat()}'",
            "history_months": "SELECT count(*) FROM history_months"})
        if found["kept"] != found["expected"] or not found["history_months"]:
            problems.append(f"expected the {found['expected']:,} tickets from "
                            f"{cutoff:%d/%m/%Y} kept and months archived, found {found}")
        if not list(out.glob("*.csv.gz")):
            problems.append(f"no archive in {out}")
    return problems


def _bench(backend: str, shape: Shape, runs: list[str], server: str, work: Path) -> bool:
    """Generate, run, print; whether everything was met."""
    from sqlalchemy import create_engine

    from comptoir.backoffice import migrate

    kind = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[backend]
    name = f"comptoir_bench_retail_{os.getpid()}"
    url = database(server, name) if backend == "postgresql" else \
        f"sqlite:///{work / f'{backend}.db'}"
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    start = season_start(today, KEEP_MONTHS)
    cutoff = start + dt.timedelta(days=10)
    out = work / f"out-{backend}"
    ok = True
    try:
        migrate.upgrade(url)
        engine = create_engine(url)
        began = time.perf_counter()
        generate(engine, shape, start)
        # a live dossier's month of tickets has been vacuumed and analysed by autovacuum;
        # freshly bulk-written data has not (no statistics, no hint bits yet)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE")
        engine.dispose()
        generated = time.perf_counter() - began
        from comptoir.backoffice.engine import get_engine

        counts = census(get_engine(url))
        print(f"== {kind}: data written in {generated:.1f} s — {counts['days']:,} days "
              f"({counts['days_pending']:,} pending) from {start:%d/%m/%Y}, "
              f"{counts['tickets']:,} tickets, {counts['lines']:,} lines, "
              f"{counts['articles']:,} articles, {counts['stock_records']:,} stock records; "
              f"{counts['short_pairs']:,} short pairs of {counts['pairs']:,} "
              f"({100 * counts['short_pairs'] / counts['pairs']:.1f} %), "
              f"{counts['unknown_codes']:,} unknown codes, {counts['return_errors']:,} "
              f"return errors, {counts['kits_on_short']:,} of {counts['kits']:,} kits on a "
              f"short article; cut-off of season_end {cutoff:%d/%m/%Y}")
        print(f"{'run':<24}{'seconds':>9}{'target':>9}{'peak RSS':>11}{'statements':>12}"
              f"{'limit':>8}  report")
        figures: dict[str, dict] = {}
        before = _all_tables(url)
        for run in runs:
            got, error = in_child(__file__, ["--stage", run, url, str(out)],
                                  work / f"home-{backend}")
            if got is None:
                print(f"{run}: failed\n{error}")
                return False
            figures[run] = got
            target = {"sales_correction": FIRST_TARGET[backend],
                      "sales_correction_again": AGAIN_TARGET}.get(run)
            limit = None
            if run == "sales_correction":
                written = _written(url, before, _all_tables(url))
                got["written"] = sum(written.values())
                limit = STATEMENTS + got["written"] // ROWS_PER_STATEMENT
                got["limit"] = limit
            met = ((target is None or got["seconds"] <= target)
                   and got["peak"] <= MEMORY_LIMIT
                   and (limit is None or got["statements"] <= limit))
            business = got["body"][2:] or got["body"] or [""]
            # the correction's last line sums it up; the others say it in their first
            summary = business[-1 if run == "sales_correction" else 0]
            print(f"{run:<24}{got['seconds']:>9.1f}"
                  f"{f'{target:g} s' if target else '—':>9}"
                  f"{got['peak'] / 2**20:>7,.0f} MiB{got['statements']:>12,}"
                  f"{f'{limit:,}' if limit else '—':>8}  {got['level']}, {len(business):,} lines: "
                  f"{summary[:110]}"
                  f"{'' if met else '  MISSED'}")
            if run == "sales_correction":
                print(f"{'':<24}rows written {got['written']:,}: {written}")
            problems = _outcome(run, url, got, counts, cutoff, out)
            for problem in problems:
                print(f"{'':<24}{problem}")
            ok &= met and not problems
        first, again = figures.get("sales_correction"), figures.get("sales_correction_again")
        peak = max((f["peak"] for f in figures.values()), default=0)
        parts = []
        if first:
            parts.append(f"sales_correction {shape.lines:,} lines in {first['seconds']:.1f} s "
                         f"(target {FIRST_TARGET[backend]:g} s), {first['statements']:,} "
                         f"statements (limit {first['limit']:,})")
        if again:
            parts.append(f"again in {again['seconds']:.1f} s (target {AGAIN_TARGET:g} s)")
        for run in ("restock_alert", "season_end"):
            if run in figures:
                parts.append(f"{run} {figures[run]['seconds']:.1f} s")
        print(f"retail bench ({kind}): {', '.join(parts)}; peak {peak / 2**20:,.0f} MiB "
              f"(limit 1,536 MiB): {'met' if ok else 'MISSED'}")
    finally:
        if backend == "postgresql":
            from comptoir.backoffice.engine import dispose_engines

            dispose_engines()
            database(server, name, drop=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS),
                        help="measure only these runs, in the order above (default: all "
                        "four; season_end expects sales_correction's closed days)")
    parser.add_argument("--server", default=os.environ.get("COMPTOIR_BENCH_DATABASE_URL",
                                                           SERVER))
    parser.add_argument("--stage", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        _stage(*args.stage)
        return 0
    runs = [run for run in RUNS if run in args.runs]
    missing = [t for t in _missing_types() if any(RUNS[r]["type"] == t for r in runs)]
    if missing:
        print(f"retail bench: task type(s) not in the catalog: {', '.join(missing)} — the "
              "benchmark needs them (`comptoir tasks types` lists the catalog); nothing "
              "was measured")
        return 2
    shape = Shape.bench(args.lines)
    try:
        shape.check()
    except ValueError as exc:
        print(f"retail bench: --lines {args.lines}: {exc}")
        return 2
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-retail-"))
    try:
        results = [_bench(backend, shape, runs, args.server, work) for backend in backends]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "include"))
    sys.exit(main())
