"""Bills of materials: GCPARTIC_CODE*, ART_CODE, DESIG, QTE, PRIX. Create mode only.

Each composed article's composition is replaced whole by the file's lines (in file
order); a line without ART_CODE is a comment. The composition is an assembly when the
article is ASSEMBLE, else a manufacturing BOM (the import never changes that flag). If
one line of a composition is rejected, the others are `bom_incomplete`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from comptoir.backoffice.schema import articles, bom_lines
from comptoir.imports import loader
from comptoir.imports.entities.base import DECIMAL, Entity, Field, Run
from comptoir.imports.gx_runner import ROW, expect
from comptoir.imports.values import join_codes

PARENT = "GCPARTIC_CODE"


class Bom(Entity):
    name = "bom"
    key = PARENT
    unique = None
    chunked = False
    fields = (
        Field(PARENT, length=40, mandatory=True),
        Field("ART_CODE", length=40),
        Field("DESIG", "description", length=200),
        Field("QTE", "quantity", kind=DECIMAL, scale=3),
        Field("PRIX", "price", kind=DECIMAL, scale=4, minimum=0, range_rule="bom_price"),
    )

    def params(self, run: Run) -> dict[str, str]:
        a = articles.c
        rows = run.conn.execute(select(a.code, a.id, a.assembled)).all()
        run.cache["articles"] = {code: (ident, bool(flag)) for code, ident, flag in rows}
        return {"article_codes": join_codes(code for code, _, _ in rows)}

    def expectations(self, run: Run) -> list[Any]:
        codes = {"$PARAMETER": "article_codes"}
        return [
            *super().expectations(run),
            expect("ExpectColumnValuesToBeInCodes", "unknown_article", PARENT,
                   "GCPARTIC_CODE {value} is not an article of the dossier", column=PARENT,
                   codes=codes),
            expect("ExpectColumnValuesToBeInCodes", "unknown_article", "ART_CODE",
                   "ART_CODE {value} is not an article of the dossier", column="ART_CODE",
                   codes=codes),
            expect("ExpectQuantityToBePositiveWhenFilled", "bom_qty", "QTE",
                   "component {value}: QTE must be a quantity > 0", value="ART_CODE",
                   column_list=["ART_CODE", "QTE", "QTE__value"]),
        ]

    def propagate(self, frame: pd.DataFrame, rejected_rows: pd.Index) -> pd.DataFrame | None:
        bad = frame.loc[rejected_rows, PARENT].dropna().unique()
        others = frame[frame[PARENT].isin(bad) & ~frame.index.isin(rejected_rows)]
        if others.empty:
            return None
        return pd.DataFrame({
            ROW: others.index.to_numpy(), "rule": "bom_incomplete", "field": PARENT,
            "message": [f"another line of the composition of {p} was rejected: the composition "
                        "is replaced whole or not at all" for p in others[PARENT]]})

    def write(self, run: Run, accepted: pd.DataFrame) -> None:
        out, scales = self.db_values(accepted)
        known = run.cache["articles"]
        parents = accepted[PARENT].map(lambda c: known[c][0])
        out["parent_article_id"] = parents.astype("Int64")
        out["component_article_id"] = accepted["ART_CODE"].map(
            lambda c: known[c][0] if isinstance(c, str) else None).astype("Int64")
        out["line_no"] = accepted.groupby(PARENT, sort=False).cumcount() + 1
        out["kind"] = accepted[PARENT].map(
            lambda c: "assembly" if known[c][1] else "manufacturing")
        out["import_batch_id"] = run.batch_id
        run.conn.execute(bom_lines.delete().where(
            bom_lines.c.parent_article_id.in_(sorted(set(parents.tolist())))))
        run.written["bom_lines"] += loader.insert(run.conn, bom_lines, out, scales)
