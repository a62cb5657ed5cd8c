"""A retail chain's pending sales days, written set-based by the database itself.

`generate(engine, shape, start)` fills a migrated, empty dossier (PostgreSQL through
`generate_series`, SQLite through recursive CTEs; every table by `INSERT … SELECT`, no
Python loop per row) and `census(engine)` measures what it holds. Ids are explicit, so
that a line's ticket, store and article are arithmetic on its ordinal `k`:

- stores `MAG1`…`MAG<S>` (ids 1…S) with registers `C1`…`C<R>`; depots `DEP1`…`DEP3`
  (ids S+1…S+3, not stores) give stock by transfer;
- `S × R × D` sales days from `start`, `open`, `stock_state = 'pending'`;
- lines: line `k` is in store `k % S`, the `q = k // S`-th line of that store; ticket
  `q % T_s` of the store (its line `q // T_s + 1`), the store's tickets dealt round the
  day-registers; article `(q × P + 7 s) % A + 1` with P prime to A, so every store sells
  every article (A ≤ N / S); quantity 1–3;
- 0.5 % of the lines (`k % 200 = 199`) carry an unknown `article_code` (`INCONNU<n>`,
  article null), 0.2 % (`k % 500 = 250`) are `return` lines keyed with a positive
  quantity;
- the last K articles are kits (`KIT<a>`, `assembled`) whose assembly BOM takes two
  articles short in some store; kits are never short;
- stock records for every store and article, WAC = purchase price: the pair (store s,
  article a) with `(a + s) % 20 = 0` (5 % of the pairs, no kit) has no stock though it
  sells; the others hold more than they sell (B, the most a store can sell of an article
  over the days, + 0…16). 10 % of the records have an alert threshold of B + 5, half of
  them a target of B + 15, so that some are under it before any sale; `DEP1`, `DEP2`,
  `DEP3` hold 2 (none when a % 3 = 0), 3 and 1,000 of every article that is not a kit;
- family `ZZZ` with sub-family `DIV` (`ZZZ Divers`), ten ordinary families of five
  sub-families, 20 suppliers, one VAT code (20 %), one payment per ticket (`CB`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from _sql import Sql
from sqlalchemy import Connection, Engine, text

DEPOTS = ("DEP1", "DEP2", "DEP3")
SUPPLIERS = 20
FAMILIES = 10
SUB_FAMILIES = 5            # per ordinary family
SHORT_EVERY = 20            # (a + s) % 20 = 0: 5 % of the store-article pairs
UNKNOWN = (200, 199)        # k % 200 = 199: 0.5 % of the lines
RETURN_ERROR = (500, 250)   # k % 500 = 250: 0.2 % of the lines
ALERT = 5                   # alert threshold: what a store may sell, + 5
TARGET = 15                 # target quantity (half the alerted records), + 15
ZONE = "Europe/Paris"


@dataclass(frozen=True)
class Shape:
    """How big the chain and its pending days are."""

    stores: int = 50
    registers: int = 3
    days: int = 30
    lines: int = 1_000_000
    tickets: int = 435_000
    articles: int = 20_000
    kits: int = 200

    @classmethod
    def bench(cls, lines: int = 1_000_000) -> Shape:
        """50 stores × 3 registers × 30 days; tickets, articles and kits in proportion."""
        base = cls()
        articles = min(base.articles, lines // base.stores)
        return cls(lines=lines, tickets=max(1, round(lines * base.tickets / base.lines)),
                   articles=articles, kits=max(1, articles * base.kits // base.articles))

    @property
    def tickets_per_store(self) -> int:
        return max(1, min(self.tickets // self.stores, self.lines // self.stores))

    @property
    def stride(self) -> int:
        """A prime P with gcd(P, articles) = 1: q ↦ q × P mod A runs over every article."""
        return next(p for p in (7919, 7927, 7933) if math.gcd(p, self.articles) == 1)

    def check(self) -> None:
        if self.articles > self.lines // self.stores:
            raise ValueError(f"{self.articles} articles need {self.articles * self.stores} "
                             "lines at least (every store sells every article)")
        if 2 * SHORT_EVERY * self.kits > self.articles - self.kits:
            raise ValueError(f"{self.kits} kit(s) need {2 * SHORT_EVERY * self.kits} "
                             f"articles that are not kits, there are "
                             f"{self.articles - self.kits} (more lines, more articles)")


def season_start(today: dt.date, keep_months: int = 3, before: int = 10) -> dt.date:
    """`before` days ahead of the first day of the month `keep_months` before `today`'s:
    with 30 days, a third of them is what `season_end` archives with that `keep_months`."""
    month = today.year * 12 + today.month - 1 - keep_months
    return dt.date(month // 12, month % 12 + 1, 1) - dt.timedelta(days=before)


def _price_cents(a: str) -> str:
    """Purchase price of article `a` in cents (1.00 … 19.13)."""
    return f"(100 + ({a} % 50) * 37)"


def generate(engine: Engine, shape: Shape, start: dt.date) -> None:
    """Fill the migrated, empty dossier of `engine` with `shape`'s chain and days."""
    shape.check()
    with engine.begin() as conn:
        sql = Sql(conn, ZONE)
        if sql.pg:  # correct by construction (the SQLite test checks the foreign keys)
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        _reference(conn, sql, shape)
        _articles(conn, sql, shape)
        _stock(conn, sql, shape)
        _days_and_tickets(conn, sql, shape, start)
        _lines(conn, sql, shape)
        if sql.pg:
            for table in ("depots", "registers", "vat_codes", "payment_modes", "families",
                          "sub_families", "suppliers", "articles", "bom_lines",
                          "stock_records", "sales_days", "pos_tickets", "pos_ticket_lines",
                          "pos_ticket_payments"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()


def _reference(conn: Connection, sql: Sql, shape: Shape) -> None:
    stores, regs = shape.stores, shape.registers
    conn.execute(text("INSERT INTO vat_codes (id, code, name, rate) VALUES "
                      "(1, 'T1', 'TVA 20 %', 20)"))
    conn.execute(text("INSERT INTO payment_modes (id, code, name) VALUES "
                      "(1, 'CB', 'Carte bancaire')"))
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO depots (id, code, name, is_store) "
        f"SELECT k + 1, 'MAG' || (k + 1), 'Magasin ' || (k + 1), {sql.true()} FROM g"),
        {"n": stores})
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO depots (id, code, name, is_store) "
        f"SELECT :stores + k + 1, 'DEP' || (k + 1), 'Dépôt prioritaire ' || (k + 1), "
        f"{sql.false()} FROM g"), {"n": len(DEPOTS), "stores": stores})
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO registers (id, depot_id, code, name, number) "
        "SELECT k + 1, k / :regs + 1, 'C' || (k % :regs + 1), 'Caisse ' || (k % :regs + 1), "
        "k % :regs + 1 FROM g"), {"n": stores * regs, "regs": regs})
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO suppliers (id, code, name) "
        "SELECT k + 1, 'FOU' || (k + 1), 'Fournisseur ' || (k + 1) FROM g"),
        {"n": SUPPLIERS})
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO families (id, code, name) "
        "SELECT k + 1, 'F' || (k + 1), 'Famille ' || (k + 1) FROM g"), {"n": FAMILIES})
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO sub_families (id, family_id, code, name) "
        "SELECT k + 1, k / :per + 1, 'S' || (k % :per + 1), 'Sous-famille ' || (k + 1) "
        "FROM g"), {"n": FAMILIES * SUB_FAMILIES, "per": SUB_FAMILIES})
    conn.execute(text("INSERT INTO families (id, code, name) VALUES (:id, 'ZZZ', 'ZZZ Divers')"),
                 {"id": FAMILIES + 1})
    conn.execute(text("INSERT INTO sub_families (id, family_id, code, name) "
                      "VALUES (:id, :family, 'DIV', 'Divers')"),
                 {"id": FAMILIES * SUB_FAMILIES + 1, "family": FAMILIES + 1})


