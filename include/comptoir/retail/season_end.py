"""`season_end` ("Travaux de fin de saison / historiques"): older tickets become monthly
sales history, their detail goes to a gzip CSV archive (spec/retail-tasks.md).

Tickets dated before the first day of the month `keep_months` months before the run
date's month, in the selected stores, are archived per store and month, one transaction
each under the dossier's stock lock (`comptoir.retail.season_archive`): a failure stops
the run with the months already done committed and in the file, the others untouched.
"""

from __future__ import annotations

import datetime as dt
import shutil
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.editions.formats import refuse_store_tag
from comptoir.retail.csv_options import CsvOptions

if TYPE_CHECKING:
    from pydantic import BaseModel

    from comptoir.automation.catalog import RunContext
    from comptoir.retail.season_archive import Counts

EXTENSION = ".csv.gz"
KEPT = "(journée non clôturée ou non mise à jour)"


class Options(CsvOptions):
    """Options of `season_end`."""

    model_config = ConfigDict(extra="forbid")

    keep_months: int = Field(
        default=24, ge=3, le=120, title="Months kept",
        description="Months of ticket detail kept before the run date's month (3 to 120); "
        "older tickets become monthly history.",
        json_schema_extra={"section": "History"})
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Store codes archived (one per line). Empty: every store.",
        json_schema_extra={"section": "History"})
    dry_run: bool = Field(
        default=False, title="Dry run",
        description="Count and report what would be archived; write nothing.",
        json_schema_extra={"section": "History"})


def check(options: BaseModel, filename: str | None) -> None:
    """One gzip CSV file for every store."""
    if filename and not filename.endswith(EXTENSION):
        raise ValueError(f"output.filename: season_end writes a {EXTENSION} file")
    refuse_store_tag("season_end", filename)


def cutoff(run_date: dt.date, keep_months: int) -> dt.date:
    """The first day of the month `keep_months` months before the run date's month."""
    index = run_date.year * 12 + run_date.month - 1 - keep_months
    return dt.date(index // 12, index % 12 + 1, 1)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Archive the tickets older than the retention, store-month by store-month."""
    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.retail import season_archive, stock_lock
    from comptoir.retail.scope import store_ids

    with ctx.engine.connect() as conn:
        depot_ids = store_ids(conn, options.stores)
        zone = dossier_zone(conn)
        before = cutoff(ctx.moment.astimezone(zone).date(), options.keep_months)
        units = season_archive.months(conn, depot_ids, before, zone) if depot_ids else []
        left = season_archive.kept(conn, depot_ids, before) if depot_ids else 0
    output = TaskOutput()
    if options.dry_run:
        output.summary.append("Simulation : rien n'est écrit")
    path = ctx.work_dir / "archive.csv.gz"
    part = ctx.work_dir / "month.csv.gz.part"
    totals = season_archive.Counts()
    stores: set[int] = set()
    rows = 0
    for unit in units:
        try:
            with ctx.engine.begin() as conn:
                if options.dry_run:
                    done, _ = season_archive.count(conn, unit, zone)
                else:
                    stock_lock.acquire(conn)
                    done = season_archive.archive(conn, unit, zone, part, not path.exists(),
                                                  options, ctx.run_id, ctx.moment)
        except Exception as exc:
            part.unlink(missing_ok=True)
            if not totals.tickets:  # nothing done yet: the run fails as a whole
                raise
            # the months done stay done, and their archive is delivered
            output.error = (f"archiving {unit.store} {unit.month:%m/%Y} failed, the months "
                            f"after it are left as they are: {exc}")
            output.summary.append(f"Archivage interrompu : magasin {unit.store} "
                                  f"{unit.month:%m/%Y} en erreur")
            break
        if done.tickets and not options.dry_run:
            with path.open("ab") as target, part.open("rb") as source:
                shutil.copyfileobj(source, target)
            rows += done.rows
        part.unlink(missing_ok=True)
        if done.tickets:
            stores.add(unit.depot_id)
            totals.tickets += done.tickets
            totals.lines += done.lines
            totals.defectives += done.defectives
        ctx.log(f"{unit.store} {unit.month:%Y-%m}: {done.tickets} ticket(s), {done.lines} "
                "line(s)")
    output.summary += report(totals, len(stores), left, before, options.dry_run)
    if totals.defectives:
        output.warning = output.summary[-1]
    if path.exists():
        output.files.append(ProducedFile(path, None, rows))
    return output


def report(totals: Counts, stores: int, left: int, before: dt.date,
           dry_run: bool) -> list[str]:
    """The report's business lines."""
    kept = f"{plural(left, 'ticket conservé', 'tickets conservés')} {KEPT}"
    if not totals.tickets:
        return [f"Aucune vente à archiver avant le {before:%d/%m/%Y}"] + ([kept] if left else [])
    done = ("à archiver" if dry_run
            else "archivé" if totals.tickets == 1 else "archivés")
    lines = [f"Historique : {plural(totals.tickets, 'ticket', 'tickets')} "
             f"({plural(totals.lines, 'ligne', 'lignes')}) de "
             f"{plural(stores, 'magasin', 'magasins')} {done} avant le {before:%d/%m/%Y} ; "
             f"{kept}"]
    if totals.defectives:
        one = totals.defectives == 1
        what = plural(totals.defectives, "ligne défectueuse non sortie",
                      "lignes défectueuses non sorties")
        how = ("à archiver" if dry_run else "archivée telle quelle" if one
               else "archivées telles quelles")
        lines.append(f"{what} du stock (sans bon BDD/RFD) {how}")
    return lines


TASK_TYPE = TaskType(
    name="season_end",
    title="Travaux de fin de saison / historiques",
    category=Category.HISTORIQUES,
    description=(
        "Turns the tickets older than the retention (keep_months) into monthly sales "
        "history per store and article, writes their lines and payments to a gzip CSV "
        "archive and deletes them, store-month by store-month. Sales days stay."
    ),
    options=Options,
    run=run,
    default_filename="ventes-historique-{y}{m}{d}.csv.gz",
    check=check,
)
