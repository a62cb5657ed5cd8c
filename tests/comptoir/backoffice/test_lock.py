"""The dossier lock: runs of one step take turns, past the wait `DossierBusy`."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine

from comptoir.backoffice.lock import DossierBusy, acquire, advisory_key, wait_seconds


def test_a_second_run_of_the_step_waits_then_gives_up(dossier_url) -> None:
    first, second = create_engine(dossier_url), create_engine(dossier_url)
    try:
        with first.connect() as holder:
            holder.begin()
            acquire(holder, "pos.integrate", 1)
            started = time.monotonic()
            with (second.connect() as waiter, pytest.raises(DossierBusy, match="pos.integrate"),
                  waiter.begin()):
                acquire(waiter, "pos.integrate", 0.5)
            assert time.monotonic() - started >= 0.4
            holder.rollback()
        with second.begin() as conn:  # released with the transaction
            acquire(conn, "pos.integrate", 0.5)
    finally:
        first.dispose()
        second.dispose()


def test_other_steps_wait_only_on_sqlite(dossier_url) -> None:
    """PostgreSQL has a lock per step; SQLite one write lock for the whole dossier."""
    first, second = create_engine(dossier_url), create_engine(dossier_url)
    try:
        with first.connect() as holder:
            holder.begin()
            acquire(holder, "pos.integrate", 1)
            with second.connect() as other, other.begin():
                if dossier_url.startswith("postgresql"):
                    acquire(other, "imports", 0.5)
                else:
                    with pytest.raises(DossierBusy):
                        acquire(other, "imports", 0.5)
            holder.rollback()
    finally:
        first.dispose()
        second.dispose()


def test_keys_are_stable_and_distinct() -> None:
    assert advisory_key("imports") == advisory_key("imports")
    assert advisory_key("imports") != advisory_key("pos.integrate")
    assert -(2**63) <= advisory_key("imports") < 2**63


def test_the_wait_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("X_WAIT", "12.5")
    assert wait_seconds("X_WAIT") == 12.5
    monkeypatch.setenv("X_WAIT", "soon")
    assert wait_seconds("X_WAIT", 7) == 7
