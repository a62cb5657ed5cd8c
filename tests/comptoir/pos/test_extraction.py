"""Extraction on a register dossier: the tickets not yet extracted, once; a round trip to
the server gives the same tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select

from comptoir.backoffice import migrate
from comptoir.backoffice.schema import pos_tickets
from comptoir.pos.extraction import ExtractionError, extract_tickets
from comptoir.pos.integration import integrate_files
from comptoir.pos.ticket_file import read_ticket_file
from tests.comptoir.pos.pos_data import seed, ticket_file

NOW = dt.datetime(2026, 1, 12, 19, 0, tzinfo=dt.UTC)
TICKETS = [
    ([(148, "2026-01-12T10:00:00+01:00", "2026-01-12", "CLI1", "150.00")],
     [(148, 1, "sale", "A1", "2", "60.00", "", "20", "120.00", ""),
      (148, 2, "sale", "A2", "1", "30.00", "", "5.5", "30.00", "")],
     [(148, 1, "CB", "100.00", "", ""), (148, 2, "CRED", "50.00", "2026-02-12", "")]),
    ([(149, "2026-01-12T11:30:00+01:00", "2026-01-12", "", "-12.00")],
     [(149, 1, "return", "A1", "-1", "12.00", "", "20", "-12.00", "")],
     [(149, 1, "ESP", "-12.00", "", "")]),
]


@pytest.fixture
def register_dossier(engine, comptoir_home, tmp_path):  # type: ignore[no-untyped-def]
    """A dossier holding the register's tickets (integrated from a file, so degraded)."""
    seed(engine)
    integrate_files(engine, [ticket_file(tmp_path / "src", TICKETS)])
    return engine


def test_the_extracted_file_carries_the_same_tickets(register_dossier, tmp_path) -> None:
    report = extract_tickets(register_dossier, tmp_path / "out", store="MAG01", register="C1",
                             now=NOW)
    body = report.body
    assert (body["tickets"], body["first_ticket"], body["last_ticket"]) == (2, 148, 149)
    assert body["file"].endswith("TicDegMAG01C120260112200000.zip")  # the dossier's zone
    read = read_ticket_file(tmp_path / "out" / "TicDegMAG01C120260112200000.zip")
    assert read.tickets.column("ticket") == ["148", "149"]
    assert read.tickets.column("customer") == ["CLI1", ""]
    assert read.tickets.column("issued_at") == ["2026-01-12T10:00:00+01:00",
                                                "2026-01-12T11:30:00+01:00"]
    assert read.lines.column("article") == ["A1", "A2", "A1"]
    assert read.lines.column("total_incl_tax") == ["120.00", "30.00", "-12.00"]
    assert read.payments.column("mode") == ["CB", "CRED", "ESP"]
    assert read.payments.column("due_date") == ["", "2026-02-12", ""]

    server = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate.upgrade(str(server.url))
    seed(server)
    done, (outcome,) = integrate_files(server, [read.path])
    assert (outcome.integrated, outcome.rejected) == (2, 0), outcome.rejections


def test_tickets_are_extracted_once_unless_asked_again(register_dossier, tmp_path) -> None:
    extract_tickets(register_dossier, tmp_path / "out", store="MAG01", register="C1", now=NOW)
    with register_dossier.connect() as conn:
        marked = conn.execute(select(pos_tickets.c.extract_file)).scalars().all()
    assert marked == ["TicDegMAG01C120260112200000.zip"] * 2
    again = extract_tickets(register_dossier, tmp_path / "out", store="MAG01", register="C1",
                            now=NOW)
    assert again.body["file"] is None and again.body["tickets"] == 0
    resent = extract_tickets(register_dossier, tmp_path / "out", store="MAG01", register="C1",
                             now=NOW, include_extracted=True)
    assert resent.body["file"].endswith("TicDegMAG01C120260112200000-2.zip")


def test_untransferred_takes_every_ticket_up_to_the_day(register_dossier, tmp_path) -> None:
    early = extract_tickets(register_dossier, tmp_path / "out", kind="untransferred",
                            store="MAG01", register="C1", until=dt.date(2026, 1, 11), now=NOW)
    assert early.body["tickets"] == 0
    report = extract_tickets(register_dossier, tmp_path / "out", kind="untransferred",
                             store="MAG01", register="C1", now=NOW)
    assert report.body["file"].endswith("ticdepMAG01C120260112.zip")


def test_an_unknown_register_or_kind_is_an_error(register_dossier, tmp_path) -> None:
    with pytest.raises(ExtractionError, match="register C9"):
        extract_tickets(register_dossier, tmp_path, store="MAG01", register="C9")
    with pytest.raises(ExtractionError, match="--kind"):
        extract_tickets(register_dossier, tmp_path, kind="all", store="MAG01", register="C1")
    with pytest.raises(ExtractionError, match="which register"):
        extract_tickets(register_dossier, tmp_path)
