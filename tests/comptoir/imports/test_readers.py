"""Reading files: encodings, header matching, physical line numbers, malformed records,
XML safety; and the vectorised value and bank-detail checks."""

from __future__ import annotations

import pandas as pd
import pytest
from schwifty import IBAN

from comptoir.imports import bank, values
from comptoir.imports.errors import ImportFileError
from comptoir.imports.readers import read_csv
from comptoir.imports.xml_reader import read_sales_xml


def read(path, **kw):
    return read_csv(path, sep=kw.pop("sep", ";"), known=["CODE", "DESIG", "VILLE"],
                    mandatory=kw.pop("mandatory", ["CODE"]))


def test_header_is_matched_without_case_or_spaces_and_unknown_columns_warn(files) -> None:
    raw = read(files("a.csv", " code ;Desig;NOTE\nC1;One;x\n"))
    assert list(raw.frame.columns) == ["CODE", "DESIG", "_line"]
    assert [w.message for w in raw.warnings] == ["unknown column NOTE ignored"]


def test_a_missing_mandatory_column_is_a_file_level_error(files) -> None:
    with pytest.raises(ImportFileError, match="mandatory column CODE missing"):
        read(files("a.csv", "DESIG\nOne\n"))


@pytest.mark.parametrize("data", [b"", b"  \n", b"\xff\xfeC\x00O\x00", b"CODE\n\x00\x01"])
def test_empty_utf16_and_binary_files_are_refused(files, data) -> None:
    with pytest.raises(ImportFileError):
        read(files("a.csv", data))


def test_utf8_with_bom_and_windows_1252_are_read(files) -> None:
    utf8 = read(files("u.csv", "\ufeffCODE;DESIG\nC1;Éléphant\n"))
    cp = read(files("w.csv", "CODE;DESIG\nC1;Éléphant €\n", encoding="cp1252"))
    assert (utf8.encoding, utf8.frame["DESIG"][0]) == ("utf-8", "Éléphant")
    assert (cp.encoding, cp.frame["DESIG"][0]) == ("windows-1252", "Éléphant €")


@pytest.mark.parametrize("quoted", [False, True])
def test_lines_are_physical_lines_and_malformed_records_are_kept_aside(files, quoted) -> None:
    text = ('CODE;DESIG;VILLE\nC1;One;Paris\n\nC2;Two\r\nC3; ;\nC4;Four;Lyon;extra\n'
            'C5;"multi\nline";Nice\nC6;Six;Pau\n' if quoted else
            'CODE;DESIG;VILLE\nC1;One;Paris\n\nC2;Two\r\nC3; ;\nC4;Four;Lyon;extra\n'
            'C6;Six;Pau\n')
    raw = read(files("a.csv", text))
    frame = raw.frame
    codes = dict(zip(frame["CODE"], frame["_line"], strict=True))
    assert codes["C1"] == 2 and codes["C3"] == 5
    assert codes["C6"] == (9 if quoted else 7)
    assert frame.loc[frame["CODE"] == "C3", "DESIG"].isna().all()
    assert [m.line for m in raw.malformed] == [4, 6]
    if quoted:
        assert frame.loc[frame["CODE"] == "C5", "DESIG"].iloc[0] == "multi\nline"


def test_crlf_lines_white_space_at_the_edges_and_a_malformed_record(files) -> None:
    """The common-case shortcuts (record k on line k, trimming only where an edge may be
    white space) give what the full scans give."""
    text = ("CODE;DESIG;VILLE\r\nC1;\u00a0One\u00a0;\tParis \r\nC2;Two;Lyon;extra\r\n"
            "C3;Zoé;\u3000\r\nC4;Four;Pau")
    raw = read(files("a.csv", text))
    frame = raw.frame
    assert dict(zip(frame["CODE"], frame["_line"], strict=True)) == {"C1": 2, "C3": 4,
                                                                      "C4": 5}
    assert frame["DESIG"].tolist() == ["One", "Zoé", "Four"]
    assert frame["VILLE"].tolist()[0] == "Paris" and pd.isna(frame["VILLE"].tolist()[1])
    assert [m.line for m in raw.malformed] == [3]


def test_another_separator(files) -> None:
    raw = read(files("a.csv", "CODE,DESIG\nC1,One\n"), sep=",")
    assert raw.frame["DESIG"].tolist() == ["One"]


