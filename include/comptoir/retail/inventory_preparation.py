"""`inventory_preparation` ("Préparation d'inventaires"): freeze the expected quantities
of a count per depot and write the count sheet (spec/retail-tasks.md).

Per selected depot: one `inventories` row (`INV<year>-NNNNNN`, status `prepared`, date =
run date) and its `inventory_lines`: every stock record of an active article (at zero too
with `include_zero`), one line per lot not at zero for a lot-managed article (one line
without lot when it has none), sorted by family, sub-family, article, lot codes; the
record's quantity (or the lot's) and WAC are frozen. A depot whose last inventory is still
`prepared` has it refreshed (same number, lines replaced, date = run date). A depot with
nothing to count gets no inventory. One transaction; the lines are one INSERT … SELECT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import Store, uses_store
from comptoir.editions.formats import check_extension
from comptoir.retail.csv_options import CsvOptions, write_csv

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Connection, Select

    from comptoir.automation.catalog import RunContext

COLUMNS = ("inventory", "depot", "family", "sub_family", "article", "name", "unit", "lot",
           "expected_quantity", "counted_quantity")
NOTHING = "Aucun article à inventorier : pas de fichier"


class Options(CsvOptions):
    """Options of `inventory_preparation`."""

    model_config = ConfigDict(extra="forbid")

    depots: list[str] = Field(
        default_factory=list, title="Depots",
        description="Depot codes counted (one per line), stores or not. Empty: every depot.",
        json_schema_extra={"section": "Scope"})
    families: list[str] = Field(
        default_factory=list, title="Families",
        description="Only the articles of these families (codes). Empty: every article.",
        json_schema_extra={"section": "Scope"})
    include_zero: bool = Field(
        default=True, title="Records at zero",
        description="Count the stock records (and articles) at zero too.",
        json_schema_extra={"section": "Scope"})
    blind: bool = Field(
        default=True, title="Blind count",
        description="Hide the expected quantities on the sheet (they are frozen in the "
        "dossier all the same).",
        json_schema_extra={"section": "Sheet"})
    format: Literal["pdf", "csv"] = Field(
        default="pdf", title="Format",
        description="pdf: the printable count sheet; csv: the lines for a terminal or a "
        "spreadsheet. The file name's extension must match.",
        json_schema_extra={"section": "Sheet"})


def check(options: BaseModel, filename: str | None) -> None:
    """The file name's extension follows the format."""
    assert isinstance(options, Options)
    check_extension(options.format, filename)


@dataclass
class Prepared:
    """One depot's inventory after the run."""

    inventory_id: int
    number: str
    depot_id: int
    store: Store
    lines: int
    refreshed: bool


def sources(depot_ids: list[int], family_ids: list[int] | None,
            include_zero: bool) -> Select[Any]:
    """The lines to freeze: depot, article, lot, expected quantity, wac, and the sort key."""
    from sqlalchemy import and_, case, func, select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import families as f
    from comptoir.backoffice.schema import lots as lt
    from comptoir.backoffice.schema import stock_records as s
    from comptoir.backoffice.schema import sub_families as sf

    expected = func.coalesce(lt.c.quantity, s.c.quantity)
    order = (case((f.c.code.is_(None), 1), else_=0), f.c.code,
             case((sf.c.code.is_(None), 1), else_=0), sf.c.code, a.c.code,
             func.coalesce(lt.c.number, ""))
    query = (select(s.c.depot_id, s.c.article_id, lt.c.number.label("lot_number"),
                    expected.label("expected_quantity"), s.c.wac,
                    func.row_number().over(partition_by=s.c.depot_id, order_by=order)
                    .label("line_no"))
             .select_from(s.join(a, a.c.id == s.c.article_id)
                          .outerjoin(f, f.c.id == a.c.family_id)
                          .outerjoin(sf, sf.c.id == a.c.sub_family_id)
                          .outerjoin(lt, and_(a.c.lot_managed.is_(True),
                                              lt.c.article_id == s.c.article_id,
                                              lt.c.depot_id == s.c.depot_id,
                                              lt.c.quantity != 0)))
             .where(a.c.active.is_(True), s.c.depot_id.in_(depot_ids)))
    if family_ids is not None:
        query = query.where(a.c.family_id.in_(family_ids))
    if not include_zero:
        query = query.where(expected != 0)
    return query


