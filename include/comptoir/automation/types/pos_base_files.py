"""The `pos_base_files` task type ("Copie des fichiers de base"), spec/pos.md.

One base package per register of the chosen stores (every store and register by
default), on the `default` template (run >> deliver >> report). Each package is a
produced file whose `{mag:code}` is `<store><register>`, so the default name
`PvBase{mag:code}{y}{m}{d}{h}{i}{s}.zip` is the contract's
`PvBase<store><register><YYYYMMDDHHMMSS>.zip`, and the task's delivery (e-mail, LAN
folder, SFTP, FTP) takes it. With `mail_list`, the packages are mailed to that list
instead (one message per package, to every address), through the `file` mail backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import Store, uses_store
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext


class Options(BaseModel):
    """Options of `pos_base_files`."""

    model_config = ConfigDict(extra="forbid")

    stores: list[str] = Field(
        default_factory=list,
        title="Stores",
        description="Store codes (one per line). Empty: every store.",
        json_schema_extra={"section": "Registers"},
    )
    registers: list[str] = Field(
        default_factory=list,
        title="Registers",
        description="Register codes (one per line). Empty: every register of the stores.",
        json_schema_extra={"section": "Registers"},
    )
    list_file: str | None = Field(
        default=None,
        title="List file",
        description="List file (DEBUT LISTE … FIN LISTE) naming the members (articles, "
        "prices, customers, vat_codes, payment_modes) and specific files to send; relative "
        "to the data home. Empty: every member.",
        json_schema_extra={"section": "Content"},
    )
    mail_list: str | None = Field(
        default=None,
        title="Mail list",
        description="List file of e-mail addresses (DEBUT LISTE … FIN LISTE), relative to "
        "the data home: the packages are mailed to them. Empty: the task's delivery.",
        json_schema_extra={"section": "Content"},
    )


class BaseFilesTaskError(ComptoirError):
    """The task cannot run as configured (unknown store or register, bad list file)."""


def check(options: BaseModel, filename: str | None) -> None:
    """One package per register: the file name needs `{mag:code}` (`<store><register>`)."""
    if filename and not uses_store(filename):
        raise ValueError("output.filename: one package per register; put {mag:code} (the "
                         "store and register codes) in the name, as the default "
                         "PvBase{mag:code}{y}{m}{d}{h}{i}{s}.zip does")


def _resolve(value: str) -> Path:
    """A list file of the options: absolute, or relative to the data home."""
    from comptoir import paths

    try:
        return paths.resolve_folder(value, paths.home(), "data home")
    except ValueError as exc:
        raise BaseFilesTaskError(str(exc)) from None


def _targets(conn: Connection, options: Options) -> list[tuple[str, str, str]]:
    """(store code, store name, register code) of the chosen registers, one SELECT."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import depots, registers

    query = (select(depots.c.code, depots.c.name, registers.c.code)
             .select_from(registers.join(depots)).order_by(depots.c.code, registers.c.code))
    if options.stores:
        query = query.where(depots.c.code.in_(options.stores))
    else:
        query = query.where(depots.c.is_store.is_(True))
    if options.registers:
        query = query.where(registers.c.code.in_(options.registers))
    found = [tuple(row) for row in conn.execute(query)]
    missing = sorted(set(options.stores) - {row[0] for row in found})
    missing += sorted(set(options.registers) - {row[2] for row in found})
    if missing:
        raise BaseFilesTaskError(f"no register for the code(s) {', '.join(missing)} in "
                                 "options stores / registers")
    return found  # type: ignore[return-value]


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Build one package per register; mail them to `mail_list`, or hand them to delivery."""
    from comptoir.pos.base_files import build_base_package, file_mailer, mail_package
    from comptoir.pos.list_files import read_file_list, read_mail_list

    files = read_file_list(_resolve(options.list_file)) if options.list_file else None
    addresses = read_mail_list(_resolve(options.mail_list)) if options.mail_list else ()
    mailer = file_mailer() if addresses else None
    with ctx.engine.connect() as conn:
        targets = _targets(conn, options)
    output = TaskOutput()
    for index, (store, store_name, register) in enumerate(targets):
        folder = ctx.work_dir / f"register-{index}"
        report = build_base_package(ctx.engine, store, register, folder, files=files,
                                    now=ctx.moment)
        path = Path(report.body["file"])
        rows = sum(report.body["members"].values())
        line = f"{store} {register}: {path.name}, {rows} rows"
        if mailer is not None:
            mail_package(mailer, path, addresses, store, register)
            line += f", mailed to {', '.join(addresses)}"
        else:
            output.files.append(ProducedFile(
                path, Store(f"{store}{register}", f"{store_name} {register}"), rows))
        output.summary.append(line)
        output.summary.extend(f"{store} {register}: warning: {w['message']}"
                              for w in report.warnings)
        ctx.log(line)
    if not targets:
        output.summary.append("No register in the dossier: no package built")
    return output


TASK_TYPE = TaskType(
    name="pos_base_files",
    title="Copie des fichiers de base",
    category=Category.IMPORT_EXPORT,
    description=(
        "Builds, for each register of the chosen stores, the base package it needs to sell "
        "offline (settings, registers, VAT codes, payment modes, articles, prices, "
        "customers, specific files of a list file) and sends it through the task's delivery "
        "or to a mail list. On the register: comptoir pos base-files load <file>."
    ),
    options=Options,
    run=run,
    default_filename="PvBase{mag:code}{y}{m}{d}{h}{i}{s}.zip",
    check=check,
)
