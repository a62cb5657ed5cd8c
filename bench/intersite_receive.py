"""Inter-site orders: a mail folder of 1,000 messages received, then received again.

    python bench/intersite_receive.py [--messages N] [--orders N] [--lines N]
                                      [--postgresql] [--server URL]

`spec/intersite.md`, "Performance". A fresh dossier (a SQLite file by default; with
`--postgresql` a database the script creates and drops) gets, untimed: two VAT codes
(20 % and 5.5 %), a depot, 2,000 articles, the customer `CALVI` and the known site
`DIST-CALVI` (sender `s.lefevre@calvi.example`); and a mail folder of N `.eml` messages
from that sender, each with one `comptoir-intersite-orders` v1 attachment of 10 orders
× 20 lines (every article known, every order id new, nine lines in ten with a unit
price). Timed, each in its own child process (peak RSS of the child):
`receive_mail_folder` of the folder into the empty dossier (every message `processed`,
every order `created`, every file filed in `processed/`), then of the same messages put
back into the folder (every one `already_processed`, nothing written, and no message read
beyond its headers: `MailFolder.read` is counted). Prints per-stage seconds, messages/s,
peak RSS and the report's counts, then `intersite bench: ... met|MISSED`; exits 1 when
the counts are not 100 % processed / created then 100 % already processed with no body
read, or a stage takes more than 2 × its target (60 s first run, 5 s re-run, per 1,000
messages of 10 orders × 20 lines).
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

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ARTICLES = 2_000
SITE = "DIST-CALVI"
SENDER = "s.lefevre@calvi.example"
TARGETS = {"first": 60.0, "again": 5.0}   # seconds per 1,000 messages × 10 orders × 20 lines


def _stage(url: str, folder: str) -> None:
    """Child process: one reception of the mail folder; its figures as JSON."""
    from sqlalchemy import create_engine

    from comptoir.exchange.endpoints import MailFolderInboxSource
    from comptoir.exchange.mail import MailFolder
    from comptoir.intersite.sources import receive_mail_folder

    bodies = []
    whole = MailFolder.read

    def read(self: MailFolder, handle: str) -> object:
        bodies.append(handle)
        return whole(self, handle)

    MailFolder.read = read  # type: ignore[method-assign]  # count the messages parsed whole
    engine = create_engine(url)
    source = MailFolderInboxSource(kind="mail_folder", path=folder)
    start = time.perf_counter()
    report = receive_mail_folder(engine, source)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rules = sorted({m["rule"] or "" for m in report.messages if m["state"] == "rejected"}
                   | {o["rule"] or "" for m in report.messages for o in m["orders"]
                      if o["state"] == "rejected"})
    print(json.dumps({"seconds": seconds, "peak": peak, "exit": report.exit_status,
                      "error": report.error, "counts": report.counts(),
                      "warnings": report.warnings, "rules": rules[:5],
                      "bodies": len(bodies)}))


def _dossier(url: str) -> None:
    """The reference data and the known site (untimed)."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import create_engine

    from comptoir.backoffice import schema as s
    from comptoir.imports import loader
    from comptoir.intersite.sites import add_site

    rng = np.random.default_rng(13)
    engine = create_engine(url)
    with engine.begin() as conn:
        t1 = conn.execute(s.vat_codes.insert().values(code="T1", name="20 %", rate=20)
                          ).inserted_primary_key[0]
        t3 = conn.execute(s.vat_codes.insert().values(code="T3", name="5,5 %", rate=5.5)
                          ).inserted_primary_key[0]
        conn.execute(s.depots.insert().values(code="DEP1", name="Dépôt central"))
        prices = rng.integers(100, 20_000, ARTICLES)          # cents
        vats = np.where(rng.random(ARTICLES) < 0.8, t1, t3)
        loader.insert(conn, s.articles, pd.DataFrame({
            "code": [f"ART{i:06d}" for i in range(ARTICLES)],
            "name": [f"Article {i}" for i in range(ARTICLES)],
            "vat_code_id": pd.array(vats, dtype="Int64"),
            "sale_price": pd.array(prices * 100, dtype="Int64"), "unit": "U"}),
            {"sale_price": 4})
        conn.execute(s.customers.insert().values(code="CALVI", name="Comptoir de Calvi"))
        add_site(conn, SITE, customer="CALVI", senders=[SENDER], depot="DEP1",
                 name="Comptoir de Calvi")
    engine.dispose()


