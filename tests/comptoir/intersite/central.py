"""A central dossier and inter-site mails for the reception tests.

`central(engine)`: VAT `T1` 20 % and `T3` 5.5 %; depot `DEP1`; articles `ART1` (T1,
10.00), `ART2` (T3, 2.50), `ART3` (T1, no sale price); customer `CALVI`; site
`DIST-CALVI` (customer CALVI, depot DEP1, sender `s.lefevre@calvi.example`).
`order(...)`, `attachment(...)` and `mail(...)` build what a distributor sends;
`drop(folder, name, raw)` puts a `.eml` into a mail folder.
"""

from __future__ import annotations

import json
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from comptoir.backoffice import schema as s
from comptoir.intersite.sites import add_site

SITE = "DIST-CALVI"
SENDER = "s.lefevre@calvi.example"


def central(engine: Engine) -> dict[str, int]:
    """Write the central dossier's reference data and its known site; ids by code."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        def add(table: Any, **values: Any) -> int:
            new = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
            ids[values["code"]] = new
            return new

        add(s.vat_codes, code="T1", name="20 %", rate=Decimal("20"))
        add(s.vat_codes, code="T3", name="5,5 %", rate=Decimal("5.5"))
        add(s.depots, code="DEP1", name="Dépôt central")
        add(s.articles, code="ART1", name="Article un", vat_code_id=ids["T1"],
            sale_price=Decimal("10.00"))
        add(s.articles, code="ART2", name="Article deux", vat_code_id=ids["T3"],
            sale_price=Decimal("2.50"))
        add(s.articles, code="ART3", name="Article trois", vat_code_id=ids["T1"])
        add(s.customers, code="CALVI", name="Comptoir de Calvi")
        add(s.customers, code="AJACCIO", name="Comptoir d'Ajaccio")
        ids[SITE] = add_site(conn, SITE, customer="CALVI", senders=[SENDER], depot="DEP1").id
    return ids


def order(order_id: str = "CF2026-000001", lines: list[dict[str, Any]] | None = None,
          **fields: Any) -> dict[str, Any]:
    """One order of an attachment (two lines by default)."""
    if lines is None:
        lines = [{"line_no": 1, "article": "ART1", "description": "Crème mains",
                  "quantity": "48", "unit_price": "5.5500"},
                 {"line_no": 2, "article": "ART2", "quantity": "3.5"}]
    return {"id": order_id, "date": "2026-01-11", "reference": "Réassort 11/01",
            "follow_up_user": "s.lefevre", "depot": "MAG01", "lines": lines, **fields}


def attachment(*orders: dict[str, Any], site: str = SITE, **fields: Any) -> bytes:
    """A `comptoir-intersite-orders` v1 document."""
    document = {"format": "comptoir-intersite-orders", "version": 1, "site": site,
                "company": "Les Comptoirs Réunis", "sent_at": "2026-11-23T10:15:00+01:00",
                "sender": SENDER, "supplier": {"code": "FOU0001", "name": "Centrale"},
                "orders": list(orders) or [order()], **fields}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def mail(*payloads: bytes | tuple[str, bytes], sender: str = SENDER,
         message_id: str | None = "auto", subject: str = "Commandes inter-sites") -> bytes:
    """An RFC 5322 message carrying the payloads as JSON attachments."""
    message = EmailMessage()
    message["From"] = f"Sophie Lefèvre <{sender}>"
    message["To"] = "commandes@centrale.example"
    message["Subject"] = subject
    message["X-Comptoir-Intersite"] = "orders/1"
    if message_id == "auto":
        message_id = make_msgid(domain="calvi.example")
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content("Bonjour,\nVoici nos commandes.\n")
    for number, item in enumerate(payloads, start=1):
        name, payload = item if isinstance(item, tuple) else (
            f"commandes-{SITE}-2026112{number}-101500.json", item)
        message.add_attachment(payload, maintype="application", subtype="json",
                               filename=name)
    return bytes(message)


def drop(folder: Path, name: str, raw: bytes) -> Path:
    """Put a message into a mail folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(raw)
    return path


def count(engine: Engine, table: Any) -> int:
    """How many rows `table` has."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()
