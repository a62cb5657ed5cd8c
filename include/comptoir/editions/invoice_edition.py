"""`invoice_edition` ("Edition de factures"): the PDF invoices of a period
(spec/retail-tasks.md).

Sales documents of type `F` (and `A`, credit notes, when asked) dated in the period, in
number order, from the selected depots (any depot: web orders are on the central depot),
only those never printed with `only_new`. Each shows what the dossier stores: the lines
as they are, the VAT per rate from `sales_document_taxes` (what POS invoicing and the
accounting post; from the lines, rate by rate and rounded half up, for a document without
them), the totals of the document itself, its receivables (due dates, payments).

Four reads whatever the number of invoices (documents, their lines, their stored VAT,
their receivables), then one UPDATE: every document edited gets `printed_at` = the run's
moment, in the transaction that read it, once its file is written. A file that cannot be
written rolls the transaction back: no document is marked that no file holds (the runner
then drops the work folder, so nothing is delivered either).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.filenames import Store
from comptoir.editions.formats import check_extension, per_store
from comptoir.editions.periods import PeriodOptions, period_line
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext
    from comptoir.editions.invoice_sheet import Company, Invoice

__all__ = ["EXTENSIONS", "NOTHING", "Options", "TASK_TYPE", "UnsafeNumber", "check",
           "numbers_line", "read_invoices", "run"]

EXTENSIONS = {"single": ".pdf", "zip": ".zip"}
NOTHING = "Aucune facture sur la période"
LISTED = 20
"""Up to this many invoices, the report names each; beyond, the first … the last."""
NO_DEPOT = Store("SANS-DEPOT", "Sans dépôt")
"""The `{mag:...}` of documents without a depot (every depot selected)."""


class UnsafeNumber(ComptoirError):
    """A document number that cannot name a file in the ZIP."""


class Options(PeriodOptions):
    """Options of `invoice_edition`."""

    model_config = ConfigDict(extra="forbid")

    types: list[Literal["F", "A"]] = Field(
        default_factory=lambda: ["F"], min_length=1, title="Document types",
        description="F: invoices; A: credit notes (avoirs).",
        json_schema_extra={"section": "Scope", "values_display": {
            "F": "Invoices (F)", "A": "Credit notes (A)"}})
    depots: list[str] = Field(
        default_factory=list, title="Depots",
        description="The documents' depot codes (one per line), stores or not: web orders "
        "are on the central depot. Empty: every depot.",
        json_schema_extra={"section": "Scope"})
    only_new: bool = Field(
        default=False, title="Only new invoices",
        description="Only documents no edition has printed yet (printed_at empty).",
        json_schema_extra={"section": "Scope"})
    layout: Literal["single", "zip"] = Field(
        default="single", title="Layout",
        description="single: one PDF, each invoice on a new page with its bookmark (file "
        "name .pdf); zip: one ZIP holding <number>.pdf per invoice (file name .zip).",
        json_schema_extra={"section": "File",
                           "values_display": {"single": "Un PDF", "zip": "Un ZIP de PDF"}})


def check(options: BaseModel, filename: str | None) -> None:
    """The file name's extension follows the layout: `layout zip writes a .zip file`."""
    assert isinstance(options, Options)
    check_extension(options.layout, filename, EXTENSIONS[options.layout], option="layout")


def _in(column: Any, ids: list[int]) -> Any:
    """`column IN (ids…)`, the integers written into the statement: one statement for any
    number of documents, past the drivers' limits on bound parameters."""
    from sqlalchemy import bindparam

    return column.in_(bindparam(f"ids_{column.table.name}", ids, expanding=True,
                                literal_execute=True))


def _scope(conn: Connection, options: Options, first: date, last: date) -> list[Any]:
    """The documents' conditions but `only_new`; unknown depot codes fail here."""
    from comptoir.backoffice.schema import depots as dp
    from comptoir.backoffice.schema import sales_documents as d
    from comptoir.retail.scope import code_ids

    where = [d.c.type.in_(sorted(set(options.types))), d.c.date >= first, d.c.date <= last]
    if options.depots:
        ids = code_ids(conn, dp, options.depots, "depots", "depot")
        where.append(d.c.depot_id.in_(sorted(ids.values())))
    return where


