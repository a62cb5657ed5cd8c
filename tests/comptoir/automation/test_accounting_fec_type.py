"""The `accounting_fec` task type: the year option, the legal name kept through the run and
the delivery, no SIREN fails without a file, a failed check fails after delivering."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from comptoir.automation import catalog
from comptoir.automation.catalog import Category, RunContext
from comptoir.automation.definitions import TaskDefinition, find
from comptoir.automation.runner import run_task
from comptoir.automation.types.accounting_fec import Options, run
from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.exchange.transports import LocalTransport
from tests.comptoir.accounting.fec_reader import read_fec
from tests.comptoir.accounting.ledger_rows import Ledger, cr, dr

SIREN = "732829320"


def definition(**options) -> dict:
    return {"id": "fec", "type": "accounting_fec", "options": options,
            "output": {"delivery": {"method": "local", "path": "accountant"}}}


@pytest.fixture
def books(engine, comptoir_home) -> Ledger:  # type: ignore[no-untyped-def]
    """One entry in 2025, two in 2026; the SIREN set."""
    ledger = Ledger(engine)
    for day, number in ((date(2025, 3, 1), 1), (date(2026, 1, 12), 1), (date(2026, 2, 2), 2)):
        ledger.entry("VE", number, [dr("411000", "12.00", customer="CLI1"),
                                    cr("707000", "10.00"), cr("445711", "2.00")], date=day)
    with engine.begin() as conn:
        set_setting(conn, "company_siren", SIREN)
    return ledger


def context(engine, tmp_path, moment: datetime = datetime(2027, 1, 5, 2, 0)):  # type: ignore[no-untyped-def]
    return RunContext("fec", "r", engine, tmp_path / "work", moment, None, lambda _: None)


def test_the_type_is_in_the_catalog() -> None:
    task_type = catalog.get("accounting_fec")
    assert (task_type.title, task_type.category, task_type.template) == (
        "Export FEC", Category.IMPORT_EXPORT, "default")
    assert task_type.steps == ["run", "deliver"]
    spec = task_type.params_spec({})
    assert set(spec) == {"year", "separator", "encoding"}
    assert spec["year"]["default"] == "previous"
    assert spec["separator"]["enum"] == ["tab", "pipe", None]  # None: the default


@pytest.mark.parametrize(("year", "expected"), [
    ("previous", 2026), ("current", 2027), (" Current ", 2027), ("2019", 2019)])
def test_year_option(year: str, expected: int) -> None:
    assert Options(year=year).year_number(2027) == expected


@pytest.mark.parametrize("year", ["last", "26", "20266", ""])
def test_a_bad_year_is_refused(year: str) -> None:
    with pytest.raises(ValidationError, match="previous, current or a year YYYY"):
        Options(year=year)


def test_output_filename_is_refused_the_legal_name_is_kept() -> None:
    with pytest.raises(ValidationError, match="accounting_fec names its files itself "
                                              r"\(<SIREN>FEC<YYYYMMDD>.txt\)"):
        TaskDefinition.model_validate({**definition(), "output": {
            "filename": "fec.txt", "delivery": {"method": "local", "path": "x"}}})


def test_run_exports_the_previous_year_under_its_legal_name(books, engine, tmp_path) -> None:
    output = run(context(engine, tmp_path), Options())
    (produced,) = output.files
    assert produced.path.name == f"{SIREN}FEC20261231.txt" and produced.lines == 6
    assert output.error is None
    assert "FEC 2026: 6 records, 2 entries, debit 24.00, credit 24.00" in output.summary[-1]
    read = read_fec(produced.path.read_bytes(), numbers_from_one=True)
    assert read.problems == [] and {r["EcritureDate"][:4] for r in read.records} == {"2026"}


def test_separator_and_encoding_options(books, engine, tmp_path) -> None:
    output = run(context(engine, tmp_path), Options(year="2025", separator="pipe",
                                                    encoding="utf-8"))
    (produced,) = output.files
    assert produced.path.name == f"{SIREN}FEC20251231.txt"
    read = read_fec(produced.path.read_bytes(), "utf-8")
    assert read.separator == "|" and len(read.records) == 3 and read.problems == []


def test_a_run_delivers_the_file_under_its_legal_name(books, engine, write_task,
                                                      tmp_path) -> None:
    write_task(definition(year="2026"))
    folder = tmp_path / "accountant"
    report = run_task(find("fec"), "manual__1", LocalTransport(folder), engine=engine,
                      log=lambda _: None)
    assert report.level == "info", report.body
    assert [p.name for p in folder.iterdir()] == [f"{SIREN}FEC20261231.txt"]
    assert f"Produced {SIREN}FEC20261231.txt (6 rows)" in report.body
    assert read_fec((folder / f"{SIREN}FEC20261231.txt").read_bytes()).problems == []


def test_without_siren_no_file_and_the_run_fails(books, engine, tmp_path) -> None:
    with engine.begin() as conn:
        conn.execute(s.settings.delete().where(s.settings.c.key == "company_siren"))
    output = run(context(engine, tmp_path), Options())
    assert output.files == [] and "company_siren" in output.error


def test_an_unbalanced_entry_delivers_the_file_then_fails(books, engine, tmp_path) -> None:
    books.entry("VE", 3, [dr("411000", "1.00", customer="CLI1")], date=date(2026, 5, 1))
    books.entry("VE", 5, [dr("411000", "1.00"), cr("707000", "1.00")], date=date(2026, 6, 1))
    output = run(context(engine, tmp_path), Options())
    assert len(output.files) == 1
    assert output.error == ("FEC 2026 written, but 1 entries do not balance and 1 gaps in the "
                            "entry numbers")
    assert "FEC 2026: entry VE2026-00000003 does not balance" in output.summary
    assert ("FEC 2026: journal VE 2026: 1 numbers missing, VE2026-00000004 to "
            "VE2026-00000004") in output.summary
