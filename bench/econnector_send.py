"""Sending 1,000,000 customers to the partner (`spec/econnector.md`, "Performance").

    python bench/econnector_send.py [--customers 1000000] [--server URL]

A fresh PostgreSQL database (created, then dropped) gets, untimed: 50 stores and N
customers with full addresses, e-mails and phones (accents Windows-1252 can write; one
customer in 100,000 named with a `Ł` it cannot, so that some chunks take the row-by-row
path), and a connector `BENCH` sending every customer in Windows-1252. Timed, in a child
process (peak RSS of the child): `send(engine, "BENCH")` — reading, formatting, encoding
and writing `Clients.csv`, and the history. Prints the figures, then
`econnector send bench: N customers in T s (target 30 s): met|MISSED; peak P MiB`; exits
1 past 2 × the target, when the file is not what was asked, or above 1 GiB.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import database  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET = 30.0               # seconds per million customers
MEMORY_LIMIT = 2**30        # "well under 1 GiB"
STORES = 50
UNENCODABLE_EVERY = 100_000


def _stage(url: str) -> None:
    """Child process: send the connector's files, print the figures as JSON."""
    from sqlalchemy import create_engine

    from comptoir.econnector.sending import send

    engine = create_engine(url)
    start = time.perf_counter()
    report = send(engine, "BENCH")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "summary": report.summary(),
                      "exit_code": report.exit_code, "files": report.files,
                      "left_out": len(report.items)}))


def _dossier(url: str, customers: int) -> None:
    """Stores, customers and the connector, written by the database itself (untimed)."""
    from sqlalchemy import create_engine, text

    from comptoir.backoffice import migrate
    from comptoir.econnector.settings import create_connector

    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO depots (code, name, is_store, site) SELECT 'MAG' || lpad(n::text, 2, "
            "'0'), 'Magasin ' || n, true, 'mag-' || n FROM generate_series(1, :stores) n"),
            {"stores": STORES})
        conn.execute(text(
            "INSERT INTO customers (code, name, family, store_id, address1, address2, postcode,"
            " city, country, email, phone) SELECT 'C' || lpad(n::text, 8, '0'), CASE WHEN n % "
            ":odd = 0 THEN 'Łukasz ' || n ELSE 'Société Dupré n°' || n END, CASE WHEN n % 3 = 0"
            " THEN 'PRO' ELSE 'PART' END, (SELECT min(id) FROM depots) + n % :stores, n || ' "
            "rue de l''Église', CASE WHEN n % 4 = 0 THEN 'Bât. B; esc. 2' END, lpad((n % 95000 "
            "+ 1000)::text, 5, '0'), 'Saint-Étienne', 'FR', 'client' || n || '@example.com', "
            "'01 23 45 ' || lpad((n % 10000)::text, 4, '0') FROM generate_series(1, :rows) n"),
            {"rows": customers, "stores": STORES, "odd": UNENCODABLE_EVERY})
        create_connector(conn, "BENCH", {
            "link": "facilitime", "document_type": "orders", "depot": "MAG01",
            "customer_family": "PART", "supplier_family": "FOU", "send_customers": "all"})
        conn.execute(text("ANALYZE customers"))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--server", default=os.environ.get("COMPTOIR_BENCH_DATABASE_URL",
                                                           SERVER))
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        _stage(args.stage)
        return 0
    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-send-"))
    name = f"comptoir_bench_send_{os.getpid()}"
    url = database(args.server, name)
    try:
        start = time.perf_counter()
        _dossier(url, args.customers)
        print(f"setup: {args.customers:,} customers in {STORES} stores written in "
              f"{time.perf_counter() - start:.1f} s")
        env = {**os.environ, "COMPTOIR_HOME": str(work / "home"),
               "PYTHONPATH": os.pathsep.join([str(ROOT / "include"),
                                              os.environ.get("PYTHONPATH", "")])}
        child = subprocess.run([sys.executable, __file__, "--stage", url],
                               capture_output=True, text=True, env=env)
        if child.returncode != 0:
            print(child.stderr[-3000:])
            return 1
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        path = work / "home" / "connectors" / "BENCH" / "out" / "Clients.csv"
        size = path.stat().st_size if path.exists() else 0
        with path.open("rb") as handle:
            lines = sum(block.count(b"\r\n") for block in iter(lambda: handle.read(1 << 22),
                                                                 b""))
    finally:
        database(args.server, name, drop=True)
        shutil.rmtree(work, ignore_errors=True)
    left_out = args.customers // UNENCODABLE_EVERY
    expected = args.customers - left_out
    records = figures["files"][0]["records"] if figures["files"] else 0
    print(f"{figures['summary']} (exit {figures['exit_code']})")
    print(f"Clients.csv: {size / 2**20:,.1f} MiB, {lines - 1:,} records "
          f"(expected {expected:,}, {left_out} left out)")
    rate = args.customers / figures["seconds"]
    print(f"send: {figures['seconds']:.1f} s ({rate:,.0f} customers/s), peak RSS "
          f"{figures['peak'] / 2**20:,.0f} MiB")
    target = TARGET * args.customers / 1_000_000
    met = figures["seconds"] <= target
    print(f"econnector send bench: {args.customers:,} customers in {figures['seconds']:.1f} s "
          f"(target {target:g} s): {'met' if met else 'MISSED'}; peak "
          f"{figures['peak'] / 2**20:,.0f} MiB")
    correct = (records == expected == lines - 1 and figures["left_out"] == left_out
               and figures["exit_code"] == (3 if left_out else 0))
    if not correct:
        print("the file is not what was asked")
    failed = (figures["seconds"] > 2 * target or figures["peak"] > MEMORY_LIMIT
              or not correct)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "include"))
    sys.exit(main())
