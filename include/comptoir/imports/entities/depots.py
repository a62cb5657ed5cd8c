"""Depots: CODE*, DESIG*, ADRESSE1, CP, VILLE. A new depot gets a stock record for every
existing article."""

from __future__ import annotations

from sqlalchemy import and_, exists, func, literal, select

from comptoir.backoffice.schema import articles, depots, stock_records
from comptoir.imports.entities.base import CodedEntity, Field, Run


class Depots(CodedEntity):
    name = "depots"
    table = depots
    fields = (
        Field("CODE", "code", length=40, mandatory=True),
        Field("DESIG", "name", length=120, mandatory=True),
        Field("ADRESSE1", "address1", length=120),
        Field("CP", "postcode", length=20),
        Field("VILLE", "city", length=80),
    )

    def finish(self, run: Run) -> None:
        if run.mode == "create":
            run.written["stock_records"] += stock_records_for(
                run, depots.c.import_batch_id == run.batch_id)


def stock_records_for(run: Run, where: object) -> int:
    """Create the missing stock records of every (article, depot) pair selected by `where`.

    Returns how many stock records the run has created (they carry its batch id).
    """
    pairs = (
        select(articles.c.id, depots.c.id, literal(run.batch_id))
        .select_from(articles.join(depots, literal(True)))
        .where(where)  # type: ignore[arg-type]
        .where(~exists().where(and_(stock_records.c.article_id == articles.c.id,
                                    stock_records.c.depot_id == depots.c.id)))
    )
    run.conn.execute(stock_records.insert().from_select(
        ["article_id", "depot_id", "import_batch_id"], pairs))
    return int(run.conn.execute(select(func.count()).select_from(stock_records)
                                .where(stock_records.c.import_batch_id == run.batch_id))
               .scalar_one())
