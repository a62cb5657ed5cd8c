"""The temporary tables one `pos invoice` run works in (`comptoir.pos.invoicing`).

They live in the run's own connection (temporary: invisible to other sessions, gone at
the end of the session; a rollback undoes their creation) and are dropped by the run.
Amounts in them are integers: cents (`*_cents`, `ttc`, `tax`...), ten-thousandths for
unit prices, thousandths for rates (`rate_m`) — see `comptoir.pos.exact_sql`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)
from sqlalchemy import Column as C

stage = MetaData()

#: The tickets the filters selected, what each needs, and the group it goes into.
tickets = Table(
    "pos_invoice_tickets", stage,
    C("ticket_id", Integer, primary_key=True),
    C("number", Integer, nullable=False),
    C("depot_id", Integer, nullable=False),
    C("store", String(40), nullable=False),
    C("register_id", Integer, nullable=False),
    C("register", String(40), nullable=False),
    C("sales_day_id", Integer),
    C("day", Date),
    C("customer_id", Integer),              # its own, else the counter customer
    C("customer", String(40)),
    C("kind", String(1), nullable=False),   # B: a mode makes delivery notes; else F
    C("sales_lines", Integer, nullable=False),
    C("sales_cents", BigInteger, nullable=False),
    C("skip_rule", String(40)),
    C("group_no", Integer),                 # null: skipped or without sales part
    Index("ix_pos_invoice_tickets_group", "group_no"),
    prefixes=["TEMPORARY"],
)

#: One row per document to make.
groups = Table(
    "pos_invoice_groups", stage,
    C("group_no", Integer, primary_key=True),
    C("customer_id", Integer, nullable=False),
    C("customer", String(40), nullable=False),
    C("day", Date, nullable=False),
    C("depot_id", Integer, nullable=False),
    C("store", String(40), nullable=False),
    C("register_id", Integer, nullable=False),
    C("register", String(40), nullable=False),
    C("type", String(1), nullable=False),
    C("first_ticket", Integer, nullable=False),
    C("last_ticket", Integer, nullable=False),
    C("number", String(30), nullable=False),
    C("document_id", Integer),
    Index("ix_pos_invoice_groups_number", "number"),
    prefixes=["TEMPORARY"],
)

#: One row per document line: the sales lines of the grouped tickets, numbered.
lines = Table(
    "pos_invoice_lines", stage,
    C("group_no", Integer, nullable=False),
    C("line_no", Integer, nullable=False),
    C("article_id", Integer),
    C("description", String(200)),
    C("quantity", Numeric(15, 3)),
    C("discount", Numeric(6, 3)),
    C("vat_code_id", Integer, nullable=False),
    C("rate_m", BigInteger, nullable=False),
    C("ttc", BigInteger, nullable=False),
    C("unit_price", BigInteger, nullable=False),
    C("own_tax", BigInteger, nullable=False),
    C("largest", Integer, nullable=False),  # 1 on the largest line of its VAT code
    Index("ix_pos_invoice_lines_key", "group_no", "vat_code_id"),
    prefixes=["TEMPORARY"],
)

#: One row per document and VAT code.
taxes = Table(
    "pos_invoice_taxes", stage,
    C("group_no", Integer, primary_key=True),
    C("vat_code_id", Integer, primary_key=True),
    C("rate_m", BigInteger, nullable=False),
    C("total", BigInteger, nullable=False),
    C("tax", BigInteger, nullable=False),
    C("lines_excl", BigInteger, nullable=False),  # Σ (ttc − own_tax) of its lines
    prefixes=["TEMPORARY"],
)

ALL = (tickets, groups, lines, taxes)


def create(conn: Connection) -> None:
    """The run's staging tables, empty (left over ones of this session are dropped)."""
    drop(conn)
    for table in ALL:
        table.create(conn)


def analyze(conn: Connection, table: Table) -> None:
    """Give PostgreSQL the statistics of a filled staging table (autovacuum never does).

    Without them the planner guesses a few rows and joins a million by nested loops.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f'ANALYZE "{table.name}"')  # a constant name of this module


def drop(conn: Connection) -> None:
    for table in reversed(ALL):
        table.drop(conn, checkfirst=True)
