"""`comptoir connector send` as a user runs it: summary, records left out, report, exit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.cli import app
from tests.comptoir.econnector.partner import connector, reference


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["connector", "send", *args],
                              env={"COMPTOIR_FORCE_TERMINAL": ""})


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home):  # type: ignore[no-untyped-def]
    """The partner dossier, a customer `CLI9` named in Polish (not in Windows-1252)."""
    ids = reference(engine)
    with engine.begin() as conn:
        conn.execute(s.customers.insert().values(code="CLI9", name="Paweł", family="PART",
                                                 store_id=ids["depot"]["MAG01"]))
        conn.execute(s.articles.update().values(exportable=True, sale_price=Decimal("1.5")))
    return comptoir_home / "connectors" / "FACILI" / "out"


def test_send_prints_the_summary_and_the_records_left_out(engine, dossier, tmp_path):
    connector(engine, send_articles="exportable", send_customers="all")
    result = run("facili", "--report", str(tmp_path / "r" / "send.json"))
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines() == [
        "FACILI: sent Articles.csv (3), Clients.csv (2); 1 left out",
        "  Clients.csv customer CLI9: unencodable: NOM contains 'ł' (U+0142), which cp1252 "
        "cannot write"]
    document = json.loads((tmp_path / "r" / "send.json").read_text(encoding="utf-8"))
    assert (document["connector"], document["direction"], document["error"]) == (
        "FACILI", "out", None)
    assert document["files"] == [
        {"file": "Articles.csv", "kind": "articles", "records": 3, "outcome": "done",
         "error": None},
        {"file": "Clients.csv", "kind": "customers", "records": 2, "outcome": "done",
         "error": None}]
    assert document["counts"] == {"synchronised": 0, "already_received": 0, "waiting": 0,
                                  "error": 1}
    assert [(i["type"], i["identifier"], i["state"], i["rule"]) for i in document["items"]] == [
        ("customer", "CLI9", "error", "unencodable")]
    assert "ART3;;Article trois;;;;;;1,50;HT;T1;20;0;0\r\n" in (
        dossier / "Articles.csv").read_bytes().decode("cp1252")


def test_send_options_choose_the_files_exit_0(engine, dossier):
    connector(engine, send_articles="exportable", send_customers="all", encoding="utf-8")
    result = run("FACILI", "--no-articles")
    assert result.exit_code == 0, result.output
    assert result.stdout == "FACILI: sent Clients.csv (3); 0 left out\n"
    assert sorted(p.name for p in dossier.iterdir()) == ["Clients.csv"]
    result = run("FACILI", "--articles", "--no-customers")
    assert result.stdout == "FACILI: sent Articles.csv (3); 0 left out\n"


def test_send_nothing_configured(engine, dossier):
    connector(engine)
    result = run("FACILI")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("FACILI: nothing to send (send_articles is none, "
                             "send_customers is none)\n")


def test_send_unknown_connector_exit_1_with_the_report(engine, dossier, tmp_path):
    connector(engine)
    result = run("NOPE", "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: NOPE: unknown connector NOPE; known: FACILI")
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert document["error"] == "unknown connector NOPE; known: FACILI"
    assert document["files"] == []
