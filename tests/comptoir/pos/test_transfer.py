"""`pos send`: ticket files leave the outbox by mail or into a LAN folder, oldest first;
what fails stays for the next run."""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comptoir.cli import app
from comptoir.exchange.mail import FileMailer
from comptoir.pos.report import Exit
from comptoir.pos.transfer import SmtpBackendNotHere, outbox_files, send_outbox
from tests.comptoir.pos.pos_data import CREATED, sale, ticket_file


def outbox_with(folder: Path, count: int = 2) -> list[Path]:
    """`count` ticket files of register C1, the first one the oldest."""
    made = []
    for index in range(count):
        path = ticket_file(folder, [sale(index + 1)], created=CREATED.replace(second=index))
        os.utime(path, (1_000_000 + index, 1_000_000 + index))
        made.append(path)
    return made


def test_files_are_taken_oldest_first_and_temporary_ones_left(tmp_path) -> None:
    first, second = outbox_with(tmp_path / "out")
    os.utime(first, (2_000_000, 2_000_000))  # now the newest
    (tmp_path / "out" / ".TicDegX.zip.part").write_bytes(b"partial")
    (tmp_path / "out" / "notes.txt").write_text("x")
    assert outbox_files(tmp_path / "out") == [second, first]


def test_copied_into_a_folder_under_a_free_name_then_moved_to_sent(tmp_path) -> None:
    first, second = outbox_with(tmp_path / "out")
    lan = tmp_path / "lan"
    lan.mkdir()
    (lan / first.name).write_bytes(b"already there")
    content = first.read_bytes()

    report = send_outbox(tmp_path / "out", folder=lan)

    assert report.exit_code == Exit.DONE and report.body["failed"] == []
    stem = first.name.removesuffix(".zip")
    assert (lan / first.name).read_bytes() == b"already there"  # never overwritten
    assert (lan / f"{stem}-2.zip").read_bytes() == content
    assert sorted(p.name for p in lan.iterdir()) == sorted([first.name, f"{stem}-2.zip",
                                                           second.name])
    assert [item["file"] for item in report.body["sent"]] == [first.name, second.name]
    assert report.body["sent"][0]["to"] == str(lan / f"{stem}-2.zip")
    assert report.body["sent"][0]["store"] == "MAG01"
    assert outbox_files(tmp_path / "out") == []
    assert sorted(p.name for p in (tmp_path / "out" / "sent").iterdir()) == sorted(
        [first.name, second.name])


def test_a_name_taken_in_sent_gets_a_suffix(tmp_path) -> None:
    (first,) = outbox_with(tmp_path / "out", 1)
    (tmp_path / "out" / "sent").mkdir()
    (tmp_path / "out" / "sent" / first.name).write_bytes(b"older")
    report = send_outbox(tmp_path / "out", folder=tmp_path / "lan")
    assert report.body["sent"][0]["moved_to"].endswith(f"{first.stem}-2.zip")
    assert (tmp_path / "out" / "sent" / first.name).read_bytes() == b"older"


def test_by_mail_one_message_per_file_with_the_zip_attached(tmp_path) -> None:
    first, second = outbox_with(tmp_path / "out")
    contents = {first.name: first.read_bytes(), second.name: second.read_bytes()}
    mail = tmp_path / "mail"

    report = send_outbox(tmp_path / "out", to="server@example.com", mailer=FileMailer(mail))

    assert report.exit_code == Exit.DONE
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(mail.glob("*.eml"))]
    assert [m["Subject"] for m in messages] == [
        f"Comptoir tickets MAG01 C1 {first.name}", f"Comptoir tickets MAG01 C1 {second.name}"]
    for message in messages:
        assert message["To"] == "server@example.com"
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/zip"
        assert attachment.get_payload(decode=True) == contents[attachment.get_filename()]
    assert [item["to"] for item in report.body["sent"]] == ["server@example.com"] * 2


def test_the_file_mail_backend_is_the_default(tmp_path, comptoir_home) -> None:
    outbox_with(tmp_path / "out", 1)
    send_outbox(tmp_path / "out", to="server@example.com")
    assert len(list((comptoir_home / "mail").glob("*.eml"))) == 1


def test_smtp_is_refused_with_the_way_to_go(tmp_path, monkeypatch) -> None:
    outbox_with(tmp_path / "out", 1)
    monkeypatch.setenv("COMPTOIR_MAIL_BACKEND", "smtp")
    with pytest.raises(SmtpBackendNotHere, match="pos_extract task"):
        send_outbox(tmp_path / "out", to="server@example.com")
    assert len(outbox_files(tmp_path / "out")) == 1


