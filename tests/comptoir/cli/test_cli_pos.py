"""`comptoir pos invoice` and `comptoir pos tickets`: exit statuses, report, listings."""

from __future__ import annotations

import json

from sqlalchemy import delete
from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.cli import app
from tests.comptoir.pos.shop import DAY, Shop, paid_invoice, sale


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["pos", *args], env={"COMPTOIR_FORCE_TERMINAL": ""})


def test_invoice_prints_a_summary_writes_its_report_and_exits_0(engine, tmp_path) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, sale("A20", "-3"), customer="CLI2")
    copy = tmp_path / "r.json"
    result = run("invoice", "--until", DAY.isoformat(), "--report", str(copy))
    assert result.exit_code == 0, result.output
    assert "2 tickets selected, 2 invoiced" in result.stdout
    report = json.loads(copy.read_text(encoding="utf-8"))
    assert report["command"] == "pos invoice" and report["exit_code"] == 0
    assert report["documents_created"] == {"F": 1, "B": 0, "A": 1}
    assert [(d["number"], d["total_incl_tax"]) for d in report["documents"]] == [
        ("FA2026-000001", "10.00"), ("AV2026-000001", "-30.00")]


def test_invoice_dry_run_writes_only_the_report(engine) -> None:
    Shop(engine).ticket(1, sale(), customer="CLI1")
    result = run("invoice", "--until", DAY.isoformat(), "--dry-run")
    assert result.exit_code == 0 and "dry run, nothing written" in result.stdout
    assert run("invoice", "--until", DAY.isoformat()).exit_code == 0
    listed = json.loads(run("tickets", "--json").stdout)
    assert listed[0]["document"] == "FA2026-000001"


def test_invoice_exits_3_when_tickets_are_skipped(engine) -> None:
    shop = Shop(engine)
    with engine.begin() as conn:
        conn.execute(delete(s.settings).where(s.settings.c.key == "pos_counter_customer"))
    shop.ticket(1, sale())
    shop.ticket(2, sale(), customer="CLI1")
    result = run("invoice", "--until", DAY.isoformat())
    assert result.exit_code == 3
    assert "MAG01 C1 1 no_counter_customer" in result.stdout


def test_a_bad_range_or_date_is_a_usage_error(engine) -> None:
    for args in (["--tickets", "9:1"], ["--tickets", "a:b"], ["--registers", "C1"],
                 ["--until", "12/01/2026"]):
        result = run("invoice", *args)
        assert result.exit_code == 2, (args, result.output)
    assert run("tickets", "--tickets", "x").exit_code == 2


def test_tickets_lists_csv_and_json(engine) -> None:
    shop = Shop(engine)
    shop.ticket(1, sale(), customer="CLI1")
    shop.ticket(2, paid_invoice("3.50"), customer="CLI2")
    shop.ticket(3, sale("A20", "2", "0.55"), register="C2")
    shop.ticket(1, sale(), store="MAG02")
    assert run("invoice", "--until", DAY.isoformat(), "--store", "MAG01").exit_code == 0
    result = run("tickets", "--store", "MAG01")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == ("store;register;ticket;day;customer;degraded;total_incl_tax;"
                        "received_at;document;document_type;posted")
    assert lines[1:] == ["MAG01;C1;1;2026-01-12;CLI1;1;10.00;;FA2026-000001;F;0",
                         "MAG01;C1;2;2026-01-12;CLI2;1;3.50;;;;0",
                         "MAG01;C2;3;2026-01-12;;1;1.10;;FA2026-000002;F;0"]
    listed = json.loads(run("tickets", "--json", "--register", "C2").stdout)
    assert listed == [{"store": "MAG01", "register": "C2", "ticket": 3, "day": "2026-01-12",
                       "customer": None, "degraded": True, "total_incl_tax": "1.10",
                       "received_at": None, "document": "FA2026-000002",
                       "document_type": "F", "posted": False}]
    assert [r["ticket"] for r in json.loads(run("tickets", "--json", "--tickets",
                                                "2:").stdout)] == [2, 3]
