"""`comptoir accounting fec|balance|lettering|receivables` as a user runs them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.cli import app
from tests.comptoir.accounting.fec_reader import read_fec
from tests.comptoir.accounting.ledger_rows import DAY, Ledger, cr, dr

SIREN = "732829320"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["accounting", *args], env={"COMPTOIR_FORCE_TERMINAL": ""})


@pytest.fixture
def ledger(engine, dossier_url, comptoir_home) -> Ledger:  # type: ignore[no-untyped-def]
    """An invoice of CLI1 (120.00), its payment (unlettered), a credit sale of CLI2."""
    found = Ledger(engine)
    found.account("411000", "Clients", lettrable=True, kind="customer")
    found.entry("VE", 1, [dr("411000", "120.00", customer="CLI1", label="Facture FA1"),
                          cr("707000", "100.00"), cr("445711", "20.00")], document_ref="FA1")
    found.entry("CA", 1, [dr("530000", "120.00"),
                          cr("411000", "120.00", customer="CLI1", document_ref="FA1")])
    found.entry("VE", 2, [dr("411000", "60.00", customer="CLI2"), cr("707000", "60.00")],
                document_ref="FA2")
    with engine.begin() as conn:
        set_setting(conn, "company_siren", SIREN)
    return found


def test_fec_year_into_a_folder_prints_a_summary_and_the_report(ledger, tmp_path) -> None:
    result = run("fec", "--year", "2026", "--out", str(tmp_path / "fec"), "--report",
                 str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    path = tmp_path / "fec" / f"{SIREN}FEC20261231.txt"
    assert (f"accounting fec: 7 records, 3 entries from 2026-01-01 to 2026-12-31, debit "
            f"300.00, credit 300.00 → {path}") in result.stdout
    assert "report: " in result.stdout
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (report["command"], report["file"], report["records"], report["exit_code"]) == (
        "accounting fec", str(path), 7, 0)
    assert read_fec(path.read_bytes(), numbers_from_one=True).problems == []


def test_fec_period_pipe_utf8_into_a_file(ledger, tmp_path) -> None:
    target = tmp_path / "fec.txt"
    result = run("fec", "--from", "2026-01-12", "--to", "2026-01-12", "--out", str(target),
                 "--separator", "pipe", "--encoding", "UTF-8")
    assert result.exit_code == 0, result.output
    read = read_fec(target.read_bytes(), "utf-8")
    assert read.separator == "|" and len(read.records) == 7 and read.problems == []


def test_fec_default_folder(ledger, comptoir_home) -> None:
    assert run("fec", "--year", "2026").exit_code == 0
    assert (comptoir_home / "exports" / f"{SIREN}FEC20261231.txt").is_file()


def test_fec_exit_4_names_the_unbalanced_entry_and_the_gap(ledger, tmp_path) -> None:
    ledger.entry("VE", 4, [dr("411000", "1.00", customer="CLI2"), cr("707000", "0.90")])
    result = run("fec", "--year", "2026", "--out", str(tmp_path))
    assert result.exit_code == 4, result.output
    assert "entry VE2026-00000004 does not balance" in result.stdout
    assert ("journal VE 2026: 1 numbers missing, VE2026-00000003 to VE2026-00000003"
            in result.stdout)
    assert (tmp_path / f"{SIREN}FEC20261231.txt").is_file()


def test_fec_without_siren_exits_1_and_writes_nothing(ledger, engine, comptoir_home,
                                                       tmp_path) -> None:
    with engine.begin() as conn:
        conn.execute(s.settings.delete().where(s.settings.c.key == "company_siren"))
    result = run("fec", "--year", "2026", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "company_siren" in result.stderr
    assert not (tmp_path / "out").exists() and not (comptoir_home / "exports").exists()


@pytest.mark.parametrize("args", [
    [], ["--year", "2026", "--from", "2026-01-01", "--to", "2026-01-31"], ["--year", "26"],
    ["--year", "abcd"], ["--from", "2026-01-01"], ["--to", "2026-01-01"],
    ["--from", "2026-02-01", "--to", "2026-01-01"], ["--from", "01/02/2026", "--to", "2026-03-01"],
    ["--year", "2026", "--separator", ";"], ["--year", "2026", "--encoding", "cp1252"],
])
def test_fec_usage_errors_exit_2(ledger, args, tmp_path) -> None:
    result = run("fec", *args, "--out", str(tmp_path / "fec"))
    assert result.exit_code == 2, (args, result.output)
    assert not (tmp_path / "fec").exists()


def test_balance_csv_and_json(ledger) -> None:
    result = run("balance", "--from", "2026-01-01", "--until", "2026-12-31")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "account;name;debit;credit;balance\n"
        "411000;Clients;180.00;120.00;60.00\n"
        "445711;Compte 445711;0.00;20.00;-20.00\n"
        "530000;Compte 530000;120.00;0.00;120.00\n"
        "707000;Compte 707000;0.00;160.00;-160.00\n"
        "TOTAL;;300.00;300.00;0.00\n")
    listed = json.loads(run("balance", "--json").stdout)
    assert listed[-1] == {"account": "TOTAL", "name": "", "debit": "300.00",
                          "credit": "300.00", "balance": "0.00"}
    assert run("balance", "--from", "2026-13-01").exit_code == 2


def test_balance_exit_4_when_debits_and_credits_differ(ledger) -> None:
    ledger.entry("OD", 1, [dr("471000", "0.10")])
    result = run("balance")
    assert result.exit_code == 4
    assert result.stdout.endswith("TOTAL;;300.10;300.00;0.10\n")
    assert "differ by 0.10" in result.stderr


def test_lettering_letters_the_dossier_then_lists(ledger, engine, tmp_path) -> None:
    result = run("lettering", "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    today = dt.date.today().isoformat()
    assert result.stdout == (
        "account;customer;document_ref;journal;entry;line;date;debit;credit;lettering_code;"
        "lettered_on\n"
        f"411000;CLI1;FA1;CA;CA2026-00000001;2;2026-01-12;0.00;120.00;A;{today}\n"
        f"411000;CLI1;FA1;VE;VE2026-00000001;1;2026-01-12;120.00;0.00;A;{today}\n"
        "411000;CLI2;FA2;VE;VE2026-00000002;1;2026-01-12;60.00;0.00;;\n")
    assert "accounting lettering: 1 full and 0 partial groups lettered" in result.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["command"] == "accounting lettering"
    assert report["lettering"] == {"full": 1, "partial": 0}
    again = run("lettering", "--customer", "CLI2", "--json")
    assert "0 full and 0 partial" in again.stderr
    assert json.loads(again.stdout) == [{
        "account": "411000", "customer": "CLI2", "document_ref": "FA2", "journal": "VE",
        "entry": "VE2026-00000002", "line": 1, "date": "2026-01-12", "debit": "60.00",
        "credit": "0.00", "lettering_code": None, "lettered_on": None}]
    assert run("lettering", "--account", "707000").stdout.count("\n") == 1   # not lettrable
    with engine.connect() as conn:
        codes = conn.execute(select(s.journal_entry_lines.c.lettering_code)
                             .where(s.journal_entry_lines.c.lettering_code.is_not(None))).all()
    assert len(codes) == 2


def test_receivables_csv_json_and_filters(ledger) -> None:
    fa1 = ledger.document("FA1", "CLI1")
    ledger.receivable("CLI1", "due", "D10", "248.69", paid="100.69", state="partially_paid",
                      document_id=fa1, due_date=DAY + dt.timedelta(days=30))
    ledger.receivable("CLI1", "payment", "BPV", "100.69", paid="100.69", state="paid",
                      document_id=fa1, mode="CB")
    result = run("receivables")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "customer;document;kind;state_code;position;state;amount;paid_amount;remaining;"
        "due_date;payment_mode;reference\n"
        "CLI1;FA1;payment;BPV;PV;paid;100.69;100.69;0.00;2026-01-12;CB;\n"
        "CLI1;FA1;due;D10;10;partially_paid;248.69;100.69;148.00;2026-02-11;;\n")
    opened = json.loads(run("receivables", "--open", "--json").stdout)
    assert [(r["state_code"], r["remaining"]) for r in opened] == [("D10", "148.00")]
    assert run("receivables", "--document", "FA9").stdout.count("\n") == 1
    assert run("receivables", "--customer", "CLI1").stdout.count("\n") == 3
