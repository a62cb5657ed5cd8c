"""A year of a store chain's tills, written set-based by the database itself, for the
editions' benchmark (`bench/editions.py`).

`generate(engine, shape)` fills a migrated, empty dossier (PostgreSQL through
`generate_series`, SQLite through recursive CTEs; every big table by one `INSERT …
SELECT`, no Python loop per row, the secondary indexes dropped while they load and built
again after) and `census(engine)` measures what it holds. Ids are explicit, so that a
ticket's day, store and register, and a line's ticket, are arithmetic on ordinals:

- stores `MAG1`…`MAG<S>` (ids 1…S) with registers `C1`…`C<R>`; VAT codes `T1` (20 %) and
  `T2` (5.5 %); payment modes `CB`, `ESP`, `CHQ`, `BA`; A articles `ART<a>`, one in four
  at 5.5 %;
- the trading days: the first D days of the year that are not a Sunday, 1 January,
  1 May or 25 December (310 in 2025); one sales day per register and trading day, closed;
- ticket `k` (0-based, in date order as a till writes them): trading day `k // (S × T)`,
  store `k % (S × T) // T`, the `j = k % T`-th ticket of that store's day, on register
  `j % R`, issued at 09:00 + j × 36,000 / T seconds (local time), number
  `day × ⌈T / R⌉ + j // R + 1` on its register;
- its lines: 1, 2 or 3 by `k % 8` (2.25 a ticket); line `l` sells article
  `a = (7k + 131 l) % A + 1` at `1,50 € + (a % 97) × 0,53 €` incl. VAT, quantity
  `(k + l) % 3 + 1`; with `h = 3k + l`, `h % 50 = 7` is a `return` (2 %) and
  `h % 200 = 11` a `defective` (0.5 %), both with negative quantity and total; the VAT rate
  is the article's (5.5 when `a % 4 = 0`, else 20); the ticket's total is the sum of its
  lines (a closed formula, so the tickets are written before their lines);
- its payments: mode by `k % 20` (`CB` 11 in 20, `ESP` 6, `CHQ` 2, `BA` 1); one ticket in
  ten (`k % 10 = 4`) pays half (truncated to the cent) by `BA`, the rest by its mode (≈ 1.1
  payments a ticket); the payments add up to the total, except one ticket in
  `mismatch` (`k % mismatch = mismatch // 2`), whose first payment is 1,00 € short.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from _sql import Sql, build_indexes, drop_indexes
from sqlalchemy import Connection, Engine, text

ZONE = "Europe/Paris"
HOLIDAYS = ((1, 1), (5, 1), (12, 25))
MODES = ((1, "CB", "Carte bancaire"), (2, "ESP", "Espèces"), (3, "CHQ", "Chèque"),
         (4, "BA", "Bon d'achat"))
RATES = ((1, "T1", "TVA 20 %", 20), (2, "T2", "TVA 5,5 %", 5.5))
LINES = (1, 2, 3, 2, 2, 3, 2, 3)        # lines of ticket k, by k % 8
RETURN = (50, 7)                        # h % 50 = 7
DEFECTIVE = (200, 11)                   # h % 200 = 11
SPLIT = (10, 4)                         # k % 10 = 4: half by BA
BIG = ("sales_days", "pos_tickets", "pos_ticket_lines", "pos_ticket_payments")


@dataclass(frozen=True)
class Shape:
    """How big the chain and its year are."""

    stores: int = 50
    registers: int = 3
    days: int = 310
    tickets: int = 400          # per store and trading day
    articles: int = 1_000
    year: int = 2025
    mismatch: int = 100_000     # one ticket in `mismatch` is paid 1,00 € short

    @property
    def all_tickets(self) -> int:
        return self.stores * self.days * self.tickets

    @property
    def lines(self) -> int:
        n = self.all_tickets
        return n // len(LINES) * sum(LINES) + sum(LINES[: n % len(LINES)])

    @property
    def payments(self) -> int:
        n = self.all_tickets
        return n + n // SPLIT[0] + (1 if n % SPLIT[0] > SPLIT[1] else 0)

    def trading_days(self) -> list[dt.date]:
        """The first `days` days of `year` that are neither a Sunday nor a holiday."""
        found, day = [], dt.date(self.year, 1, 1)
        while len(found) < self.days and day.year == self.year:
            if day.isoweekday() != 7 and (day.month, day.day) not in HOLIDAYS:
                found.append(day)
            day += dt.timedelta(days=1)
        if len(found) < self.days:
            raise ValueError(f"{self.year} has {len(found)} trading days, not {self.days}")
        return found


def _line(k: str, no: str, articles: int) -> dict[str, str]:
    """SQL of line `no` of ticket `k`: article, price and quantity, kind, sign, rate."""
    a = f"((({k}) * 7 + ({no}) * 131) % {articles} + 1)"
    h = f"(({k}) * 3 + ({no}))"
    returned, defective = f"{h} % {RETURN[0]} = {RETURN[1]}", \
        f"{h} % {DEFECTIVE[0]} = {DEFECTIVE[1]}"
    return {
        "a": a, "cents": f"(150 + {a} % 97 * 53)", "quantity": f"((({k}) + ({no})) % 3 + 1)",
        "kind": f"CASE WHEN {returned} THEN 'return' WHEN {defective} THEN 'defective' "
                "ELSE 'sale' END",
        "sign": f"CASE WHEN {returned} OR {defective} THEN -1 ELSE 1 END",
        "rate": f"CASE WHEN {a} % 4 = 0 THEN 5.5 ELSE 20 END",
        "vat_code": f"CASE WHEN {a} % 4 = 0 THEN 2 ELSE 1 END",
    }


def _count(k: str) -> str:
    """SQL: how many lines ticket `k` has."""
    cases = " ".join(f"WHEN {r} THEN {n}" for r, n in enumerate(LINES) if n != 2)
    return f"CASE ({k}) % {len(LINES)} {cases} ELSE 2 END"


def _before(k: str) -> str:
    """SQL: how many lines the tickets before ticket `k` have."""
    cases = " ".join(f"WHEN {r} THEN {sum(LINES[:r])}" for r in range(1, len(LINES)))
    return f"(({k}) / {len(LINES)} * {sum(LINES)} + CASE ({k}) % {len(LINES)} {cases} " \
           "ELSE 0 END)"


def _total_cents(k: str, articles: int) -> str:
    """SQL: the total of ticket `k` in cents, the sum of its lines."""
    terms = []
    for no in range(1, max(LINES) + 1):
        x = _line(k, str(no), articles)
        terms.append(f"CASE WHEN {no} <= {_count(k)} THEN ({x['sign']}) * {x['quantity']} * "
                     f"{x['cents']} ELSE 0 END")
    return "(" + " + ".join(terms) + ")"


def generate(engine: Engine, shape: Shape,
             step: Callable[[str], None] = lambda _: None) -> None:
    """Fill the migrated, empty dossier of `engine` with `shape`'s chain and year;
    `step(name)` is called after each stage (to time them)."""
    with engine.begin() as conn:
        sql = Sql(conn, ZONE)
        if sql.pg:  # correct by construction (the SQLite test checks the foreign keys)
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        again = drop_indexes(conn, list(BIG))
        _reference(conn, sql, shape)
        _days(conn, sql, shape)
        step("reference data and sales days")
        _tickets(conn, sql, shape)
        step("tickets")
        _lines(conn, sql, shape)
        step("ticket lines")
        _payments(conn, shape)
        step("payments")
        build_indexes(conn, again)
        if sql.pg:
            for table in ("depots", "registers", "vat_codes", "payment_modes", "articles",
                          *BIG):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
        step("indexes")


def _reference(conn: Connection, sql: Sql, shape: Shape) -> None:
    conn.execute(text("INSERT INTO vat_codes (id, code, name, rate) VALUES "
                      "(:id, :code, :name, :rate)"),
                 [dict(zip(("id", "code", "name", "rate"), r, strict=True)) for r in RATES])
    conn.execute(text("INSERT INTO payment_modes (id, code, name) VALUES (:id, :code, :name)"),
                 [dict(zip(("id", "code", "name"), m, strict=True)) for m in MODES])
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO depots (id, code, name, is_store) "
        f"SELECT k + 1, 'MAG' || (k + 1), 'Magasin ' || (k + 1), {sql.true()} FROM g"),
        {"n": shape.stores})
    regs = shape.registers
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO registers (id, depot_id, code, name, number) "
        f"SELECT k + 1, k / {regs} + 1, 'C' || (k % {regs} + 1), "
        f"'Caisse ' || (k % {regs} + 1), k % {regs} + 1 FROM g"), {"n": shape.stores * regs})
    cents = "(150 + (k + 1) % 97 * 53)"
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO articles (id, code, name, vat_code_id, sale_price, "
        "purchase_price, unit) "
        "SELECT k + 1, 'ART' || (k + 1), 'Article ' || (k + 1), "
        "CASE WHEN (k + 1) % 4 = 0 THEN 2 ELSE 1 END, "
        f"round({cents} / CASE WHEN (k + 1) % 4 = 0 THEN 105.5 ELSE 120.0 END, 4), "
        f"round({cents} / 250.0, 4), 'U' FROM g"), {"n": shape.articles})


def _days(conn: Connection, sql: Sql, shape: Shape) -> None:
    """The trading days (a temporary table), then one sales day per register and day."""
    conn.execute(text("CREATE TEMPORARY TABLE bench_days (n INTEGER PRIMARY KEY, "
                      "date DATE NOT NULL)"))
    conn.execute(text("INSERT INTO bench_days (n, date) VALUES (:n, :date)"),
                 [{"n": n, "date": day if sql.pg else day.isoformat()}
                  for n, day in enumerate(shape.trading_days())])
    chain = shape.stores * shape.registers
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO sales_days (id, depot_id, register_id, date, status, "
        "closed, stock_state) "
        f"SELECT k + 1, k % {chain} / {shape.registers} + 1, k % {chain} + 1, d.date, "
        f"'closed', {sql.true()}, 'updated' FROM g JOIN bench_days d ON d.n = k / {chain}"),
        {"n": chain * shape.days})


def _tickets(conn: Connection, sql: Sql, shape: Shape) -> None:
    per_day = shape.stores * shape.tickets
    s, j = f"(k % {per_day} / {shape.tickets})", f"(k % {shape.tickets})"
    c, n, regs = f"({j} % {shape.registers})", f"(k / {per_day})", shape.registers
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO pos_tickets (id, depot_id, register_id, number, "
        "issued_at, sales_day_id, total_incl_tax) "
        f"SELECT k + 1, {s} + 1, {s} * {regs} + {c} + 1, "
        f"{n} * {math.ceil(shape.tickets / regs)} + {j} / {regs} + 1, "
        f"{sql.at('d.date', f'{j} * 36000 / {shape.tickets}')}, "
        f"({n} * {shape.stores} + {s}) * {regs} + {c} + 1, "
        f"{_total_cents('k', shape.articles)} / 100.0 "
        f"FROM g JOIN bench_days d ON d.n = {n}"), {"n": shape.all_tickets})


def _lines(conn: Connection, sql: Sql, shape: Shape) -> None:
    x = _line("k", "l", shape.articles)
    conn.execute(text(
        f"{sql.series('n')}, ll(l) AS (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) "
        "INSERT INTO pos_ticket_lines (id, ticket_id, line_no, kind, article_id, quantity, "
        "unit_price_incl_tax, vat_rate, vat_code_id, total_incl_tax) "
        f"SELECT {_before('k')} + l, k + 1, l, {x['kind']}, {x['a']}, "
        f"({x['sign']}) * {x['quantity']}, {x['cents']} / 100.0, {x['rate']}, "
        f"{x['vat_code']}, ({x['sign']}) * {x['quantity']} * {x['cents']} / 100.0 "
        f"FROM g CROSS JOIN ll WHERE l <= {_count('k')}"), {"n": shape.all_tickets})


def _payments(conn: Connection, shape: Shape) -> None:
    k = "(id - 1)"
    split = f"{k} % {SPLIT[0]} = {SPLIT[1]}"
    half = "CAST(round(total_incl_tax * 100) AS INTEGER) / 2"
    pid = f"({k} + {k} / {SPLIT[0]} + CASE WHEN {k} % {SPLIT[0]} > {SPLIT[1]} THEN 1 " \
          "ELSE 0 END + 1)"
    mode = f"CASE WHEN {k} % 20 < 11 THEN 1 WHEN {k} % 20 < 17 THEN 2 " \
           f"WHEN {k} % 20 < 19 THEN 3 ELSE 4 END"
    short = f"CASE WHEN {k} % {shape.mismatch} = {shape.mismatch // 2} THEN 1 ELSE 0 END"
    conn.execute(text(
        "INSERT INTO pos_ticket_payments (id, ticket_id, line_no, payment_mode_id, amount) "
        f"SELECT {pid}, id, 1, {mode}, total_incl_tax - CASE WHEN {split} THEN {half} / 100.0 "
        f"ELSE 0 END - {short} FROM pos_tickets "
        f"UNION ALL SELECT {pid} + 1, id, 2, 4, {half} / 100.0 FROM pos_tickets WHERE {split}"))


def census(engine: Engine) -> dict[str, object]:
    """What the dossier holds: counts of the chain, the days and the tickets; lines by kind
    and by rate; payments by mode; tickets whose payments do not add up to their total;
    the fewest and most tickets of a store-day; the first and last trading day (ISO)."""
    scalars = {
        "stores": "SELECT count(*) FROM depots WHERE is_store = :yes",
        "registers": "SELECT count(*) FROM registers",
        "sales_days": "SELECT count(*) FROM sales_days",
        "trading_days": "SELECT count(DISTINCT date) FROM sales_days",
        "tickets": "SELECT count(*) FROM pos_tickets",
        "lines": "SELECT count(*) FROM pos_ticket_lines",
        "payments": "SELECT count(*) FROM pos_ticket_payments",
        "unbalanced": "SELECT count(*) FROM pos_tickets t WHERE round(t.total_incl_tax, 2) <> "
                      "(SELECT round(sum(p.amount), 2) FROM pos_ticket_payments p "
                      "WHERE p.ticket_id = t.id)",
        "mistotalled": "SELECT count(*) FROM pos_tickets t WHERE round(t.total_incl_tax, 2) "
                       "<> (SELECT round(sum(l.total_incl_tax), 2) FROM pos_ticket_lines l "
                       "WHERE l.ticket_id = t.id)",
        "first_day": "SELECT min(date) FROM sales_days",
        "last_day": "SELECT max(date) FROM sales_days",
    }
    groups = {
        "kinds": "SELECT kind, count(*) FROM pos_ticket_lines GROUP BY kind",
        "rates": "SELECT CAST(vat_rate AS VARCHAR(10)), count(*) FROM pos_ticket_lines "
                 "GROUP BY vat_rate",
        "modes": "SELECT m.code, count(*) FROM pos_ticket_payments p JOIN payment_modes m "
                 "ON m.id = p.payment_mode_id GROUP BY m.code",
        "per_store_day": "SELECT min(n), max(n) FROM (SELECT count(*) AS n FROM pos_tickets t "
                         "JOIN sales_days d ON d.id = t.sales_day_id "
                         "GROUP BY t.depot_id, d.date) x",
    }
    with engine.connect() as conn:
        found: dict[str, object] = {
            name: conn.execute(text(query), {"yes": True}).scalar_one()
            for name, query in scalars.items()}
        found["first_day"], found["last_day"] = str(found["first_day"]), str(found["last_day"])
        for name, query in groups.items():
            found[name] = {str(row[0]): row[1] for row in conn.execute(text(query))} \
                if name != "per_store_day" else tuple(conn.execute(text(query)).one())
    return found
