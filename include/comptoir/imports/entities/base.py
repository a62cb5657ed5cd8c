"""What every entity of the import contract shares: its fields, its checks, its writes.

An entity says which columns its file has (`Field`), how they are read (`prepare`),
which GX expectations control them (`expectations`, each tagged with the contract's
rule; compiled once per process for each `suite_key`), which dossier codes those need
(`params`, loaded once per run) and how accepted records are written (`write`).
`CodedEntity` adds what entities with a CODE share: duplicates, homonymy / existence,
create and modify.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table

from comptoir.imports import loader, values
from comptoir.imports.gx_runner import CompiledSuite, compiled, expect, validate
from comptoir.imports.readers import Malformed, read_csv
from comptoir.imports.report import Notice

TEXT, DECIMAL, DATE, BOOL = "text", "decimal", "date", "bool"
SEEN = "seen_in_file"
FILE = "_file"
_KIND_HELP = {DECIMAL: "a number (e.g. 12,50)", DATE: "a date (DD/MM/YYYY or YYYY-MM-DD)",
              BOOL: "a yes/no value (O/N, oui/non, 1/0, true/false)"}


@dataclass(frozen=True)
class Field:
    """One column of an import file and where it goes."""

    name: str
    target: str | None = None
    kind: str = TEXT
    length: int | None = None
    scale: int = 0
    precision: int = 15
    minimum: int | None = None       # in the file's unit (e.g. 0 for "≥ 0")
    strict: bool = False             # minimum excluded
    maximum: int | None = None
    mandatory: bool = False          # `*` in the contract: filled on every record
    range_rule: str = "invalid_value"

    @property
    def parsed(self) -> str:
        return self.name if self.kind == TEXT else f"{self.name}__value"


@dataclass
class Part:
    """Records of one file (or one slice of a big file), with what reading it found."""

    frame: pd.DataFrame
    warnings: list[Notice] = field(default_factory=list)
    malformed: list[tuple[str, Malformed]] = field(default_factory=list)


@dataclass
class Run:
    """One import run: the open transaction, the options and what was written so far."""

    conn: Connection
    mode: str
    batch_id: str
    auto_create_regimes: bool = False
    auto_create_vat: bool = False
    settings: dict[str, str | None] = field(default_factory=dict)
    warnings: list[Notice] = field(default_factory=list)
    written: Counter = field(default_factory=Counter)
    today: dt.date = field(default_factory=dt.date.today)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def postgres(self) -> bool:
        return loader.is_postgres(self.conn)


def codes_of(conn: Connection, table: Table, column: str = "code") -> str:
    """The codes of a table as a code list (`values.code_set` reads it), joined by the
    database: a dossier's million codes cost one round trip and one text."""
    return loader.joined_values(conn, table, column)