def _articles(conn: Connection, sql: Sql, shape: Shape) -> None:
    """Articles 1…A (the last K are kits) and the kits' assembly BOMs."""
    plain = shape.articles - shape.kits
    cents = _price_cents("(k + 1)")
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO articles (id, code, name, vat_code_id, supplier_id, "
        "family_id, sub_family_id, purchase_price, sale_price, unit, assembled) "
        "SELECT k + 1, CASE WHEN k < :plain THEN 'ART' ELSE 'KIT' END || (k + 1), "
        "CASE WHEN k < :plain THEN 'Article ' ELSE 'Kit ' END || (k + 1), 1, "
        "k % :suppliers + 1, k % :families + 1, (k % :families) * :per + k % :per + 1, "
        f"{cents} / 100.0, {cents} * 2 / 100.0, 'U', "
        f"CASE WHEN k < :plain THEN {sql.false()} ELSE {sql.true()} END FROM g"),
        {"n": shape.articles, "plain": plain, "suppliers": SUPPLIERS, "families": FAMILIES,
         "per": SUB_FAMILIES})
    # kit j (article plain + j + 1) of store s_j = j % S + 1: two articles short in s_j,
    # a = 20 m − s_j (m = 2j + 1, 2j + 2), one of each; k = 2j + c
    store = f"(k / 2 % {shape.stores} + 1)"
    component = f"({SHORT_EVERY} * (k + 1) - ({store} % {SHORT_EVERY}))"
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO bom_lines (id, parent_article_id, line_no, "
        "component_article_id, description, quantity, price, kind) "
        f"SELECT k + 1, :plain + k / 2 + 1, k % 2 + 1, {component}, 'Article ' || "
        f"{component}, 1, {_price_cents(component)} / 100.0, 'assembly' FROM g"),
        {"n": 2 * shape.kits, "plain": plain})


