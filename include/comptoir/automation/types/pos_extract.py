"""The `pos_extract` task type ("Extraction des tickets dégradés"): register side, `pos
extract` on the `default` template (run >> deliver >> report), spec/pos.md "Task types".

The ticket file keeps its contract name (`TicDeg<store><register><time>.zip`,
`ticdep…zip`): the server reads the manifest, and a name taken there gets `-2`. It
leaves through the task's delivery: e-mail (with the SMTP connection: the way to mail
ticket files when `COMPTOIR_MAIL_BACKEND=smtp`), a local or LAN folder, SFTP or FTP.
Nothing to extract: no file, and the report says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, RunContext, TaskOutput, TaskType


class Options(BaseModel):
    """Options of `pos_extract`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["degraded", "untransferred"] = Field(
        default="degraded",
        title="Tickets",
        description="degraded: the tickets taken while the register was offline; "
        "untransferred: every ticket of the sales days up to today (multi-server setup).",
        json_schema_extra={
            "section": "Tickets",
            "values_display": {"degraded": "Tickets dégradés (TicDeg…zip)",
                               "untransferred": "Tickets non transférés (ticdep…zip)"},
        },
    )
    include_extracted: bool = Field(
        default=False,
        title="Include tickets already extracted",
        description="Also the tickets of earlier files, to resend a file that was lost "
        "(the server skips the tickets it already has).",
        json_schema_extra={"section": "Tickets"},
    )
    store: str | None = Field(
        default=None, title="Store", min_length=1, max_length=20,
        description="Store code. Empty: the dossier's pos_store setting.",
        json_schema_extra={"section": "Register"},
    )
    register_code: str | None = Field(
        default=None, alias="register", title="Register", min_length=1, max_length=20,
        description="Register code. Empty: the dossier's pos_register setting.",
        json_schema_extra={"section": "Register"},
    )


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Extract the register's tickets into the work folder: the ticket file, if any."""
    from comptoir.pos.extraction import extract_tickets

    report = extract_tickets(ctx.engine, ctx.work_dir / "extract", kind=options.kind,
                             store=options.store, register=options.register_code,
                             include_extracted=options.include_extracted)
    path = report.finish()
    body = report.body
    who = f"register {body['register']} of store {body['store']}"
    if body["file"] is None:
        line = f"No {options.kind} ticket to extract for {who}: no file (report {path})"
        ctx.log(line)
        return TaskOutput(summary=[line])
    produced = ProducedFile(Path(body["file"]), None, body["tickets"])
    line = (f"{body['tickets']} {options.kind} tickets ({body['first_ticket']}-"
            f"{body['last_ticket']}) of {who} (report {path})")
    ctx.log(line)
    return TaskOutput(files=[produced], summary=[line])


TASK_TYPE = TaskType(
    name="pos_extract",
    title="Extraction des tickets dégradés",
    category=Category.IMPORT_EXPORT,
    description=(
        "Register side: writes the register's tickets not yet extracted (degraded ones, or "
        "every ticket of the past sales days) into a ticket file (TicDeg…zip, ticdep…zip) "
        "that keeps its name and leaves through the task's delivery: e-mail, a LAN folder, "
        "SFTP. The server's pos_tickets task integrates it. Nothing to extract: no file."
    ),
    options=Options,
    run=run,
    own_file_names="TicDeg<store><register><YYYYMMDDHHMMSS>.zip or "
                   "ticdep<store><register><YYYYMMDD>.zip",
)
