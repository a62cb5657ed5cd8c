"""Initial stock: ART_CODE*, DEPOT_CODE*, QINITIALE, VINITIALE, LOT1..LOT5, QLOT1..QLOT5.

Create mode only. The stock record of the (article, depot) pair gets the initial quantity
and value, PAMP = VINITIALE / QINITIALE; an initial stock movement is created (one line,
or one line per lot, with its lots). Re-importing a pair of an article without lots
replaces its initial movement; with lots it is `lot_initial_exists`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, select

from comptoir.backoffice.schema import (
    articles,
    depots,
    lots,
    stock_movement_lines,
    stock_movements,
    stock_records,
)
from comptoir.imports import loader, values
from comptoir.imports.entities.base import DECIMAL, Entity, Field, Run
from comptoir.imports.gx_runner import expect
from comptoir.imports.values import join_codes

LOTS = range(1, 6)
PAIR, LABEL = "_pair", "_label"
SEP = "\x1f"
_Q, _V = 3, 2  # scales of quantities and values


def _pair(article: pd.Series, depot: pd.Series, sep: str = SEP) -> pd.Series:
    return article.fillna("").astype("str") + sep + depot.fillna("").astype("str")


class Stocks(Entity):
    name = "stocks"
    key = LABEL
    unique = PAIR
    fields = (
        Field("ART_CODE", length=40, mandatory=True),
        Field("DEPOT_CODE", length=40, mandatory=True),
        Field("QINITIALE", kind=DECIMAL, scale=_Q, minimum=0, strict=True,
              range_rule="initial_qty"),
        Field("VINITIALE", kind=DECIMAL, scale=_V, minimum=0, range_rule="initial_value"),
        *(Field(f"LOT{k}", length=60) for k in LOTS),
        *(Field(f"QLOT{k}", kind=DECIMAL, scale=_Q) for k in LOTS),
    )

    def prepare(self, frame: pd.DataFrame, run: Run) -> pd.DataFrame:
        frame = super().prepare(frame, run)
        frame[PAIR] = _pair(frame["ART_CODE"], frame["DEPOT_CODE"])
        frame[LABEL] = _pair(frame["ART_CODE"], frame["DEPOT_CODE"], "/")
        return frame

    def params(self, run: Run) -> dict[str, str]:
        a = articles.c
        rows = run.conn.execute(select(a.code, a.id, a.lot_managed)).all()
        run.cache["articles"] = {code: (ident, bool(lot)) for code, ident, lot in rows}
        run.cache["depots"] = loader.id_map(run.conn, depots)
        run.cache["initial"] = _initial_movements(run)
        by_id = {ident: code for code, ident, _ in rows}
        depot_code = {ident: code for code, ident in run.cache["depots"].items()}
        lot_ids = {ident for _, ident, lot in rows if lot}
        return {
            "article_codes": join_codes(by_id.values()),
            "depot_codes": join_codes(depot_code.values()),
            "lot_articles": join_codes(c for c, _, lot in rows if lot),
            "plain_articles": join_codes(c for c, _, lot in rows if not lot),
            "lot_initial_pairs": join_codes(
                f"{by_id[article]}{SEP}{depot_code[depot]}"
                for article, depot in run.cache["initial"] if article in lot_ids),
        }

    def expectations(self, run: Run) -> list[Any]:
        lot_columns = [f"LOT{k}" for k in LOTS]
        found = [
            *super().expectations(run),
            *self.unique_expectations(PAIR, "ART_CODE", "article and depot {value} appear "
                                      "earlier in the file", value=LABEL),
            expect("ExpectColumnValuesToBeInCodes", "unknown_article", "ART_CODE",
                   "ART_CODE {value} is not an article of the dossier", column="ART_CODE",
                   codes={"$PARAMETER": "article_codes"}),
            expect("ExpectColumnValuesToBeInCodes", "unknown_depot", "DEPOT_CODE",
                   "DEPOT_CODE {value} is not a depot of the dossier", column="DEPOT_CODE",
                   codes={"$PARAMETER": "depot_codes"}),
            expect("ExpectColumnValuesToNotBeNull", "initial_qty", "QINITIALE",
                   "QINITIALE must be filled with a quantity > 0", column="QINITIALE"),
            expect("ExpectColumnValuesToNotBeNull", "initial_value", "VINITIALE",
                   "VINITIALE must be filled with a value ≥ 0", column="VINITIALE"),
            expect("ExpectLotsToFollowArticle", "lot_required", "LOT1",
                   "article {value} is managed by lots: fill at least one lot",
                   value="ART_CODE", column_list=["ART_CODE", *lot_columns],
                   codes={"$PARAMETER": "lot_articles"}, lots_required=True),
            expect("ExpectLotsToFollowArticle", "lot_not_managed", "LOT1",
                   "article {value} is not managed by lots: leave the lots empty",
                   value="ART_CODE", column_list=["ART_CODE", *lot_columns],
                   codes={"$PARAMETER": "plain_articles"}, lots_required=False),
            *(expect("ExpectQuantityToBePositiveWhenFilled", "lot_qty", f"QLOT{k}",
                     f"lot {{value}}: QLOT{k} must be a quantity > 0", value=f"LOT{k}",
                     column_list=[f"LOT{k}", f"QLOT{k}", f"QLOT{k}__value"]) for k in LOTS),
            expect("ExpectLotQuantitiesToSumToTotal", "lot_sum", "QINITIALE",
                   "the lot quantities do not add up to QINITIALE {value}",
                   column_list=["QINITIALE__value", *lot_columns,
                                *(f"QLOT{k}__value" for k in LOTS)]),
            expect("ExpectFilledValuesToBeDistinctWithinRecord", "invalid_value", "LOT1",
                   "the same lot number appears twice on this record", column_list=lot_columns),
            expect("ExpectColumnValuesToNotBeInCodes", "lot_initial_exists", "ART_CODE",
                   "{value}: an initial stock movement with lots already exists; correct it "
                   "with stock movements", value=LABEL, column=PAIR,
                   codes={"$PARAMETER": "lot_initial_pairs"}),
        ]
        return found

    def write(self, run: Run, accepted: pd.DataFrame) -> None:
        conn = run.conn
        article = accepted["ART_CODE"].map(lambda c: run.cache["articles"][c][0])
        depot = accepted["DEPOT_CODE"].map(run.cache["depots"])
        pairs = list(zip(article.tolist(), depot.tolist(), strict=True))
        records = _stock_record_ids(run, pairs)
        qty = [values.scaled_to_decimal(v, _Q) for v in accepted["QINITIALE__value"].tolist()]
        val = [values.scaled_to_decimal(v, _V) for v in accepted["VINITIALE__value"].tolist()]
        wac = [(v / q).quantize(Decimal("0.0001"), ROUND_HALF_UP) for q, v in zip(qty, val,
                                                                                 strict=True)]
        conn.execute(
            stock_records.update().where(stock_records.c.id == bindparam("_id"))
            .values(quantity=bindparam("_q"), value=bindparam("_v"), wac=bindparam("_w"),
                    import_batch_id=run.batch_id),
            [{"_id": records[p], "_q": q, "_v": v, "_w": w}
             for p, q, v, w in zip(pairs, qty, val, wac, strict=True)])
        run.written["stock_records"] += len(pairs)
        lot_rows = [[(row[f"LOT{k}"], values.scaled_to_decimal(row[f"QLOT{k}__value"], _Q))
                     for k in LOTS if isinstance(row[f"LOT{k}"], str)]
                    for row in accepted.to_dict("records")]
        replace = [i for i, p in enumerate(pairs) if p in run.cache["initial"]]
        create = [i for i, p in enumerate(pairs) if p not in run.cache["initial"]]
        if replace:
            conn.execute(
                stock_movement_lines.update()
                .where(stock_movement_lines.c.id == bindparam("_id"))
                .values(quantity=bindparam("_q"), unit_cost=bindparam("_w"),
                        value=bindparam("_v")),
                [{"_id": run.cache["initial"][pairs[i]], "_q": qty[i], "_w": wac[i],
                  "_v": val[i]} for i in replace])
            run.written["stock_movement_lines"] += len(replace)
        if create:
            _create_movements(run, [pairs[i] for i in create], [qty[i] for i in create],
                              [val[i] for i in create], [wac[i] for i in create],
                              [lot_rows[i] for i in create])


def _initial_movements(run: Run) -> dict[tuple[int, int], int]:
    """(article, depot) → line id of its initial stock movement (first line)."""
    m, line = stock_movements.c, stock_movement_lines.c
    rows = run.conn.execute(
        select(line.article_id, m.depot_id, line.id)
        .select_from(stock_movement_lines.join(stock_movements))
        .where(m.kind == "initial").order_by(line.id)).all()
    found: dict[tuple[int, int], int] = {}
    for article, depot, line_id in rows:
        found.setdefault((article, depot), line_id)
    return found


def _stock_record_ids(run: Run, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Stock record id of every pair, creating the records that do not exist yet."""
    s = stock_records.c
    wanted = sorted({a for a, _ in pairs})
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(wanted), 500):
        ids = wanted[start:start + 500]
        for record, article, depot in run.conn.execute(
                select(s.id, s.article_id, s.depot_id).where(s.article_id.in_(ids))):
            found[(article, depot)] = record
    missing = sorted(set(pairs) - set(found))
    if missing:
        run.conn.execute(stock_records.insert(), [
            {"article_id": a, "depot_id": d, "import_batch_id": run.batch_id}
            for a, d in missing])
        run.written["stock_records_created"] += len(missing)
        return _stock_record_ids(run, pairs)
    return found


