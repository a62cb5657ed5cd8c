"""Property-based: whatever a partner drops (bytes, columns, values, broken quoting), a
reception answers with a report — a file-level `failed`, or items — never a traceback.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select

from comptoir.backoffice import schema as s
from comptoir.econnector.reception import receive
from comptoir.econnector.sync_report import STATES, SyncReport
from tests.comptoir.econnector.partner import DOCUMENT_COLUMNS, connector, reference

FUZZ = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

NAMES = {"customers": "ImportClients_fuzz.csv", "suppliers": "ImportFournisseurs_fuzz.csv",
         "contacts": "ImportContacts_fuzz.csv", "documents": "ImportDocuments_fuzz.csv"}
COLUMNS = {"customers": ("CODE", "NOM", "ADRESSE1", "CP", "VILLE", "PAYS", "EMAIL", "TEL"),
           "suppliers": ("CODE", "NOM", "VILLE", "PAYS"),
           "contacts": ("TIERS_TYPE", "TIERS_CODE", "NOM", "FONCTION", "EMAIL", "TEL"),
           "documents": DOCUMENT_COLUMNS}
RULES = {"error": {"required", "invalid_value", "inconsistent_header", "unknown_customer",
                   "purchases_module_off", "unknown_third_party"},
         "waiting": {"unmapped_article"}, "synchronised": {None}, "already_received": {None}}
VALUES = st.one_of(
    st.sampled_from(["", " ", "0", "1", "-1", "2", "1,5", "2.25", "0,125", "100", "101", "1e5",
                     "NaN", "abc", "15/01/2026", "2026-01-15", "31/02/2026", "CLI1", "CLI2",
                     "NEWC", "FOU1", "X1", "NOPE", "C", "F", "D1", "D2", "Chèques", '"', '""',
                     ";", "\t", "a\nb", "x" * 70, "é" * 130]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=10))


@pytest.fixture
def partner(engine: Engine, comptoir_home: Path) -> Path:
    ids = reference(engine)
    folder = connector(engine).import_folder
    with engine.begin() as conn:
        conn.execute(insert(s.article_correspondences).values(
            connector="FACILI", external_code="X1", article_id=ids["article"]["ART1"]))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _drop(folder: Path, name: str, data: bytes) -> None:
    for old in folder.iterdir():  # a file left waiting by an earlier example
        if old.is_file() and not old.name.startswith("."):
            old.unlink()
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (time.time() - 60, time.time() - 60))


def _check(engine: Engine, folder: Path, name: str, report: SyncReport) -> None:
    """A report, never an error of the run; items consistent with the dossier."""
    assert report.error is None, report.error
    assert report.exit_code in (0, 3)
    json.dumps(report.as_json())
    assert [f["file"] for f in report.files] == [name]
    entry = report.files[0]
    event(f"file {entry['outcome']}")
    for state in {i.state for i in report.items}:
        event(f"item {state}")
    assert entry["outcome"] in ("done", "waiting", "failed")
    if entry["outcome"] == "failed":
        assert entry["error"] and report.items == []
    for item in report.items:
        assert item.file == name and item.state in STATES
        assert item.rule in RULES[item.state], item
        assert isinstance(item.line, int) and item.line >= 2
        assert item.messages
    if entry["outcome"] == "waiting":
        assert (folder / name).exists()
    else:
        assert not (folder / name).exists()
    with engine.connect() as conn:
        history = conn.execute(select(func.count()).select_from(s.sync_history)
                               .where(s.sync_history.c.run_id == report.run_id)).scalar_one()
        origins = conn.execute(select(s.sales_documents.c.origin, func.count())
                               .group_by(s.sales_documents.c.origin)).all()
    assert history == len(report.items)
    assert all(count == 1 for _, count in origins)
    created = {i.identifier.split(" / ")[0] for i in report.items
               if i.type == "document" and i.state == "synchronised"}
    assert {f"FACILI:{doc}" for doc in created} <= {origin for origin, _ in origins}


@FUZZ
@given(kind=st.sampled_from(sorted(NAMES)), data=st.binary(max_size=300),
       header=st.booleans())
def test_random_bytes_give_a_report(engine: Engine, partner: Path, kind: str, data: bytes,
                                    header: bool) -> None:
    if header:
        data = ";".join(COLUMNS[kind]).encode() + b"\r\n" + data
    _drop(partner, NAMES[kind], data)
    _check(engine, partner, NAMES[kind], receive(engine, "FACILI"))


def _cell(value: str, quoting: str) -> str:
    if quoting == "quoted":
        return '"' + value.replace('"', '""') + '"'
    if quoting == "broken":
        return '"' + value  # an opening quote never closed
    return value


@st.composite
def partner_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(sorted(NAMES)))
    known = list(COLUMNS[kind])
    columns = draw(st.lists(st.one_of(st.sampled_from(known), st.sampled_from(
        ["COULEUR", "", " code ", "nom", "Qte ", "DOC_ID"])), min_size=1, max_size=len(known) + 2))
    if draw(st.integers(0, 3)):
        columns = known + draw(st.lists(st.sampled_from(["COULEUR", "REMARQUE", " x "]),
                                        max_size=2, unique=True))  # every column, some junk
    width = len(columns)
    ragged = draw(st.integers(0, 3)) == 0  # records of another width than the header's
    rows = draw(st.lists(st.lists(VALUES, min_size=max(0, width - ragged),
                                  max_size=width + ragged), max_size=6))
    quoting = draw(st.lists(st.sampled_from(["plain"] * 6 + ["quoted", "broken"]),
                            min_size=1, max_size=4))
    lines = [";".join(columns)]
    for n, row in enumerate(rows):
        lines.append(";".join(_cell(v, quoting[(n + i) % len(quoting)])
                              for i, v in enumerate(row)))
    text = draw(st.sampled_from(["\r\n", "\n"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return NAMES[kind], text.encode(encoding, errors="replace")


@FUZZ
@given(drop=partner_files(), dry_run=st.booleans())
def test_random_partner_files_give_a_report(engine: Engine, partner: Path,
                                            drop: tuple[str, bytes], dry_run: bool) -> None:
    name, data = drop
    _drop(partner, name, data)
    if dry_run:
        report = receive(engine, "FACILI", dry_run=True)
        assert report.error is None and [f["file"] for f in report.files] == [name]
        assert (partner / name).exists()
        report = receive(engine, "FACILI")
    else:
        report = receive(engine, "FACILI")
    _check(engine, partner, name, report)


def _mostly(value: str, others: list[str]) -> st.SearchStrategy[str]:
    """`value` three times out of four, else one of `others`."""
    return st.sampled_from([value] * 3 * len(others) + others)


@FUZZ
@given(rows=st.lists(st.tuples(st.sampled_from(["D1", "D2", "D3", "D4"]),
                               _mostly("15/01/2026", ["2026-01-15", "16/01/2026", ""]),
                               _mostly("CLI1", ["CLI2", "NEWC", ""]),
                               _mostly("", ["Nouveau"]),
                               _mostly("X1", ["NOPE", ""]),
                               _mostly("1", ["2,5", "-1", "0", "x", ""]),
                               _mostly("", ["3", "0,125", "-2"]),
                               _mostly("", ["10", "100", "150"])),
                     min_size=1, max_size=8))
def test_random_documents_are_created_whole_or_not_at_all(engine: Engine, partner: Path,
                                                          rows: list[tuple[str, ...]]) -> None:
    """Documents built from valid and invalid pieces: each created whole, with its lines."""
    prefix = f"F{time.monotonic_ns()}-"
    body = [";".join([prefix + doc, date, client, name, "", "", "", "", ext, "", qty, price,
                      discount]) for doc, date, client, name, ext, qty, price, discount in rows]
    _drop(partner, NAMES["documents"], "\r\n".join([";".join(DOCUMENT_COLUMNS), *body])
          .encode("cp1252"))
    report = receive(engine, "FACILI")
    _check(engine, partner, NAMES["documents"], report)
    expected = {prefix + doc: sum(1 for r in rows if r[0] == doc) for doc, *_ in rows}
    with engine.connect() as conn:
        found = dict(conn.execute(
            select(s.sales_documents.c.origin, func.count(s.sales_document_lines.c.id))
            .join(s.sales_document_lines)
            .where(s.sales_documents.c.origin.like(f"FACILI:{prefix}%"))
            .group_by(s.sales_documents.c.origin)).all())
    states = {i.identifier.split(" / ")[0]: i.state for i in report.items
              if i.type == "document"}
    assert set(states) == set(expected)
    for doc, lines in expected.items():
        if states[doc] == "synchronised":
            assert found[f"FACILI:{doc}"] == lines
        else:
            assert f"FACILI:{doc}" not in found
