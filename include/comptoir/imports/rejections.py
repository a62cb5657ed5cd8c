"""Every rejection of an import run, kept within bounds whatever the size of the file.

A run can reject millions of records (a re-run of a big file: every record
`already_exists`). The `RejectionLog` takes them a slice at a time, as a frame:

- counts them per rule, always whole (`by_rule`);
- keeps the first `per_rule` of each rule (default 1,000) for the JSON and HTML reports;
- writes every one to `rejections.csv` beside the report (`;`-separated, UTF-8, a header
  row: file;line;key;rule;field;message;record), the record as written in the file.

Quoted values and messages are cut at `CUT` characters with a marker saying how long
they were (`… [cut: 1048576 characters]`): a 1 MB field costs a few hundred bytes in
every report, not 1 MB (or 2 in the HTML page).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from comptoir.imports.report import ImportReport, Rejection

__all__ = ["COLUMNS", "CUT", "PER_RULE", "RejectionLog", "cut", "cut_series"]

PER_RULE = 1000
"""Rejections listed per rule in the reports (all of them are in the CSV file)."""
CUT = 500
"""Characters kept of a quoted record or a message."""
COLUMNS = ["file", "line", "key", "rule", "field", "message", "record"]
_MARK = re.compile(r"… \[cut: \d+ characters\]\Z")
_SCHEMA = pa.schema([(name, pa.int64() if name == "line" else pa.string())
                     for name in COLUMNS])


def cut(text: str, limit: int = CUT, length: int | None = None) -> str:
    """`text`, or its first `limit` characters and a marker saying how long it was.

    `length` is the length of the whole value when `text` is only its start (a reader
    does not keep a 16 MiB line to quote it); text cut before is left as it is.
    """
    length = len(text) if length is None else length
    if length <= limit or _MARK.match(text, limit):
        return text
    return f"{text[:limit]}… [cut: {length} characters]"


def cut_series(series: pd.Series, limit: int = CUT) -> pd.Series:
    """`cut` over a column of text (vectorised for the common case: nothing to cut)."""
    text = series.astype("str").fillna("")
    long = text.str.len() > limit
    if long.any():
        text = text.where(~long, text[long].map(lambda value: cut(value, limit)))
    return text


class RejectionLog:
    """The rejections of one run: counted, the first ones listed, all written to a CSV."""

    def __init__(self, path: Path | None, per_rule: int = PER_RULE) -> None:
        self.path = path
        self.per_rule = per_rule
        self.by_rule: dict[str, int] = {}
        self.listed: list[Rejection] = []
        self._writer: pacsv.CSVWriter | None = None

    def add(self, rows: pd.DataFrame) -> None:
        """Take a slice's rejections: a frame with the columns of `COLUMNS`."""
        if rows.empty:
            return
        rows = rows.assign(message=cut_series(rows["message"]),
                           record=cut_series(rows["record"]))
        self._write(rows)
        counts = rows["rule"].value_counts(sort=False)
        room = {rule: self.per_rule - self.by_rule.get(rule, 0) for rule in counts.index}
        for rule, count in counts.items():
            self.by_rule[str(rule)] = self.by_rule.get(str(rule), 0) + int(count)
        wanted = rows[rows.groupby("rule", sort=False).cumcount()
                      < rows["rule"].map(room).clip(lower=0)]
        self.listed.extend(
            Rejection(str(file), None if pd.isna(line) else int(line), _text(key), str(rule),
                      _text(field), str(message), str(record))
            for file, line, key, rule, field, message, record in wanted[COLUMNS].itertuples(
                index=False, name=None))

    def _write(self, rows: pd.DataFrame) -> None:
        if self.path is None:
            return
        table = pa.table({name: pa.array(rows[name], type=_SCHEMA.field(name).type,
                                         from_pandas=True) for name in COLUMNS})
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pacsv.CSVWriter(str(self.path), _SCHEMA,
                                           write_options=pacsv.WriteOptions(delimiter=";"))
        self._writer.write_table(table)

    @property
    def total(self) -> int:
        """How many rejections (entries, one per rule a record broke)."""
        return sum(self.by_rule.values())

    def close(self) -> None:
        """Finish the CSV file (an empty run writes none)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def into(self, report: ImportReport) -> None:
        """Close the file and give `report` its listed rejections (in file and line order),
        the counts per rule and the CSV file's name."""
        self.close()
        report.rejections = sorted(self.listed, key=lambda r: (
            report.files.index(r.file) if r.file in report.files else 0, r.line or 0))
        report.rejections_by_rule = dict(sorted(self.by_rule.items()))
        report.rejections_file = self.path.name if self.path is not None and self.total else None


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    return text or None
