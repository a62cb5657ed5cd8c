"""The orders of one message: checked against the dossier, created as sales documents.

`check_orders` gives each order its state (`created` — to be created —,
`already_received` or `rejected` with its rule) without writing; `create_orders` writes
the documents of the orders to create (type C, series `IS-C-000001`, counter
`intersite.C`, origin `<SITE>:<ID>`, source `intersite`) and their `intersite_messages`
rows, in the caller's transaction. Totals as for partner documents
(`comptoir.backoffice.totals`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Connection, select

from comptoir.backoffice.schema import (
    articles,
    intersite_messages,
    sales_document_lines,
    sales_document_taxes,
    sales_documents,
    vat_codes,
)
from comptoir.backoffice.totals import line_total_cents, tax_cents
from comptoir.imports import loader
from comptoir.intersite.order_document import (
    ReceivedOrder,
    date_value,
    decimal_value,
    line_order,
    order_problem,
)
from comptoir.intersite.sites import Site

__all__ = ["COUNTER", "ORDER_RULES", "Outcome", "Prices", "check_orders", "create_orders"]

Prices = Literal["order", "catalogue"]
COUNTER = "intersite.C"
#: The order-level rules, in the order they are checked.
ORDER_RULES = ("already_received", "duplicate_in_message", "empty_order", "unknown_article",
               "invalid_value")
_CHUNK = 1000
_REFERENCE, _DESCRIPTION = 120, 200


@dataclass
class Outcome:
    """One order's state; `lines` holds what to create (created orders only)."""

    order: ReceivedOrder
    state: str
    rule: str | None = None
    message: str | None = None
    document: str | None = None
    lines: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def as_report(self) -> dict[str, Any]:
        """`{"id", "state", "document", "rule", "message"}`; a rejected order: `rejected`."""
        return {"id": self.order.id, "state": self.state, "document": self.document,
                "rule": self.rule, "message": self.message}


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[start:start + _CHUNK] for start in range(0, len(values), _CHUNK)]


def _received(conn: Connection, site: str, ids: list[str]) -> dict[str, str | None]:
    """Order id → the document number of the orders of `site` already received."""
    found: dict[str, str | None] = {}
    for chunk in _chunks(ids):
        found.update(conn.execute(
            select(intersite_messages.c.order_ref, sales_documents.c.number)
            .outerjoin(sales_documents,
                       sales_documents.c.id == intersite_messages.c.document_id)
            .where(intersite_messages.c.sender_site == site,
                   intersite_messages.c.order_ref.in_(chunk))).all())
    return found


def _articles(conn: Connection, codes: list[str]) -> dict[str, Any]:
    """Code → (id, name, sale price, VAT code id, VAT rate) of the articles named."""
    rates = dict(conn.execute(select(vat_codes.c.id, vat_codes.c.rate)).all())
    found = {}
    for chunk in _chunks(codes):
        for row in conn.execute(select(articles.c.id, articles.c.code, articles.c.name,
                                       articles.c.sale_price, articles.c.vat_code_id)
                                .where(articles.c.code.in_(chunk))):
            found[row.code] = (row.id, row.name, row.sale_price, row.vat_code_id,
                               rates.get(row.vat_code_id, Decimal(0)))
    return found


def check_orders(conn: Connection, site: Site, orders: list[ReceivedOrder], prices: Prices,
                 received_in_run: dict[tuple[str, str], str | None]) -> list[Outcome]:
    """The state of each order, in the attachment's order (nothing written).

    `received_in_run`: (site, id) → document of the orders an earlier message of the run
    created (a dry run writes nothing, yet must answer as the real run would).
    """
    ids = list(dict.fromkeys(order.id for order in orders))
    received = _received(conn, site.code, ids)
    known = _articles(conn, sorted({line.article for o in orders for line in o.lines}))
    seen: set[str] = set()
    outcomes = []
    for order in orders:
        key = (site.code, order.id)
        if order.id in received or key in received_in_run:
            document = received.get(order.id) or received_in_run.get(key)
            outcome = Outcome(order, "already_received", document=document,
                              message=f"already received as {document}" if document else None)
        elif order.id in seen:
            outcome = _rejected(order, "duplicate_in_message",
                                f"order {order.id} is already earlier in the message")
        elif not order.lines:
            outcome = _rejected(order, "empty_order", "the order has no line")
        elif unknown := list(dict.fromkeys(line.article for line in order.lines
                                           if line.article not in known)):
            outcome = _rejected(order, "unknown_article",
                                f"unknown articles: {', '.join(unknown)}")
        else:
            outcome = _priced(order, known, prices)
        seen.add(order.id)
        outcomes.append(outcome)
    return outcomes


def _rejected(order: ReceivedOrder, rule: str, message: str) -> Outcome:
    return Outcome(order, "rejected", rule=rule, message=message)


