"""`comptoir pos post`, `pos payments` and `pos invoice --post` as a user runs them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from comptoir.backoffice.settings import set_setting
from comptoir.cli import app
from tests.comptoir.accounting.books import Books
from tests.comptoir.pos.shop import sale

UNTIL = ["--until", "2026-01-13"]


@pytest.fixture
def books(engine, dossier_url, comptoir_home, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", dossier_url)
    found = Books(engine)
    found.ticket(1, sale("A20", "1", "24.00"), customer="CLI1")
    found.ticket(2, sale("A20", "1", "6.00"))
    return found


def test_invoice_then_post_prints_the_entries_and_copies_the_report(books, tmp_path) -> None:
    result = CliRunner().invoke(app, ["pos", "invoice", *UNTIL, "--post", "--grouping",
                                      "account"])
    assert result.exit_code == 0, result.output
    assert "pos invoice: 2 tickets selected" in result.output
    assert ("pos post: 2 entries, lettering 1 full and 0 partial, 2 receivables, "
            "4 accounts created, 0 skipped (written)") in result.output
    again = CliRunner().invoke(app, ["pos", "post", *UNTIL, "--report",
                                     str(tmp_path / "r.json")])
    assert again.exit_code == 0
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["command"] == "pos post" and report["entries"] == []
    assert report["lettering"] == {"full": 0, "partial": 0}


def test_post_amounts_in_the_report_are_strings_with_two_decimals(books, tmp_path) -> None:
    CliRunner().invoke(app, ["pos", "invoice", *UNTIL])
    result = CliRunner().invoke(app, ["pos", "post", *UNTIL, "--report",
                                      str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [(e["journal"], e["document_ref"], e["debit"], e["credit"])
            for e in report["entries"]] == [
        ("VE", "FA2026-000001", "24.00", "24.00"), ("MAG01C1", "FA2026-000001", "24.00",
                                                    "24.00"),
        ("VE", "FA2026-000002", "6.00", "6.00"), ("MAG01C1", "FA2026-000002", "6.00",
                                                  "6.00")]


def test_usage_errors_exit_2(books) -> None:
    assert CliRunner().invoke(app, ["pos", "post", "--grouping", "store"]).exit_code == 2
    assert CliRunner().invoke(app, ["pos", "post", "--tickets", "9:1"]).exit_code == 2
    assert CliRunner().invoke(app, ["pos", "invoice", "--grouping", "account"]).exit_code == 2


def test_classic_mode_refuses_post_and_invoice_post_before_writing(books, engine) -> None:
    with engine.begin() as conn:
        set_setting(conn, "pos_accounting", "classic")
    refused = CliRunner().invoke(app, ["pos", "invoice", *UNTIL, "--post"])
    assert refused.exit_code == 1
    assert "accounting post-documents" in refused.output
    listed = CliRunner().invoke(app, ["pos", "tickets"])
    assert ";FA" not in listed.output                      # nothing was invoiced
    assert CliRunner().invoke(app, ["pos", "invoice", *UNTIL]).exit_code == 0
    post = CliRunner().invoke(app, ["pos", "post", *UNTIL])
    assert post.exit_code == 1 and "pos payments" in post.output


def test_payments_in_direct_mode_name_the_right_command(books) -> None:
    result = CliRunner().invoke(app, ["pos", "payments", *UNTIL])
    assert result.exit_code == 1
    assert "comptoir pos post" in result.output


def test_post_documents_posts_invoices_of_every_source_with_their_due_receivable(
        books, engine, tmp_path) -> None:
    with engine.begin() as conn:
        set_setting(conn, "pos_accounting", "classic")
    books.document("FA2025-000009", "F", "CLI2", "120.00")
    assert CliRunner().invoke(app, ["pos", "invoice", *UNTIL]).exit_code == 0
    result = CliRunner().invoke(app, ["accounting", "post-documents", "--until", "2026-01-13",
                                      "--customers", "CLI1:CLI2", "--report",
                                      str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "accounting post-documents: 2 entries" in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [e["document_ref"] for e in report["entries"]] == ["FA2025-000009", "FA2026-000001"]
    assert report["receivables_created"] == 2
    listed = CliRunner().invoke(app, ["accounting", "receivables", "--open", "--json"])
    assert sorted((r["document"], r["state_code"], r["remaining"])
                  for r in json.loads(listed.output)) == [
        ("FA2025-000009", "D10", "120.00"), ("FA2026-000001", "D10", "24.00")]
    assert CliRunner().invoke(app, ["accounting", "post-documents", "--types",
                                    "X"]).exit_code == 2
