"""The `pos_invoicing` type's `post` option and the `pos_accounting` type's methods, as
their core functions run (the DAGs are in tests/dags)."""

from __future__ import annotations

from datetime import datetime

from comptoir.automation.catalog import RunContext
from comptoir.automation.types import pos_accounting, pos_invoicing
from comptoir.backoffice.settings import set_setting
from tests.comptoir.accounting.books import Books, entries, receivables
from tests.comptoir.pos.shop import sale


def context(engine, tmp_path):  # type: ignore[no-untyped-def]
    return RunContext("pos", "r", engine, tmp_path / "work", datetime(2026, 1, 13, 2, 0),
                      None, lambda _: None)


def test_invoicing_with_post_posts_and_announces_the_entries(engine, comptoir_home,
                                                              tmp_path) -> None:
    books = Books(engine)
    books.ticket(1, sale("A20", "1", "24.00"), customer="CLI1")
    output = pos_invoicing.run(context(engine, tmp_path), pos_invoicing.Options(
        until="2026-01-12", post=True, grouping="account"))
    assert output.error is None
    assert output.assets[pos_accounting.ASSET_URI]["entries"] == 2
    assert output.assets[pos_invoicing.ASSET_URI]["documents"] == 1
    assert [e["ref"] for e in entries(engine).values()] == ["*TPV011", "*TPV011"]


def test_invoicing_with_post_in_classic_mode_fails_and_keeps_the_documents(
        engine, comptoir_home, tmp_path) -> None:
    books = Books(engine)
    with engine.begin() as conn:
        set_setting(conn, "pos_accounting", "classic")
    books.ticket(1, sale(), customer="CLI1")
    output = pos_invoicing.run(context(engine, tmp_path),
                               pos_invoicing.Options(until="2026-01-12", post=True))
    assert output.error and "post-documents" in output.error
    assert output.assets[pos_invoicing.ASSET_URI]["documents"] == 1
    assert entries(engine) == {}


def test_accounting_classic_posts_documents_then_payments(engine, comptoir_home,
                                                          tmp_path) -> None:
    books = Books(engine)
    with engine.begin() as conn:
        set_setting(conn, "pos_accounting", "classic")
    books.ticket(1, sale("A20", "1", "30.00"), customer="CLI1", mode="ESP")
    pos_invoicing.run(context(engine, tmp_path), pos_invoicing.Options(until="2026-01-12"))
    output = pos_accounting.run(context(engine, tmp_path),
                                pos_accounting.Options(until="2026-01-12"))
    assert output.error is None
    assert output.assets[pos_accounting.ASSET_URI]["entries"] == 2
    assert [r[3:7] for r in receivables(engine)] == [
        ("D10", "0.00", "0.00", "paid"), ("E30", "30.00", "30.00", "paid")]
    refused = pos_accounting.run(context(engine, tmp_path),
                                 pos_accounting.Options(method="direct"))
    assert refused.error and "classic" in refused.error and refused.assets == {}
