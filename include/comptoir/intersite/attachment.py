"""The attachment of an inter-site mail: the `comptoir-intersite-orders` document, version 1.

Decimals are JSON strings with `.` (quantities without trailing zeros, up to 3
decimals; unit prices with their 4 stored decimals; totals with 2), dates ISO 8601. A
line without a unit price has no `unit_price`. Written as UTF-8 without BOM.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from comptoir.intersite.selection import OrderLine, SelectedOrder

__all__ = ["FORMAT", "VERSION", "attachment_name", "document_bytes", "orders_document"]

FORMAT = "comptoir-intersite-orders"
VERSION = 1


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _line(line: OrderLine) -> dict[str, Any]:
    item: dict[str, Any] = {"line_no": line.line_no, "article": line.article,
                            "description": line.description,
                            "quantity": _quantity(line.quantity)}
    if line.unit_price is not None:
        item["unit_price"] = str(Decimal(line.unit_price).quantize(Decimal("0.0001")))
    return item


def _order(order: SelectedOrder) -> dict[str, Any]:
    return {"id": order.number, "date": order.date.isoformat(), "reference": order.reference,
            "follow_up_user": order.follow_up_user, "depot": order.depot,
            "total_excl_tax": str(order.total_excl_tax),
            "lines": [_line(line) for line in order.lines]}


def orders_document(*, site: str, company: str | None, sent_at: dt.datetime, sender: str,
                    supplier: tuple[str, str], orders: Sequence[SelectedOrder]
                    ) -> dict[str, Any]:
    """The document sent for `orders` of one supplier (`(code, name)`)."""
    code, name = supplier
    return {"format": FORMAT, "version": VERSION, "site": site, "company": company,
            "sent_at": sent_at.isoformat(timespec="seconds"), "sender": sender,
            "supplier": {"code": code, "name": name},
            "orders": [_order(order) for order in orders]}


def document_bytes(document: dict[str, Any]) -> bytes:
    """The document as the attachment's bytes: indented JSON, UTF-8 without BOM."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def attachment_name(site: str, moment: dt.datetime) -> str:
    """`commandes-<SITE>-<YYYYMMDD-HHMMSS>.json`."""
    return f"commandes-{site}-{moment:%Y%m%d-%H%M%S}.json"