class Entity:
    """Base of every importable entity."""

    name: ClassVar[str]
    fields: ClassVar[tuple[Field, ...]]
    key: ClassVar[str] = "CODE"
    modes: ClassVar[tuple[str, ...]] = ("create",)
    chunked: ClassVar[bool] = True
    unique: ClassVar[str | None] = "CODE"   # column whose repeats are duplicate_in_file
    repeat_by_content: ClassVar[bool] = False
    """Refuse a file whose bytes were imported whole before (records without a natural key
    would be created again); entities keyed by a code say `already_exists` per record."""

    # --- reading ----------------------------------------------------------------------

    def read(self, paths: Sequence[Path], lines: Path | None, *, sep: str, mode: str,
             chunk_rows: int) -> Iterator[Part]:
        """The records of the files, a slice at a time for entities whose rows stand alone."""
        for path in paths:
            raw = read_csv(path, sep=sep, known=self.columns(),
                           mandatory=self.mandatory_columns(mode))
            step = chunk_rows if self.chunked else max(raw.table.num_rows, 1)
            bad = [(raw.name, m) for m in raw.malformed]
            for number, frame in enumerate(raw.slices(step)):
                frame[FILE] = raw.name
                yield Part(frame, raw.warnings if number == 0 else [],
                           bad if number == 0 else [])

    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def mandatory_columns(self, mode: str) -> list[str]:
        """Columns the header must have."""
        return [f.name for f in self.fields if f.mandatory]

    def key_of(self, frame: pd.DataFrame) -> pd.Series:
        """The record's key in the report (CODE, IDENT, ...)."""
        return frame[self.key] if self.key in frame else pd.Series(None, index=frame.index)

    def prepare(self, frame: pd.DataFrame, run: Run) -> pd.DataFrame:
        """Add the parsed value of every typed field (and derived columns)."""
        for f in self.fields:
            if f.name not in frame:
                frame[f.name] = pd.Series(None, index=frame.index, dtype="str")
            if f.kind == DECIMAL:
                frame[f.parsed] = values.parse_decimal(frame[f.name], scale=f.scale,
                                                       precision=f.precision)
            elif f.kind == DATE:
                frame[f.parsed] = values.parse_date(frame[f.name])
            elif f.kind == BOOL:
                frame[f.parsed] = values.parse_bool(frame[f.name])
        return frame

    # --- controls ---------------------------------------------------------------------

    def params(self, run: Run) -> dict[str, str]:
        """Dossier codes the expectations compare to, read once per run."""
        return {}

    def mandatory_fields(self, run: Run) -> list[Field]:
        return [f for f in self.fields if f.mandatory]

    def field_expectations(self, run: Run) -> list[Any]:
        """required / invalid_value checks every field declares."""
        return field_checks(self.fields, self.mandatory_fields(run))

    def expectations(self, run: Run) -> list[Any]:
        """The entity's checks; they may depend on what `suite_key` holds, nothing else."""
        return self.field_expectations(run)

    def suite_key(self, run: Run) -> tuple[Any, ...]:
        """What the expectations depend on: the mode, the options and the dossier settings."""
        return (run.mode, run.auto_create_regimes, run.auto_create_vat,
                tuple(sorted(run.settings.items())))

    def suite(self, run: Run) -> CompiledSuite:
        """The process's compiled suite for this run's `suite_key` (built on first use)."""
        name = f"comptoir.imports.{self.name}.{run.mode}"
        return compiled(name, self.suite_key(run), lambda: self.expectations(run))

    def unique_expectations(self, column: str, field_name: str, message: str,
                            value: str | None = None) -> list[Any]:
        """duplicate_in_file: a repeat in this slice, or of a value of an earlier slice."""
        value = value or column
        return [
            expect("ExpectColumnValuesToBeFirstOccurrence", "duplicate_in_file", field_name,
                   message, value=value, column=column),
            expect("ExpectColumnValuesToNotBeInCodes", "duplicate_in_file", field_name, message,
                   value=value, column=column, codes={"$PARAMETER": SEEN}),
        ]

    def control(self, frame: pd.DataFrame, run: Run,
                params: dict[str, str]) -> tuple[pd.DataFrame, list[Any]]:
        """Rejections of the frame's records (one row per rule broken) and GX's results."""
        outcome = validate(frame, self.suite(run), params)
        return outcome.rejections, [outcome.result] if outcome.result is not None else []

    def propagate(self, frame: pd.DataFrame, rejected_rows: pd.Index) -> pd.DataFrame | None:
        """Rejections that follow from others (a composition or document is whole)."""
        return None

    def quotes(self, frame: pd.DataFrame) -> pd.Series:
        """Each record as written, for the HTML page."""
        return quote_columns(frame, self.columns())

    # --- writing ----------------------------------------------------------------------

    def bulk_tables(self, run: Run) -> tuple[Table, ...]:
        """Tables this entity fills in slices, whose keys a big file checks once at the end."""
        return ()

    def write(self, run: Run, accepted: pd.DataFrame) -> None:
        raise NotImplementedError

    def finish(self, run: Run) -> None:
        """Side effects once every accepted record of the run is written."""

    def db_values(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
        """Database columns of the fields that have a target, and their decimal scales."""
        out = pd.DataFrame(index=frame.index)
        scales: dict[str, int] = {}
        for f in self.fields:
            if f.target is None:
                continue
            out[f.target] = frame[f.parsed]
            if f.kind == DECIMAL:
                scales[f.target] = f.scale
        return out, scales


class CodedEntity(Entity):
    """An entity identified by CODE: create (homonymy control) or modify (must exist)."""

    table: ClassVar[Table]
    modes: ClassVar[tuple[str, ...]] = ("create", "modify")

    def mandatory_columns(self, mode: str) -> list[str]:
        return super().mandatory_columns(mode) if mode == "create" else [self.key]

    def mandatory_fields(self, run: Run) -> list[Field]:
        if run.mode == "create":
            return super().mandatory_fields(run)
        return [f for f in self.fields if f.name == self.key]

    def params(self, run: Run) -> dict[str, str]:
        return {f"{self.name}_codes": codes_of(run.conn, self.table)}

    def expectations(self, run: Run) -> list[Any]:
        found = super().expectations(run) + self.unique_expectations(
            self.key, self.key, f"{self.key} {{value}} appears earlier in the file")
        existing = {"$PARAMETER": f"{self.name}_codes"}
        if run.mode == "create":
            found.append(expect("ExpectColumnValuesToNotBeInCodes", "already_exists", self.key,
                                f"{self.key} {{value}} already exists in the dossier",
                                column=self.key, codes=existing, decisive=True))
        else:
            found.append(expect("ExpectColumnValuesToBeInCodes", "not_found", self.key,
                                f"{self.key} {{value}} does not exist in the dossier",
                                column=self.key, codes=existing, decisive=True))
        return found

    def resolve(self, run: Run, frame: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
        """Add foreign keys and defaults to the database values (entity-specific)."""
        return out

    def create_defaults(self) -> dict[str, object]:
        """Values of columns left empty on creation."""
        return {}

    def bulk_tables(self, run: Run) -> tuple[Table, ...]:
        return (self.table,) if run.mode == "create" else ()

    def write(self, run: Run, accepted: pd.DataFrame) -> None:
        out, scales = self.db_values(accepted)
        out = self.resolve(run, accepted, out)
        out["import_batch_id"] = run.batch_id
        if run.mode == "create":
            for column, default in self.create_defaults().items():
                out[column] = out[column].fillna(default) if column in out else default
            run.written[self.table.name] += loader.insert(run.conn, self.table, out, scales)
        else:
            present = [c for c in out.columns if c == "code" or out[c].notna().any()]
            run.written[self.table.name] += loader.update(run.conn, self.table, "code",
                                                          out[present], scales)

    def finish(self, run: Run) -> None:
        """Side effects once every record is written (stock records of new depots...)."""


def field_checks(fields: Sequence[Field], mandatory: Sequence[Field]) -> list[Any]:
    """`required` for mandatory fields; `invalid_value` for lengths, unreadable values, ranges."""
    found: list[Any] = [
        expect("ExpectColumnValuesToNotBeNull", "required", f.name, f"{f.name} is mandatory",
               column=f.name) for f in mandatory]
    for f in fields:
        if f.kind == TEXT and f.length:
            found.append(expect(
                "ExpectColumnValueLengthsToBeBetween", "invalid_value", f.name,
                f"{f.name} '{{value}}' is longer than {f.length} characters",
                column=f.name, max_value=f.length))
        elif f.kind != TEXT:
            found.append(expect(
                "ExpectColumnPairValuesToBeReadable", "invalid_value", f.name,
                f"{f.name} '{{value}}' cannot be read as {_KIND_HELP[f.kind]}",
                column_A=f.name, column_B=f.parsed))
        if f.kind == DECIMAL and (f.minimum is not None or f.maximum is not None):
            found.append(_range(f))
    return found


def _range(f: Field) -> Any:
    unit = 10**f.scale
    low = None if f.minimum is None else f.minimum * unit
    high = None if f.maximum is None else f.maximum * unit
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if f.strict else '≥'} {f.minimum}")
    if high is not None:
        bounds.append(f"≤ {f.maximum}")
    return expect("ExpectColumnValuesToBeBetween", f.range_rule, f.name,
                  f"{f.name} {{value}} must be {' and '.join(bounds)}",
                  column=f.parsed, min_value=low, max_value=high, strict_min=f.strict)


def quote_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """The records' fields joined by ';' (trailing empty fields left out), on Arrow kernels:
    one pass, whatever the number of columns (a re-run quotes a million records)."""
    present = [c for c in columns if c in frame]
    if not present:
        return pd.Series("", index=frame.index, dtype="str")
    arrays = [pa.array(frame[c], type=pa.string(), from_pandas=True) for c in present]
    joined = pc.binary_join_element_wise(*arrays, ";", null_handling="replace",
                                         null_replacement="")
    return pd.Series(pc.utf8_rtrim(joined, characters=";"), index=frame.index, dtype="str")
