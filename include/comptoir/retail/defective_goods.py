"""`defective_goods` ("Gestion des défectueux"): takes out of stock the items customers
brought back as defective, per the policy of their brand's supplier (spec/retail-tasks.md).

Lines taken: kind `defective`, `defective_movement_id` null, in a sales day `updated` with
its `VT` movement. The article's brand must belong to exactly one supplier
(`brands.supplier_id` ∪ the `supplier_id` of every article of the brand); that supplier's
`defective_policy` decides: `none` (left alone, counted), `adjustment` (one `BDD` per
store) or `supplier_return` (one `RFD` per supplier and store). Vouchers are dated the
run date, validated and valued at the store's WAC by `comptoir.retail.stock_posting`, one
line per article (and lot, FIFO); every line taken gets `defective_movement_id`.
One transaction under the dossier's stock lock; a few set-based statements.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.retail.report_text import euros, plural

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext
    from comptoir.retail.stock_posting import PostedMovement

TITLE = "Voici la liste des bons d'ajustements générés :"
NOTHING = "Aucun défectueux à traiter"
NO_SUPPLIER = "marque sans fournisseur unique"
NO_POLICY = "fournisseur sans gestion des défectueux"
#: policy → (number prefix, movement kind, report word)
VOUCHERS = {"adjustment": ("BDD", "defective_destruction", "destruction"),
            "supplier_return": ("RFD", "supplier_return", "retour fournisseur")}


class Options(BaseModel):
    """`defective_goods` has no options (the seed's options tab is empty)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Taken:
    """A defective ticket line to take out."""

    line_id: int
    article_id: int | None
    brand_id: int | None
    depot_id: int
    day: dt.date
    quantity: Decimal


@dataclass
class Voucher:
    """One BDD or RFD to write: its store, supplier (RFD) and the ticket lines it takes."""

    policy: str
    depot_id: int
    supplier_id: int | None
    lines: list[Taken] = field(default_factory=list)


def waiting_lines(conn: Connection) -> list[Taken]:
    """The defective lines not yet taken, of days updated with their `VT` movement."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import pos_ticket_lines as ln
    from comptoir.backoffice.schema import pos_tickets as t
    from comptoir.backoffice.schema import sales_days as sd

    query = (select(ln.c.id, ln.c.article_id, a.c.brand_id, t.c.depot_id, sd.c.date,
                    ln.c.quantity)
             .select_from(ln.join(t, t.c.id == ln.c.ticket_id)
                          .join(sd, sd.c.id == t.c.sales_day_id)
                          .outerjoin(a, a.c.id == ln.c.article_id))
             .where(ln.c.kind == "defective", ln.c.defective_movement_id.is_(None),
                    sd.c.stock_state == "updated", sd.c.stock_movement_id.is_not(None))
             .order_by(ln.c.id))
    return [Taken(r.id, r.article_id, r.brand_id, r.depot_id, r.date, Decimal(r.quantity))
            for r in conn.execute(query)]


def brand_suppliers(conn: Connection, brand_ids: set[int]) -> dict[int, set[int]]:
    """Brand → its suppliers: the brand's own and those of every article of the brand."""
    from sqlalchemy import select, union

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import brands as b

    found: dict[int, set[int]] = defaultdict(set)
    ids = sorted(brand_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        query = union(
            select(b.c.id.label("brand"), b.c.supplier_id.label("supplier"))
            .where(b.c.id.in_(chunk), b.c.supplier_id.is_not(None)),
            select(a.c.brand_id, a.c.supplier_id)
            .where(a.c.brand_id.in_(chunk), a.c.supplier_id.is_not(None)))
        for brand, supplier in conn.execute(query):
            found[brand].add(supplier)
    return found


def sort_out(conn: Connection, taken: list[Taken]) -> tuple[list[Voucher], dict[str, int]]:
    """The vouchers to write and the lines skipped per reason."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import suppliers as sup

    owners = brand_suppliers(conn, {x.brand_id for x in taken if x.brand_id is not None})
    wanted = sorted({x for found in owners.values() for x in found})
    policies = dict(conn.execute(select(sup.c.id, sup.c.defective_policy)
                                 .where(sup.c.id.in_(wanted))).all()) if wanted else {}
    skipped = {NO_SUPPLIER: 0, NO_POLICY: 0}
    vouchers: dict[tuple[str, int, int | None], Voucher] = {}
    for line in taken:
        suppliers = owners.get(line.brand_id, set()) if line.article_id is not None else set()
        if len(suppliers) != 1:
            skipped[NO_SUPPLIER] += 1
            continue
        supplier = next(iter(suppliers))
        policy = policies[supplier]
        if policy not in VOUCHERS:
            skipped[NO_POLICY] += 1
            continue
        key = (policy, line.depot_id, supplier if policy == "supplier_return" else None)
        vouchers.setdefault(key, Voucher(*key)).lines.append(line)
    return list(vouchers.values()), skipped


def reference(lines: list[Taken]) -> str:
    days = [x.day for x in lines]
    return (f"Défectueux des ventes du {min(days):%d/%m/%Y} au {max(days):%d/%m/%Y}")


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Write the BDD/RFD vouchers of the defective lines waiting, and mark the lines."""
    from sqlalchemy import bindparam, select, update

    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.schema import depots as d
    from comptoir.backoffice.schema import pos_ticket_lines as ln
    from comptoir.backoffice.schema import suppliers as sup
    from comptoir.retail import numbering, stock_lock
    from comptoir.retail.stock_posting import Movement, MovementLine, post

    summary = [TITLE]
    warning = None
    with ctx.engine.begin() as conn:
        stock_lock.acquire(conn)
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        vouchers, skipped = sort_out(conn, waiting_lines(conn))
        if not vouchers:
            summary.append(NOTHING)
        else:
            stores = {r.id: (r.code, r.name) for r in conn.execute(
                select(d.c.id, d.c.code, d.c.name)
                .where(d.c.id.in_({v.depot_id for v in vouchers})))}
            owners = {r.id: (r.code, r.name) for r in conn.execute(
                select(sup.c.id, sup.c.code, sup.c.name).where(
                    sup.c.id.in_({v.supplier_id for v in vouchers if v.supplier_id})))}
            vouchers.sort(key=lambda v: (stores[v.depot_id][0], v.policy != "adjustment",
                                         owners.get(v.supplier_id, ("",))[0]))
            numbers: dict[str, list[str]] = {}
            for prefix in ("BDD", "RFD"):
                count = sum(VOUCHERS[v.policy][0] == prefix for v in vouchers)
                numbers[prefix] = numbering.reserve(conn, prefix, run_date.year, count)
            movements = []
            for voucher in vouchers:
                prefix, kind, _ = VOUCHERS[voucher.policy]
                quantities: dict[int, Decimal] = defaultdict(Decimal)
                for line in voucher.lines:
                    quantities[line.article_id] -= abs(line.quantity)  # type: ignore[index]
                movements.append(Movement(
                    numbers[prefix].pop(0), kind, run_date, voucher.depot_id,
                    [MovementLine(article, q) for article, q in sorted(quantities.items())],
                    reference=reference(voucher.lines),
                    extra={"supplier_id": voucher.supplier_id,
                           "created_by_run": f"{ctx.task_id}/{ctx.run_id}"[:250]}))
            posted = post(conn, movements, validated_at=ctx.moment)
            conn.execute(update(ln).where(ln.c.id == bindparam("line"))
                         .values(defective_movement_id=bindparam("movement")),
                         [{"line": x.line_id, "movement": m.id}
                          for v, m in zip(vouchers, posted, strict=True) for x in v.lines])
            below = below_zero(conn, posted)
            for voucher, movement in zip(vouchers, posted, strict=True):
                _, _, word = VOUCHERS[voucher.policy]
                code, name = stores[voucher.depot_id]
                who = (f"{word} {' '.join(owners[voucher.supplier_id])}, "
                       if voucher.supplier_id else f"{word}, ")
                summary.append(f"Création du bon {movement.number} ({who}magasin {code} {name},"
                               f" {plural(len(movement.lines), 'ligne', 'lignes')}, "
                               f"{euros(-movement.value)})")
                for article, quantity in below.get(movement.id, []):
                    summary.append(f"    - stock négatif : {article} {quantity}")
            if below:
                warning = "stock négatif après la sortie des défectueux"
    for reason, count in skipped.items():
        if count:
            what = plural(count, "ligne défectueuse ignorée", "lignes défectueuses ignorées")
            summary.append(f"{what} : {reason}")
    if skipped[NO_SUPPLIER]:
        warning = warning or f"lignes défectueuses ignorées : {NO_SUPPLIER}"
    ctx.log(f"{len(vouchers)} defective voucher(s); skipped: {skipped}")
    return TaskOutput(summary=summary, warning=warning)


def below_zero(conn: Connection, posted: list[PostedMovement]
               ) -> dict[int, list[tuple[str, str]]]:
    """Movement id → (article code, stock) of the articles its voucher left below zero."""
    from sqlalchemy import select, tuple_

    from comptoir.backoffice.schema import articles as a
    from comptoir.backoffice.schema import stock_records as s

    pairs = {(line.article_id, m.depot_id): m.id for m in posted for line in m.lines}
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    keys = sorted(pairs)
    for start in range(0, len(keys), 500):
        rows = conn.execute(
            select(s.c.article_id, s.c.depot_id, s.c.quantity, a.c.code)
            .join(a, a.c.id == s.c.article_id)
            .where(tuple_(s.c.article_id, s.c.depot_id).in_(keys[start:start + 500]),
                   s.c.quantity < 0)
            .order_by(a.c.code))
        for row in rows:
            quantity = format(Decimal(row.quantity).normalize(), "f")
            found[pairs[(row.article_id, row.depot_id)]].append((row.code, quantity))
    return dict(found)


TASK_TYPE = TaskType(
    name="defective_goods",
    title="Gestion des défectueux",
    category=Category.SYSTEME,
    description=(
        "Takes out of stock the items customers brought back as defective, once their "
        "sales day is updated: a destruction voucher (BDD) per store, or a return to the "
        "supplier (RFD) per supplier and store, per the policy of the supplier of the "
        "article's brand. A line is taken once."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