def test_values_are_read_exactly() -> None:
    text = pd.Series(["12,5", "-3.25", "abc", None, "1.234", "007", "1,2,3"], dtype="str")
    assert values.parse_decimal(text, scale=2, precision=15).tolist() == [
        1250, -325, pd.NA, pd.NA, pd.NA, 700, pd.NA]
    dates = values.parse_date(pd.Series(["31/12/2026", "2026-02-28", "31/02/2026", "x"]))
    assert dates.dt.strftime("%Y-%m-%d").tolist()[:2] == ["2026-12-31", "2026-02-28"]
    assert dates.isna().tolist() == [False, False, True, True]
    flags = values.parse_bool(pd.Series(["O", "non", "TRUE", "0", "maybe"], dtype="str"))
    assert flags.tolist() == [True, False, True, False, pd.NA]
    as_text = values.scaled_to_text(pd.Series([1250, -5, None], dtype="Int64"), 2)
    assert as_text.tolist()[:2] == ["12.50", "-0.05"] and as_text.isna().tolist()[2]


def _schwifty_verdict(value: str) -> bool:
    try:
        IBAN(value, validate_bban=False)
        return True
    except ValueError:
        return False


def test_iban_checks_agree_with_schwifty() -> None:
    samples = ["FR7630006000011234567890189", "DE89370400440532013000",
               "GB82WEST12345698765432", "FR7630006000011234567890188", "DE8937040044053201300",
               "XX00123", "BE71096123456769", "NL91ABNA0417164300", "IT60X0542811101000000123456"]
    series = pd.Series(samples, dtype="str")
    ours = (bank.iban_format_ok(series) & bank.iban_checksum_ok(series)).tolist()
    assert ours == [_schwifty_verdict(s) for s in samples]


def test_rib_checks_agree_with_schwifty_generated_ibans() -> None:
    iban = str(IBAN.generate("FR", bank_code="30006", branch_code="00001",
                             account_code="1234567890A"))
    rib = pd.DataFrame({"b": [iban[4:9], "30006"], "g": [iban[9:14], "00001"],
                        "c": [iban[14:25], "1234567890A"], "k": [iban[25:], "88"]}, dtype="str")
    assert bank.rib_key_ok(rib).tolist() == [True, False]
    assert bank.iban_matches_rib(pd.Series([iban, iban], dtype="str"), rib).tolist() == [
        True, False]
    assert bank.rib_complete(rib.assign(k=[None, "88"])).tolist() == [False, True]


XML_HEAD = ["IDENT", "CLIENT_CODE", "TYPE"]


def test_xml_dtd_entities_and_size_are_refused(files) -> None:
    bomb = files("d.xml", '<?xml version="1.0"?><!DOCTYPE P [<!ENTITY a "aaaa">]>'
                 "<PIECES><PIECE><CLIENT_CODE>&a;</CLIENT_CODE></PIECE></PIECES>")
    external = files("e.xml", '<?xml version="1.0"?><!DOCTYPE P SYSTEM "file:///etc/passwd">'
                     "<PIECES/>")
    for path in (bomb, external):
        with pytest.raises(ImportFileError, match="DTDs and entities"):
            read_sales_xml(path, header_columns=XML_HEAD, line_columns=["ART_CODE"])
    big = files("big.xml", "<PIECES>" + " " * 100 + "</PIECES>")
    with pytest.raises(ImportFileError, match="more than"):
        read_sales_xml(big, header_columns=XML_HEAD, line_columns=["ART_CODE"], max_bytes=50)
    broken = files("broken.xml", "<PIECES><PIECE></PIECES>")
    with pytest.raises(ImportFileError, match="not well-formed"):
        read_sales_xml(broken, header_columns=XML_HEAD, line_columns=["ART_CODE"])


def test_iban_checks_agree_with_schwifty_on_many_countries_letters_and_mistakes() -> None:
    """Vectorised checks (byte matrices, weighted mod 97) against schwifty, value by value."""
    import random

    rng = random.Random(7)
    good = [str(IBAN.generate("FR", bank_code="30006", branch_code="00001",
                              account_code="1234567890A")),
            "FR1420041010050500013M02606", "MC5811222000010123456789030",
            "DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300",
            "BE71096123456769", "IT60X0542811101000000123456", "ES9121000418450200051332",
            "CH9300762011623852957", "PT50000201231234567890154"]
    samples = list(good)
    for iban in good * 6:
        position = rng.randrange(2, len(iban))
        replacement = rng.choice("0123456789ABCDEFXYZ")
        samples.append(iban[:position] + replacement + iban[position + 1:])
        samples.append(iban[:-1])
    samples += ["XX0012345", "FR76", None, "QQ12ABC"]  # inputs are compacted, upper-case
    series = pd.Series(samples, dtype="str")
    ours = (bank.iban_format_ok(series) & bank.iban_checksum_ok(series)).tolist()
    expected = [True if s is None else _schwifty_verdict(s) for s in samples]
    assert ours == expected
    assert sum(expected) > len(good)  # some mutations keep a valid IBAN, most do not
    assert not all(expected)