def _sold_bound(shape: Shape) -> int:
    """At most what a store sells of one article over the days (every line ≤ 3)."""
    return 3 * math.ceil(math.ceil(shape.lines / shape.stores) / shape.articles)


def _stock(conn: Connection, sql: Sql, shape: Shape) -> None:
    """Every store × article (short pairs at 0), then the three depots' articles."""
    plain = shape.articles - shape.kits
    a, s = "(k % :articles + 1)", "(k / :articles + 1)"
    quantity = (f"CASE WHEN {a} <= :plain AND ({a} + {s}) % {SHORT_EVERY} = 0 THEN 0 "
                f"WHEN {a} > :plain THEN :bound + 10 ELSE :bound + ({a} * {s}) % 17 END")
    alerted = f"({a} * 3 + {s}) % 10 = 0"
    conn.execute(text(
        f"{sql.series('n')}, r(k, quantity) AS (SELECT k, {quantity} FROM g) "
        "INSERT INTO stock_records (id, article_id, depot_id, quantity, value, wac, "
        "alert_threshold, target_quantity) "
        f"SELECT k + 1, {a}, {s}, quantity, quantity * {_price_cents(a)} / 100.0, "
        f"{_price_cents(a)} / 100.0, CASE WHEN {alerted} THEN :bound + {ALERT} END, "
        f"CASE WHEN {alerted} AND {a} % 2 = 0 THEN :bound + {TARGET} END FROM r"),
        {"n": shape.stores * shape.articles, "articles": shape.articles, "plain": plain,
         "bound": _sold_bound(shape)})
    a, d = "(k % :plain + 1)", "(k / :plain)"
    quantity = f"CASE {d} WHEN 0 THEN CASE WHEN {a} % 3 = 0 THEN 0 ELSE 2 END " \
               "WHEN 1 THEN 3 ELSE 1000 END"
    conn.execute(text(
        f"{sql.series('n')}, r(k, quantity) AS (SELECT k, {quantity} FROM g) "
        "INSERT INTO stock_records (id, article_id, depot_id, quantity, value, wac) "
        f"SELECT :first + k, {a}, :stores + {d} + 1, quantity, "
        f"quantity * {_price_cents(a)} / 100.0, {_price_cents(a)} / 100.0 FROM r"),
        {"n": len(DEPOTS) * plain, "plain": plain, "stores": shape.stores,
         "first": shape.stores * shape.articles + 1})


