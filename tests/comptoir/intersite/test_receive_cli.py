"""`comptoir intersite receive`: sources, summary line, report file, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.cli import app

from .central import attachment, central, count, drop, mail, order


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["intersite", "receive", *args],
                              env={"COMPTOIR_FORCE_TERMINAL": ""})


def test_default_folder_summary_and_report(engine, comptoir_home: Path,
                                           tmp_path: Path) -> None:
    central(engine)
    incoming = comptoir_home / "mail" / "incoming"
    drop(incoming, "a.eml", mail(attachment(order("CF1"), order("CF2", lines=[]))))
    drop(incoming, "b.eml", mail(attachment(), sender="x@evil.example"))
    result = cli("--report", str(tmp_path / "r.json"))
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines()[0] == ("2 messages: 1 processed, 1 rejected; 1 orders "
                                             "created, 0 already received, 1 rejected")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["source"] == "mail folder incoming" and report["error"] is None
    assert report["counts"] == {"messages": 2, "processed": 1, "rejected": 1,
                                "already_processed": 0, "orders_created": 1,
                                "orders_already_received": 0, "orders_rejected": 1}
    assert set(report) == {"source", "dry_run", "error", "started_at", "finished_at",
                           "messages", "counts", "acknowledgements"}
    assert set(report["messages"][0]) == {"key", "where", "from", "subject", "site", "state",
                                          "rule", "message", "orders"}
    again = cli()
    assert again.exit_code == 0 and again.stdout.startswith("0 messages")


def test_mail_folder_option_and_setting(engine, comptoir_home: Path) -> None:
    central(engine)
    drop(comptoir_home / "mail" / "other", "a.eml", mail(attachment(order("CF1"))))
    result = cli("--mail-folder", "other")
    assert result.exit_code == 0, result.output
    assert count(engine, s.sales_documents) == 1
    drop(comptoir_home / "mail" / "third", "a.eml", mail(attachment(order("CF2"))))
    with engine.begin() as conn:
        set_setting(conn, "intersite_source", '{"kind": "mail_folder", "path": "third"}')
    assert cli().exit_code == 0
    assert count(engine, s.sales_documents) == 2


def test_exit_1_on_invalid_source_imap_and_no_site(engine, comptoir_home: Path,
                                                    tmp_path: Path) -> None:
    result = cli("--mail-folder", "x", "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 1 and "no known site" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["error"]
    central(engine)
    for args, text in [(["--source", '{"kind": "local"}'], "not a mailbox"),
                       (["--source", "{"], "invalid source"),
                       (["--imap", "imap_x"], "connection is not defined"),
                       (["--source", '{"kind": "pop3", "conn_id": "p"}'],
                        "connection is not defined"),
                       (["--processed-mailbox", "X"], "go with --imap"),
                       (["--prices", "cheap"], "order or catalogue"),
                       (["--mail-folder", "a", "--source", "{}"], "one source")]:
        result = cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert text in result.output, (args, result.output)


def test_dry_run_says_so(engine, comptoir_home: Path) -> None:
    central(engine)
    drop(comptoir_home / "mail" / "incoming", "a.eml", mail(attachment()))
    result = cli("--dry-run")
    assert result.exit_code == 0 and "(dry run: nothing written)" in result.stdout
    assert count(engine, s.sales_documents) == 0
