"""Endpoints: the `output.delivery` object of a task definition, and inbox sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir import paths
from comptoir.exchange.endpoints import (
    EmailDelivery,
    FtpDelivery,
    LocalDelivery,
    MailFolderInboxSource,
    Pop3InboxSource,
    SftpDelivery,
    parse_delivery,
    parse_source,
)
from comptoir.exchange.errors import InvalidEndpoint


def test_each_method_parses_to_its_model() -> None:
    assert isinstance(parse_delivery({"method": "local", "path": "/srv/out"}), LocalDelivery)
    ftp = parse_delivery({"method": "ftp", "conn_id": "ftp_partner", "directory": "/in"})
    assert isinstance(ftp, FtpDelivery) and ftp.directory == "/in"
    sftp = parse_delivery({"method": "sftp", "conn_id": "sftp_loyalty", "directory": "/in"})
    assert isinstance(sftp, SftpDelivery) and sftp.conn_id == "sftp_loyalty"
    mail = parse_delivery({"method": "email", "to": "a@example.com", "subject": "Export"})
    assert isinstance(mail, EmailDelivery)


def test_email_recipients_sender_and_default_connection() -> None:
    mail = parse_delivery(
        {"method": "email", "to": "a@example.com; b@example.org, c@example.net",
         "subject": "Export", "from": "shop@example.com"}
    )
    assert mail.to == ("a@example.com", "b@example.org", "c@example.net")
    assert mail.from_ == "shop@example.com"
    assert mail.conn_id is None and mail.smtp_conn_id == "smtp_default"
    assert mail.model_dump(by_alias=True, mode="json")["from"] == "shop@example.com"
    listed = parse_delivery(
        {"method": "email", "to": ["a@example.com"], "subject": "S", "conn_id": "smtp_edi"}
    )
    assert listed.smtp_conn_id == "smtp_edi"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"method": "pigeon"}, "does not match any of the expected tags"),
        ({"method": "ftp", "conn_id": "x", "directory": "/in", "password": "p"}, "password"),
        ({"method": "ftp", "conn_id": "bad id", "directory": "/"}, "connection id"),
        ({"method": "sftp", "directory": "/in"}, "conn_id"),
        ({"method": "local", "path": "../../etc"}, "stay inside the outbox"),
        ({"method": "local", "path": "a/../../b"}, "stay inside the outbox"),
        ({"method": "local", "path": "C:\\exports"}, "Windows"),
        ({"method": "email", "to": "not-an-address", "subject": "S"}, "not an e-mail address"),
        ({"method": "email", "to": [], "subject": "S"}, "at least 1"),
        ({"method": "email", "to": "a@example.com", "subject": "S\nBcc: x@evil.com"}, "one line"),
        ({"method": "email", "to": "a@example.com", "subject": "S", "from": "x"}, "from"),
    ],
)
def test_invalid_deliveries_are_refused_with_the_reason(data: dict, problem: str) -> None:
    with pytest.raises(InvalidEndpoint, match="invalid delivery") as caught:
        parse_delivery(data)
    assert problem in str(caught.value)


def test_relative_local_path_is_under_the_outbox(comptoir_home: Path) -> None:
    local = parse_delivery({"method": "local", "path": "loyalty/daily"})
    assert local.folder() == paths.outbox_dir().resolve() / "loyalty" / "daily"
    assert parse_delivery({"method": "local", "path": "/srv/exports"}).folder() == Path(
        "/srv/exports"
    )


def test_a_symlink_cannot_lead_a_relative_path_out_of_the_outbox(
    comptoir_home: Path, tmp_path: Path
) -> None:
    paths.outbox_dir().mkdir(parents=True)
    (paths.outbox_dir() / "escape").symlink_to(tmp_path)
    local = parse_delivery({"method": "local", "path": "escape/x"})
    with pytest.raises(InvalidEndpoint, match="outside the outbox"):
        local.folder()


def test_home_relative_remote_directories() -> None:
    assert parse_delivery({"method": "sftp", "conn_id": "s", "directory": "~/"}).directory == "."
    assert parse_delivery({"method": "ftp", "conn_id": "f", "directory": "~/in"}).directory == "in"
    assert parse_delivery({"method": "ftp", "conn_id": "f"}).directory == "."


def test_describe_is_one_line_without_secrets(comptoir_home: Path) -> None:
    sftp = parse_delivery({"method": "sftp", "conn_id": "sftp_loyalty", "directory": "/in"})
    assert sftp.describe() == "SFTP connection 'sftp_loyalty', folder /in"
    ftp = parse_delivery({"method": "ftp", "conn_id": "ftp_p", "directory": "/"})
    assert ftp.describe() == "FTP connection 'ftp_p', folder /"
    mail = parse_delivery(
        {"method": "email", "to": ["a@example.com", "b@example.com"], "subject": "Ventes"}
    )
    assert mail.describe() == "e-mail to a@example.com, b@example.com (subject 'Ventes')"
    assert parse_delivery({"method": "local", "path": "x"}).describe() == (
        f"local folder {paths.outbox_dir().resolve() / 'x'}"
    )


def test_models_are_frozen() -> None:
    ftp = parse_delivery({"method": "ftp", "conn_id": "f"})
    with pytest.raises(ValueError, match="frozen"):
        ftp.directory = "/elsewhere"  # type: ignore[misc]


def test_mail_sources_pop3_and_the_embedded_mail_folder(comptoir_home: Path) -> None:
    pop3 = parse_source({"kind": "pop3", "conn_id": "pop3_orders", "pattern": "*.csv",
                         "sender": "erp@example.com"})
    assert isinstance(pop3, Pop3InboxSource)
    assert pop3.describe() == ("POP3 connection 'pop3_orders', attachments *.csv, "
                               "from erp@example.com")
    folder = parse_source({"kind": "mail_folder"})
    assert isinstance(folder, MailFolderInboxSource)
    assert folder.folder() == paths.mail_dir().resolve() / "incoming"
    with pytest.raises(InvalidEndpoint, match="inside the mail folder"):
        parse_source({"kind": "mail_folder", "path": "../../etc"})


@pytest.mark.parametrize("data", [
    {"kind": "local", "path": "x", "BASE": "outbox"},
    {"method": "local", "path": "x", "BASE": "inbox"},
])
def test_the_base_folder_of_a_local_path_cannot_be_chosen_by_a_definition(data: dict) -> None:
    with pytest.raises(InvalidEndpoint, match="Extra inputs"):
        (parse_source if "kind" in data else parse_delivery)(data)
