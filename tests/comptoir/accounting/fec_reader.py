"""An FEC reader written from the rules, not from `comptoir.accounting.fec`.

`fec_problems(data)` parses the bytes of a file and returns what breaks the rules of
`spec/pos.md` ("FEC export") and LPF art. A47 A-1 — an empty list for a good file:

- the bytes decode in the stated encoding (UTF-8: no BOM);
- records end with CR LF, nothing after the last; no lone CR or LF;
- the first record is the 18 field names in order; its separator (tab or `|`) is used
  by every record, each holding 18 fields;
- EcritureDate, PieceDate, ValidDate: valid dates `YYYYMMDD`; DateLet empty or one;
- Debit and Credit on every record, `^\\d+,\\d{2}$`; Montantdevise empty or the same form;
- the mandatory texts are there (EcritureLib, PieceRef, CompteNum...);
- CompAuxNum / CompAuxLib, EcritureLet / DateLet: both or neither;
- the lines of an entry (JournalCode + EcritureNum) follow each other, share their dates,
  and balance; Σ Debit = Σ Credit;
- EcritureNum `<JournalCode><YYYY>-<N>` runs without a hole per journal and year
  (from 1 with `numbers_from_one`);
- ValidDate never goes back in file order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

NAMES = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
         "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit",
         "Credit", "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise"]
REQUIRED = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
            "CompteLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
            "ValidDate"]
AMOUNT = re.compile(r"^\d+,\d{2}$")
NUMBER = re.compile(r"^(?P<journal>.+)(?P<year>\d{4})-(?P<n>\d+)$")


@dataclass
class FecFile:
    """The records of a file (dicts by field name) and its problems."""

    records: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    separator: str | None = None


def cents(text: str) -> int:
    units, decimals = text.split(",")
    return int(units) * 100 + int(decimals)


def _date(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def read_fec(data: bytes, encoding: str = "iso-8859-15", *,
             numbers_from_one: bool = False) -> FecFile:
    """Parse `data` and check it; the records it could read and every problem."""
    found = FecFile()
    say = found.problems.append
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and data.startswith(
            b"\xef\xbb\xbf"):
        say("a UTF-8 file starts with a BOM")
        data = data[3:]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        say(f"the bytes do not decode as {encoding}: {exc}")
        return found
    if not text:
        say("the file is empty")
        return found
    if text.endswith("\r\n") or text.endswith("\n") or text.endswith("\r"):
        say("a record end after the last record")
    lines = text.split("\r\n")
    for no, line in enumerate(lines, 1):
        if "\r" in line or "\n" in line:
            say(f"record {no}: a lone CR or LF (records end with CR LF)")
    header = lines[0]
    separator = "\t" if "\t" in header else "|" if "|" in header else None
    found.separator = separator
    if separator is None or header.split(separator) != NAMES:
        say(f"record 1 is not the 18 field names in order: {header!r}")
        return found
    for no, line in enumerate(lines[1:], 2):
        if line == "" and no == len(lines):
            continue
        fields = line.split(separator)
        if len(fields) != 18:
            say(f"record {no}: {len(fields)} fields, not 18")
            continue
        record = dict(zip(NAMES, fields, strict=True))
        record["_no"] = str(no)
        found.records.append(record)
        _check_record(record, no, say)
    _check_entries(found.records, say, numbers_from_one)
    return found


def fec_problems(data: bytes, encoding: str = "iso-8859-15", *,
                 numbers_from_one: bool = False) -> list[str]:
    """What breaks the rules in `data` (empty for a good file)."""
    return read_fec(data, encoding, numbers_from_one=numbers_from_one).problems


def _check_record(record: dict[str, str], no: int, say) -> None:  # type: ignore[no-untyped-def]
    for name in REQUIRED:
        if not record[name].strip():
            say(f"record {no}: {name} is empty")
    for name in ("EcritureDate", "PieceDate", "ValidDate"):
        if record[name] and _date(record[name]) is None:
            say(f"record {no}: {name} {record[name]!r} is no date YYYYMMDD")
    if record["DateLet"] and _date(record["DateLet"]) is None:
        say(f"record {no}: DateLet {record['DateLet']!r} is no date YYYYMMDD")
    for name in ("Debit", "Credit"):
        if record[name] and not AMOUNT.match(record[name]):
            say(f"record {no}: {name} {record[name]!r} is not like 1234,56")
    if record["Montantdevise"] and not AMOUNT.match(record["Montantdevise"]):
        say(f"record {no}: Montantdevise {record['Montantdevise']!r} is not like 1234,56")
    if bool(record["CompAuxNum"]) != bool(record["CompAuxLib"]):
        say(f"record {no}: CompAuxNum and CompAuxLib go together")
    if bool(record["EcritureLet"]) != bool(record["DateLet"]):
        say(f"record {no}: EcritureLet and DateLet go together")


def _amounts_ok(record: dict[str, str]) -> bool:
    return bool(AMOUNT.match(record["Debit"]) and AMOUNT.match(record["Credit"]))


def _check_entries(records: list[dict[str, str]], say,  # type: ignore[no-untyped-def]
                   numbers_from_one: bool) -> None:
    balance: dict[tuple[str, str], int] = defaultdict(int)
    dates: dict[tuple[str, str], tuple[str, str]] = {}
    closed: set[tuple[str, str]] = set()
    numbers: dict[tuple[str, str], set[int]] = defaultdict(set)
    previous_key, previous_valid = None, None
    debit = credit = 0
    for record in records:
        no = record["_no"]
        key = (record["JournalCode"], record["EcritureNum"])
        if key != previous_key:
            if key in closed:
                say(f"record {no}: entry {key[1]} comes back after other entries")
            if previous_key is not None:
                closed.add(previous_key)
            previous_key = key
        if dates.setdefault(key, (record["EcritureDate"], record["ValidDate"])) != (
                record["EcritureDate"], record["ValidDate"]):
            say(f"record {no}: entry {key[1]} has lines of other dates")
        valid = _date(record["ValidDate"])
        if valid is not None:
            if previous_valid is not None and valid < previous_valid:
                say(f"record {no}: ValidDate {record['ValidDate']} before the previous one")
            previous_valid = valid
        if _amounts_ok(record):
            balance[key] += cents(record["Debit"]) - cents(record["Credit"])
            debit += cents(record["Debit"])
            credit += cents(record["Credit"])
        match = NUMBER.match(record["EcritureNum"])
        if match and match["journal"] == record["JournalCode"]:
            numbers[(match["journal"], match["year"])].add(int(match["n"]))
        else:
            say(f"record {no}: EcritureNum {record['EcritureNum']!r} is not "
                "<JournalCode><YYYY>-<N>")
    for key, difference in balance.items():
        if difference:
            say(f"entry {key[1]} does not balance ({difference / 100:+.2f})")
    if debit != credit:
        say(f"total debit {debit / 100:.2f} and credit {credit / 100:.2f} differ")
    for (journal, year), seen in sorted(numbers.items()):
        low = 1 if numbers_from_one else min(seen)
        missing = sorted(set(range(low, max(seen) + 1)) - seen)
        if missing:
            say(f"journal {journal} {year}: numbers missing {missing[:10]}")
