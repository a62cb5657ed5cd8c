"""Reading the `comptoir-intersite-orders` attachment (version 1), exact decimals kept.

`read_order_document` checks the shape: UTF-8 JSON, `format`, `version`, `site`, `orders`
and per order `id`, `date`, `lines`, per line `article`, `quantity` present. What is wrong
is raised as `AttachmentRefused` with its rule (`malformed_attachment`,
`unsupported_version`) and a message naming it. Values (dates, quantities, prices) are
checked per order by `order_problem`, so a bad order does not refuse the others. Fields a
reader does not know are ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["FORMAT", "VERSION", "AttachmentRefused", "OrderDocument", "OrderLine",
           "ReceivedOrder", "date_value", "decimal_value", "line_order", "order_problem",
           "read_order_document"]

FORMAT = "comptoir-intersite-orders"
VERSION = 1
#: Longest order id (the dossier's `intersite_messages.order_ref`).
MAX_ID = 60


class AttachmentRefused(Exception):
    """The attachment cannot be read: `rule` and a one-line `message`."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class OrderLine:
    """One line as sent: values are read (and checked) later, per order."""

    position: int
    line_no: Any
    article: str
    description: Any
    quantity: Any
    unit_price: Any


@dataclass(frozen=True)
class ReceivedOrder:
    """One order of the attachment."""

    id: str
    date: Any
    reference: Any
    lines: list[OrderLine]


@dataclass(frozen=True)
class OrderDocument:
    """The attachment: the sending site and its orders, in order."""

    site: str
    orders: list[ReceivedOrder]


def _malformed(message: str) -> AttachmentRefused:
    return AttachmentRefused("malformed_attachment", message)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _malformed(f"{what} is not a non-empty string")
    return value.strip()


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object")
    return value


def _require(item: dict[str, Any], field: str, what: str) -> Any:
    if field not in item or item[field] is None:
        raise _malformed(f"{what} has no {field!r}")
    return item[field]


def _constant(value: str) -> Any:
    raise ValueError(f"{value} is not a number")


def read_order_document(payload: bytes) -> OrderDocument:
    """The attachment's site and orders; `AttachmentRefused` saying what is wrong."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("the attachment is not UTF-8 text") from None
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_constant)
    except (ValueError, RecursionError) as exc:
        raise _malformed(f"the attachment is not JSON ({str(exc).splitlines()[0][:120]})"
                         ) from None
    data = _object(data, "the attachment")
    if data.get("format") != FORMAT:
        raise _malformed(f"'format' is not {FORMAT!r}")
    version = _require(data, "version", "the attachment")
    if type(version) is not int or version != VERSION:
        shown = json.dumps(version, default=str)[:40]
        raise AttachmentRefused("unsupported_version",
                                f"version {shown} is not supported (only {VERSION})")
    site = _text(_require(data, "site", "the attachment"), "'site'")
    orders = _require(data, "orders", "the attachment")
    if not isinstance(orders, list):
        raise _malformed("'orders' is not a list")
    return OrderDocument(site, [_order(item, number) for number, item in
                                enumerate(orders, start=1)])


def _order(item: Any, number: int) -> ReceivedOrder:
    where = f"order {number}"
    order = _object(item, where)
    order_id = _text(_require(order, "id", where), f"{where}: 'id'")
    where = f"order {order_id}"
    date = _require(order, "date", where)
    lines = _require(order, "lines", where)
    if not isinstance(lines, list):
        raise _malformed(f"{where}: 'lines' is not a list")
    read = []
    for position, line in enumerate(lines, start=1):
        what = f"{where}, line {position}"
        line = _object(line, what)
        article = _text(_require(line, "article", what), f"{what}: 'article'")
        quantity = _require(line, "quantity", what)
        read.append(OrderLine(position, line.get("line_no"), article, line.get("description"),
                              quantity, line.get("unit_price")))
    return ReceivedOrder(order_id, date, order.get("reference"), read)


# ----------------------------------------------------------------------------- values


def decimal_value(value: Any, places: int, digits: int = 15) -> Decimal | None:
    """A JSON decimal (a string with `.`, or a number) with at most `places` decimals."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        return None
    if abs(number) >= Decimal(10) ** (digits - places):
        return None
    return number


def date_value(value: Any) -> dt.date | None:
    """An ISO 8601 date (`YYYY-MM-DD`, a date-time's date part also taken)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None


def line_order(line: OrderLine) -> tuple[float, int]:
    """The sort key of a line: its `line_no` (an integer), else after them, in order."""
    number = line.line_no
    if isinstance(number, int) and not isinstance(number, bool):
        return (float(number), line.position)
    return (math.inf, line.position)


def order_problem(order: ReceivedOrder) -> str | None:
    """Why the order's values cannot be used (`invalid_value`), or None."""
    problems = []
    if len(order.id) > MAX_ID:
        problems.append(f"id is longer than {MAX_ID} characters")
    if date_value(order.date) is None:
        problems.append(f"date {order.date!r} is not a date (YYYY-MM-DD)")
    for line in order.lines:
        quantity = decimal_value(line.quantity, 3)
        if quantity is None or quantity <= 0:
            problems.append(f"line {line.position}: quantity {_shown(line.quantity)} is not "
                            "a quantity > 0 (at most 3 decimals)")
        if line.unit_price is not None:
            price = decimal_value(line.unit_price, 4)
            if price is None or price < 0:
                problems.append(f"line {line.position}: unit_price {_shown(line.unit_price)} "
                                "is not a price ≥ 0 (at most 4 decimals)")
    return "; ".join(problems) or None


def _shown(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)[:40]
