"""Property-based: generated ticket files round-trip; damaged ones are refused by a rule."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.pos.package import RULES, PackageRefused
from comptoir.pos.ticket_file import read_ticket_file, write_ticket_file

FUZZ = settings(max_examples=80, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
CREATED = dt.datetime(2026, 1, 12, 18, 30, 5, tzinfo=dt.UTC)

TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8)
"""Any text a field may hold: `;`, quotes, line breaks, NUL, accents..."""


@st.composite
def ticket_data(draw: st.DrawFn) -> tuple[list[tuple], list[tuple], list[tuple]]:  # type: ignore[type-arg]
    numbers = draw(st.lists(st.integers(1, 2_147_483_647), unique=True, max_size=6))
    tickets = [(n, *draw(st.tuples(TEXT, TEXT, TEXT, TEXT))) for n in numbers]
    lines: list[tuple] = []  # type: ignore[type-arg]
    payments: list[tuple] = []  # type: ignore[type-arg]
    for n in numbers:
        lines += [(n, k, *draw(st.tuples(*[TEXT] * 8)))
                  for k in range(1, draw(st.integers(0, 3)) + 1)]
        payments += [(n, k, *draw(st.tuples(*[TEXT] * 4)))
                      for k in range(1, draw(st.integers(0, 2)) + 1)]
    return tickets, lines, payments


@FUZZ
@given(data=ticket_data())
def test_valid_files_round_trip(data: tuple[list[tuple], list[tuple], list[tuple]]  # type: ignore[type-arg]
                                ) -> None:
    tickets, lines, payments = data
    folder = Path(tempfile.mkdtemp(prefix="pos-fuzz-"))
    try:
        path = write_ticket_file(folder, "degraded", "MAG01", "C1", tickets, lines, payments,
                                 CREATED, "e-1")
        read = read_ticket_file(path, lambda store, register: True)
    finally:
        shutil.rmtree(folder)
    for table, rows in ((read.tickets, tickets), (read.lines, lines),
                        (read.payments, payments)):
        expected = [tuple(str(value) for value in row) for row in rows]
        assert list(zip(*table.columns.values(), strict=True)) == expected
        assert table.line_numbers == sorted(set(table.line_numbers))
    numbers = [row[0] for row in tickets]
    assert (read.first_ticket, read.last_ticket) == (min(numbers, default=None),
                                                     max(numbers, default=None))


def _valid_file() -> bytes:
    folder = Path(tempfile.mkdtemp(prefix="pos-fuzz-"))
    try:
        path = write_ticket_file(
            folder, "degraded", "MAG01", "C1",
            [(148, "2026-01-12T10:01:00+01:00", "2026-01-12", "", "12.50"),
             (149, "2026-01-12T10:05:00+01:00", "2026-01-12", "C;1", "30.00")],
            [(148, 1, "sale", "ART1", "1", "12.5", "0", "20", "12.50", ""),
             (149, 1, "sale", "ART2", "2", "15", "0", "20", "30.00", "")],
            [(148, 1, "ESP", "12.50", "", ""), (149, 1, "CB", "30.00", "", "")],
            CREATED, "e-1")
        return path.read_bytes()
    finally:
        shutil.rmtree(folder)


VALID = _valid_file()


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)),
                      min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, len(VALID))))
def test_damaged_files_are_read_or_refused_by_a_rule(edits: list[tuple[int, int]],
                                                     cut: int | None) -> None:
    data = bytearray(VALID)
    for at, value in edits:
        data[at] = value
    folder = Path(tempfile.mkdtemp(prefix="pos-fuzz-"))
    try:
        path = folder / "TicDegMAG01C120260112183005.zip"
        path.write_bytes(bytes(data[:cut] if cut is not None else data))
        try:
            read_ticket_file(path, lambda store, register: True)
        except PackageRefused as exc:
            assert exc.rule in RULES
            assert exc.message
        assert sorted(p.name for p in folder.iterdir()) == [path.name]  # nothing extracted
    finally:
        shutil.rmtree(folder)
