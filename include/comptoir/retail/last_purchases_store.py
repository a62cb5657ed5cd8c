"""`last_purchases_store` ("Magasin des 10 derniers achats"): a customer's linked store
becomes the store of most of their last ten purchases (spec/retail-tasks.md).

A purchase is a POS ticket with a customer and a total above zero, in the selected
stores. Per customer the ten most recent (`issued_at`, then ticket id, descending) are
counted per store; the most frequent store wins, a tie going to the store of the most
recent purchase among the tied ones. One set-based query (window functions) finds the
winners; the customers whose `store_id` differs are updated in one bulk statement.

Without `full_sync`, only the customers with a purchase since the previous run are
examined: the watermark is the highest ticket id seen (`task_state`, key
`last_ticket_id`); without a watermark, everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.retail.scope import store_ids

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext

LAST = 10
"""How many of a customer's most recent purchases are counted."""
WATERMARK = "last_ticket_id"


class Options(BaseModel):
    """Options of `last_purchases_store`."""

    model_config = ConfigDict(extra="forbid")

    full_sync: bool = Field(
        default=False, title="Every customer",
        description="Examine every customer. Off: only the customers with a purchase since "
        "the previous run (every customer on the first run).",
        json_schema_extra={"section": "Customers"})
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Store codes whose purchases count (one per line). Empty: every store.",
        json_schema_extra={"section": "Customers"})


def read_state(conn: Connection, task_id: str, key: str) -> str | None:
    """A task's watermark `key`, or None."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import task_state as state

    return conn.execute(select(state.c.value).where(
        state.c.task_id == task_id, state.c.key == key)).scalar_one_or_none()


def write_state(conn: Connection, task_id: str, key: str, value: str,
                moment: datetime) -> None:
    """Set a task's watermark `key` (inserted or replaced)."""
    from sqlalchemy import insert, update

    from comptoir.backoffice.schema import task_state as state

    changed = conn.execute(update(state).where(state.c.task_id == task_id, state.c.key == key)
                           .values(value=value, updated_at=moment)).rowcount
    if not changed:
        conn.execute(insert(state).values(task_id=task_id, key=key, value=value,
                                          updated_at=moment))


def winners(conn: Connection, stores: list[int], since: int | None,
            up_to: int) -> list[tuple[int, int, int | None]]:
    """(customer id, winning store id, current store id) of every customer examined.

    `since`: only customers with a purchase whose ticket id is above it (None: all);
    `up_to`: tickets above this id are not counted (they came during the run).
    """
    from sqlalchemy import and_, func, select

    from comptoir.backoffice.schema import customers
    from comptoir.backoffice.schema import pos_tickets as t

    purchase = and_(t.c.customer_id.is_not(None), t.c.total_incl_tax > 0,
                    t.c.depot_id.in_(stores), t.c.id <= up_to)
    query = select(
        t.c.customer_id, t.c.depot_id,
        func.row_number().over(partition_by=t.c.customer_id,
                               order_by=(t.c.issued_at.desc(), t.c.id.desc())).label("rank"),
    ).where(purchase)
    if since is not None:
        recent = select(t.c.customer_id).where(purchase, t.c.id > since)
        query = query.where(t.c.customer_id.in_(recent))
    ranked = query.subquery("ranked")
    per_store = (
        select(ranked.c.customer_id, ranked.c.depot_id,
               func.count().label("purchases"), func.min(ranked.c.rank).label("latest"))
        .where(ranked.c.rank <= LAST)
        .group_by(ranked.c.customer_id, ranked.c.depot_id)
        .subquery("per_store"))
    choice = select(
        per_store.c.customer_id, per_store.c.depot_id,
        func.row_number().over(partition_by=per_store.c.customer_id,
                               order_by=(per_store.c.purchases.desc(),
                                         per_store.c.latest.asc())).label("pick"),
    ).subquery("choice")
    rows = conn.execute(
        select(choice.c.customer_id, choice.c.depot_id, customers.c.store_id)
        .join(customers, customers.c.id == choice.c.customer_id)
        .where(choice.c.pick == 1)
        .order_by(choice.c.customer_id))
    return [(row.customer_id, row.depot_id, row.store_id) for row in rows]


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Link each examined customer to the store of most of their last ten purchases."""
    from sqlalchemy import bindparam, func, select, update

    from comptoir.backoffice.schema import customers, pos_tickets

    with ctx.engine.begin() as conn:
        stores = store_ids(conn, options.stores)
        up_to = conn.execute(select(func.coalesce(func.max(pos_tickets.c.id), 0))).scalar_one()
        since = None
        if not options.full_sync:
            seen = read_state(conn, ctx.task_id, WATERMARK)
            since = int(seen) if seen is not None else None
        found = winners(conn, stores, since, up_to)
        changes = [{"customer": customer, "store": store}
                   for customer, store, current in found if store != current]
        if changes:
            conn.execute(
                update(customers).where(customers.c.id == bindparam("customer"))
                .values(store_id=bindparam("store"), updated_at=ctx.moment),
                changes)
        write_state(conn, ctx.task_id, WATERMARK, str(up_to), ctx.moment)
    ctx.log(f"{len(found)} customers examined, {len(changes)} linked to another store "
            f"(tickets up to id {up_to})")
    return TaskOutput(summary=[f"Nombre de clients à mettre à jour : {len(changes)}",
                               f"Clients examinés : {len(found)}"])


TASK_TYPE = TaskType(
    name="last_purchases_store",
    title="Magasin des 10 derniers achats",
    category=Category.IMPORT_EXPORT,
    description=(
        "Links each customer to the store where they made most of their last ten purchases "
        "(POS tickets above zero in the selected stores); a tie goes to the store of the "
        "most recent purchase. Without full_sync, only the customers who bought since the "
        "previous run are examined."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