def test_a_folder_that_cannot_be_written_keeps_the_files_exit_1(tmp_path) -> None:
    made = outbox_with(tmp_path / "out")
    lan = tmp_path / "lan"
    lan.write_bytes(b"a file where the folder should be")  # fails even for root
    report = send_outbox(tmp_path / "out", folder=lan)
    assert report.exit_code == Exit.REFUSED
    assert report.error["rule"] == "send_failed"
    assert [item["file"] for item in report.body["failed"]] == [p.name for p in made]
    assert report.body["failed"][0]["rule"] == "send_failed"
    assert report.body["failed"][0]["message"].startswith(
        f"folder {lan}: the folder is not writable")
    assert report.body["sent"] == []
    assert outbox_files(tmp_path / "out") == made


class FailingOnce:
    """A mailer that refuses its first message."""

    def __init__(self, folder: Path) -> None:
        self.inner = FileMailer(folder)
        self.calls = 0
        self.name = "flaky"

    def send(self, message) -> None:  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == 1:
            from comptoir.exchange.errors import ConnectionFailed

            raise ConnectionFailed("smtp.example.com")
        self.inner.send(message)


def test_one_failure_among_others_is_exit_3_and_stays_for_the_next_run(tmp_path) -> None:
    first, second = outbox_with(tmp_path / "out")
    report = send_outbox(tmp_path / "out", to="s@example.com",
                         mailer=FailingOnce(tmp_path / "mail"))
    assert report.exit_code == Exit.PARTIAL
    assert [i["file"] for i in report.body["failed"]] == [first.name]
    assert "cannot connect" in report.body["failed"][0]["message"]
    assert [i["file"] for i in report.body["sent"]] == [second.name]
    assert outbox_files(tmp_path / "out") == [first]

    again = send_outbox(tmp_path / "out", to="s@example.com", mailer=FileMailer(tmp_path / "m"))
    assert again.exit_code == Exit.DONE and [i["file"] for i in again.body["sent"]] == [
        first.name]


def test_a_damaged_file_is_never_sent(tmp_path) -> None:
    (good,) = outbox_with(tmp_path / "out", 1)
    bad = tmp_path / "out" / "TicDegMAG01C120260101000000.zip"
    bad.write_bytes(b"not a zip")
    report = send_outbox(tmp_path / "out", folder=tmp_path / "lan")
    assert report.exit_code == Exit.PARTIAL
    assert report.body["failed"] == [{"file": bad.name, "rule": "bad_zip",
                                      "message": report.body["failed"][0]["message"]}]
    assert [p.name for p in (tmp_path / "lan").iterdir()] == [good.name]


def test_nothing_to_send_is_exit_0_and_a_bad_address_exit_1(tmp_path) -> None:
    empty = send_outbox(tmp_path / "missing", folder=tmp_path / "lan")
    assert empty.exit_code == Exit.DONE and empty.body["sent"] == []
    outbox_with(tmp_path / "out", 1)
    refused = send_outbox(tmp_path / "out", to="not an address")
    assert refused.exit_code == Exit.REFUSED and refused.error["rule"] == "bad_address"
    assert len(outbox_files(tmp_path / "out")) == 1


def test_cli_send_to_a_folder_copies_the_report(tmp_path, comptoir_home) -> None:
    outbox_with(tmp_path / "out", 2)
    result = CliRunner().invoke(app, ["pos", "send", "--outbox", str(tmp_path / "out"),
                                      "--folder", str(tmp_path / "lan"), "--report",
                                      str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "2 files sent" in result.output
    import json

    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["command"] == "pos send" and len(report["sent"]) == 2
    assert report["failed"] == []


def test_cli_send_needs_one_target(tmp_path, comptoir_home) -> None:
    both = CliRunner().invoke(app, ["pos", "send", "--outbox", str(tmp_path), "--to",
                                    "a@example.com", "--folder", str(tmp_path / "lan")])
    none = CliRunner().invoke(app, ["pos", "send", "--outbox", str(tmp_path)])
    assert both.exit_code == 2 and none.exit_code == 2
    bad = CliRunner().invoke(app, ["pos", "send", "--outbox", str(tmp_path), "--to", "nope"])
    assert bad.exit_code == 1 and "not an e-mail address" in bad.output