def _days_and_tickets(conn: Connection, sql: Sql, shape: Shape, start: dt.date) -> None:
    """The pending days, then the tickets dealt round each store's day-registers."""
    rd = shape.registers * shape.days
    conn.execute(text(
        f"{sql.series('n')} INSERT INTO sales_days (id, depot_id, register_id, date, status, "
        "closed, stock_state) "
        "SELECT k + 1, k / :rd + 1, (k / :rd) * :regs + k % :regs + 1, "
        f"{sql.day('k % :rd / :regs')}, 'open', {sql.false()}, 'pending' FROM g"),
        {"n": shape.stores * rd, "rd": rd, "regs": shape.registers,
         "start": start.isoformat()})
    per_store = shape.tickets_per_store
    per_day = math.ceil(per_store / rd)      # tickets of one register and day, at most
    v, u = "(k % :per_store % :rd)", "(k % :per_store)"
    lines, params = _line_rows(shape, "h")
    conn.execute(text(
        f"{sql.series('n', 'lines')}, {lines}, total(ticket, cents) AS (SELECT ticket, "
        "sum(quantity * cents) FROM x GROUP BY ticket) "
        "INSERT INTO pos_tickets (id, depot_id, register_id, number, issued_at, "
        "sales_day_id, total_incl_tax) "
        "SELECT k + 1, k / :per_store + 1, (k / :per_store) * :regs + "
        f"{v} % :regs + 1, ({v} / :regs) * :per_day + {u} / :rd + 1, "
        f"{sql.moment(f'{v} / :regs', f'({u} / :rd) * 300 % 36000')}, "
        f"(k / :per_store) * :rd + {v} + 1, coalesce(total.cents, 0) / 100.0 "
        "FROM g LEFT JOIN total ON total.ticket = k + 1"),
        {"n": shape.stores * per_store, "rd": rd, "regs": shape.registers,
         "per_day": per_day, "start": start.isoformat(), **params})
    conn.execute(text(
        "INSERT INTO pos_ticket_payments (id, ticket_id, line_no, payment_mode_id, amount) "
        "SELECT id, id, 1, 1, total_incl_tax FROM pos_tickets"))


def _line_rows(shape: Shape, source: str) -> tuple[str, dict[str, int]]:
    """The CTE `x(k, ticket, line_no, kind, a, code, quantity, cents)` of the N lines over
    the series `source` — every store sells every article; unknown codes and return errors — and its
    parameters."""
    q, s0 = "(k / :stores)", "(k % :stores)"
    article = f"(({q} * :stride + {s0} * 7) % :articles + 1)"
    unknown = f"k % {UNKNOWN[0]} = {UNKNOWN[1]}"
    returned = f"k % {RETURN_ERROR[0]} = {RETURN_ERROR[1]}"
    cte = (
        f"y(k, a) AS (SELECT k, {article} FROM {source}), "
        "x(k, ticket, line_no, kind, a, code, quantity, cents) AS (SELECT k, "
        f"{s0} * :per_store + {q} % :per_store + 1, {q} / :per_store + 1, "
        f"CASE WHEN {returned} THEN 'return' ELSE 'sale' END, "
        f"CASE WHEN {unknown} THEN NULL ELSE a END, "
        f"CASE WHEN {unknown} THEN 'INCONNU' || (k % 97) WHEN a > :plain THEN 'KIT' || a "
        "ELSE 'ART' || a END, k % 3 + 1, "
        f"CASE WHEN {unknown} THEN 500 ELSE ({_price_cents('a')} * 24 + 5) / 10 END FROM y)")
    return cte, {"lines": shape.lines, "stores": shape.stores, "stride": shape.stride,
                 "articles": shape.articles, "per_store": shape.tickets_per_store,
                 "plain": shape.articles - shape.kits}


