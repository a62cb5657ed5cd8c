"""Messages with attachments, the `.eml` mail folder and the e-mail transport over it."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from comptoir import paths
from comptoir.exchange.mail import (
    CHECK_SUBJECT,
    FILE_SENDER,
    EmailTransport,
    FileMailer,
    UnknownMailBackend,
    build_message,
    mail_backend,
    recipients,
)


def read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_build_message_keeps_attachment_names_and_bytes(tmp_path: Path) -> None:
    csv = tmp_path / "work-file.csv"
    csv.write_bytes("code;libellé\r\n1;Café\r\n".encode("cp1252"))
    binary = tmp_path / "photo.bin"
    binary.write_bytes(bytes(range(256)))
    message = build_message(
        to=["a@example.com", "b@example.com"],
        subject="Ventes du jour",
        body="Bonjour",
        sender="shop@example.com",
        attachments=[(csv, "ventes-20240101.csv"), binary],
    )
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert parsed["Subject"] == "Ventes du jour"
    assert parsed["From"] == "shop@example.com"
    attachments = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert set(attachments) == {"ventes-20240101.csv", "photo.bin"}
    assert attachments["ventes-20240101.csv"].get_content_type() == "text/csv"
    assert attachments["ventes-20240101.csv"].get_payload(decode=True) == csv.read_bytes()
    assert attachments["photo.bin"].get_payload(decode=True) == bytes(range(256))
    assert parsed.get_body(("plain",)).get_content().strip() == "Bonjour"
    assert recipients(message) == ["a@example.com", "b@example.com"]


def test_file_mailer_writes_one_eml_per_message(comptoir_home: Path) -> None:
    mailer = FileMailer()
    mailer.send(build_message(to=["a@example.com"], subject="one", body="1"))
    mailer.send(
        build_message(to=["a@example.com"], subject="two", body="2", sender="x@example.com")
    )
    files = sorted(paths.mail_dir().glob("*.eml"))
    assert len(files) == 2
    assert not list(paths.mail_dir().glob(".*")), "no temporary file is left"
    subjects = {read_eml(f)["Subject"]: read_eml(f)["From"] for f in files}
    assert subjects == {"one": FILE_SENDER, "two": "x@example.com"}


def test_mail_backend_defaults_to_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPTOIR_MAIL_BACKEND", raising=False)
    assert mail_backend() == "file"
    monkeypatch.setenv("COMPTOIR_MAIL_BACKEND", "SMTP")
    assert mail_backend() == "smtp"
    monkeypatch.setenv("COMPTOIR_MAIL_BACKEND", "pigeon")
    with pytest.raises(UnknownMailBackend, match="use 'file' or 'smtp'"):
        mail_backend()


def test_email_transport_sends_each_file_and_checks(comptoir_home: Path, tmp_path: Path) -> None:
    spooled = tmp_path / "clients.csv"
    spooled.write_text("id;name\n")
    transport = EmailTransport(
        to=["edi@example.com"], subject="Clients", mailer=FileMailer(), sender="shop@example.com"
    )
    transport.send(spooled, "clients-2024.csv")
    transport.check()
    messages = [read_eml(f) for f in sorted(paths.mail_dir().glob("*.eml"))]
    by_subject = {m["Subject"]: m for m in messages}
    assert set(by_subject) == {"Clients", CHECK_SUBJECT}
    sent = by_subject["Clients"]
    assert sent["To"] == "edi@example.com" and sent["From"] == "shop@example.com"
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_filename() == "clients-2024.csv"
    assert attachment.get_payload(decode=True) == b"id;name\n"
    assert list(by_subject[CHECK_SUBJECT].iter_attachments()) == []
    assert "edi@example.com" in transport.name and "mail folder" in transport.name
