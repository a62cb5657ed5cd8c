"""`comptoir pos`: offline tickets on the server and the registers (spec/pos.md).

Every command prints a summary, writes its JSON report into `var/reports/pos/<run_id>.json`
(`--report` copies it) and exits with the contract's status: 0 done; 1 refused or could
not run, nothing written; 2 usage error; 3 partly done (the items listed were rejected or
skipped, the rest written); 4 written, but a check failed. Listings print CSV (`;`, a
header, `.` decimals, booleans `1`/`0`) or JSON with `--json`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

pos_app = typer.Typer(help="Offline POS tickets: integrate, invoice, the POS log.",
                      no_args_is_help=True)

LOG_COLUMNS = ("at", "run_id", "step", "level", "file", "store", "register", "ticket", "rule",
               "message")


def register(app: typer.Typer) -> None:
    app.add_typer(pos_app, name="pos")


@pos_app.command("integrate")
def integrate(
    files: list[Path] = typer.Argument(None, help="Ticket files (TicDeg…zip, ticdep…zip)."),
    inbox: Path | None = typer.Option(None, "--inbox", help="An inbox folder: every ticket "
                                      "file of its incoming/, filed in done/ or failed/."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Integrate ticket files: each ticket once, the bad ones alone set aside and logged."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.integration import integrate_files, integrate_inbox
    from comptoir.pos.report import Exit

    if bool(files) == (inbox is not None):
        err.print("[bold red]error:[/] give ticket files or --inbox DIR (one of them)")
        raise typer.Exit(Exit.USAGE)
    engine = dossier()
    if inbox is not None:
        result, outcomes = integrate_inbox(engine, inbox, dry_run=dry_run)
    else:
        result, outcomes = integrate_files(engine, files, dry_run=dry_run)
    for outcome in outcomes:
        if outcome.error:
            out.print(f"{outcome.file}: refused ({outcome.error['rule']}): "
                      f"{outcome.error['message']}")
            continue
        out.print(f"{outcome.file}: {outcome.tickets} tickets, {outcome.integrated} "
                  f"integrated, {outcome.already_integrated} already integrated, "
                  f"{outcome.rejected} rejected")
        for rejection in outcome.rejections[:20]:
            where = f" line {rejection['line']}" if rejection["line"] is not None else ""
            out.print(f"  ticket {rejection['ticket']}{where}: {rejection['rule']}: "
                      f"{rejection['message']}")
    if not outcomes:
        out.print("no ticket file to integrate")
    path = result.finish(report)
    out.print(f"{'dry run, nothing written; ' if dry_run else ''}report: {path}")
    raise typer.Exit(int(result.exit_code))


@pos_app.command("extract")
def extract(
    out_dir: Path = typer.Option(..., "--out", help="Folder the ticket file is written to."),
    kind: str = typer.Option("degraded", "--kind", help="degraded (the tickets taken "
                             "offline) or untransferred (every ticket of the days)."),
    store: str | None = typer.Option(None, "--store", help="Store code (default pos_store)."),
    register_code: str | None = typer.Option(None, "--register", help="Register code "
                                             "(default pos_register)."),
    until: str | None = typer.Option(None, "--until", help="untransferred: sales days up to "
                                     "this date (default today)."),
    include_extracted: bool = typer.Option(False, "--include-extracted", help="Also the "
                                           "tickets already extracted (resend a lost file)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Register side: write the tickets not yet extracted into a ticket file."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.extraction import extract_tickets
    from comptoir.pos.filters import parse_until

    day = parse_until(until) if until else None
    result = extract_tickets(dossier(), out_dir, kind=kind, store=store, register=register_code,
                             until=day, include_extracted=include_extracted)
    body = result.body
    if body["file"]:
        out.print(f"{body['tickets']} tickets ({body['first_ticket']}–{body['last_ticket']}) "
                  f"of {body['store']} {body['register']} → {body['file']}")
    else:
        out.print(f"nothing to extract for {body['store']} {body['register']}")
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


@pos_app.command("log")
def log(
    since: str | None = typer.Option(None, "--since", help="From this date or instant "
                                     "(ISO 8601)."),
    run: str | None = typer.Option(None, "--run", help="Only this run's rows."),
    errors: bool = typer.Option(False, "--errors", help="Only refused files and rejected "
                                "tickets."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of CSV."),
) -> None:
    """The POS log: refused files, rejected tickets, skipped items and warnings."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import pos_log
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_csv
    from comptoir.pos.report import Exit

    query = select(*(pos_log.c[name] for name in LOG_COLUMNS)).order_by(pos_log.c.at,
                                                                       pos_log.c.id)
    if since:
        try:
            start = dt.datetime.fromisoformat(since)
        except ValueError:
            err.print(f"[bold red]error:[/] --since {since!r}: write a date or an ISO instant")
            raise typer.Exit(Exit.USAGE) from None
        query = query.where(pos_log.c.at >= (start if start.tzinfo else
                                             start.replace(tzinfo=dt.UTC)))
    if run:
        query = query.where(pos_log.c.run_id == run)
    if errors:
        query = query.where(pos_log.c.level == "error")
    with dossier().connect() as conn:
        rows = conn.execute(query).all()
    print_csv(LOG_COLUMNS, [tuple(row) for row in rows], as_json=as_json)


