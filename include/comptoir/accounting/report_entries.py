"""The `entries` list of a posting report (`spec/pos.md`, "Reports")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from comptoir.accounting.ledger import EntryDraft
from comptoir.pos.report import money


def money_of(cents: int) -> str:
    """Cents as the reports write an amount (`"130.55"`)."""
    return money(Decimal(cents).scaleb(-2))


def entries_report(entries: list[EntryDraft], customer_codes: dict[int, str]
                   ) -> list[dict[str, Any]]:
    """One item per written entry: journal, number, date, kind, reference, totals, lines,
    and the breakdowns of its lines (document, customer, amount)."""
    found = []
    for entry in entries:
        lines = entry.written_lines
        found.append({
            "journal": entry.journal, "number": entry.number,
            "date": entry.date.isoformat(), "kind": entry.kind,
            "document_ref": entry.document_ref,
            "debit": money_of(sum(ln.cents for ln in lines if ln.cents > 0)),
            "credit": money_of(-sum(ln.cents for ln in lines if ln.cents < 0)),
            "lines": len(lines),
            "breakdowns": [{"document": part.document_ref,
                            "customer": customer_codes.get(part.customer_id or 0),
                            "amount": money_of(part.cents)}
                           for ln in lines for part in ln.breakdowns],
        })
    return found
