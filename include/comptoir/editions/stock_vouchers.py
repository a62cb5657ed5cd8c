"""`stock_vouchers` ("Générer des bons de mouvement de stock"): one voucher per stock
movement of a period (spec/retail-tasks.md) — transfers to go with the goods,
adjustments, BDD/RFD, kit splits, AV — as a PDF to print and sign, or as CSV.

A movement is selected by its date (`period`), its kind (`kinds`; empty: every kind but
`sale` and `initial`), its depot or target depot (`depots`) and, by default, validated
only; a movement without lines has nothing to print. One query reads the selected
movements (the report's counts, the vouchers' headers), one streamed query their lines in
the files' order (date, number, line; the movement's depot first with `{mag:code}`, one
file per depot).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import Store
from comptoir.editions.formats import check_extension, per_store
from comptoir.editions.periods import PeriodOptions, period_line
from comptoir.retail.csv_options import CsvOptions

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import ColumnElement, Connection, Select

    from comptoir.automation.catalog import RunContext

__all__ = ["COLUMNS", "KINDS", "Options", "TASK_TYPE", "Voucher", "count_line", "run"]

Kind = Literal["initial", "sale", "return", "adjustment", "transfer", "defective_destruction",
               "supplier_return", "sales_adjustment", "kit_split"]
"""The kinds of `stock_movements` (its check constraint)."""

KINDS: dict[str, tuple[str, str]] = {
    "transfer": ("transfert", "transferts"),
    "adjustment": ("ajustement", "ajustements"),
    "sales_adjustment": ("ajustement de ventes", "ajustements de ventes"),
    "kit_split": ("éclatement de kit", "éclatements de kits"),
    "defective_destruction": ("destruction de défectueux", "destructions de défectueux"),
    "supplier_return": ("retour fournisseur", "retours fournisseur"),
    "return": ("retour client", "retours clients"),
    "sale": ("vente", "ventes"),
    "initial": ("stock initial", "stocks initiaux"),
}
"""Kind → French label (singular, plural); the report lists kinds in this order at equal
counts."""
assert set(KINDS) == set(get_args(Kind))

NOT_BY_DEFAULT = ("sale", "initial")
COLUMNS = ("number", "kind", "date", "depot", "target_depot", "supplier", "reference",
           "validated", "line_no", "article", "article_name", "lot", "quantity",
           "unit_cost", "value")
NOTHING = "Aucun mouvement de stock à imprimer sur la période : pas de fichier"
COST = Decimal("0.0001")
CENT = Decimal("0.01")
CHUNK = 5_000


class Options(PeriodOptions, CsvOptions):
    """Options of `stock_vouchers`."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[Kind] = Field(
        default_factory=list, title="Movement kinds",
        description="Only the movements of these kinds. Empty: every kind but sale (the "
        "sales days' VT) and initial.",
        json_schema_extra={"section": "Scope", "examples": list(KINDS),
                           "values_display": {k: f"{v[0].capitalize()} ({k})"
                                              for k, v in KINDS.items()}})
    depots: list[str] = Field(
        default_factory=list, title="Depots",
        description="Depot codes (one per line): the movements whose depot or target depot "
        "is one of them. Empty: every depot.",
        json_schema_extra={"section": "Scope"})
    validated_only: bool = Field(
        default=True, title="Validated only",
        description="Leave out the movements not validated yet.",
        json_schema_extra={"section": "Scope"})
    format: Literal["pdf", "csv"] = Field(
        default="pdf", title="Format",
        description="pdf: the vouchers to print and sign, one per page or more; csv: one "
        "row per movement line. The file name's extension must match.",
        json_schema_extra={"section": "File"})

    def selected_kinds(self) -> list[str]:
        """The kinds printed: those named, else every kind but `sale` and `initial`."""
        return list(self.kinds) or [k for k in get_args(Kind) if k not in NOT_BY_DEFAULT]


def check(options: BaseModel, filename: str | None) -> None:
    """The file name's extension follows the format (`{mag:...}`: one file per depot)."""
    assert isinstance(options, Options)
    check_extension(options.format, filename)


