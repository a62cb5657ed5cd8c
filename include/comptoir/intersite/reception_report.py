"""The report of a reception: its messages, counts, summary line and exit status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ReceptionReport"]


@dataclass
class ReceptionReport:
    """What `receive` did (`spec/intersite.md`, Report and exit status)."""

    source: str
    dry_run: bool
    started_at: str
    finished_at: str | None = None
    error: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    acknowledgements: int = 0
    warnings: int = 0
    """Messages handled whose filing, archive or acknowledgement failed (exit 3)."""

    def counts(self) -> dict[str, int]:
        """Messages by state and orders by state."""
        states = [message["state"] for message in self.messages]
        orders = [order["state"] for message in self.messages for order in message["orders"]]
        return {"messages": len(states), "processed": states.count("processed"),
                "rejected": states.count("rejected"),
                "already_processed": states.count("already_processed"),
                "orders_created": orders.count("created"),
                "orders_already_received": orders.count("already_received"),
                "orders_rejected": orders.count("rejected")}

    def as_json(self) -> dict[str, Any]:
        """The report document."""
        return {"source": self.source, "dry_run": self.dry_run, "error": self.error,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "messages": self.messages, "counts": self.counts(),
                "acknowledgements": self.acknowledgements}

    def summary(self) -> str:
        """`3 messages: 2 processed, 1 rejected; 4 orders created, 1 already received, ...`.

        `, N already processed` follows the rejected messages when there are some."""
        c = self.counts()
        known = f", {c['already_processed']} already processed" if c["already_processed"] else ""
        return (f"{c['messages']} messages: {c['processed']} processed, {c['rejected']} "
                f"rejected{known}; {c['orders_created']} orders created, "
                f"{c['orders_already_received']} already received, {c['orders_rejected']} "
                "rejected")

    @property
    def exit_status(self) -> int:
        """1 the mailbox or the source failed; 3 a message or an order rejected; else 0."""
        if self.error is not None:
            return 1
        c = self.counts()
        return 3 if c["rejected"] or c["orders_rejected"] or self.warnings else 0