# --------------------------------------------------------------------------- base files

base_files_app = typer.Typer(help="Base files for the registers: build, send, load.",
                             no_args_is_help=True)
pos_app.add_typer(base_files_app, name="base-files")


def _refused_base_run(command: str, exc: Exception):  # type: ignore[no-untyped-def]
    """A base-files run that could not be done (a bad list, an unknown register...): exit 1."""
    from comptoir.pos.list_files import ListFileError
    from comptoir.pos.report import RunReport

    result = RunReport(command)
    result.body.update({"file": None, "members": {}, "recipients": [], "written": None})
    result.refuse("bad_list" if isinstance(exc, ListFileError) else "cannot_run", str(exc))
    return result


def _print_base_report(result) -> None:  # type: ignore[no-untyped-def]
    """The summary of a base-files report: file, members and rows, recipients, written."""
    from rich.markup import escape

    body = result.body
    if result.error and body.get("file") is None:
        err.print(f"[bold red]error:[/] {escape(result.error['message'])}")
        return
    if result.error:
        out.print(escape(f"{body.get('file')}: refused ({result.error['rule']}): "
                         f"{result.error['message']}"))
        return
    members = ", ".join(f"{name} {rows}" for name, rows in body.get("members", {}).items())
    out.print(f"{body.get('file')}: {members}")
    if body.get("recipients"):
        out.print(f"mailed to {', '.join(body['recipients'])}")
    if body.get("copied_to"):
        out.print(f"copied to {body['copied_to']}")
    if body.get("written") is not None:
        out.print(f"{body['written']} rows or files written")
    for warning in result.warnings:
        out.print(f"warning ({warning['rule']}): {warning['message']}")


@base_files_app.command("build")
def base_files_build(
    store: str = typer.Option(..., "--store", help="Store code."),
    register_code: str = typer.Option(..., "--register", help="Register code."),
    list_file: Path | None = typer.Option(None, "--list", help="List file (DEBUT LISTE … "
                                          "FIN LISTE): members and specific files."),
    out_dir: Path = typer.Option(..., "--out", help="Folder the package is written to."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Server side: write a register's base package (PvBase<store><register><time>.zip)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.errors import ComptoirError
    from comptoir.pos.base_files import build_base_package

    try:
        result = build_base_package(dossier(), store, register_code, out_dir,
                                    list_file=list_file)
    except ComptoirError as exc:
        result = _refused_base_run("pos base-files build", exc)
    _print_base_report(result)
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


@base_files_app.command("send")
def base_files_send(
    store: str = typer.Option(..., "--store", help="Store code."),
    register_code: str = typer.Option(..., "--register", help="Register code."),
    list_file: Path | None = typer.Option(None, "--list", help="List file: members and "
                                          "specific files."),
    mail_list: Path | None = typer.Option(None, "--mail-list", help="List file of e-mail "
                                          "addresses: one message to all."),
    folder: Path | None = typer.Option(None, "--folder", help="Copy the package into this "
                                       "folder (LAN)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Server side: build a register's base package and mail it, or copy it to a folder."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.base_files import send_base_package
    from comptoir.pos.report import Exit

    if (mail_list is None) == (folder is None):
        err.print("[bold red]error:[/] give --mail-list LISTFILE or --folder DIR (one of them)")
        raise typer.Exit(Exit.USAGE)
    from comptoir.errors import ComptoirError

    try:
        result = send_base_package(dossier(), store, register_code, list_file=list_file,
                                   mail_list=mail_list, folder=folder)
    except ComptoirError as exc:
        result = _refused_base_run("pos base-files send", exc)
    _print_base_report(result)
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))


@base_files_app.command("load")
def base_files_load(
    file: Path = typer.Argument(..., help="A base package (PvBase…zip)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Register side: load a base package into this dossier (upserts by code, once)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.pos.base_files import load_base_package

    result = load_base_package(dossier(), file)
    _print_base_report(result)
    out.print(f"report: {result.finish(report)}")
    raise typer.Exit(int(result.exit_code))
