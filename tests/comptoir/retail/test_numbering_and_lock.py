"""Document numbers from `counters`, and the stock lock taken by two processes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from comptoir.backoffice import schema as s
from comptoir.backoffice.engine import get_engine
from comptoir.retail import numbering, stock_lock
from comptoir.retail.stock_lock import StockLockBusy

ROOT = Path(__file__).resolve().parents[3]


def _counter(engine, name: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(s.counters.c.value)
                            .where(s.counters.c.name == name)).scalar()


def test_numbers_run_per_prefix_and_year(engine) -> None:
    with engine.begin() as conn:
        assert numbering.reserve(conn, "TR", 2025) == ["TR2025-000001"]
        assert numbering.reserve(conn, "TR", 2025, 3) == [
            "TR2025-000002", "TR2025-000003", "TR2025-000004"]
        assert numbering.reserve(conn, "TR", 2026) == ["TR2026-000001"]
        assert numbering.reserve(conn, "AV", 2025) == ["AV2025-000001"]
        assert numbering.reserve(conn, "AV", 2025, 0) == []
    assert _counter(engine, "numbers.TR.2025") == 4
    assert _counter(engine, "numbers.TR.2026") == 1


def test_a_rolled_back_run_gives_its_numbers_back(engine) -> None:
    with engine.begin() as conn:
        numbering.reserve(conn, "VT", 2025, 2)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        assert numbering.reserve(conn, "VT", 2025) == ["VT2025-000003"]
        raise RuntimeError("the run failed")
    with engine.begin() as conn:
        assert numbering.reserve(conn, "VT", 2025) == ["VT2025-000003"]


def test_purchase_orders_continue_after_the_highest_existing_number(engine) -> None:
    with engine.begin() as conn:
        supplier = conn.execute(s.suppliers.insert().values(code="F1", name="F1")
                                ).inserted_primary_key[0]
        for number in ("CF2025-000041", "CF2025-000007", "CF2024-000900", "CF2025-ABCDEF",
                       "CF2025-0000420"):
            conn.execute(s.purchase_orders.insert().values(
                number=number, supplier_id=supplier, date=dt.date(2025, 5, 2)))
    with engine.begin() as conn:
        assert numbering.reserve(conn, "CF", 2025, 2) == ["CF2025-000042", "CF2025-000043"]
        assert numbering.reserve(conn, "CF", 2024) == ["CF2024-000901"]
        assert numbering.reserve(conn, "CF", 2026) == ["CF2026-000001"]
        # the counter ahead of the orders (numbers given to orders since deleted): it wins
        assert numbering.reserve(conn, "CF", 2025) == ["CF2025-000044"]
    assert _counter(engine, "numbers.CF.2025") == 44


def test_bad_prefixes_years_and_counts_are_refused(engine) -> None:
    with engine.begin() as conn:
        for args in (("vt", 2025, 1), ("V-T", 2025, 1), ("VT", 25, 1), ("VT", 2025, -1)):
            with pytest.raises(ValueError):
                numbering.reserve(conn, *args)
    with pytest.raises(ValueError, match="exhausted"):
        numbering.format_number("VT", 2025, 1_000_000)


_HOLDER = """
import sys, time
from comptoir.backoffice.engine import get_engine
from comptoir.retail import stock_lock
with get_engine(sys.argv[1]).begin() as conn:
    stock_lock.acquire(conn, 5)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
"""


def test_a_second_process_waits_for_the_stock_lock_then_gives_up(dossier_url) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), str(ROOT)])}
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, dossier_url, "3"],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        engine = get_engine(dossier_url)
        started = time.monotonic()
        with (pytest.raises(StockLockBusy, match="^another run holds the stock lock$"),
              engine.begin() as conn):
            stock_lock.acquire(conn, 0.5)
        assert 0.4 <= time.monotonic() - started < 2.5
        started = time.monotonic()
        with engine.begin() as conn:  # waits for the holder's commit, then has the lock
            stock_lock.acquire(conn, 30)
            waited = time.monotonic() - started
            conn.execute(s.counters.insert().values(name="after.lock", value=1))
        assert waited >= 1.0
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_the_lock_is_one_fixed_key_and_waits_ten_minutes_by_default(monkeypatch) -> None:
    assert stock_lock.lock.advisory_key("stock") == stock_lock.ADVISORY_KEY
    monkeypatch.delenv(stock_lock.WAIT_ENV, raising=False)
    assert stock_lock.lock.wait_seconds(stock_lock.WAIT_ENV) == 600
