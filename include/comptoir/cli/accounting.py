"""`comptoir accounting`: posting, the FEC export and the accounting listings (`spec/pos.md`).

`accounting fec` writes the Fichier des Écritures Comptables of a year or a period;
`accounting balance`, `accounting lettering` and `accounting receivables` print CSV with
`;` (or `--json`) as `comptoir.cli.csv_listing` says. `accounting lettering` first letters
the dossier by document number (its summary and report path go to stderr, so that stdout
stays the listing). Commands that write print a summary and write their report
(`var/reports/pos/`, `--report` copies it); every command exits 0 done, 1 refused, 2 usage
error, 4 written but a check failed. The group is the module-level `accounting_app`, so
that other modules add their commands to it (`post-documents`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.cli.output import JSON_HELP

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

USAGE = 2
CHECK_FAILED = 4

accounting_app = typer.Typer(
    help="Accounting: posting of commercial documents, FEC export, balance, lettering and "
         "receivables.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(accounting_app, name="accounting")


def _usage(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(USAGE)


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _usage(f"{option} {text!r}: write a date YYYY-MM-DD") from None


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


def fec_period(year: str | None, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """`--year YYYY` or `--from DATE --to DATE` (one of them); a usage error otherwise."""
    from comptoir.accounting.fec import year_period

    if (year is None) == (start is None and end is None):
        raise _usage("give --year YYYY or --from DATE --to DATE (one of them)")
    if year is not None:
        if not (year.strip().isdigit() and len(year.strip()) == 4):
            raise _usage(f"--year {year!r}: write a year YYYY")
        return year_period(int(year))
    if start is None or end is None:
        raise _usage("--from and --to go together")
    first, last = _date(start, "--from"), _date(end, "--to")
    assert first is not None and last is not None
    if first > last:
        raise _usage(f"--from {start} is after --to {end}")
    return first, last


@accounting_app.command("fec")
def fec(
    year: str | None = typer.Option(None, "--year", help="The calendar year YYYY."),
    start: str | None = typer.Option(None, "--from", help="First day YYYY-MM-DD (with --to)."),
    end: str | None = typer.Option(None, "--to", help="Last day YYYY-MM-DD (with --from)."),
    out_path: Path | None = typer.Option(None, "--out", help="A file, or a folder where the "
                                         "file gets its legal name <SIREN>FEC<YYYYMMDD>.txt "
                                         "(default var/exports/). A path with a suffix is a "
                                         "file, unless it is an existing folder."),
    separator: str = typer.Option("tab", "--separator", help="tab or pipe."),
    encoding: str = typer.Option("iso-8859-15", "--encoding", help="iso-8859-15 or utf-8 "
                                 "(without BOM)."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Write the FEC (Fichier des Écritures Comptables) of a year or a period."""
    from comptoir.accounting.fec import export_fec
    from comptoir.accounting.fec_format import ENCODINGS, SEPARATORS
    from comptoir.cli.open_dossier import dossier

    first, last = fec_period(year, start, end)
    if separator not in SEPARATORS:
        raise _usage(f"--separator {separator!r}: write tab or pipe")
    encoding = encoding.strip().lower()
    if encoding not in ENCODINGS:
        raise _usage(f"--encoding {encoding!r}: write iso-8859-15 or utf-8")
    result = export_fec(dossier(), start=first, end=last, out=out_path, separator=separator,
                        encoding=encoding)
    path = result.finish(copy_to=report)
    body = result.body
    if result.error:
        err.print(f"[bold red]error:[/] {escape(result.error['message'])}", highlight=False)
    else:
        _say(f"accounting fec: {body['records']} records, {body['entries']} entries from "
             f"{first} to {last}, debit {body['debit']}, credit {body['credit']} → "
             f"{body['file']}")
        for number in body["unbalanced"][:20]:
            _say(f"  entry {number} does not balance")
        for gap in body["gaps"][:20]:
            _say(f"  journal {gap['journal']} {gap['year']}: {gap['count']} numbers missing, "
                 f"{gap['first_missing']} to {gap['last_missing']}")
        for warning in result.warnings:
            _say(f"  warning {warning['rule']}: {warning['message']}")
    _say(f"report: {path}")
    raise typer.Exit(int(result.exit_code))