@dataclass(frozen=True)
class Voucher:
    """The header of one movement's voucher."""

    number: str
    kind: str
    date: dt.date
    depot: Store
    target: Store | None
    supplier: Store | None
    reference: str | None
    validated: bool


def _where(options: Options, first: dt.date, last: dt.date,
           depot_ids: list[int] | None) -> list[ColumnElement[bool]]:
    from sqlalchemy import or_, select

    from comptoir.backoffice.schema import stock_movement_lines as ml
    from comptoir.backoffice.schema import stock_movements as m

    where = [m.c.date.between(first, last), m.c.kind.in_(options.selected_kinds()),
             select(ml.c.id).where(ml.c.movement_id == m.c.id).correlate(m)
             .exists()]  # no goods, no voucher
    if options.validated_only:
        where.append(m.c.validated.is_(True))
    if depot_ids is not None:
        where.append(or_(m.c.depot_id.in_(depot_ids), m.c.target_depot_id.in_(depot_ids)))
    return where


def _tables() -> tuple[Any, ...]:
    from comptoir.backoffice.schema import depots, stock_movements, suppliers

    source, target = depots.alias("source"), depots.alias("target")
    joined = (stock_movements.join(source, source.c.id == stock_movements.c.depot_id)
              .outerjoin(target, target.c.id == stock_movements.c.target_depot_id)
              .outerjoin(suppliers, suppliers.c.id == stock_movements.c.supplier_id))
    return stock_movements, source, target, suppliers, joined


def vouchers(conn: Connection, where: list[ColumnElement[bool]],
             by_depot: bool) -> list[Voucher]:
    """The selected movements in the files' order (depot first when `by_depot`)."""
    from sqlalchemy import select

    m, source, target, supplier, joined = _tables()
    query = (select(m.c.number, m.c.kind, m.c.date, m.c.reference, m.c.validated,
                    source.c.code.label("depot"), source.c.name.label("depot_name"),
                    target.c.code.label("target"), target.c.name.label("target_name"),
                    supplier.c.code.label("supplier"), supplier.c.name.label("supplier_name"))
             .select_from(joined).where(*where)
             .order_by(*([source.c.code] if by_depot else []), m.c.date, m.c.number))
    return [Voucher(r.number, r.kind, r.date, Store(r.depot, r.depot_name),
                    Store(r.target, r.target_name) if r.target else None,
                    Store(r.supplier, r.supplier_name) if r.supplier else None,
                    r.reference, bool(r.validated))
            for r in conn.execute(query)]