def _lines(conn: Connection, sql: Sql, shape: Shape) -> None:
    lines, params = _line_rows(shape, "g")
    conn.execute(text(
        f"{sql.series('lines')}, {lines} "
        "INSERT INTO pos_ticket_lines (id, ticket_id, line_no, kind, article_id, article_code,"
        " quantity, unit_price_incl_tax, vat_rate, vat_code_id, total_incl_tax) "
        "SELECT k + 1, ticket, line_no, kind, a, code, quantity, cents / 100.0, 20, 1, "
        "quantity * cents / 100.0 FROM x"), params)


def census(engine: Engine) -> dict[str, int]:
    """What the dossier holds of the generated chain: days by state, tickets, lines, the
    unknown codes, the return errors, the short store-article pairs (stock below what the
    pending days sell), the kits holding a short article in a store that has the kit."""
    sold = ("SELECT t.depot_id, l.article_id, sum(l.quantity) AS sold FROM pos_ticket_lines l "
            "JOIN pos_tickets t ON t.id = l.ticket_id JOIN sales_days d ON "
            "d.id = t.sales_day_id WHERE d.stock_state = 'pending' AND l.kind = 'sale' "
            "AND l.article_id IS NOT NULL GROUP BY t.depot_id, l.article_id")
    short = (f"SELECT x.depot_id, x.article_id FROM ({sold}) x JOIN stock_records r ON "
             "r.depot_id = x.depot_id AND r.article_id = x.article_id WHERE r.quantity < x.sold")
    queries = {
        "stores": "SELECT count(*) FROM depots WHERE is_store = :yes",
        "depots": "SELECT count(*) FROM depots WHERE is_store = :no",
        "days": "SELECT count(*) FROM sales_days",
        "days_pending": "SELECT count(*) FROM sales_days WHERE stock_state = 'pending'",
        "tickets": "SELECT count(*) FROM pos_tickets",
        "lines": "SELECT count(*) FROM pos_ticket_lines",
        "payments": "SELECT count(*) FROM pos_ticket_payments",
        "articles": "SELECT count(*) FROM articles",
        "stock_records": "SELECT count(*) FROM stock_records",
        "pairs": "SELECT count(*) FROM stock_records r JOIN depots d ON d.id = r.depot_id "
                 "WHERE d.is_store = :yes",
        "unknown_codes": "SELECT count(*) FROM pos_ticket_lines l WHERE l.article_id IS NULL "
                         "AND l.sub_family_id IS NULL AND NOT EXISTS (SELECT 1 FROM articles a "
                         "WHERE a.code = l.article_code)",
        "return_errors": "SELECT count(*) FROM pos_ticket_lines WHERE kind = 'return' "
                         "AND quantity > 0",
        "short_pairs": f"SELECT count(*) FROM ({short}) p",
        "kits": "SELECT count(DISTINCT parent_article_id) FROM bom_lines WHERE kind = 'assembly'",
        "kits_on_short": f"SELECT count(DISTINCT b.parent_article_id) FROM ({short}) p "
                         "JOIN bom_lines b ON b.component_article_id = p.article_id "
                         "AND b.kind = 'assembly' JOIN stock_records k ON "
                         "k.article_id = b.parent_article_id AND k.depot_id = p.depot_id "
                         "AND k.quantity > 0",
        "alerts": "SELECT count(*) FROM stock_records WHERE alert_threshold > 0",
        "misc_sub_family": "SELECT count(*) FROM sub_families s JOIN families f ON "
                           "f.id = s.family_id WHERE f.code = 'ZZZ' AND s.code = 'DIV'",
    }
    with engine.connect() as conn:
        return {name: conn.execute(text(query), {"yes": True, "no": False}).scalar_one()
                for name, query in queries.items()}
