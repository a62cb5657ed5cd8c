"""Reference data for the stock-posting tests, and readers of stock and lots.

Depots `MAGT1`, `MAGT2`, `MAGT3` (stores) and `DEPOT` (warehouse); articles `TSC-A`
(purchase price 3.50), `TSC-B` (2.00), `NOPP` (no purchase price) and the lot-managed
`LOT-A` (5.00). `stock()` sets a depot's record, `lot()` adds a lot created by an
`initial` movement of the given date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection, Engine, select

from comptoir.backoffice import schema as s

DEPOTS = ("MAGT1", "MAGT2", "MAGT3", "DEPOT")
ARTICLES = {"TSC-A": ("3.50", False), "TSC-B": ("2.00", False), "NOPP": (None, False),
            "LOT-A": ("5.00", True)}
DAY = dt.date(2025, 3, 4)


def D(value: str | int) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(value))


@dataclass
class StockData:
    engine: Engine
    depot: dict[str, int] = field(default_factory=dict)
    article: dict[str, int] = field(default_factory=dict)
    _initials: int = 0

    def __post_init__(self) -> None:
        with self.engine.begin() as conn:
            for code in DEPOTS:
                self.depot[code] = conn.execute(s.depots.insert().values(
                    code=code, name=f"Dépôt {code}", is_store=code != "DEPOT")
                ).inserted_primary_key[0]
            for code, (price, managed) in ARTICLES.items():
                self.article[code] = conn.execute(s.articles.insert().values(
                    code=code, name=f"Article {code}",
                    purchase_price=D(price) if price else None, lot_managed=managed)
                ).inserted_primary_key[0]

    def stock(self, article: str, depot: str, quantity: str, value: str, wac: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(s.stock_records.insert().values(
                article_id=self.article[article], depot_id=self.depot[depot],
                quantity=D(quantity), value=D(value), wac=D(wac)))

    def lot(self, article: str, depot: str, number: str, quantity: str, day: dt.date) -> None:
        """A lot created by its own `initial` movement dated `day` (stock record unchanged)."""
        self._initials += 1
        with self.engine.begin() as conn:
            movement = conn.execute(s.stock_movements.insert().values(
                number=f"SI-{self._initials}", kind="initial", date=day,
                depot_id=self.depot[depot], validated=True)).inserted_primary_key[0]
            conn.execute(s.lots.insert().values(
                article_id=self.article[article], depot_id=self.depot[depot], number=number,
                quantity=D(quantity), movement_id=movement))

    # --- readers ------------------------------------------------------------------------

    def record(self, article: str, depot: str) -> tuple[Decimal, Decimal, Decimal] | None:
        """(quantity, value, wac) of a depot's stock record, None when there is none."""
        r = s.stock_records.c
        with self.engine.connect() as conn:
            row = conn.execute(select(r.quantity, r.value, r.wac).where(
                r.article_id == self.article[article],
                r.depot_id == self.depot[depot])).first()
        return None if row is None else (D(row[0]).normalize(), D(row[1]), D(row[2]))

    def lots(self, article: str, depot: str) -> dict[str, Decimal]:
        lt = s.lots.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(lt.number, lt.quantity).where(
                lt.article_id == self.article[article], lt.depot_id == self.depot[depot])
                .order_by(lt.number)).all()
        return {number: D(q).normalize() for number, q in rows}

    def lines(self, number: str) -> list[tuple]:
        """(article code, quantity, unit cost, value, lot) of a movement's lines in order."""
        m, ln, a = s.stock_movements.c, s.stock_movement_lines.c, s.articles.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.code, ln.quantity, ln.unit_cost, ln.value, ln.lot_number)
                .select_from(s.stock_movement_lines.join(s.stock_movements)
                             .join(s.articles, a.id == ln.article_id))
                .where(m.number == number).order_by(ln.line_no)).all()
        return [(c, D(q).normalize(), D(u), D(v), lot) for c, q, u, v, lot in rows]

    def lots_add_up(self, conn: Connection | None = None) -> bool:
        """Every lot-managed (article, depot) pair: the lots add up to the stock."""
        r, lt, a = s.stock_records.c, s.lots.c, s.articles.c
        with self.engine.connect() as own:
            c = conn or own
            stock = {(x, d): D(q) for x, d, q in c.execute(
                select(r.article_id, r.depot_id, r.quantity)
                .join(s.articles, a.id == r.article_id).where(a.lot_managed))}
            sums: dict[tuple[int, int], Decimal] = {}
            for x, d, q in c.execute(select(lt.article_id, lt.depot_id, lt.quantity)):
                sums[(x, d)] = sums.get((x, d), D(0)) + D(q)
        return all(sums.get(k, D(0)) == v for k, v in stock.items()) and set(sums) <= set(stock)