def _documents(conn: Connection, options: Options, first: date, last: date) -> list[Any]:
    from sqlalchemy import select

    from comptoir.backoffice.schema import customers as c
    from comptoir.backoffice.schema import depots as dp
    from comptoir.backoffice.schema import sales_documents as d

    query = (select(d.c.id, d.c.number, d.c.type, d.c.date, d.c.reference,
                    d.c.total_excl_tax, d.c.total_tax, d.c.total_incl_tax,
                    dp.c.code.label("depot_code"), dp.c.name.label("depot_name"),
                    c.c.code.label("customer_code"), c.c.name.label("customer_name"),
                    c.c.address1, c.c.address2, c.c.postcode, c.c.city, c.c.country)
             .select_from(d.join(c, c.c.id == d.c.customer_id)
                          .outerjoin(dp, dp.c.id == d.c.depot_id))
             .where(*_scope(conn, options, first, last))
             .order_by(d.c.number))
    if options.only_new:
        query = query.where(d.c.printed_at.is_(None))
    return list(conn.execute(query))


def _customer_lines(row: Any) -> list[str]:
    place = " ".join(part for part in (row.postcode, row.city) if part)
    country = row.country if row.country and row.country.upper() != "FR" else ""
    return [row.customer_name, row.address1 or "", row.address2 or "", place, country]


def read_invoices(conn: Connection, options: Options, first: date,
                  last: date) -> list[Invoice]:
    """The documents of the period with their lines, VAT per rate and receivables."""
    from sqlalchemy import func, select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import payment_modes as pm
    from comptoir.backoffice.schema import receivables as r
    from comptoir.backoffice.schema import sales_document_lines as ln
    from comptoir.backoffice.schema import sales_document_taxes as tx
    from comptoir.backoffice.schema import vat_codes as v
    from comptoir.editions.invoice_sheet import Due, Invoice, Line, VatRow

    invoices = {row.id: Invoice(
        row.id, row.number, row.type, row.date, row.reference or "", row.customer_code,
        _customer_lines(row), row.depot_code, row.depot_name, row.total_excl_tax,
        row.total_tax, row.total_incl_tax) for row in _documents(conn, options, first, last)}
    ids = sorted(invoices)
    if not ids:
        return []
    for row in conn.execute(
            select(ln.c.document_id, a.c.code, func.coalesce(ln.c.description, a.c.name),
                   ln.c.quantity, ln.c.unit_price, ln.c.discount, v.c.rate,
                   ln.c.total_excl_tax)
            .select_from(ln.outerjoin(a, a.c.id == ln.c.article_id)
                         .outerjoin(v, v.c.id == ln.c.vat_code_id))
            .where(_in(ln.c.document_id, ids))
            .order_by(ln.c.document_id, ln.c.line_no, ln.c.id)):
        invoices[row[0]].lines.append(Line(row[1] or "", row[2] or "", *row[3:]))
    stored: dict[int, dict[Decimal, list[Decimal]]] = defaultdict(dict)
    for doc_id, rate, base, tax in conn.execute(
            select(tx.c.document_id, tx.c.rate, tx.c.base_excl_tax, tx.c.tax)
            .where(_in(tx.c.document_id, ids))):
        pair = stored[doc_id].setdefault(rate.normalize(), [Decimal(0), Decimal(0)])
        pair[0] += base
        pair[1] += tax
    for invoice in invoices.values():
        rates = stored.get(invoice.id) or _vat_of_lines(invoice.lines)
        invoice.vat = [VatRow(rate, base, tax) for rate, (base, tax) in sorted(rates.items())]
    for row in conn.execute(
            select(r.c.document_id, r.c.kind, r.c.due_date, r.c.amount,
                   func.coalesce(pm.c.name, "").label("mode"), r.c.state)
            .select_from(r.outerjoin(pm, pm.c.id == r.c.payment_mode_id))
            .where(_in(r.c.document_id, ids), r.c.kind.in_(("due", "payment")))
            .order_by(r.c.document_id, r.c.due_date, r.c.id)):
        invoices[row.document_id].dues.append(Due(row.kind, row.due_date, row.amount,
                                                  row.mode, row.state))
    return sorted(invoices.values(), key=lambda invoice: invoice.number)


