"""Partner CSV connector: a documents file of 100,000 documents received, then received again.

    python bench/econnector_receive.py [--documents N] [--sqlite] [--server URL]

`spec/econnector.md`, "Performance". A fresh dossier (a PostgreSQL database the script
creates and drops, or with `--sqlite` a SQLite file) gets, untimed: a regime, a depot, two
VAT codes (20 % and 5.5 %), 3,000 articles with 3,000 correspondences of connector
`FACILI` (every external code mapped), N / 5 customers, and one `ImportDocuments` file of
N documents of 3 lines each (Windows-1252, `;`, decimal commas; every customer known,
TOTAL_TTC equal to the computed total). Timed, each in its own child process (peak RSS of
the child): `receive` of the file into the empty dossier (every document `synchronised`,
the file filed in done/ with its report), then `receive` of the same file dropped again
(every document `already_received`). Prints per-stage seconds, documents/s, peak RSS and
the report's counts, then `econnector bench: ... met|MISSED`; exits 1 when the counts are
not 100 % synchronised then 100 % already received, or a stage takes more than 2 × its
target (60 s first run — 120 s on SQLite —, 15 s re-run, per 100,000 documents) or more
than 2 × 1 GiB.
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
from _database import database, row_counts  # noqa: E402

from comptoir.backoffice.totals import half_up  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECTOR = "FACILI"
ARTICLES = 3_000
LINES = 3
TARGETS = {"first": 60.0, "again": 15.0}     # seconds per 100,000 documents (PostgreSQL)
SQLITE_FIRST = 120.0
MEMORY = 2**30
COLUMNS = ("DOC_ID", "DOC_DATE", "CLIENT_CODE", "CLIENT_NOM", "REFERENCE", "REGLEMENT",
           "TOTAL_TTC", "LIGNE_NO", "ART_EXT", "ART_DESIG", "QTE", "PU_HT", "REMISE")


def _stage(url: str) -> None:
    """Child process: one reception; its figures as JSON."""
    from sqlalchemy import create_engine

    from comptoir.econnector.reception import receive

    engine = create_engine(url)
    start = time.perf_counter()
    report = receive(engine, CONNECTOR)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "exit": report.exit_code,
                      "error": report.error, "counts": report.counts(),
                      "written": dict(report.written),
                      "outcomes": [f["outcome"] for f in report.files],
                      "messages": sorted({m for i in report.items for m in i.messages
                                          if not m.startswith("already received as ")})[:5]}))


def _dossier(url: str, documents: int) -> list[tuple[str, str, str, int, int]]:
    """The reference data (untimed); the articles as (external code, label, ...)."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import create_engine, select

    from comptoir.backoffice import schema as s
    from comptoir.backoffice.settings import set_setting
    from comptoir.econnector.settings import create_connector
    from comptoir.imports import loader

    rng = np.random.default_rng(12)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(s.tax_regimes.insert().values(code="FR", name="France"))
        conn.execute(s.depots.insert().values(code="DEP1", name="Dépôt central",
                                              site="central"))
        t1 = conn.execute(s.vat_codes.insert().values(code="T1", name="20 %", rate=20)
                          ).inserted_primary_key[0]
        t3 = conn.execute(s.vat_codes.insert().values(code="T3", name="5,5 %", rate=5.5)
                          ).inserted_primary_key[0]
        set_setting(conn, "default_regime", "FR")
        prices = rng.integers(100, 20_000, ARTICLES)          # cents
        vats = np.where(rng.random(ARTICLES) < 0.8, t1, t3)
        loader.insert(conn, s.articles, pd.DataFrame({
            "code": [f"ART{i:05d}" for i in range(ARTICLES)],
            "name": [f"Article {i}" for i in range(ARTICLES)],
            "vat_code_id": pd.array(vats, dtype="Int64"),
            "sale_price": pd.array(prices * 100, dtype="Int64"), "unit": "U"}),
            {"sale_price": 4})
        ids = dict(conn.execute(select(s.articles.c.code, s.articles.c.id)).all())
        loader.insert(conn, s.article_correspondences, pd.DataFrame({
            "connector": CONNECTOR, "external_code": [f"EXT-{i:05d}" for i in range(ARTICLES)],
            "article_id": pd.array([ids[f"ART{i:05d}"] for i in range(ARTICLES)],
                                   dtype="Int64"),
            "label": [f"Prestation {i}" for i in range(ARTICLES)]}))
        customers = max(1, documents // 5)
        loader.insert(conn, s.customers, pd.DataFrame({
            "code": [f"C{i:06d}" for i in range(customers)],
            "name": [f"Client {i}" for i in range(customers)], "family": "PART"}))
        create_connector(conn, CONNECTOR, {
            "link": "facilitime", "document_type": "orders", "depot": "DEP1",
            "customer_family": "CLIFAC", "supplier_family": "FOUFAC",
            "min_age_seconds": "0"})
    engine.dispose()
    rates = {t1: 200, t3: 55}    # per mille
    return [(f"EXT-{i:05d}", f"Prestation {i}", "", int(prices[i]), rates[int(vats[i])])
            for i in range(ARTICLES)]


def _write_file(path: Path, documents: int, articles: list) -> None:
    """N documents of LINES lines: half the lines at the article's price, with discounts."""
    import numpy as np

    rng = np.random.default_rng(7)
    customers = max(1, documents // 5)
    picks = rng.integers(0, len(articles), (documents, LINES))
    quantities = rng.integers(1, 10, (documents, LINES))
    given = rng.random((documents, LINES)) < 0.5
    discounts = np.where(rng.random((documents, LINES)) < 0.2, 10, 0)
    clients = rng.integers(0, customers, documents)
    payments = ("Chèques", "Carte bancaire", "Virement", "Espèces")
    out = [";".join(COLUMNS)]
    for n in range(documents):
        doc = f"F{n:06d}_D{n % 997:06d}"
        date = f"{1 + n % 28:02d}/{1 + n % 12:02d}/2026"
        client = f"C{int(clients[n]):06d}"
        base: dict[int, int] = {}
        rows = []
        for line in range(LINES):
            code, label, _, cents, rate = articles[int(picks[n, line])]
            quantity, discount = int(quantities[n, line]), int(discounts[n, line])
            total = half_up(quantity * cents * (100 - discount), 100)
            base[rate] = base.get(rate, 0) + total
            price = f"{cents // 100},{cents % 100:02d}" if given[n, line] else ""
            rows.append((line + 1, code, label, quantity, price, discount or ""))
        incl = sum(b + half_up(b * r, 1000) for r, b in base.items())
        head = (doc, date, client, f"Client {int(clients[n])}", f"CMD {n}",
                payments[n % 4], f"{incl // 100},{incl % 100:02d}")
        out += [";".join(map(str, (*head, *row))) for row in rows]
    path.write_bytes(("\r\n".join(out) + "\r\n").encode("cp1252"))


def _drop(source: Path, inbox: Path) -> None:
    """Put the file into the connector's import folder, old enough to be received."""
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / source.name
    shutil.copyfile(source, target)
    past = time.time() - 3600
    os.utime(target, (past, past))


def _count(url: str) -> dict[str, int]:
    return row_counts(url, {"documents": "sales_documents", "lines": "sales_document_lines",
                                "history": "sync_history"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite dossier")
    parser.add_argument("--server", default=os.environ.get("COMPTOIR_BENCH_DATABASE_URL",
                                                           SERVER))
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        _stage(args.stage)
        return 0

    from comptoir.backoffice import migrate

    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-econnector-"))
    os.environ["COMPTOIR_HOME"] = str(work / "home")
    n = args.documents
    name = f"comptoir_bench_econnector_{os.getpid()}"
    url = f"sqlite:///{work / 'dossier.db'}" if args.sqlite else database(args.server, name)
    targets = dict(TARGETS, first=SQLITE_FIRST if args.sqlite else TARGETS["first"])
    targets = {stage: seconds * n / 100_000 for stage, seconds in targets.items()}
    failed = False
    try:
        migrate.upgrade(url)
        articles = _dossier(url, n)
        start = time.perf_counter()
        source = work / "ImportDocuments_bench.csv"
        _write_file(source, n, articles)
        print(f"file: {n:,} documents, {n * LINES:,} lines, {ARTICLES:,} external codes "
              f"({source.stat().st_size / 2**20:.1f} MiB) written in "
              f"{time.perf_counter() - start:.1f} s; dossier "
              f"{'SQLite' if args.sqlite else 'PostgreSQL'}")
        inbox = work / "home" / "connectors" / CONNECTOR / "in"
        expected = {"first": "synchronised", "again": "already_received"}
        print(f"{'stage':<8}{'seconds':>9}{'target':>8}{'docs/s':>10}{'peak RSS':>11}  counts")
        figures = {}
        for stage in ("first", "again"):
            _drop(source, inbox)
            child = subprocess.run([sys.executable, __file__, "--stage", url],
                                   capture_output=True, text=True, env=dict(os.environ))
            if child.returncode != 0:
                print(f"{stage}: failed\n{child.stderr[-3000:]}")
                return 1
            got = figures[stage] = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"{stage:<8}{got['seconds']:>9.1f}{targets[stage]:>7.0f}s"
                  f"{n / got['seconds']:>10,.0f}{got['peak'] / 2**20:>7,.0f} MiB  "
                  f"{got['counts']} files {got['outcomes']}")
            want = {state: 0 for state in got["counts"]} | {expected[stage]: n}
            if got["messages"] != (["Synchronisé"] if stage == "first" else []):
                print(f"{stage}: unexpected messages {got['messages']}")
                failed = True
            if got["counts"] != want or got["error"] or got["outcomes"] != ["done"]:
                print(f"{stage}: expected {want}, outcome done; got {got}")
                failed = True
            failed |= got["seconds"] > 2 * targets[stage] or got["peak"] > 2 * MEMORY
        stored = _count(url)
        print(f"dossier: {stored['documents']:,} documents, {stored['lines']:,} lines, "
              f"{stored['history']:,} history rows; written {figures['first']['written']}")
        if stored["documents"] != n or stored["lines"] != n * LINES \
                or stored["history"] != 2 * n:
            print(f"expected {n:,} documents, {n * LINES:,} lines, {2 * n:,} history rows")
            failed = True
        first, again = figures["first"], figures["again"]
        peak = max(first["peak"], again["peak"])
        met = (first["seconds"] <= targets["first"] and again["seconds"] <= targets["again"]
               and peak <= MEMORY)
        print(f"econnector bench ({'SQLite' if args.sqlite else 'PostgreSQL'}): {n:,} "
              f"documents in {first['seconds']:.1f} s (target {targets['first']:g} s), "
              f"again in {again['seconds']:.1f} s (target {targets['again']:g} s), peak "
              f"{peak / 2**20:,.0f} MiB (target 1,024 MiB): {'met' if met else 'MISSED'}")
    finally:
        if not args.sqlite:
            database(args.server, name, drop=True)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "include"))
    sys.exit(main())
