"""Demo stage of `inventory_preparation`: a depot counted last month, and lots to count.

The demo's stock records are what the nightly preparation freezes; this stage adds the
history a count sheet meets in a real dossier: one inventory of the first depot already
`validated` a month ago (so the next one gets a new number), while the other depots get
their first. Idempotent: the past inventory is numbered `INVDEMO-<depot>` and made once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from comptoir.backoffice.schema import depots, inventories, inventory_lines, stock_records


def stage(engine: Engine) -> list[str]:
    """Add a validated inventory of the first depot that holds stock."""
    with engine.begin() as conn:
        row = conn.execute(select(depots.c.id, depots.c.code)
                           .join(stock_records, stock_records.c.depot_id == depots.c.id)
                           .order_by(depots.c.code).limit(1)).first()
        if row is None:
            return ["inventory_preparation: no stock in the dossier, nothing staged"]
        number = f"INVDEMO-{row.code}"
        if conn.execute(select(inventories.c.id).where(inventories.c.number == number)
                        ).first() is None:
            when = datetime.now(UTC) - timedelta(days=30)
            inventory = conn.execute(insert(inventories).values(
                number=number, depot_id=row.id, date=when.date(), status="validated",
                blind=True, created_by_run="demo", created_at=when, updated_at=when)
                .returning(inventories.c.id)).scalar_one()
            records = conn.execute(select(stock_records.c.article_id, stock_records.c.quantity,
                                          stock_records.c.wac)
                                   .where(stock_records.c.depot_id == row.id)
                                   .order_by(stock_records.c.article_id)).all()
            conn.execute(insert(inventory_lines), [
                {"inventory_id": inventory, "line_no": i, "article_id": r.article_id,
                 "lot_number": None, "expected_quantity": r.quantity, "wac": r.wac,
                 "counted_quantity": r.quantity} for i, r in enumerate(records, start=1)])
    return [f"inventory_preparation: depot {row.code} was counted a month ago ({number}, "
            "validated); tonight's preparation numbers a new one"]