def lines_query(where: list[ColumnElement[bool]], by_depot: bool) -> Select[Any]:
    """The lines of the selected movements as CSV rows (`COLUMNS`), streamed, in the
    files' order."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import stock_movement_lines as ml

    m, source, target, supplier, joined = _tables()
    return (select(m.c.number, m.c.kind, m.c.date, source.c.code.label("depot"),
                   target.c.code.label("target_depot"), supplier.c.code.label("supplier"),
                   m.c.reference, m.c.validated, ml.c.line_no, a.c.code.label("article"),
                   a.c.name.label("article_name"), ml.c.lot_number.label("lot"),
                   ml.c.quantity, ml.c.unit_cost, ml.c.value)
            .select_from(joined.join(ml, ml.c.movement_id == m.c.id)
                         .join(a, a.c.id == ml.c.article_id))
            .where(*where)
            .order_by(*([source.c.code] if by_depot else []), m.c.date, m.c.number,
                      ml.c.line_no)
            .execution_options(yield_per=CHUNK))


def _decimal(value: Any, step: Decimal | None = None) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(value)
    if step is None:
        from comptoir.retail.report_text import trim

        return trim(number)
    return number.quantize(step, ROUND_HALF_UP)


def csv_row(row: Any) -> tuple[Any, ...]:
    """A line as written: quantities as they need, unit costs to 4 decimals, values to
    the cent, `validated` as 1/0."""
    return (row.number, row.kind, row.date, row.depot, row.target_depot, row.supplier,
            row.reference, bool(row.validated), row.line_no, row.article, row.article_name,
            row.lot, _decimal(row.quantity), _decimal(row.unit_cost, COST),
            _decimal(row.value, CENT))


def count_line(selected: Iterable[Voucher]) -> str:
    """`5 bons de mouvement : 3 transferts, 2 ajustements` (most frequent kind first)."""
    from comptoir.retail.report_text import plural

    counts = Counter(v.kind for v in selected)
    order = list(KINDS)
    kinds = sorted(counts, key=lambda k: (-counts[k], order.index(k)))
    total = sum(counts.values())
    return (plural(total, "bon de mouvement", "bons de mouvement") + " : "
            + ", ".join(plural(counts[k], *KINDS[k]) for k in kinds))


def _groups(rows: Iterator[Any], by_depot: bool) -> Iterator[tuple[str | None, Iterator[Any]]]:
    return itertools.groupby(rows, key=lambda r: r.depot if by_depot else None)


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Select the movements and write their vouchers (PDF) or lines (CSV)."""
    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.schema import depots
    from comptoir.backoffice.settings import get_setting
    from comptoir.retail.scope import code_ids

    output = TaskOutput()
    by_depot = per_store(ctx.filename)
    with ctx.engine.connect() as conn:
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        first, last = options.bounds(run_date)
        depot_ids = (sorted(code_ids(conn, depots, options.depots, "depots", "depot").values())
                     if options.depots else None)
        where = _where(options, first, last, depot_ids)
        selected = vouchers(conn, where, by_depot)
        output.summary.append(period_line(first, last))
        if not selected:
            output.summary.append(NOTHING)
            return output
        output.summary.append(count_line(selected))
        stores = {v.depot.code: v.depot for v in selected}
        rows = conn.execute(lines_query(where, by_depot))
        if options.format == "csv":
            output.files = _write_csv(ctx, options, rows, by_depot, stores)
        else:
            company = get_setting(conn, "company_name") or ""
            output.files = _write_pdf(ctx, company, selected, rows, by_depot)
    ctx.log(f"{len(selected)} voucher(s), {len(output.files)} file(s)")
    return output


def _write_csv(ctx: RunContext, options: Options, rows: Iterator[Any], by_depot: bool,
               stores: dict[str, Store]) -> list[ProducedFile]:
    from comptoir.retail.csv_options import write_csv_to

    files: list[ProducedFile] = []
    for depot, group in _groups(rows, by_depot):
        path = ctx.work_dir / f"bons-mouvement-{len(files)}.csv"
        with open(path, "w", encoding=options.encoding, newline="") as handle:
            count = write_csv_to(handle, COLUMNS, (csv_row(r) for r in group), options)
        files.append(ProducedFile(path, stores[depot] if depot else None, count))
    return files


def _write_pdf(ctx: RunContext, company: str, selected: list[Voucher], rows: Iterator[Any],
               by_depot: bool) -> list[ProducedFile]:
    from comptoir.editions.voucher_pdf import write_vouchers

    lines: dict[str, list[Any]] = {}
    for row in rows:
        lines.setdefault(row.number, []).append(row)
    files: list[ProducedFile] = []
    groups = ([list(g) for _, g in itertools.groupby(selected, key=lambda v: v.depot.code)]
              if by_depot else [selected])
    for group in groups:
        path = ctx.work_dir / f"bons-mouvement-{len(files)}.pdf"
        write_vouchers(path, company, [(v, lines.get(v.number, [])) for v in group])
        count = sum(len(lines.get(v.number, [])) for v in group)
        files.append(ProducedFile(path, group[0].depot if by_depot else None, count))
    return files


TASK_TYPE = TaskType(
    name="stock_vouchers",
    title="Générer des bons de mouvement de stock",
    category=Category.EDITIONS,
    description=(
        "Prints the vouchers of the stock movements of a period: transfers to go with the "
        "goods, adjustments, destructions and returns of defectives, kit splits, sales "
        "adjustments. One voucher per movement (number, kind, date, depot, target depot or "
        "supplier, reference, lines with lot, quantity, unit cost and value, total, "
        "signature boxes) as PDF, or one row per line as CSV. With {mag:code} or "
        "{mag:name} in the file name, one file per movement's depot."
    ),
    options=Options,
    run=run,
    default_filename="bons-mouvement-{y}{m}{d}.pdf",
    check=check,
)
