"""`comptoir import`: control and import a file into the dossier (spec/imports.md).

Exit status: 0 every record accepted, 3 some rejected (the accepted ones are written),
1 the file as a whole could not be processed (nothing written).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.console import Console

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        entity: str = typer.Argument(..., help="regimes, vat, revision_indexes, depots, "
                                     "suppliers, customers, customer_addresses, articles, "
                                     "stocks, bom or sales_documents."),
        file: Path = typer.Argument(..., help="The file to import (CSV, or XML for "
                                    "sales_documents)."),
        lines: Path | None = typer.Option(None, "--lines", help="Lines file of CSV sales "
                                          "documents."),
        mode: str = typer.Option("create", "--mode", help="create or modify."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Control everything, write "
                                     "nothing."),
        auto_create_regimes: bool = typer.Option(False, "--auto-create-regimes",
                                                 help="Create unknown tax regimes."),
        auto_create_vat: bool = typer.Option(False, "--auto-create-vat",
                                             help="Create unknown VAT codes (rate 0)."),
        sep: str = typer.Option(";", "--sep", help="Field separator."),
        report: Path | None = typer.Option(None, "--report", help="Write the JSON report "
                                           "here."),
        html: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
    ) -> None:
        """Control every record of FILE and import the accepted ones (one transaction)."""
        from comptoir.cli.open_dossier import dossier
        from comptoir.imports.service import run_import

        dossier()

        with _progress() as progress:
            task = progress.add_task(f"{entity}: controlling {file.name}", total=None)
            result = run_import(
                entity, file, lines_file=lines, mode=mode, dry_run=dry_run,
                auto_create_regimes=auto_create_regimes, auto_create_vat=auto_create_vat,
                sep=sep, on_progress=lambda n: progress.update(task, completed=n))
        folder = result.folder
        if folder is not None:
            for target, name in ((report, "report.json"), (html, "report.html")):
                if target is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(folder / name, target)
        _summary(result)
        raise typer.Exit(result.exit_code)


def _progress():  # type: ignore[no-untyped-def]
    """Records controlled so far, on stderr, only on a terminal."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,} records"), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


def _summary(result) -> None:  # type: ignore[no-untyped-def]
    what = "dry run, nothing written" if result.dry_run else "written"
    if result.error:
        err.print(f"[bold red]error:[/] {result.error}", highlight=False)
    else:
        written = ", ".join(f"{k} {v}" for k, v in result.written.items()) or "nothing"
        out.print(f"{result.entity}: {result.records} records, {result.accepted} accepted, "
                  f"{result.rejected} rejected ({what}: {written})", highlight=False)
        for r in result.rejections[:20]:
            out.print(f"  {r.file}:{r.line} {r.key or ''} {r.rule} {r.field or ''}: "
                      f"{r.message}", highlight=False, markup=False)
        if len(result.rejections) > 20:
            out.print(f"  ... {len(result.rejections) - 20} more in the report", highlight=False)
    for w in result.warnings:
        out.print(f"  warning: {w.file}:{w.line or ''} {w.message}", highlight=False,
                  markup=False)
    if result.folder is not None:
        out.print(f"report: {result.folder / 'report.html'}", highlight=False)
