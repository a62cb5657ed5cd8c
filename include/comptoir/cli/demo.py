"""`comptoir demo-data`: fill the dossier with the demo business, or write import files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from comptoir.errors import ComptoirError

out = Console()
err = Console(stderr=True)

DEFAULT_SEED = 42  # comptoir.demo.reference.DEFAULT_SEED (kept light: no numpy at start-up)


class DemoUsageError(ComptoirError):
    """Options of `demo-data` that do not go together."""


def register(app: typer.Typer) -> None:
    @app.command("demo-data")
    def demo_data(
        scale: int = typer.Option(1, "--scale", min=1,
                                  help="Multiply the volumes (articles, customers, tickets)."),
        seed: int = typer.Option(DEFAULT_SEED, "--seed", min=0,
                                 help="Same seed, same data (and the same reference date)."),
        reset: bool = typer.Option(False, "--reset",
                                   help="Empty the dossier's business data first."),
        files: Path | None = typer.Option(
            None, "--files", file_okay=False,
            help="Write import files into this folder instead of filling the dossier."),
        customers: int = typer.Option(0, "--customers", min=0, help="--files: customers.csv"),
        articles: int = typer.Option(0, "--articles", min=0, help="--files: articles.csv"),
        suppliers: int = typer.Option(0, "--suppliers", min=0, help="--files: suppliers.csv"),
        documents: int = typer.Option(
            0, "--documents", min=0, help="--files: sales_documents_headers/lines.csv"),
        stocks: int = typer.Option(
            0, "--stocks", min=0, help="--files: stocks.csv lines (needs --articles)"),
        errors: float = typer.Option(
            0.0, "--errors", min=0.0, max=0.5,
            help="--files: share of records given a realistic mistake, listed in "
                 "expected_errors.csv"),
    ) -> None:
        """Fill the dossier with a demo French retail chain, or write import files (--files)."""
        counts = {"--customers": customers, "--articles": articles, "--suppliers": suppliers,
                  "--documents": documents, "--stocks": stocks}
        if files is None:
            given = [k for k, v in counts.items() if v] + (["--errors"] if errors else [])
            if given:
                raise DemoUsageError(f"{', '.join(given)} only make sense with --files DIR")
            _fill(scale, seed, reset)
            return
        if reset or scale != 1:
            raise DemoUsageError("--reset and --scale fill the dossier; they do not go "
                                 "with --files")
        _files(files, customers, articles, suppliers, documents, stocks, errors, seed)


def _progress():  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


def _fill(scale: int, seed: int, reset: bool) -> None:
    from comptoir.backoffice import migrate
    from comptoir.backoffice.engine import get_engine
    from comptoir.demo.dossier import STEPS, fill_dossier

    migrate.upgrade()
    engine = get_engine()
    with _progress() as progress:
        task = progress.add_task("demo", total=len(STEPS))
        started = []

        def on_step(name: str) -> None:
            if started:
                progress.advance(task)
            started.append(name)
            progress.update(task, description=name)

        summary = fill_dossier(engine, scale=scale, seed=seed, reset=reset, on_step=on_step)
    table = Table("table", "rows", title="Demo dossier")
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}".replace(",", " "))
    out.print(table)
    out.print(f"seed {summary.seed}, scale {summary.scale}, "
              f"reference date {summary.reference_date:%d/%m/%Y}")
    out.print(f"dossier: {engine.url.render_as_string(hide_password=True)}")


def _files(directory: Path, customers: int, articles: int, suppliers: int, documents: int,
           stocks: int, errors: float, seed: int) -> None:
    from comptoir.demo.files import Request, total_records, write_files

    request = Request(customers=customers, articles=articles, suppliers=suppliers,
                      documents=documents, stocks=stocks, errors=errors, seed=seed)
    with _progress() as progress:
        task = progress.add_task("records", total=total_records(request) or None)
        summary = write_files(directory, request,
                              on_progress=lambda n: progress.advance(task, n))
    table = Table("file", "records", title=f"Import files in {summary.directory}")
    for name, count in summary.records.items():
        table.add_row(name, f"{count:,}".replace(",", " "))
    table.add_row("expected_errors.csv", f"{summary.errors:,}".replace(",", " "))
    out.print(table)
