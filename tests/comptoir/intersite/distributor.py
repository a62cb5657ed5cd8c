"""A small distributor dossier for the inter-site tests.

Site `DIST-CALVI`, company `Les Comptoirs Réunis`; user `s.lefevre` (Sophie Lefèvre,
`s.lefevre@calvi.example`); depot `MAG01`; VAT `T1` 20 %, `T3` 5.5 %; articles `ART001358`
(T1), `ART2` (T3); suppliers `FOU0001` (order address `appros@central.example`) and
`FOU0002` (none). `order(engine, number, ...)` adds a purchase order with its lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting

CENTRAL = "appros@central.example"
SENDER = "s.lefevre@calvi.example"

NAMES = {"ART001358": "Crème mains 400 ml", "ART2": "Riz"}

Line = tuple[str | None, str, str | None]
"""(article code or None, quantity, unit price or None)."""


def reference(engine: Engine, *, site: str | None = "DIST-CALVI") -> dict[str, int]:
    """Write the reference data; the ids by code."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        if site is not None:
            set_setting(conn, "intersite_site_code", site)
        set_setting(conn, "company_name", "Les Comptoirs Réunis")
        conn.execute(s.users.insert().values(login="s.lefevre", name="Sophie Lefèvre",
                                             email=SENDER))

        def add(key: str, table: Any, **values: Any) -> None:
            ids[key] = conn.execute(table.insert().values(**values)).inserted_primary_key[0]

        add("MAG01", s.depots, code="MAG01", name="Magasin 1")
        add("T1", s.vat_codes, code="T1", name="20 %", rate=Decimal("20"))
        add("T3", s.vat_codes, code="T3", name="5,5 %", rate=Decimal("5.5"))
        add("ART001358", s.articles, code="ART001358", name="Crème mains 400 ml",
            vat_code_id=ids["T1"])
        add("ART2", s.articles, code="ART2", name="Riz", vat_code_id=ids["T3"])
        add("FOU0001", s.suppliers, code="FOU0001", name="Comptoir Logistique Centrale",
            intersite_email=CENTRAL)
        add("FOU0002", s.suppliers, code="FOU0002", name="Grossiste")
    return ids


def order(engine: Engine, number: str, lines: Sequence[Line] = (("ART001358", "48", "5.55"),),
          *, supplier: str = "FOU0001", date: dt.date = dt.date(2026, 1, 11),
          status: str = "confirmed", reference: str | None = "Réassort 11/01",
          follow_up: str | None = "s.lefevre", sent_at: dt.datetime | None = None) -> int:
    """Add a purchase order (depot MAG01) and its lines, numbered from 1; its id."""
    with engine.begin() as conn:
        ids = dict(conn.execute(select(s.suppliers.c.code, s.suppliers.c.id)).all())
        articles = dict(conn.execute(select(s.articles.c.code, s.articles.c.id)).all())
        depot = conn.execute(select(s.depots.c.id).where(s.depots.c.code == "MAG01")).scalar()
        new = conn.execute(s.purchase_orders.insert().values(
            number=number, supplier_id=ids[supplier], depot_id=depot, date=date,
            status=status, follow_up_user=follow_up, reference=reference,
            sent_at=sent_at)).inserted_primary_key[0]
        for line_no, (article, quantity, price) in enumerate(lines, start=1):
            conn.execute(s.purchase_order_lines.insert().values(
                order_id=new, line_no=line_no,
                article_id=None if article is None else articles[article],
                description=NAMES.get(article),
                quantity=Decimal(quantity), unit_price=None if price is None else Decimal(price)))
    return new


def orders_state(engine: Engine) -> dict[str, tuple[str, bool, str | None]]:
    """Every order's (status, sent, sent_message_id), by number."""
    po = s.purchase_orders.c
    with engine.connect() as conn:
        return {number: (status, sent_at is not None, message_id) for number, status, sent_at,
                message_id in conn.execute(select(po.number, po.status, po.sent_at,
                                                  po.sent_message_id))}
