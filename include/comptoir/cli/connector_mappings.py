"""`comptoir connector map|unmap|mappings|map-bulk`: article correspondences (ways 1 and 2).

`map CODE ARTICLE EXTERNAL_CODE [--replace]` and `unmap CODE EXTERNAL_CODE` change one
correspondence; `mappings CODE` lists the articles with their external codes, as CSV
`ARTICLE;DESIG;CODE_EXTERNE` (UTF-8, the connector's separator, codes joined by `|`) or
JSON; the user fills `CODE_EXTERNE` and loads the file back with `map-bulk CODE FILE`.

Exit status:

- `map`, `unmap`, `mappings`: 0 done; 1 nothing changed (unknown connector or article,
  external code invalid, mapped to another article or not mapped; an invalid filter);
  2 a usage error (`--exportable` with `--filter`).
- `map-bulk`: 0 every record accepted; 3 some rejected (the accepted ones are written);
  1 nothing written (unknown connector, the file cannot be read as a whole).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from comptoir.cli.connector import connector_app, err, out

if TYPE_CHECKING:
    from comptoir.econnector.correspondences import MappingRow


@connector_app.command("map")
def map_(
    code: str = typer.Argument(..., help="Connector code."),
    article: str = typer.Argument(..., help="Article code of the dossier."),
    external_code: str = typer.Argument(..., help="The partner's code (1–60 characters)."),
    replace: bool = typer.Option(False, "--replace", help="Move the code when it is mapped "
                                 "to another article."),
) -> None:
    """Map the partner's EXTERNAL_CODE to ARTICLE."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.correspondences import map_article

    with dossier().begin() as conn:
        outcome = map_article(conn, code, article, external_code, replace=replace)
    said = {"created": "mapped", "moved": "moved", "unchanged": "already mapped"}[outcome]
    out.print(f"{code.strip().upper()}: {external_code.strip()} → {article.strip()} ({said})",
              highlight=False, markup=False)


@connector_app.command("unmap")
def unmap_(
    code: str = typer.Argument(..., help="Connector code."),
    external_code: str = typer.Argument(..., help="The partner's code."),
) -> None:
    """Remove the correspondence of EXTERNAL_CODE."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.correspondences import unmap

    with dossier().begin() as conn:
        article = unmap(conn, code, external_code)
    out.print(f"{code.strip().upper()}: {external_code.strip()} no longer maps to {article}",
              highlight=False, markup=False)


@connector_app.command("mappings")
def mappings(
    code: str = typer.Argument(..., help="Connector code."),
    exportable: bool = typer.Option(False, "--exportable", help="Only the articles marked "
                                    "exportable."),
    filter_: str | None = typer.Option(None, "--filter", help='Only the articles matching '
                                       'this JSON filter, e.g. {"family": ["VET"]}.'),
    unmapped: bool = typer.Option(False, "--unmapped", help="Only the articles without "
                                  "external code."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of CSV."),
    out_file: Path | None = typer.Option(None, "--out", help="Write the listing to this file "
                                         "instead of stdout."),
) -> None:
    """List the articles with their external codes: the file `map-bulk` loads back."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.cli.output import json_document, write_stdout
    from comptoir.econnector.correspondences import mapping_rows
    from comptoir.econnector.settings import load_connector

    if exportable and filter_ is not None:
        err.print("[bold red]error:[/] --exportable and --filter cannot be used together",
                  highlight=False)
        raise typer.Exit(2)
    with dossier().connect() as conn:
        sep = load_connector(conn, code).get("separator")
        rows = mapping_rows(conn, code, exportable=exportable, filter=filter_,
                            unmapped=unmapped)
    text = (json_document([row.to_json() for row in rows]) if as_json
            else _csv(rows, sep))
    if out_file is None:
        write_stdout(text)
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text, encoding="utf-8", newline="")
    out.print(f"{code.strip().upper()}: {len(rows)} articles → {out_file}", highlight=False,
              markup=False)


def _csv(rows: Sequence[MappingRow], sep: str) -> str:
    """The listing as CSV `ARTICLE;DESIG;CODE_EXTERNE` with the connector's separator."""
    from comptoir.econnector.correspondences import CODES_SEPARATOR, COLUMNS_OUT

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(COLUMNS_OUT)
    writer.writerows((row.article, row.name, CODES_SEPARATOR.join(row.external_codes))
                     for row in rows)
    return buffer.getvalue()


@connector_app.command("map-bulk")
def map_bulk_(
    code: str = typer.Argument(..., help="Connector code."),
    file: Path = typer.Argument(..., help="A filled `mappings` listing: ARTICLE and "
                                "CODE_EXTERNE columns."),
    replace: bool = typer.Option(False, "--replace", help="Move codes mapped to another "
                                 "article."),
    report: Path | None = typer.Option(None, "--report", help="Write the JSON report here."),
) -> None:
    """Load the correspondences of FILE (accepted rows in one transaction)."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.correspondences import map_bulk
    from comptoir.imports.report import write_json

    result = map_bulk(dossier(), code, file, replace=replace)
    if report is not None:
        write_json(result, report)
    if result.error:
        err.print(f"[bold red]error:[/] {result.error}", highlight=False)
    else:
        written = result.written
        out.print(f"{code.strip().upper()}: {result.records} records, {result.accepted} "
                  f"accepted, {result.rejected} rejected (written: "
                  f"{written['correspondences_created']} mapped, "
                  f"{written['correspondences_moved']} moved)", highlight=False)
        for r in result.rejections:
            out.print(f"  {r.file}:{r.line} {r.key or ''} {r.rule} {r.field or ''}: "
                      f"{r.message}", highlight=False, markup=False)
    for w in result.warnings:
        out.print(f"  warning: {w.file}:{w.line or ''} {w.message}", highlight=False,
                  markup=False)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """The commands are added to `comptoir.cli.connector.connector_app` on import."""
