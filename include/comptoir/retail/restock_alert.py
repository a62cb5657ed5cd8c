"""`restock_alert` ("Réapprovisionnement par stock d'alerte"): draft purchase orders for the
stock records under their alert threshold (spec/retail-tasks.md).

Per stock record with `alert_threshold` > 0 of an active article in the selected depots:
projected = quantity + what the open purchase orders (draft, confirmed, pending) of that
depot still bring for the article (ordered − received, never below zero per line). The
drafts this task created (`origin = restock_alert:<task id>`, still `draft`) always count,
even with `include_open_orders` off, so a second run orders nothing more. When projected
< alert, the need is target − projected rounded up to a whole unit (target: the record's
`target_quantity`, else `alert_threshold × target_factor`). The supplier is the article's,
else the setting `default_supplier`; a record without one is skipped and counted (the run
then has the level `warning`).

Per (supplier, depot), the lines go on this task's oldest draft for them (an article
already there has its quantity raised), else on a new draft `CF<year>-NNNNNN` (date = run
date; numbered in the report's order: supplier code, depot code).
One transaction under the dossier's stock lock; a few set-based statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.errors import ComptoirError
from comptoir.retail.scope import code_ids

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext

REFERENCE = "Réapprovisionnement stock d'alerte"
OPEN = ("draft", "confirmed", "pending")
NOTHING = "Aucun article sous son stock d'alerte"


class RestockError(ComptoirError):
    """The run cannot start as asked (an unknown depot or supplier)."""


class Options(BaseModel):
    """Options of `restock_alert`."""

    model_config = ConfigDict(extra="forbid")

    depots: list[str] = Field(
        default_factory=list, title="Depots",
        description="Depot codes replenished (one per line). Empty: every depot.",
        json_schema_extra={"section": "Scope"})
    suppliers: list[str] = Field(
        default_factory=list, title="Suppliers",
        description="Only the articles of these suppliers (codes, one per line). Empty: "
        "every supplier.",
        json_schema_extra={"section": "Scope"})
    target_factor: Decimal = Field(
        default=Decimal(2), ge=1, title="Target factor",
        description="Target of a record without a target quantity: its alert threshold "
        "times this factor.",
        json_schema_extra={"section": "Quantities"})
    include_open_orders: bool = Field(
        default=True, title="Count open orders",
        description="Count what the open purchase orders still bring in the projected "
        "stock (this task's own drafts always count).",
        json_schema_extra={"section": "Quantities"})


def origin(task_id: str) -> str:
    """The `purchase_orders.origin` of the drafts of a task."""
    return f"restock_alert:{task_id}"


def default_supplier(conn: Connection) -> int | None:
    """The id of the supplier named by the setting `default_supplier` (None: not set)."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import suppliers
    from comptoir.backoffice.settings import get_setting

    code = get_setting(conn, "default_supplier")
    if not code:
        return None
    found = conn.execute(select(suppliers.c.id).where(suppliers.c.code == code)
                         ).scalar_one_or_none()
    if found is None:
        raise RestockError(f"the default_supplier setting names {code}, which is not a "
                           "supplier")
    return found


def whole(value: Decimal) -> Decimal:
    """`value` rounded up to a whole unit."""
    return value.to_integral_value(rounding=ROUND_CEILING)


@dataclass
class Need:
    article_id: int
    name: str
    price: Decimal | None
    quantity: Decimal


@dataclass
class Group:
    supplier_id: int
    depot_id: int
    needs: list[Need] = field(default_factory=list)