def prepare(conn: Connection, options: Options, run_id: str, run_date: date,
            moment: datetime) -> list[Prepared]:
    """Create or refresh the inventories of the selected depots; one per depot counted."""
    from sqlalchemy import delete, func, insert, literal, select, update

    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import families as f
    from comptoir.backoffice.schema import inventories as inv
    from comptoir.backoffice.schema import inventory_lines as il
    from comptoir.retail import numbering
    from comptoir.retail.scope import code_ids

    depot_ids = sorted(code_ids(conn, d, options.depots, "depots", "depot").values())
    family_ids = (sorted(code_ids(conn, f, options.families, "families", "family").values())
                  if options.families else None)
    source = sources(depot_ids, family_ids, options.include_zero).subquery("source")
    counts = dict(conn.execute(select(source.c.depot_id, func.count())
                               .group_by(source.c.depot_id)).all())
    stores = {r.id: Store(r.code, r.name) for r in conn.execute(
        select(d.c.id, d.c.code, d.c.name).where(d.c.id.in_(list(counts))))}
    last = (select(inv.c.depot_id, func.max(inv.c.id).label("id"))
            .where(inv.c.depot_id.in_(list(counts))).group_by(inv.c.depot_id).subquery())
    open_ones = {r.depot_id: (r.id, r.number) for r in conn.execute(
        select(inv.c.depot_id, inv.c.id, inv.c.number).join(last, last.c.id == inv.c.id)
        .where(inv.c.status == "prepared"))}
    ordered = sorted(counts, key=lambda depot: stores[depot].code)
    new = [depot for depot in ordered if depot not in open_ones]
    numbers = dict(zip(new, numbering.reserve(conn, "INV", run_date.year, len(new)),
                       strict=True))
    prepared: list[Prepared] = []
    for depot in ordered:
        if depot in open_ones:
            inventory_id, number = open_ones[depot]
            conn.execute(update(inv).where(inv.c.id == inventory_id).values(
                date=run_date, blind=options.blind, created_by_run=run_id,
                updated_at=moment))
        else:
            number = numbers[depot]
            inventory_id = conn.execute(insert(inv).values(
                number=number, depot_id=depot, date=run_date, status="prepared",
                blind=options.blind, created_by_run=run_id, created_at=moment,
                updated_at=moment).returning(inv.c.id)).scalar_one()
        prepared.append(Prepared(inventory_id, number, depot, stores[depot], counts[depot],
                                 depot in open_ones))
    ids = [p.inventory_id for p in prepared]
    if ids:
        conn.execute(delete(il).where(il.c.inventory_id.in_(ids)))
        target = (select(inv.c.id, source.c.line_no, source.c.article_id,
                         source.c.lot_number, source.c.expected_quantity, source.c.wac,
                         literal(None).label("counted_quantity"))
                  .join(source, source.c.depot_id == inv.c.depot_id)
                  .where(inv.c.id.in_(ids)))
        conn.execute(insert(il).from_select(
            ["inventory_id", "line_no", "article_id", "lot_number", "expected_quantity",
             "wac", "counted_quantity"], target))
        written = dict(conn.execute(select(il.c.inventory_id, func.count())
                                    .where(il.c.inventory_id.in_(ids))
                                    .group_by(il.c.inventory_id)).all())
        for p in prepared:  # what was written, even if the stock moved since the count
            p.lines = written.get(p.inventory_id, 0)
    return prepared


def sheet_rows(conn: Connection, prepared: list[Prepared], blind: bool) -> list[tuple]:
    """The CSV rows of the inventories, in depot then line order (`COLUMNS`)."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import families as f
    from comptoir.backoffice.schema import inventories as inv
    from comptoir.backoffice.schema import inventory_lines as il
    from comptoir.backoffice.schema import sub_families as sf

    query = (select(inv.c.number, d.c.code.label("depot"), f.c.code.label("family"),
                    sf.c.code.label("sub_family"), a.c.code.label("article"), a.c.name,
                    a.c.unit, il.c.lot_number, il.c.expected_quantity)
             .select_from(il.join(inv, inv.c.id == il.c.inventory_id)
                          .join(d, d.c.id == inv.c.depot_id)
                          .join(a, a.c.id == il.c.article_id)
                          .outerjoin(f, f.c.id == a.c.family_id)
                          .outerjoin(sf, sf.c.id == a.c.sub_family_id))
             .where(inv.c.id.in_([p.inventory_id for p in prepared]))
             .order_by(d.c.code, il.c.line_no))
    return [(*row[:8], None if blind else row.expected_quantity.normalize(), None)
            for row in conn.execute(query)]


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Prepare the inventories and write their count sheets."""
    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.settings import get_setting
    from comptoir.retail.inventory_sheet import write_sheet

    output = TaskOutput()
    with ctx.engine.begin() as conn:
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        prepared = prepare(conn, options, ctx.run_id, run_date, ctx.moment)
        rows = sheet_rows(conn, prepared, options.blind) if prepared else []
        company = get_setting(conn, "company_name") or ""
    for p in prepared:
        verb = "mis à jour" if p.refreshed else "préparé"
        lines = "1 ligne" if p.lines == 1 else f"{p.lines} lignes"
        output.summary.append(f"Inventaire {p.number} {verb} : dépôt {p.store.code} "
                              f"{p.store.name}, {lines}")
    if not prepared:
        output.summary.append(NOTHING)
        return output
    per_depot = bool(ctx.filename and uses_store(ctx.filename))
    groups = ([[p] for p in prepared] if per_depot else [prepared])
    for index, group in enumerate(groups):
        numbers = {p.number for p in group}
        part = [row for row in rows if row[0] in numbers]
        path = ctx.work_dir / f"inventaire-{index}.{options.format}"
        if options.format == "csv":
            write_csv(path, COLUMNS, part, options)
        else:
            write_sheet(path, company, group, part, run_date, options.blind)
        output.files.append(ProducedFile(path, group[0].store if per_depot else None,
                                         len(part)))
    ctx.log(f"{len(prepared)} inventory(ies) prepared, {len(rows)} line(s)")
    return output


TASK_TYPE = TaskType(
    name="inventory_preparation",
    title="Préparation d'inventaires",
    category=Category.AUTRES,
    description=(
        "Prepares a count per depot: freezes the expected quantities and costs of every "
        "stock record (one line per lot) in an INV inventory, and writes the count sheet "
        "(PDF, or CSV for a terminal). A depot whose inventory is still prepared has it "
        "refreshed. With {mag:code} or {mag:name} in the file name, one file per depot."
    ),
    options=Options,
    run=run,
    default_filename="inventaire-{y}{m}{d}.pdf",
    check=check,
)