def _priced(order: ReceivedOrder, known: dict[str, Any], prices: Prices) -> Outcome:
    """The lines to create, or `invalid_value` naming every unreadable value."""
    problems = [problem] if (problem := order_problem(order)) else []
    lines = []
    for line in sorted(order.lines, key=line_order):
        article_id, name, sale_price, vat_id, rate = known[line.article]
        given = decimal_value(line.unit_price, 4) if line.unit_price is not None else None
        price = given if prices == "order" and given is not None else sale_price
        if price is None:
            problems.append(f"line {line.position}: no unit_price and article {line.article} "
                            "has no sale price")
            continue
        description = line.description if isinstance(line.description, str) and \
            line.description.strip() else name
        lines.append({"article_id": article_id, "description": description[:_DESCRIPTION],
                      "quantity": decimal_value(line.quantity, 3), "unit_price": price,
                      "vat_code_id": vat_id, "rate": rate})
    if problems:
        return _rejected(order, "invalid_value", "; ".join(problems))
    return Outcome(order, "created", lines=lines)


def _scaled(value: Decimal | None, places: int) -> int:
    return int((value or Decimal(0)).scaleb(places))


def create_orders(conn: Connection, site: Site, outcomes: list[Outcome], *, key: str,
                  mail_id: int) -> None:
    """Write the documents of the `created` outcomes (their numbers set on them) and one
    `intersite_messages` row per created order."""
    new = [outcome for outcome in outcomes if outcome.state == "created"]
    if not new:
        return
    first = loader.reserve_numbers(conn, COUNTER, len(new))
    documents, lines, taxes = [], [], []
    for number, outcome in enumerate(new, start=first):
        outcome.document = f"IS-C-{number:06d}"
        order = outcome.order
        by_rate: dict[int, list[int]] = {}
        for line_no, line in enumerate(outcome.lines, start=1):
            total = line_total_cents(_scaled(line["quantity"], 3), _scaled(line["unit_price"], 4))
            lines.append({"document": outcome.document, "line_no": line_no,
                          "article_id": line["article_id"], "description": line["description"],
                          "quantity": _scaled(line["quantity"], 3),
                          "unit_price": _scaled(line["unit_price"], 4),
                          "vat_code_id": line["vat_code_id"], "total_excl_tax": total})
            rate = _scaled(line["rate"], 3)
            entry = by_rate.setdefault(rate, [0, line["vat_code_id"]])
            entry[0] += total
            if entry[1] is None:
                entry[1] = line["vat_code_id"]
        excl = tax = 0
        for rate, (base, vat_id) in by_rate.items():
            amount = tax_cents(base, rate)
            excl, tax = excl + base, tax + amount
            if vat_id is not None:
                taxes.append({"document": outcome.document, "vat_code_id": vat_id, "rate": rate,
                              "base_excl_tax": base, "tax": amount,
                              "total_incl_tax": base + amount})
        reference = order.reference if isinstance(order.reference, str) and \
            order.reference.strip() else order.id
        documents.append({"number": outcome.document, "type": "C",
                          "customer_id": site.customer_id, "date": date_value(order.date),
                          "depot_id": site.depot_id, "reference": reference[:_REFERENCE],
                          "origin": f"{site.code}:{order.id}", "source": "intersite",
                          "total_excl_tax": excl, "total_tax": tax,
                          "total_incl_tax": excl + tax})
    frame = pd.DataFrame(documents)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["depot_id"] = pd.array(frame["depot_id"], dtype="Int64")
    money = {"total_excl_tax": 2, "total_tax": 2, "total_incl_tax": 2}
    loader.insert(conn, sales_documents, frame, money)
    ids = dict(conn.execute(select(sales_documents.c.number, sales_documents.c.id)
                            .where(sales_documents.c.number.in_(frame["number"].tolist()))).all())
    line_frame = pd.DataFrame(lines)
    line_frame.insert(0, "document_id", [ids[number] for number in line_frame.pop("document")])
    line_frame["vat_code_id"] = pd.array(line_frame["vat_code_id"], dtype="Int64")
    loader.insert(conn, sales_document_lines, line_frame,
                  {"quantity": 3, "unit_price": 4, "total_excl_tax": 2})
    if taxes:
        tax_frame = pd.DataFrame(taxes)
        tax_frame.insert(0, "document_id", [ids[number] for number in tax_frame.pop("document")])
        loader.insert(conn, sales_document_taxes, tax_frame,
                      {"rate": 3, "base_excl_tax": 2, "tax": 2, "total_incl_tax": 2})
    loader.insert(conn, intersite_messages, pd.DataFrame({
        "sender_site": site.code, "order_ref": [o.order.id for o in new], "message_id": key,
        "document_id": pd.array([ids[o.document] for o in new], dtype="Int64"),
        "mail_id": mail_id}))
