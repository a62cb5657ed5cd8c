"""Pilot files: every syntax, the whole file checked before anything runs, the first
failure stopping the rest, and a register's EXTRACT + COPY end to end."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from comptoir.backoffice.schema import pos_tickets
from comptoir.backoffice.settings import set_setting
from comptoir.cli import app
from comptoir.exchange.mail import FileMailer
from comptoir.pos.integration import integrate_files
from comptoir.pos.pilot import plan_pilot, run_pilot
from comptoir.pos.report import Exit
from comptoir.pos.ticket_file import read_ticket_file
from tests.comptoir.pos.pos_data import sale, seed, ticket_file

SETTINGS = {"pos_outbox": "var/pos/outbox", "pos_inbox": "var/inbox/pos",
            "pos_transfer_email": "server@example.com", "pos_lan_folder": "/mnt/lan/pos"}


def pilot(tmp_path: Path, text: str, name: str = "pilot.txt",
          encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def planned(plan) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(a.line, a.action, a.args, a.source, a.status) for a in plan.actions]


def test_native_lines_with_their_defaults(tmp_path, comptoir_home) -> None:
    plan = plan_pilot(pilot(tmp_path, "; the register's evening\n\n  extract \n"
                            "EXTRACT , Untransferred\nSend_Mail\nSEND_MAIL,other@example.com\n"
                            "COPY\nCOPY,lan\nINTEGRATE\nLOAD_BASE,base/PvBase.zip\n"),
                      SETTINGS)
    assert plan.problems == []
    home = comptoir_home
    assert planned(plan) == [
        (3, "EXTRACT", ["degraded"], "native", "planned"),
        (4, "EXTRACT", ["untransferred"], "native", "planned"),
        (5, "SEND_MAIL", ["server@example.com"], "native", "planned"),
        (6, "SEND_MAIL", ["other@example.com"], "native", "planned"),
        (7, "COPY", ["/mnt/lan/pos"], "native", "planned"),
        (8, "COPY", [str(home / "lan")], "native", "planned"),
        (9, "INTEGRATE", [str(home / "inbox" / "pos")], "native", "planned"),
        (10, "LOAD_BASE", [str(tmp_path / "base" / "PvBase.zip")], "native", "planned")]
    assert plan.outbox == home / "pos" / "outbox"
    assert plan.actions[0].message == f"pos extract --kind degraded --out {plan.outbox}"


def test_divalto_lines_the_seeds_pilots(tmp_path) -> None:
    mail = plan_pilot(pilot(tmp_path, "; Ceci est un fichier pilote\n;nom hop;mot cle "
                            "{Fichier txt cree sauve dans zechange}\npvppreco1.dhop,reco1\n"
                            "pvppsendmail.dhop,SENDMD\n", "pvpprecomail.txt"), SETTINGS)
    assert planned(mail) == [(3, "EXTRACT", ["degraded"], "compat", "planned"),
                             (4, "SEND_MAIL", ["server@example.com"], "compat", "planned")]
    lan = plan_pilot(pilot(tmp_path, ";ceci est un fichier pilote\npvppreco1.dhop,reco1\n"
                           "pvpplib.dhop,implicitestpv.txt\n;nom hop;mot clé\n"
                           "PVPPRECO2.DHOP, RECO2\n;restitue l'implicites de l'utilisateur\n"
                           "pvpplib.dhop,,\n", "lan.txt", "cp1252"), SETTINGS)
    assert lan.encoding == "windows-1252" and lan.problems == []
    assert planned(lan) == [(2, "EXTRACT", ["degraded"], "compat", "planned"),
                            (3, None, ["implicitestpv.txt"], "ignored", "ignored"),
                            (5, "COPY", ["/mnt/lan/pos"], "compat", "planned"),
                            (7, None, ["", ""], "ignored", "ignored")]


def test_an_address_alone_and_the_untransferred_pilot(tmp_path) -> None:
    plan = plan_pilot(pilot(tmp_path, "siege@example.com\n", "PVPPTRANSTMAIL.TXT"), SETTINGS)
    assert planned(plan) == [(1, "SEND_MAIL", ["siege@example.com"], "compat", "planned")]
    transfer = plan_pilot(pilot(tmp_path, "pvppreco1.dhop,reco1\nEXTRACT\nEXTRACT,degraded\n"
                                "COPY\n", "pvpptranst.txt"), SETTINGS)
    assert [a.args for a in transfer.actions[:3]] == [["untransferred"], ["untransferred"],
                                                      ["degraded"]]


def test_windows_1252_is_detected(tmp_path) -> None:
    plan = plan_pilot(pilot(tmp_path, "; clôture de la journée\nCOPY,/mnt/caisse/réseau\n",
                            encoding="cp1252"), SETTINGS)
    assert plan.encoding == "windows-1252"
    assert plan.actions[0].args == ["/mnt/caisse/réseau"]
    assert plan_pilot(pilot(tmp_path, "\ufeffCOPY\n"), SETTINGS).encoding == "utf-8"


@pytest.mark.parametrize(("text", "expected"), [
    ("EXTRACT\nFROBNICATE\n", "line 2 ('FROBNICATE'): unknown action 'FROBNICATE'"),
    ("pvppfoo.dhop,x\n", "line 1 ('pvppfoo.dhop,x'): unknown Divalto program"),
    ("pvppreco1.dhop,reco2\n", "pvppreco1.dhop is written 'pvppreco1.dhop,reco1'"),
    ("EXTRACT,everything\n", "line 1 ('EXTRACT,everything'): EXTRACT 'everything'"),
    ("SEND_MAIL,not-an-address\n", "'not-an-address' is not an e-mail address"),
    ("a@b@example.com\n", "line 1 ('a@b@example.com'): SEND_MAIL: 'a@b@example.com' is not"),
    ("LOAD_BASE\n", "LOAD_BASE needs the base package"),
    ("LOAD_BASE,../../etc/passwd\n", "must stay inside"),
    ("LOAD_BASE,sub/../../x.zip\n", "must stay inside"),
    ("INTEGRATE,../../elsewhere\n", "must stay inside"),
    ("COPY,a,b\n", "COPY takes one argument at most, 2 given"),
    ("; only a comment\n", "no action in the file"),
])
def test_a_bad_line_refuses_the_file_naming_it(tmp_path, text, expected) -> None:
    plan = plan_pilot(pilot(tmp_path, text), SETTINGS)
    assert any(expected in problem for problem in plan.problems), plan.problems


def test_a_missing_address_or_folder_names_the_setting(tmp_path) -> None:
    bare = {"pos_outbox": "var/pos/outbox", "pos_inbox": "var/inbox/pos"}
    plan = plan_pilot(pilot(tmp_path, "EXTRACT\nSEND_MAIL\nCOPY\npvppsendmail.dhop,SENDMD\n"),
                      bare)
    assert [p.split(":")[0] for p in plan.problems] == [
        "line 2 ('SEND_MAIL')", "line 3 ('COPY')", "line 4 ('pvppsendmail.dhop,SENDMD')"]
    assert "set pos_transfer_email" in plan.problems[0]
    assert "set pos_lan_folder" in plan.problems[1]


def test_an_unreadable_file_is_refused(tmp_path) -> None:
    assert "cannot be read" in plan_pilot(tmp_path / "nope.txt", SETTINGS).problems[0]
    binary = plan_pilot(pilot(tmp_path, "EXTRACT\x00"), SETTINGS)
    assert "not a text file" in binary.problems[0]


# ------------------------------------------------------------------ on a register dossier


@pytest.fixture
def register(engine, comptoir_home, tmp_path):  # type: ignore[no-untyped-def]
    """A register dossier (MAG01/C1) with two degraded tickets and its settings."""
    seed(engine)
    integrate_files(engine, [ticket_file(tmp_path / "src", [sale(148), sale(149)])])
    with engine.begin() as conn:
        set_setting(conn, "pos_store", "MAG01")
        set_setting(conn, "pos_register", "C1")
        set_setting(conn, "pos_lan_folder", str(tmp_path / "lan"))
    return engine


def outbox(home: Path) -> Path:
    return home / "pos" / "outbox"


def test_extract_then_copy_end_to_end(register, comptoir_home, tmp_path) -> None:
    report = run_pilot(register, pilot(tmp_path, "pvppreco1.dhop,reco1\n"
                                       "pvpplib.dhop,implicitestpv.txt\npvppreco2.dhop,reco2\n"))
    assert report.exit_code == Exit.DONE, report.body["actions"]
    actions = report.body["actions"]
    assert [(a["action"], a["source"], a["status"]) for a in actions] == [
        ("EXTRACT", "compat", "done"), (None, "ignored", "ignored"), ("COPY", "compat", "done")]
    (copied,) = (tmp_path / "lan").iterdir()
    assert copied.name.startswith("TicDegMAG01C1")
    assert read_ticket_file(copied).tickets.column("ticket") == ["148", "149"]
    assert [p.name for p in (outbox(comptoir_home) / "sent").iterdir()] == [copied.name]
    assert "2 tickets (148-149)" in actions[0]["message"]
    with register.connect() as conn:
        assert set(conn.execute(select(pos_tickets.c.extract_file)).scalars()) == {copied.name}


def test_extract_and_mail(register, comptoir_home, tmp_path) -> None:
    report = run_pilot(register, pilot(tmp_path, "EXTRACT\nSEND_MAIL,siege@example.com\n"),
                       mailer=FileMailer(tmp_path / "mail"))
    assert report.exit_code == Exit.DONE
    (eml,) = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"].startswith("Comptoir tickets MAG01 C1 TicDegMAG01C1")
    assert message["To"] == "siege@example.com"


def test_a_bad_line_runs_nothing(register, comptoir_home, tmp_path) -> None:
    report = run_pilot(register, pilot(tmp_path, "EXTRACT\nCOPY\nFROBNICATE\n"))
    assert report.exit_code == Exit.REFUSED
    assert report.error["rule"] == "bad_pilot" and "line 3" in report.error["message"]
    assert not outbox(comptoir_home).exists()
    with register.connect() as conn:
        assert set(conn.execute(select(pos_tickets.c.extracted_at)).scalars()) == {None}


def test_the_first_failure_stops_the_file(register, comptoir_home, tmp_path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_bytes(b"a file, not a folder")
    report = run_pilot(register, pilot(tmp_path, f"EXTRACT\nCOPY,{blocked}\nCOPY\n"))
    assert report.exit_code == Exit.PARTIAL
    assert [(a["action"], a["status"]) for a in report.body["actions"]] == [
        ("EXTRACT", "done"), ("COPY", "failed"), ("COPY", "planned")]
    assert report.body["actions"][2]["message"] == "not run: line 2 failed"
    assert report.error["message"].startswith("line 2 (COPY) failed")
    assert len(list(outbox(comptoir_home).glob("*.zip"))) == 1  # extracted, kept to resend
    assert not (tmp_path / "lan").exists()


def test_load_base_without_its_module_fails_that_action(register, tmp_path,
                                                        monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "comptoir.pos.base_files", None)
    report = run_pilot(register, pilot(tmp_path, "LOAD_BASE,PvBase.zip\nEXTRACT\n"))
    assert report.exit_code == Exit.PARTIAL
    first = report.body["actions"][0]
    assert first["status"] == "failed" and "comptoir.pos.base_files" in first["message"]


def test_dry_run_prints_the_plan_and_runs_nothing(register, comptoir_home, tmp_path) -> None:
    path = pilot(tmp_path, "EXTRACT\nCOPY\n")
    result = CliRunner().invoke(app, ["pos", "pilot", str(path), "--dry-run", "--report",
                                      str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert f"line 1: EXTRACT (planned) pos extract --kind degraded --out " \
           f"{outbox(comptoir_home)}" in result.output
    assert f"--folder {tmp_path / 'lan'}" in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["command"] == "pos pilot"
    assert [a["status"] for a in report["actions"]] == ["planned", "planned"]
    assert not outbox(comptoir_home).exists()


def test_cli_pilot_refused_exits_1_and_runs(register, comptoir_home, tmp_path) -> None:
    bad = CliRunner().invoke(app, ["pos", "pilot", str(pilot(tmp_path, "NOPE\n"))])
    assert bad.exit_code == 1 and "line 1" in bad.output
    good = CliRunner().invoke(app, ["pos", "pilot", str(pilot(tmp_path, "EXTRACT\nCOPY\n"))])
    assert good.exit_code == 0, good.output
    assert len(list((tmp_path / "lan").iterdir())) == 1