def _write_folder(folder: Path, messages: int, orders: int, lines: int) -> int:
    """N `.eml` files as the distributor's file mail backend writes them; their bytes."""
    import datetime as dt
    from email.message import EmailMessage
    from email.utils import format_datetime

    import numpy as np

    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    moment = dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    size = 0
    number = 0
    for n in range(messages):
        picks = rng.integers(0, ARTICLES, (orders, lines))
        quantities = rng.integers(1, 100, (orders, lines))
        cents = rng.integers(100, 20_000, (orders, lines))
        priced = rng.random((orders, lines)) < 0.9
        sent = moment + dt.timedelta(minutes=n)
        items = []
        for o in range(orders):
            number += 1
            items.append({
                "id": f"CF2026-{number:06d}", "date": f"2026-{1 + o % 12:02d}-{1 + n % 28:02d}",
                "reference": f"Réassort {n}/{o}", "follow_up_user": "s.lefevre",
                "depot": "MAG01", "lines": [
                    {"line_no": line + 1, "article": f"ART{int(picks[o, line]):06d}",
                     "description": f"Article réassort {int(picks[o, line])}",
                     "quantity": str(int(quantities[o, line])),
                     **({"unit_price": f"{int(cents[o, line]) / 100:.4f}"}
                        if priced[o, line] else {})}
                    for line in range(lines)]})
        document = {"format": "comptoir-intersite-orders", "version": 1, "site": SITE,
                    "company": "Les Comptoirs Réunis", "sent_at": sent.isoformat(),
                    "sender": SENDER,
                    "supplier": {"code": "FOU0001", "name": "Comptoir Logistique Centrale"},
                    "orders": items}
        message = EmailMessage()
        message["From"] = f"Sophie Lefèvre <{SENDER}>"
        message["To"] = "commandes@centrale.example"
        message["Subject"] = f"Commandes inter-sites {SITE} : {orders} commande(s)"
        message["Date"] = format_datetime(sent)
        message["Message-ID"] = f"<{sent:%Y%m%d%H%M%S}.{n:06x}@calvi.example>"
        message["X-Comptoir-Intersite"] = "orders/1"
        message.set_content("Bonjour,\n\nVeuillez trouver nos commandes ci-jointes.\n")
        message.add_attachment(
            json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
            maintype="application", subtype="json",
            filename=f"commandes-{SITE}-{sent:%Y%m%d-%H%M%S}.json")
        raw = bytes(message)
        (folder / f"{sent:%Y%m%dT%H%M%S}-{n:06x}.eml").write_bytes(raw)
        size += len(raw)
    return size


def _put_back(folder: Path) -> int:
    """Move the filed messages back to the top of the mail folder; how many."""
    moved = 0
    for path in sorted((folder / "processed").rglob("*.eml")):
        path.rename(folder / path.name)
        moved += 1
    shutil.rmtree(folder / "processed", ignore_errors=True)
    return moved