@accounting_app.command("balance")
def balance(
    start: str | None = typer.Option(None, "--from", help="Entries dated from this day "
                                     "(YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Entries dated up to this day."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The trial balance per account, then TOTAL (CSV with `;`); exit 4 if unbalanced."""
    from comptoir.accounting.listings import BALANCE_AMOUNTS, BALANCE_COLUMNS
    from comptoir.accounting.listings import balance as balance_of
    from comptoir.cli.csv_listing import listing_record, print_csv
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_json

    first, last = _date(start, "--from"), _date(until, "--until")
    with dossier().connect() as conn:
        found = balance_of(conn, start=first, until=last)
    records = [listing_record(row, amounts=BALANCE_AMOUNTS) for row in found.records]
    if as_json:
        print_json(records)
    else:
        print_csv(BALANCE_COLUMNS, records)
    if not found.balanced:
        total = records[-1]
        err.print(f"[bold red]error:[/] debits {total['debit']} and credits "
                  f"{total['credit']} differ by {total['balance']}", highlight=False)
        raise typer.Exit(CHECK_FAILED)


@accounting_app.command("lettering")
def lettering(
    account: str | None = typer.Option(None, "--account", help="Only this account."),
    customer: str | None = typer.Option(None, "--customer", help="Only this customer's "
                                        "lines."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report of the "
                                       "lettering run here."),
) -> None:
    """Letter the dossier by document number, then list the lettrable accounts' lines.

    Codes: uppercase full, lowercase partial, empty unlettered.
    """
    from comptoir.accounting.lettering_run import letter_dossier
    from comptoir.accounting.listings import (
        LETTERING_AMOUNTS,
        LETTERING_COLUMNS,
        lettering_rows,
    )
    from comptoir.cli.csv_listing import listing_record, print_csv
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_json

    engine = dossier()
    result = letter_dossier(engine)
    path = result.finish(copy_to=report)
    if result.error:
        err.print(f"[bold red]error:[/] {escape(result.error['message'])}", highlight=False)
        err.print(f"report: {path}", highlight=False, markup=False)
        raise typer.Exit(int(result.exit_code))
    letters = result.body["lettering"]
    err.print(f"accounting lettering: {letters['full']} full and {letters['partial']} "
              f"partial groups lettered; report: {path}", highlight=False, markup=False)
    with engine.connect() as conn:
        rows = (listing_record(row, amounts=LETTERING_AMOUNTS)
                for row in lettering_rows(conn, account=account, customer=customer))
        if as_json:
            print_json(list(rows))
        else:
            print_csv(LETTERING_COLUMNS, rows)


@accounting_app.command("receivables")
def receivables(
    customer: str | None = typer.Option(None, "--customer", help="Only this customer."),
    document: str | None = typer.Option(None, "--document", help="Only this document's "
                                        "(its number)."),
    open_only: bool = typer.Option(False, "--open", help="Only those neither paid nor "
                                   "cancelled."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The receivables (CSV with `;`): state code, position, amount, paid, remaining."""
    from comptoir.accounting.listings import (
        RECEIVABLE_AMOUNTS,
        RECEIVABLE_COLUMNS,
        receivable_rows,
    )
    from comptoir.cli.csv_listing import listing_record, print_csv
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import print_json

    with dossier().connect() as conn:
        rows = (listing_record(row, amounts=RECEIVABLE_AMOUNTS) for row in
                receivable_rows(conn, customer=customer, document=document,
                                open_only=open_only))
        if as_json:
            print_json(list(rows))
        else:
            print_csv(RECEIVABLE_COLUMNS, rows)


@accounting_app.command("post-documents")
def post_documents(
    until: str | None = typer.Option(None, "--until", help="Last document date taken: a date "
                                     "YYYY-MM-DD, today (default) or yesterday."),
    customers: str | None = typer.Option(None, "--customers", help="Customer codes FROM:TO "
                                         "(text order; either side may be empty)."),
    types: str = typer.Option("F,A", "--types", help="Document types: F, A or F,A."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything, then roll back: "
                                 "only the report is written."),
    report: Path | None = typer.Option(None, "--report", help="Copy the JSON report here."),
) -> None:
    """Post the unposted invoices (F) and credit notes (A) of every source: their sales
    entries and, for invoices, a due receivable (the classic accounting)."""
    from comptoir.accounting.document_posting import DOCUMENT_TYPES
    from comptoir.accounting.document_posting import post_documents as post
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.pos import finish_posting
    from comptoir.pos.filters import FilterError, parse_range, parse_until

    chosen = tuple(t.strip().upper() for t in types.split(",") if t.strip())
    if not chosen or set(chosen) - set(DOCUMENT_TYPES):
        raise _usage(f"--types {types!r}: write F, A or F,A")
    try:
        last = parse_until(until)
        customer_range = parse_range(customers, option="customers")
    except FilterError as exc:
        raise _usage(str(exc)) from None
    result = post(dossier(), until=last, customers_range=customer_range, types=chosen,
                  dry_run=dry_run)
    finish_posting(result, report)