def _vat_of_lines(lines: list[Any]) -> dict[Decimal, list[Decimal]]:
    """Rate → [Σ lines' totals excl. VAT, the VAT of that sum rounded half up]."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[(line.rate or Decimal(0)).normalize()] += line.total_excl_tax or Decimal(0)
    return {rate: [base, (base * rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)]
            for rate, base in bases.items()}


def _company(conn: Connection) -> Company:
    from comptoir.backoffice.settings import get_setting
    from comptoir.editions.invoice_sheet import Company

    keys = ("name", "address", "postcode", "city", "siret", "vat_number")
    values = [get_setting(conn, f"company_{key}") or "" for key in keys]
    return Company(*values, footer=get_setting(conn, "invoice_footer") or "")


def numbers_line(numbers: list[str]) -> str:
    """`3 factures éditées : FA…, FA…, AV…` (every number up to 20, else first … last)."""
    from comptoir.retail.report_text import plural

    count = plural(len(numbers), "facture éditée", "factures éditées")
    listed = (", ".join(numbers) if len(numbers) <= LISTED
              else f"{numbers[0]} … {numbers[-1]}")
    return f"{count} : {listed}"


def zip_names(invoices: list[Invoice]) -> list[str]:
    """`<number>.pdf` for each invoice; `UnsafeNumber` for a number that is not a plain
    file name (a `/`, a leading dot, a control character…)."""
    from comptoir.exchange.errors import UnsafeFileName
    from comptoir.exchange.names import check_name

    names = []
    for invoice in invoices:
        try:
            names.append(check_name(f"{invoice.number}.pdf"))
        except UnsafeFileName as exc:
            raise UnsafeNumber(f"document number {invoice.number!r} cannot name a file in "
                               f"the ZIP ({exc}); use layout single") from None
    return names


def _groups(invoices: list[Invoice], filename: str | None,
            moment: datetime) -> list[tuple[Store | None, list[Invoice]]]:
    """One group per depot (`{mag:...}`), else one group of all. Depots whose files would
    get the same name (two depots of one name under `{mag:name}`) share one file: every
    name is known, and checked, before anything is marked printed."""
    from comptoir.automation.filenames import render

    if not filename or not per_store(filename):
        return [(None, invoices)]
    by_name: dict[str, tuple[Store, list[Invoice]]] = {}
    for invoice in invoices:
        store = (Store(invoice.depot_code, invoice.depot_name or "")
                 if invoice.depot_code else NO_DEPOT)
        by_name.setdefault(render(filename, moment, store), (store, []))[1].append(invoice)
    return [by_name[name] for name in sorted(by_name)]


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Print the invoices of the period and mark them printed."""
    from sqlalchemy import func, select, update

    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.schema import sales_documents as d
    from comptoir.editions.invoice_sheet import write_invoices, write_zip
    from comptoir.retail.report_text import plural

    check(options, ctx.filename)  # a manual run's layout against the definition's name
    output = TaskOutput()
    with ctx.engine.begin() as conn:
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        first, last = options.bounds(run_date)
        output.summary.append(period_line(first, last))
        invoices = read_invoices(conn, options, first, last)
        if not invoices:
            output.summary.append(NOTHING)
            if options.only_new:
                done = conn.execute(
                    select(func.count()).select_from(d)
                    .where(*_scope(conn, options, first, last),
                           d.c.printed_at.is_not(None))).scalar_one()
                if done:
                    again = "non rééditées" if done > 1 else "non rééditée"
                    output.summary.append(
                        plural(done, "facture de la période déjà éditée",
                               "factures de la période déjà éditées") + f", {again} (only_new)")
            return output
        names = zip_names(invoices) if options.layout == "zip" else []
        company = _company(conn)
        for index, (store, group) in enumerate(_groups(invoices, ctx.filename, ctx.moment)):
            path = ctx.work_dir / f"factures-{index}{EXTENSIONS[options.layout]}"
            if options.layout == "zip":
                own = {invoice.id for invoice in group}
                write_zip(path, company, group, ctx.moment,
                          [n for n, i in zip(names, invoices, strict=True) if i.id in own])
            else:
                write_invoices(path, company, group)
            output.files.append(ProducedFile(path, store, len(group)))
        conn.execute(update(d).where(_in(d.c.id, [invoice.id for invoice in invoices]))
                     .values(printed_at=ctx.moment))
    output.summary.append(numbers_line([invoice.number for invoice in invoices]))
    ctx.log(f"{len(invoices)} document(s) printed in {len(output.files)} file(s)")
    return output


TASK_TYPE = TaskType(
    name="invoice_edition",
    title="Edition de factures",
    category=Category.EDITIONS,
    description=(
        "Prints the invoices (and credit notes, if asked) dated in the period, in number "
        "order: one PDF with a page and a bookmark per invoice, or a ZIP of one PDF per "
        "invoice. Each printed document gets its printed date; only_new leaves out those "
        "already printed. With {mag:code} or {mag:name} in the file name, one file per "
        "depot."
    ),
    options=Options,
    run=run,
    default_filename="factures-{y}{m}{d}.pdf",
    check=check,
)