def needs(conn: Connection, task_id: str, options: Options, depots: list[int] | None,
          suppliers: list[int] | None, fallback: int | None) -> tuple[list[Group], int]:
    """The needs grouped per (supplier, depot), and how many records have no supplier."""
    from sqlalchemy import case, func, or_, select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import purchase_order_lines as pol
    from comptoir.backoffice.schema import purchase_orders as po
    from comptoir.backoffice.schema import stock_records as s

    remaining = case((pol.c.quantity > pol.c.received_quantity,
                      pol.c.quantity - pol.c.received_quantity), else_=0)
    counted = (po.c.status.in_(OPEN) if options.include_open_orders
               else (po.c.status == "draft") & (po.c.origin == origin(task_id)))
    incoming = (select(po.c.depot_id, pol.c.article_id,
                       func.sum(remaining).label("incoming"))
                .join(po, po.c.id == pol.c.order_id)
                .where(counted, pol.c.article_id.is_not(None), po.c.depot_id.is_not(None))
                .group_by(po.c.depot_id, pol.c.article_id)
                .subquery("incoming"))
    query = (select(s.c.article_id, s.c.depot_id, s.c.quantity, s.c.alert_threshold,
                    s.c.target_quantity, a.c.name, a.c.purchase_price, a.c.supplier_id,
                    func.coalesce(incoming.c.incoming, 0).label("incoming"))
             .join(a, a.c.id == s.c.article_id)
             .outerjoin(incoming, (incoming.c.depot_id == s.c.depot_id)
                        & (incoming.c.article_id == s.c.article_id))
             .where(a.c.active.is_(True), s.c.alert_threshold > 0)
             .order_by(s.c.depot_id, a.c.code))
    if depots is not None:
        query = query.where(s.c.depot_id.in_(depots))
    if suppliers is not None:
        effective = a.c.supplier_id.in_(suppliers)
        if fallback in suppliers:
            effective = or_(effective, a.c.supplier_id.is_(None))
        query = query.where(effective)
    groups: dict[tuple[int, int], Group] = {}
    orphans = 0
    for row in conn.execute(query):
        alert = Decimal(row.alert_threshold)
        projected = Decimal(row.quantity) + Decimal(row.incoming)
        if projected >= alert:
            continue
        target = (Decimal(row.target_quantity) if row.target_quantity is not None
                  else alert * options.target_factor)
        quantity = whole(target - projected)
        if quantity <= 0:
            continue
        supplier = row.supplier_id if row.supplier_id is not None else fallback
        if supplier is None:
            orphans += 1
            continue
        group = groups.setdefault((supplier, row.depot_id), Group(supplier, row.depot_id))
        price = None if row.purchase_price is None else Decimal(row.purchase_price)
        group.needs.append(Need(row.article_id, row.name, price, quantity))
    return list(groups.values()), orphans