def _create_movements(run: Run, pairs: list[tuple[int, int]], qty: list[Decimal],
                      val: list[Decimal], wac: list[Decimal],
                      lot_rows: list[list[tuple[str, Decimal]]]) -> None:
    conn = run.conn
    first = loader.reserve_numbers(conn, "import.stock_movements.initial", len(pairs))
    year = run.today.year
    numbers = [f"SI{year}-{first + i:07d}" for i in range(len(pairs))]
    conn.execute(stock_movements.insert(), [
        {"number": n, "kind": "initial", "date": run.today, "depot_id": d,
         "reference": f"import {run.batch_id}", "validated": True,
         "import_batch_id": run.batch_id} for n, (_, d) in zip(numbers, pairs, strict=True)])
    ids = dict(conn.execute(select(stock_movements.c.number, stock_movements.c.id)
                            .where(stock_movements.c.import_batch_id == run.batch_id)).all())
    lines, lot_records = [], []
    for n, (a, d), q, v, w, lots_of in zip(numbers, pairs, qty, val, wac, lot_rows, strict=True):
        movement = ids[n]
        if not lots_of:
            lines.append({"movement_id": movement, "line_no": 1, "article_id": a,
                          "quantity": q, "unit_cost": w, "value": v, "lot_number": None})
            continue
        for line_no, (lot, lot_qty) in enumerate(lots_of, start=1):
            lines.append({"movement_id": movement, "line_no": line_no, "article_id": a,
                          "quantity": lot_qty, "unit_cost": w,
                          "value": (lot_qty * w).quantize(Decimal("0.01"), ROUND_HALF_UP),
                          "lot_number": lot})
            lot_records.append({"article_id": a, "depot_id": d, "number": lot,
                                "quantity": lot_qty, "movement_id": movement,
                                "import_batch_id": run.batch_id})
    conn.execute(stock_movement_lines.insert(), lines)
    if lot_records:
        conn.execute(lots.insert(), lot_records)
    run.written["stock_movements"] += len(numbers)
    run.written["stock_movement_lines"] += len(lines)
    run.written["lots"] += len(lot_records)
