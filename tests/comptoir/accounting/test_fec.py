"""`export_fec`: the exact bytes, the legal name, the checks (exit 4), the period and order."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from comptoir.accounting import fec
from comptoir.accounting.fec import export_fec
from comptoir.backoffice.settings import set_setting
from comptoir.pos.report import Exit
from tests.comptoir.accounting.fec_reader import fec_problems, read_fec
from tests.comptoir.accounting.ledger_rows import DAY, Ledger, cr, dr

YEAR = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 12, 31)}
VALID = dt.date(2026, 1, 13)
SIREN = "732829320"


@pytest.fixture
def books(engine, comptoir_home) -> Ledger:  # type: ignore[no-untyped-def]
    """Two entries of 2026-01-12, validated the 13th: an invoice and its cash payment."""
    ledger = Ledger(engine)
    ledger.journal("VE", "Ventes")
    ledger.journal("MAG01C1", "Caisse MAG01 C1", kind="cash")
    ledger.account("411000", "Clients", lettrable=True, kind="customer")
    ledger.account("707000", "Ventes de marchandises", kind="revenue")
    ledger.account("445711", "TVA collectée 20 %", kind="tax")
    ledger.account("530000", "Caisse", kind="cash")
    ledger.customer("CLI1", "Łukasz Œuvré")
    ledger.entry("VE", 1, [
        dr("411000", "1234.56", customer="CLI1", lettering_code="A", lettered_on=VALID),
        cr("707000", "1028.80", label="Ventes 20 %\tcomptoir\r\nMAG01"),
        cr("445711", "205.76", label="TVA 205,76 € collectée")],
        validated_on=VALID, label="Facture|FA2026-000001", document_ref="FA2026-000001")
    ledger.entry("MAG01C1", 1, [
        dr("530000", "1234.56", label="Espèces"),
        cr("411000", "1234.56", customer="CLI1", document_ref="FA2026-000001",
           lettering_code="A", lettered_on=VALID)],
        validated_on=VALID)
    with engine.begin() as conn:
        set_setting(conn, "company_siren", SIREN)
    return ledger


HEADER = ("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|"
          "CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|"
          "ValidDate|Montantdevise|Idevise")
RECORDS = [  # pipe-separated, the file's text before encoding
    "MAG01C1|Caisse MAG01 C1|MAG01C12026-00000001|20260112|530000|Caisse|||"
    "MAG01C12026-00000001|20260112|Espèces|1234,56|0,00|||20260113||",
    "MAG01C1|Caisse MAG01 C1|MAG01C12026-00000001|20260112|411000|Clients|CLI1|{name}|"
    "FA2026-000001|20260112|MAG01C12026-00000001|0,00|1234,56|A|20260113|20260113||",
    "VE|Ventes|VE2026-00000001|20260112|411000|Clients|CLI1|{name}|FA2026-000001|20260112|"
    "Facture{bar}FA2026-000001|1234,56|0,00|A|20260113|20260113||",
    "VE|Ventes|VE2026-00000001|20260112|707000|Ventes de marchandises|||FA2026-000001|"
    "20260112|Ventes 20 % comptoir  MAG01|0,00|1028,80|||20260113||",
    "VE|Ventes|VE2026-00000001|20260112|445711|TVA collectée 20 %|||FA2026-000001|20260112|"
    "TVA 205,76 € collectée|0,00|205,76|||20260113||",
]


def expected(separator: str, name: str, bar: str) -> str:
    lines = [line.replace("|", separator) for line in (HEADER, *RECORDS)]
    return "\r\n".join(line.format(name=name, bar=bar) for line in lines)


def test_tab_iso_8859_15_exact_bytes(books, engine, tmp_path) -> None:
    report = export_fec(engine, **YEAR, out=tmp_path / "fec.txt")
    assert report.exit_code == Exit.DONE, report.to_dict()
    data = (tmp_path / "fec.txt").read_bytes()
    text = expected("\t", "Lukasz Œuvré", "|")
    assert data == text.encode("iso-8859-15")
    assert b"\xbc" in data and b"\xa4" in data and b"\xe9" in data   # Œ € é in ISO 8859-15
    assert not data.endswith(b"\r\n")
    assert fec_problems(data, numbers_from_one=True) == []


def test_pipe_utf8_exact_bytes(books, engine, tmp_path) -> None:
    report = export_fec(engine, **YEAR, out=tmp_path / "fec.txt", separator="pipe",
                        encoding="utf-8")
    assert report.exit_code == Exit.DONE
    data = (tmp_path / "fec.txt").read_bytes()
    assert data == expected("|", "Łukasz Œuvré", " ").encode("utf-8")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert fec_problems(data, "utf-8", numbers_from_one=True) == []


def test_report_counts_and_amounts_are_strings(books, engine, tmp_path) -> None:
    report = export_fec(engine, **YEAR, out=tmp_path / "fec.txt")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["command"] == "accounting fec"
    assert {key: data[key] for key in ("file", "records", "entries", "debit", "credit",
                                       "unbalanced", "gaps")} == {
        "file": str(tmp_path / "fec.txt"), "records": 5, "entries": 2, "debit": "2469.12",
        "credit": "2469.12", "unbalanced": [], "gaps": []}
    assert data["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert data["error"] is None and data["warnings"] == []


def test_default_folder_and_legal_name(books, engine, comptoir_home, tmp_path) -> None:
    report = export_fec(engine, **YEAR)
    path = comptoir_home / "exports" / f"{SIREN}FEC20261231.txt"
    assert report.body["file"] == str(path) and path.is_file()
    folder = tmp_path / "given"                     # a folder that does not exist yet
    report = export_fec(engine, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31),
                        out=folder)
    assert report.body["file"] == str(folder / f"{SIREN}FEC20260131.txt")
    assert (folder / f"{SIREN}FEC20260131.txt").read_bytes() == path.read_bytes()
    assert [p.name for p in folder.iterdir()] == [f"{SIREN}FEC20260131.txt"]  # no leftover


def test_without_siren_nothing_is_written_exit_1(books, engine, comptoir_home, tmp_path
                                                 ) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM settings WHERE key = 'company_siren'")
    report = export_fec(engine, **YEAR)
    assert report.exit_code == Exit.REFUSED and report.error["rule"] == "no_siren"
    assert report.body["file"] is None
    assert not (comptoir_home / "exports").exists()
    folder = tmp_path / "out"
    folder.mkdir()
    assert export_fec(engine, **YEAR, out=folder).exit_code == Exit.REFUSED
    assert list(folder.iterdir()) == []
    named = export_fec(engine, **YEAR, out=tmp_path / "mine.fec")   # a file needs no SIREN
    assert named.exit_code == Exit.DONE and (tmp_path / "mine.fec").is_file()


def test_an_unbalanced_entry_is_written_and_exit_4(books, engine, tmp_path) -> None:
    books.entry("VE", 2, [dr("411000", "10.00", customer="CLI1"), cr("707000", "9.99")],
                validated_on=VALID)
    report = export_fec(engine, **YEAR, out=tmp_path / "fec.txt")
    assert report.exit_code == Exit.CHECK_FAILED
    assert report.body["unbalanced"] == ["VE2026-00000002"] and report.body["gaps"] == []
    assert (report.body["debit"], report.body["credit"]) == ("2479.12", "2479.11")
    problems = fec_problems((tmp_path / "fec.txt").read_bytes())
    assert "entry VE2026-00000002 does not balance (+0.01)" in problems


def test_gaps_per_journal_and_year_of_the_period(books, engine, tmp_path) -> None:
    balanced = [dr("530000", "1.00"), cr("411000", "1.00", customer="CLI1")]
    books.entry("VE", 2, balanced, validated_on=VALID)
    books.entry("VE", 5, balanced, date=dt.date(2026, 11, 3))    # 3 and 4 missing
    books.entry("VE", 9, balanced, date=dt.date(2025, 6, 1))     # 2025: not this period's
    books.entry("BQ", 2, balanced)                                # BQ2026-1 missing
    books.entry("OD", "OD-MANUEL-7", balanced)                    # another form: not checked
    report = export_fec(engine, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30),
                        out=tmp_path / "fec.txt")
    assert report.exit_code == Exit.CHECK_FAILED
    assert report.body["gaps"] == [
        {"journal": "BQ", "year": 2026, "first_missing": "BQ2026-00000001",
         "last_missing": "BQ2026-00000001", "count": 1},
        {"journal": "VE", "year": 2026, "first_missing": "VE2026-00000003",
         "last_missing": "VE2026-00000004", "count": 2}]
    assert report.body["unbalanced"] == []
    read = read_fec((tmp_path / "fec.txt").read_bytes())
    assert "VE2026-00000005" not in {r["EcritureNum"] for r in read.records}   # November
    whole = export_fec(engine, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31),
                       out=tmp_path / "2025.txt")
    assert [g["first_missing"] for g in whole.body["gaps"]] == ["VE2025-00000001"]


def test_only_the_period_in_validation_then_journal_then_number_order(books, engine,
                                                                      tmp_path) -> None:
    balanced = [dr("530000", "2.00"), cr("411000", "2.00", customer="CLI1")]
    books.entry("VE", 9, balanced, date=dt.date(2025, 12, 31))        # before the period
    books.entry("VE", 1, balanced, date=dt.date(2027, 1, 1))          # after it
    books.entry("VE", 2, balanced, date=dt.date(2026, 1, 20), validated_on=dt.date(2026, 1, 5))
    books.entry("BQ", 1, balanced, date=dt.date(2026, 1, 2), validated_on=dt.date(2026, 2, 1))
    books.entry("AC", 1, balanced, date=dt.date(2026, 1, 31), validated_on=VALID)
    report = export_fec(engine, start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 31),
                        out=tmp_path / "fec.txt")
    read = read_fec((tmp_path / "fec.txt").read_bytes())
    numbers = list(dict.fromkeys(r["EcritureNum"] for r in read.records))
    assert numbers == ["VE2026-00000002", "AC2026-00000001", "MAG01C12026-00000001",
                       "VE2026-00000001", "BQ2026-00000001"]
    assert [r["Debit"] for r in read.records if r["EcritureNum"] == "MAG01C12026-00000001"
            ] == ["1234,56", "0,00"]                                  # line order
    assert read.problems == []
    assert (report.body["records"], report.body["entries"]) == (11, 5)


def test_chunks_write_the_same_bytes(books, engine, tmp_path, monkeypatch) -> None:
    for number in range(2, 9):
        books.entry("VE", number, [dr("530000", f"{number}.05"),
                                   cr("411000", f"{number}.05", customer="CLI1")])
    export_fec(engine, **YEAR, out=tmp_path / "whole.txt")
    for size in (1, 2, 3):
        monkeypatch.setattr(fec, "CHUNK", size)
        export_fec(engine, **YEAR, out=tmp_path / f"chunk{size}.txt")
        assert (tmp_path / f"chunk{size}.txt").read_bytes() == (
            tmp_path / "whole.txt").read_bytes()
    assert fec_problems((tmp_path / "whole.txt").read_bytes(), numbers_from_one=True) == []


def test_an_empty_period_is_the_header_alone(books, engine, tmp_path) -> None:
    report = export_fec(engine, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31),
                        out=tmp_path / "fec.txt")
    assert report.exit_code == Exit.DONE
    assert (tmp_path / "fec.txt").read_bytes() == HEADER.replace("|", "\t").encode("ascii")
    assert (report.body["records"], report.body["debit"]) == (0, "0.00")


def test_a_line_lettered_without_date_is_a_warning(books, engine, tmp_path) -> None:
    books.entry("VE", 2, [dr("411000", "3.00", customer="CLI1", lettering_code="b"),
                          cr("707000", "3.00")], validated_on=VALID)
    report = export_fec(engine, **YEAR, out=tmp_path / "fec.txt")
    assert report.exit_code == Exit.DONE
    assert [w["rule"] for w in report.warnings] == ["lettering_without_date"]


def test_a_record_never_has_an_empty_label_or_reference(books, engine, tmp_path) -> None:
    books.entry("VE", 2, [dr("411000", "3.00", label="  ", customer="CLI1"),
                          cr("707000", "3.00", label="\t")], date=DAY, label=" \n ")
    export_fec(engine, **YEAR, out=tmp_path / "fec.txt")
    read = read_fec((tmp_path / "fec.txt").read_bytes())
    second = [r for r in read.records if r["EcritureNum"] == "VE2026-00000002"]
    assert {(r["EcritureLib"], r["PieceRef"]) for r in second} == {
        ("VE2026-00000002", "VE2026-00000002")}
    assert read.problems == []


def test_bad_arguments_are_errors(engine) -> None:
    with pytest.raises(ValueError, match="after it ends"):
        export_fec(engine, start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))
    with pytest.raises(ValueError, match="tab or pipe"):
        export_fec(engine, **YEAR, separator=";")
    with pytest.raises(ValueError, match="iso-8859-15 or utf-8"):
        export_fec(engine, **YEAR, encoding="cp1252")


def test_what_a_posting_run_writes_makes_a_valid_fec(engine, comptoir_home, tmp_path
                                                     ) -> None:
    """End to end: tickets invoiced and posted (direct, both groupings), then the FEC."""
    from comptoir.accounting.pos_posting import post_tickets
    from comptoir.pos.invoicing import invoice_tickets
    from tests.comptoir.accounting.books import Books, until
    from tests.comptoir.pos.shop import sale

    shop = Books(engine)
    shop.pay(148, [sale("A20", "1", "159.90")], [("CB", "100.00"), ("ESP", "59.90")],
             customer="CLI1")
    shop.pay(149, [sale("A20", "2", "20.00")], [("CRED", "40.00", None, DAY)],
             customer="CLI2")
    shop.pay(150, [sale("A20", "1", "6.00")], [("ESP", "6.00")])
    assert invoice_tickets(engine, until()).exit_code == Exit.DONE
    assert post_tickets(engine, until()).exit_code == Exit.DONE
    report = export_fec(engine, **YEAR, out=tmp_path / "fec.txt")
    assert report.exit_code == Exit.DONE, report.to_dict()
    read = read_fec((tmp_path / "fec.txt").read_bytes(), numbers_from_one=True)
    assert read.problems == []
    assert report.body["entries"] == len({r["EcritureNum"] for r in read.records}) >= 4
    assert {r["JournalCode"] for r in read.records} == {"VE", "MAG01C1"}
    assert all(r["ValidDate"] == f"{dt.date.today():%Y%m%d}" for r in read.records)
    lettered = [r for r in read.records if r["EcritureLet"]]
    assert lettered and all(r["DateLet"] for r in lettered)