def lines(count: int) -> str:
    return f"{count} ligne" if count == 1 else f"{count} lignes"


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Draft (or complete) the purchase orders that bring the records to their target."""
    from sqlalchemy import bindparam, func, insert, select, update

    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import purchase_order_lines as pol
    from comptoir.backoffice.schema import purchase_orders as po
    from comptoir.backoffice.schema import suppliers as sup
    from comptoir.retail import numbering, stock_lock

    mine = origin(ctx.task_id)
    report: list[tuple[str, str, str]] = []  # (supplier code, depot code, line)
    with ctx.engine.begin() as conn:
        stock_lock.acquire(conn)
        depot_ids = (sorted(code_ids(conn, d, options.depots, "depots", "depot").values())
                     if options.depots else None)
        supplier_ids = (sorted(code_ids(conn, sup, options.suppliers, "suppliers",
                                        "supplier").values())
                        if options.suppliers else None)
        fallback = default_supplier(conn)
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        groups, orphans = needs(conn, ctx.task_id, options, depot_ids, supplier_ids, fallback)
        if groups:
            names = {
                "supplier": {r.id: (r.code, r.name) for r in conn.execute(
                    select(sup.c.id, sup.c.code, sup.c.name).where(
                        sup.c.id.in_({g.supplier_id for g in groups})))},
                "depot": {r.id: r.code for r in conn.execute(
                    select(d.c.id, d.c.code).where(d.c.id.in_({g.depot_id for g in groups})))},
            }
            drafts = {(r.supplier_id, r.depot_id): (r.id, r.number) for r in conn.execute(
                select(po.c.supplier_id, po.c.depot_id, func.min(po.c.id).label("id"),
                       func.min(po.c.number).label("number"))
                .where(po.c.origin == mine, po.c.status == "draft")
                .group_by(po.c.supplier_id, po.c.depot_id))}
            groups.sort(key=lambda g: (names["supplier"][g.supplier_id][0],
                                       names["depot"][g.depot_id]))
            new = [g for g in groups if (g.supplier_id, g.depot_id) not in drafts]
            numbers = numbering.reserve(conn, "CF", run_date.year, len(new))
            for group, number in zip(new, numbers, strict=True):
                order_id = conn.execute(insert(po).values(
                    number=number, supplier_id=group.supplier_id, depot_id=group.depot_id,
                    date=run_date, status="draft", reference=REFERENCE, origin=mine,
                    created_at=ctx.moment).returning(po.c.id)).scalar_one()
                drafts[(group.supplier_id, group.depot_id)] = (order_id, None)
                code, name = names["supplier"][group.supplier_id]
                report.append((code, names["depot"][group.depot_id],
                               f"Commande {number} créée : fournisseur {code} {name}, "
                               f"dépôt {names['depot'][group.depot_id]}, "
                               f"{lines(len(group.needs))}"))
            order_ids = [drafts[(g.supplier_id, g.depot_id)][0] for g in groups]
            existing: dict[tuple[int, int | None], tuple[int, Decimal]] = {}
            last_no: dict[int, int] = {}
            for r in conn.execute(select(pol.c.id, pol.c.order_id, pol.c.article_id,
                                         pol.c.quantity, pol.c.line_no)
                                  .where(pol.c.order_id.in_(order_ids))
                                  .order_by(pol.c.order_id, pol.c.line_no)):
                existing.setdefault((r.order_id, r.article_id), (r.id, Decimal(r.quantity)))
                last_no[r.order_id] = max(last_no.get(r.order_id, 0), r.line_no)
            raises: list[dict[str, Any]] = []
            inserts: list[dict[str, Any]] = []
            for group in groups:
                order_id, number = drafts[(group.supplier_id, group.depot_id)]
                for need in group.needs:
                    found = existing.get((order_id, need.article_id))
                    if found:
                        raises.append({"line": found[0], "qty": found[1] + need.quantity})
                    else:
                        last_no[order_id] = last_no.get(order_id, 0) + 1
                        inserts.append({"order_id": order_id, "line_no": last_no[order_id],
                                        "article_id": need.article_id,
                                        "description": need.name[:200],
                                        "quantity": need.quantity, "received_quantity": 0,
                                        "unit_price": need.price})
                if number is not None:
                    code, _ = names["supplier"][group.supplier_id]
                    report.append((code, names["depot"][group.depot_id],
                                   f"Commande {number} complétée : "
                                   f"{lines(len(group.needs))}"))
            if inserts:
                conn.execute(insert(pol), inserts)
            if raises:
                conn.execute(update(pol).where(pol.c.id == bindparam("line"))
                             .values(quantity=bindparam("qty")), raises)
    summary = [line for _, _, line in sorted(report)]
    warning = None
    if orphans:
        orphan_line = (f"{orphans} article sans fournisseur" if orphans == 1
                       else f"{orphans} articles sans fournisseur")
        summary.append(orphan_line)
        warning = orphan_line
    if not summary:
        summary = [NOTHING]
    ctx.log(f"{len(groups)} purchase order(s) drafted or completed, {orphans} record(s) "
            "without a supplier")
    return TaskOutput(summary=summary, warning=warning)


TASK_TYPE = TaskType(
    name="restock_alert",
    title="Réapprovisionnement par stock d'alerte",
    category=Category.AUTRES,
    description=(
        "Drafts purchase orders, per supplier and depot, for the stock records under their "
        "alert threshold: the quantity that brings each one to its target (target quantity, "
        "else alert × target_factor), counting what open orders still bring. A second run "
        "orders nothing more: its own drafts count."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
