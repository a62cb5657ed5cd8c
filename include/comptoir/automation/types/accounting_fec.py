"""The `accounting_fec` task type ("Export FEC"): `accounting fec` of a calendar year as a
task (spec/pos.md, "Task types").

`year`: `previous` (default: the year before the run's, in the dossier's time zone),
`current` or `YYYY`. The file keeps its legal name `<SIREN>FEC<YYYYMMDD>.txt` (no
`output.filename`) and leaves through the task's delivery like any task output. No
`company_siren`: no file, the run fails. An unbalanced entry or a numbering gap: the file
is delivered, then the run fails saying so (the command's exit 4).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType

if TYPE_CHECKING:
    from comptoir.automation.catalog import RunContext


class Options(BaseModel):
    """Options of `accounting_fec`."""

    model_config = ConfigDict(extra="forbid")

    year: str = Field(
        default="previous", title="Year",
        description="The calendar year exported: previous (the year before the run's), "
        "current, or a year YYYY.",
        json_schema_extra={"section": "FEC", "examples": ["previous", "current", "2025"]},
    )
    separator: Literal["tab", "pipe"] = Field(
        default="tab", title="Separator",
        description="Between the fields: a tab or |.",
        json_schema_extra={"section": "FEC",
                           "values_display": {"tab": "Tab", "pipe": "| (pipe)"}},
    )
    encoding: Literal["iso-8859-15", "utf-8"] = Field(
        default="iso-8859-15", title="Encoding",
        description="ISO 8859-15 (a character outside it becomes its unaccented letter) or "
        "UTF-8 without BOM.",
        json_schema_extra={"section": "FEC", "values_display": {
            "iso-8859-15": "ISO-8859-15", "utf-8": "UTF-8 (without BOM)"}},
    )

    @field_validator("year")
    @classmethod
    def _year(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("previous", "current") and not re.fullmatch(r"\d{4}", value):
            raise ValueError("write previous, current or a year YYYY")
        return value

    def year_number(self, this_year: int) -> int:
        """The year exported, for a run in `this_year`."""
        if self.year == "previous":
            return this_year - 1
        if self.year == "current":
            return this_year
        return int(self.year)


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: the FEC of the year into the work folder, under its legal name."""
    from comptoir.accounting.fec import export_fec, year_period

    year = options.year_number(ctx.moment.year)
    start, end = year_period(year)
    report = export_fec(ctx.engine, start=start, end=end, out=ctx.work_dir / "fec",
                        separator=options.separator, encoding=options.encoding)
    path = report.finish()
    body = report.body
    if report.error:
        line = f"FEC {year}: {report.error['message']} (report {path})"
        ctx.log(line)
        return TaskOutput(summary=[line], error=report.error["message"])
    lines = [f"FEC {year}: entry {number} does not balance"
             for number in body["unbalanced"][:20]]
    lines += [f"FEC {year}: journal {gap['journal']} {gap['year']}: {gap['count']} numbers "
              f"missing, {gap['first_missing']} to {gap['last_missing']}"
              for gap in body["gaps"][:20]]
    lines.append(f"FEC {year}: {body['records']} records, {body['entries']} entries, debit "
                 f"{body['debit']}, credit {body['credit']} (report {path})")
    for line in lines:
        ctx.log(line)
    problems = []
    if body["unbalanced"]:
        problems.append(f"{len(body['unbalanced'])} entries do not balance")
    if body["gaps"]:
        problems.append(f"{len(body['gaps'])} gaps in the entry numbers")
    produced = ProducedFile(Path(body["file"]), None, body["records"])
    return TaskOutput(files=[produced], summary=lines,
                      error=f"FEC {year} written, but " + " and ".join(problems)
                      if problems else None)


TASK_TYPE = TaskType(
    name="accounting_fec",
    title="Export FEC",
    category=Category.IMPORT_EXPORT,
    description=(
        "Writes the Fichier des Écritures Comptables of a calendar year (the previous one by "
        "default): every journal entry line, tab- or |-separated, ISO 8859-15 or UTF-8. The "
        "file keeps its legal name <SIREN>FEC<YYYYMMDD>.txt and leaves through the task's "
        "delivery. An unbalanced entry or a gap in the entry numbers fails the run after "
        "the file is delivered."
    ),
    options=Options,
    run=run,
    own_file_names="<SIREN>FEC<YYYYMMDD>.txt",
)