def _count(url: str) -> dict[str, int]:
    return row_counts(url, {"documents": "sales_documents", "lines": "sales_document_lines",
                                "messages": "intersite_messages", "mails": "intersite_mails"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000)
    parser.add_argument("--orders", type=int, default=10, help="orders per message")
    parser.add_argument("--lines", type=int, default=20, help="lines per order")
    parser.add_argument("--postgresql", action="store_true", help="a PostgreSQL dossier")
    parser.add_argument("--server", default=os.environ.get("COMPTOIR_BENCH_DATABASE_URL",
                                                           SERVER))
    parser.add_argument("--stage", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        _stage(*args.stage)
        return 0

    from comptoir.backoffice import migrate

    work = Path(tempfile.mkdtemp(prefix="comptoir-bench-intersite-"))
    os.environ["COMPTOIR_HOME"] = str(work / "home")
    n, per, lines = args.messages, args.orders, args.lines
    orders = n * per
    name = f"comptoir_bench_intersite_{os.getpid()}"
    kind = "PostgreSQL" if args.postgresql else "SQLite"
    url = database(args.server, name) if args.postgresql else f"sqlite:///{work / 'dossier.db'}"
    scale = n * per * lines / 200_000
    targets = {stage: seconds * scale for stage, seconds in TARGETS.items()}
    targets["again"] = TARGETS["again"] * n / 1_000        # per message, bodies unread
    folder = work / "home" / "mail" / "incoming"
    failed = False
    try:
        migrate.upgrade(url)
        _dossier(url)
        start = time.perf_counter()
        size = _write_folder(folder, n, per, lines)
        print(f"mail folder: {n:,} messages × {per} orders × {lines} lines "
              f"({size / 2**20:.1f} MiB) written in {time.perf_counter() - start:.1f} s; "
              f"{ARTICLES:,} articles; dossier {kind}")
        expected = {"first": {"messages": n, "processed": n, "orders_created": orders},
                    "again": {"messages": n, "already_processed": n}}
        print(f"{'stage':<8}{'seconds':>9}{'target':>8}{'msgs/s':>10}{'peak RSS':>11}  counts")
        figures = {}
        for stage in ("first", "again"):
            if stage == "again":
                back = _put_back(folder)
                if back != n:
                    print(f"again: {back} messages filed in processed/, expected {n}")
                    failed = True
            child = subprocess.run([sys.executable, __file__, "--stage", url, str(folder)],
                                   capture_output=True, text=True, env=dict(os.environ))
            if child.returncode != 0:
                print(f"{stage}: failed\n{child.stderr[-3000:]}")
                return 1
            got = figures[stage] = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"{stage:<8}{got['seconds']:>9.1f}{targets[stage]:>7.3g}s"
                  f"{n / got['seconds']:>10,.0f}{got['peak'] / 2**20:>7,.0f} MiB  "
                  f"{got['counts']}")
            want = {state: 0 for state in got["counts"]} | expected[stage]
            if got["counts"] != want or got["error"] or got["exit"] or got["warnings"]:
                print(f"{stage}: expected {want}, exit 0; got {got}")
                failed = True
            bodies = n if stage == "first" else 0
            if got["bodies"] != bodies:
                print(f"{stage}: {got['bodies']:,} messages read whole, expected {bodies:,} "
                      "(a known key is decided from the headers)")
                failed = True
            failed |= got["seconds"] > 2 * targets[stage]
        stored = _count(url)
        print(f"dossier: {stored['documents']:,} documents, {stored['lines']:,} lines, "
              f"{stored['messages']:,} orders received, {stored['mails']:,} mails")
        if stored != {"documents": orders, "lines": orders * lines, "messages": orders,
                      "mails": n}:
            print(f"expected {orders:,} documents, {orders * lines:,} lines, {orders:,} "
                  f"orders received, {n:,} mails")
            failed = True
        first, again = figures["first"], figures["again"]
        peak = max(first["peak"], again["peak"])
        met = first["seconds"] <= targets["first"] and again["seconds"] <= targets["again"]
        print(f"intersite bench ({kind}): {n:,} messages ({orders:,} orders) in "
              f"{first['seconds']:.1f} s (target {targets['first']:g} s), again in "
              f"{again['seconds']:.1f} s (target {targets['again']:g} s), peak "
              f"{peak / 2**20:,.0f} MiB: {'met' if met else 'MISSED'}")
    finally:
        if args.postgresql:
            database(args.server, name, drop=True)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "include"))
    sys.exit(main())
