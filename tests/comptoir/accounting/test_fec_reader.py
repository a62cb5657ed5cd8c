"""The test FEC reader itself: a good hand-written file passes, each broken rule is caught."""

from __future__ import annotations

import pytest

from tests.comptoir.accounting.fec_reader import NAMES, fec_problems, read_fec

HEADER = "\t".join(NAMES)
GOOD_RECORDS = [
    "VE\tVentes\tVE2026-00000001\t20260112\t411000\tClients\tCLI1\tDupont\tFA1\t20260112\t"
    "Facture FA1\t24,00\t0,00\tA\t20260113\t20260113\t\t",
    "VE\tVentes\tVE2026-00000001\t20260112\t707000\tVentes\t\t\tFA1\t20260112\t"
    "Facture FA1\t0,00\t20,00\t\t\t20260113\t\t",
    "VE\tVentes\tVE2026-00000001\t20260112\t445711\tTVA\t\t\tFA1\t20260112\t"
    "Facture FA1\t0,00\t4,00\t\t\t20260113\t\t",
    "CA\tCaisse\tCA2026-00000001\t20260112\t530000\tCaisse\t\t\tFA1\t20260112\t"
    "Espèces\t24,00\t0,00\t\t\t20260113\t\t",
    "CA\tCaisse\tCA2026-00000001\t20260112\t411000\tClients\tCLI1\tDupont\tFA1\t20260112\t"
    "Espèces\t0,00\t24,00\tA\t20260113\t20260113\t\t",
]


def fec(records: list[str], header: str = HEADER, end: str = "\r\n") -> bytes:
    return end.join([header, *records]).encode("iso-8859-15")


def replace(index: int, old: str, new: str) -> list[str]:
    records = list(GOOD_RECORDS)
    assert old in records[index]
    records[index] = records[index].replace(old, new, 1)
    return records


def test_a_good_file_has_no_problem_and_is_read_whole() -> None:
    read = read_fec(fec(GOOD_RECORDS), numbers_from_one=True)
    assert read.problems == [] and read.separator == "\t"
    assert [r["Debit"] for r in read.records] == ["24,00", "0,00", "0,00", "24,00", "0,00"]
    assert read.records[3]["EcritureLib"] == "Espèces"
    pipe = fec([r.replace("\t", "|") for r in GOOD_RECORDS], header="|".join(NAMES))
    assert fec_problems(pipe) == []


@pytest.mark.parametrize(("data", "expected"), [
    (fec(GOOD_RECORDS) + b"\r\n", "a record end after the last record"),
    (fec(GOOD_RECORDS, end="\n"), "lone CR or LF"),
    (fec(GOOD_RECORDS, header=HEADER.replace("Debit\tCredit", "Credit\tDebit")),
     "not the 18 field names"),
    (fec(GOOD_RECORDS, header=";".join(NAMES)), "not the 18 field names"),
    (fec(replace(1, "Facture FA1", "Facture|FA1")), None),  # a pipe in a tab file: text
    (fec(replace(1, "Ventes\t\t\t", "Ventes\t\t")), "17 fields, not 18"),
    (fec(replace(0, "20260112\t411000", "20260231\t411000")), "EcritureDate '20260231'"),
    (fec(replace(0, "\t20260113\t20260113", "\t2026-01-13\t20260113")), "DateLet"),
    (fec(replace(1, "0,00\t20,00", "0.00\t20,00")), "Debit '0.00'"),
    (fec(replace(1, "0,00\t20,00", "0,00\t-20,00")), "Credit '-20,00'"),
    (fec(replace(1, "0,00\t20,00", "\t20,00")), "Debit is empty"),
    (fec(replace(2, "Facture FA1", "")), "EcritureLib is empty"),
    (fec(replace(0, "CLI1\tDupont", "CLI1\t")), "CompAuxNum and CompAuxLib"),
    (fec(replace(0, "\tA\t20260113", "\tA\t")), "EcritureLet and DateLet"),
    (fec(replace(2, "4,00", "4,01")), "entry VE2026-00000001 does not balance (-0.01)"),
    (fec(replace(2, "4,00", "4,01")), "total debit 48.00 and credit 48.01 differ"),
    (fec(replace(4, "20260113\t20260113", "20260113\t20260112")), "before the previous"),
    (fec(replace(2, "20260112\t445711", "20260111\t445711")), "lines of other dates"),
    (fec([*GOOD_RECORDS[:1], *GOOD_RECORDS[3:], *GOOD_RECORDS[1:3]]), "comes back"),
    (fec([r.replace("CA2026-00000001", "CA2026-00000003") for r in GOOD_RECORDS]), None),
    (fec([r.replace("CA2026-00000001", "CA2026-1") for r in GOOD_RECORDS]), None),
    (fec(replace(3, "CA2026-00000001", "CAX")), "is not <JournalCode><YYYY>-<N>"),
])
def test_each_broken_rule_is_a_problem(data: bytes, expected: str | None) -> None:
    problems = fec_problems(data)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in problem for problem in problems), problems


def test_numbers_run_without_a_hole() -> None:
    third = [r.replace("CA2026-00000001", "CA2026-00000003") for r in GOOD_RECORDS]
    assert "journal CA 2026: numbers missing [1, 2]" in fec_problems(
        fec(third), numbers_from_one=True)
    moved = [*GOOD_RECORDS, *[r.replace("CA2026-00000001", "CA2026-00000003")
                              for r in GOOD_RECORDS[3:]]]
    assert "journal CA 2026: numbers missing [2]" in fec_problems(fec(moved))


def test_encoding_and_bom() -> None:
    assert any("do not decode as utf-8" in p for p in fec_problems(fec(GOOD_RECORDS), "utf-8"))
    utf8 = "\r\n".join([HEADER, *GOOD_RECORDS]).encode("utf-8")
    assert fec_problems(utf8, "utf-8") == []
    assert "a UTF-8 file starts with a BOM" in fec_problems(b"\xef\xbb\xbf" + utf8, "utf-8")
    assert fec_problems(b"") == ["the file is empty"]
