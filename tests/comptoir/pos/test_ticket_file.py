"""The ticket file: writer and reader round trip, CSV conventions, ticket-level file rules."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from comptoir.pos.package import Limits, PackageRefused
from comptoir.pos.ticket_file import (
    LINES_HEADER,
    PAYMENTS_HEADER,
    TICKETS_HEADER,
    read_ticket_file,
    ticket_file_name,
    write_ticket_file,
)
from tests.comptoir.pos.ticket_zips import (
    LINES_CSV,
    PAYMENTS_CSV,
    TICKETS_CSV,
    craft,
    default_members,
)

PARIS = dt.timezone(dt.timedelta(hours=1))
CREATED = dt.datetime(2026, 1, 12, 18, 30, 5, tzinfo=PARIS)
ISSUED = dt.datetime(2026, 1, 12, 10, 1, tzinfo=PARIS)
DAY = dt.date(2026, 1, 12)

TICKETS = [
    (148, ISSUED, DAY, None, Decimal("12.50")),
    (149, ISSUED, DAY, "C;0001", Decimal("30.00")),
    (150, ISSUED, DAY, 'Dupont "the elder"\nsecond line', Decimal("-4.00")),
]
LINES = [
    (148, 1, "sale", "ART1", Decimal("1.000"), Decimal("12.5000"), Decimal("0"), Decimal("20"),
     Decimal("12.50"), None),
    (149, 1, "invoice_payment", None, 1, Decimal("30.00"), 0, 0, Decimal("30.00"), "FA2026-1"),
    (150, 1, "return", "ART2", Decimal("-1"), Decimal("4.0000"), 0, Decimal("5.5"),
     Decimal("-4.00"), None),
]
PAYMENTS = [
    (148, 1, "ESP", Decimal("12.50"), None, None),
    (149, 1, "CRED", Decimal("30.00"), dt.date(2026, 2, 11), None),
    (150, 1, "ESP", Decimal("-4.00"), None, "CO-1;2"),
]


def write(folder: Path, **kwargs: object) -> Path:
    arguments: dict[str, object] = dict(
        kind="degraded", store="MAG01", register="C1", tickets=TICKETS, lines=LINES,
        payments=PAYMENTS, created_at=CREATED, extraction_id="e-1")
    arguments.update(kwargs)
    return write_ticket_file(folder, **arguments)  # type: ignore[arg-type]


def refused(path: Path, **kwargs: object) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        read_ticket_file(path, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --------------------------------------------------------------------------- round trip


def test_round_trip_gives_the_text_written(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert path.name == "TicDegMAG01C120260112183005.zip"
    read = read_ticket_file(path, lambda store, register: (store, register) == ("MAG01", "C1"))
    assert (read.kind, read.store, read.register, read.extraction_id) == (
        "degraded", "MAG01", "C1", "e-1")
    assert read.created_at == CREATED
    assert (read.first_ticket, read.last_ticket) == (148, 150)
    assert read.tickets.header == TICKETS_HEADER
    assert read.tickets.columns == {
        "ticket": ["148", "149", "150"],
        "issued_at": ["2026-01-12T10:01:00+01:00"] * 3,
        "day": ["2026-01-12"] * 3,
        "customer": ["", "C;0001", 'Dupont "the elder"\nsecond line'],
        "total_incl_tax": ["12.50", "30.00", "-4.00"],
    }
    assert read.tickets.line_numbers == [2, 3, 4]
    assert read.lines.header == LINES_HEADER
    assert read.lines.column("quantity") == ["1.000", "1", "-1"]
    assert read.lines.column("article") == ["ART1", "", "ART2"]
    assert read.lines.column("document") == ["", "FA2026-1", ""]
    assert read.payments.header == PAYMENTS_HEADER
    assert read.payments.column("due_date") == ["", "2026-02-11", ""]
    assert read.payments.column("reference") == ["", "", "CO-1;2"]
    assert len(read.lines) == 3 and len(read.payments) == 3
    assert len(read.sha256) == 64
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["manifest.json", "tickets.csv", "lines.csv",
                                      "payments.csv"]
        manifest = json.loads(archive.read("manifest.json"))
    assert {key: manifest[key] for key in ("format", "version", "kind", "store", "register",
                                           "created_at", "tickets")} == {
        "format": "comptoir-pos-tickets", "version": 1, "kind": "degraded", "store": "MAG01",
        "register": "C1", "created_at": "2026-01-12T18:30:05+01:00", "tickets": 3}
    assert manifest["members"]["tickets.csv"]["rows"] == 3


def test_quoted_line_breaks_keep_line_numbers(tmp_path: Path) -> None:
    tickets = [TICKETS[2], (151, ISSUED, DAY, "a\r\nb\nc", Decimal("1.00"))]
    lines = [LINES[2], (151, 1, "sale", "ART1", 1, 1, 0, 20, Decimal("1.00"), "x\ny")]
    payments = [PAYMENTS[2], (151, 1, "CB", Decimal("1.00"), None, "lone\rCR")]
    read = read_ticket_file(write(tmp_path, tickets=tickets, lines=lines, payments=payments))
    assert read.payments.column("reference") == ["CO-1;2", "lone\rCR"]
    assert read.tickets.line_numbers == [2, 4]
    assert read.tickets.column("customer")[1] == "a\r\nb\nc"
    assert read.lines.line_numbers == [2, 3]
    assert read.lines.column("document") == ["", "x\ny"]


def test_frames_are_accepted(tmp_path: Path) -> None:
    frames = {name: pd.DataFrame(rows, columns=list(header), dtype=object)
              for name, rows, header in (("tickets", TICKETS, TICKETS_HEADER),
                                         ("lines", LINES, LINES_HEADER),
                                         ("payments", PAYMENTS, PAYMENTS_HEADER))}
    (tmp_path / "frames").mkdir()
    from_frames = read_ticket_file(write(tmp_path / "frames", **frames))
    from_rows = read_ticket_file(write(tmp_path))
    assert from_frames.lines.columns == from_rows.lines.columns


def test_empty_extraction_round_trips(tmp_path: Path) -> None:
    read = read_ticket_file(write(tmp_path, tickets=[], lines=[], payments=[]))
    assert (len(read.tickets), read.first_ticket, read.last_ticket) == (0, None, None)
    assert read.tickets.columns["ticket"] == []


def test_names_and_taken_names(tmp_path: Path) -> None:
    assert ticket_file_name("untransferred", "MAG01", "C1", CREATED) == "ticdepMAG01C120260112.zip"
    first = write(tmp_path, kind="untransferred")
    second = write(tmp_path, kind="untransferred")
    assert (first.name, second.name) == ("ticdepMAG01C120260112.zip",
                                         "ticdepMAG01C120260112-2.zip")
    assert set(os.listdir(tmp_path)) == {first.name, second.name}  # no .part left
    assert read_ticket_file(second).kind == "untransferred"


def test_writer_refuses_bad_input_before_writing(tmp_path: Path) -> None:
    from comptoir.exchange.errors import UnsafeFileName

    with pytest.raises(ValueError, match="time zone"):
        write(tmp_path, created_at=CREATED.replace(tzinfo=None))
    with pytest.raises(ValueError, match="kind"):
        write(tmp_path, kind="normal")
    with pytest.raises(UnsafeFileName):
        write(tmp_path, register="C1/../x")
    with pytest.raises(ValueError, match="lines.csv: row 1"):
        write(tmp_path, lines=[LINES[0][:5]])
    with pytest.raises(TypeError, match="float"):
        write(tmp_path, payments=[(148, 1, "ESP", 12.5, None, None)])
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- CSV conventions


def test_bom_crlf_and_trailing_blank_lines_are_tolerated(tmp_path: Path) -> None:
    members = {
        "tickets.csv": b"\xef\xbb\xbf" + TICKETS_CSV.replace("\n", "\r\n").encode(),
        "lines.csv": (LINES_CSV + "\n\n").encode(),
        "payments.csv": b"\xef\xbb\xbf" + PAYMENTS_CSV.replace("\n", "\r\n").encode() + b"\r\n",
    }
    read = read_ticket_file(craft(tmp_path / "t.zip", members))
    plain = read_ticket_file(craft(tmp_path / "p.zip"))
    for name in ("tickets", "lines", "payments"):
        assert getattr(read, name).columns == getattr(plain, name).columns
        assert getattr(read, name).line_numbers == [2, 3, 4]


@pytest.mark.parametrize(("member", "header"), [
    ("tickets.csv", "ticket;issued_at;day;customer;total"),
    ("lines.csv", "Ticket;line;kind;article;quantity;unit_price_incl_tax;discount;vat_rate;"
                  "total_incl_tax;document"),
    ("payments.csv", "ticket,line,mode,amount,due_date,reference"),
    ("payments.csv", ""),
])
def test_wrong_header_is_bad_header(tmp_path: Path, member: str, header: str) -> None:
    members = default_members()
    text = members[member].decode()
    members[member] = (header + text[text.index("\n"):]).encode() if header else b""
    error = refused(craft(tmp_path / "t.zip", members))
    assert (error.rule, error.member) == ("bad_header", member)


@pytest.mark.parametrize(("member", "data", "line", "words"), [
    ("lines.csv", LINES_CSV + "150;2;sale;ART1;1\n", 5, "5 fields, 10 expected"),
    ("tickets.csv", TICKETS_CSV.replace("148;", "148;extra;", 1), 2, "6 fields"),
    ("payments.csv", PAYMENTS_CSV.replace("149;1;CB", "\n149;1;CB"), 3, "is blank"),
    ("payments.csv", PAYMENTS_CSV + '150;2;"ESP;1.00;;\n', 5, "CSV"),
    ("payments.csv", PAYMENTS_CSV + '150;2;"E"SP;1.00;;\n', 5, "CSV"),
])
def test_unreadable_row_is_bad_row(tmp_path: Path, member: str, data: str, line: int,
                                   words: str) -> None:
    members = default_members()
    members[member] = data.encode()
    error = refused(craft(tmp_path / "t.zip", members))
    assert (error.rule, error.member, error.line) == ("bad_row", member, line), error.message
    assert words in error.message
    assert f"line {line} of {member}" in error.message


def test_invalid_utf8_is_bad_row(tmp_path: Path) -> None:
    members = default_members()
    members["tickets.csv"] = TICKETS_CSV.replace("C0001", "Caf\xe9").encode("latin-1")
    error = refused(craft(tmp_path / "t.zip", members))
    assert (error.rule, error.line) == ("bad_row", 3)
    assert "UTF-8" in error.message


# --------------------------------------------------------------------------- ticket rules


@pytest.mark.parametrize(("key", "value"), [
    ("tickets", 4), ("first_ticket", 147), ("last_ticket", 151), ("first_ticket", None)])
def test_ticket_counts_are_checksum(tmp_path: Path, key: str, value: object) -> None:
    error = refused(craft(tmp_path / "t.zip", edit_manifest=lambda m: m.__setitem__(key, value)))
    assert error.rule == "checksum"
    assert key in error.message


def test_row_count_is_checksum(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip", edit_manifest=lambda m: m["members"][
        "lines.csv"].__setitem__("rows", 2))
    error = refused(path)
    assert (error.rule, error.member) == ("checksum", "lines.csv")


def test_ticket_twice_is_duplicate_in_file(tmp_path: Path) -> None:
    for second in ("149", "0149"):
        members = default_members()
        members["tickets.csv"] = (TICKETS_CSV + f"{second};2026-01-12T11:00:00+01:00;"
                                  "2026-01-12;;1.00\n").encode()
        error = refused(craft(tmp_path / f"{second}.zip", members))
        assert (error.rule, error.line) == ("duplicate_in_file", 5)
        assert "first on line 3" in error.message


@pytest.mark.parametrize("member", ["lines.csv", "payments.csv"])
def test_row_of_an_absent_ticket_is_orphan_row(tmp_path: Path, member: str) -> None:
    members = default_members()
    members[member] += (b"151;2;sale;ART1;1;1;0;20;1;\n" if member == "lines.csv"
                        else b"151;2;ESP;1.00;;\n")
    error = refused(craft(tmp_path / "t.zip", members))
    assert (error.rule, error.member, error.line) == ("orphan_row", member, 5)
    assert "151" in error.message


def test_leading_zeros_still_own_their_rows(tmp_path: Path) -> None:
    members = default_members()
    members["payments.csv"] += b"0150;2;CB;1.00;;\n"
    assert len(read_ticket_file(craft(tmp_path / "t.zip", members)).payments) == 4


def test_unknown_register(tmp_path: Path) -> None:
    asked: list[tuple[str, str]] = []

    def known(store: str, register: str) -> bool:
        asked.append((store, register))
        return False

    error = refused(craft(tmp_path / "t.zip"), known_register=known)
    assert error.rule == "unknown_register"
    assert asked == [("MAG01", "C1")]
    assert "'C1'" in error.message and "'MAG01'" in error.message


def test_ticket_rules_come_in_the_contract_order(tmp_path: Path) -> None:
    never = lambda store, register: False  # noqa: E731
    members = default_members()
    members["tickets.csv"] += TICKETS_CSV.splitlines()[1].encode() + b"\n"  # 148 twice
    members["lines.csv"] += b"999;1;sale;ART1;1;1;0;20;1;\n"  # orphan
    assert refused(craft(tmp_path / "a.zip", members), known_register=never).rule == (
        "duplicate_in_file")
    members = default_members()
    members["lines.csv"] += b"999;1;sale;ART1;1;1;0;20;1;\n"
    assert refused(craft(tmp_path / "b.zip", members), known_register=never).rule == (
        "orphan_row")
    members = default_members()
    members["tickets.csv"] = TICKETS_CSV.replace("148;", "148;x;", 1).encode()  # bad_row
    members["payments.csv"] = b"wrong;header\n"  # bad_header
    assert refused(craft(tmp_path / "c.zip", members)).rule == "bad_header"
    # a header broken AND a manifest whose row count does not match: checksum first
    path = craft(tmp_path / "d.zip", members,
                 edit_manifest=lambda m: m.__setitem__("tickets", 7))
    assert refused(path).rule == "checksum"


def test_reading_a_thousand_tickets_takes_milliseconds(tmp_path: Path) -> None:
    tickets, lines, payments = [], [], []
    for number in range(1, 1001):
        tickets.append((number, ISSUED, DAY, "C0001" if number % 4 == 0 else None,
                        Decimal("30.00")))
        lines += [(number, line, "sale", f"ART{line}", 1, Decimal("10.0000"), 0, 20,
                   Decimal("10.00"), None) for line in (1, 2, 3)]
        payments.append((number, 1, "CB", Decimal("30.00"), None, None))
    path = write(tmp_path, tickets=tickets, lines=lines, payments=payments)
    best = min(_timed(path) for _ in range(5))
    assert best < 0.05, f"{best * 1000:.1f} ms"  # ~5 ms on a quiet machine; room for CI
    read = read_ticket_file(path)
    assert (len(read.tickets), len(read.lines), read.last_ticket) == (1000, 3000, 1000)


def _timed(path: Path) -> float:
    start = time.perf_counter()
    read_ticket_file(path, limits=Limits())
    return time.perf_counter() - start
