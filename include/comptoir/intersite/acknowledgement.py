"""The acknowledgement of a processed message: a reply with the state of each order."""

from __future__ import annotations

import datetime as dt
import json
from email.message import EmailMessage
from typing import Any

from comptoir.exchange.mail import build_message

__all__ = ["acknowledgement"]

_STATES = {"created": "créée", "already_received": "déjà reçue", "rejected": "refusée"}


def acknowledgement(*, sender: str, to: str, subject: str, message_id: str | None,
                    site: str, orders: list[dict[str, Any]], now: dt.datetime
                    ) -> EmailMessage:
    """`Re: <subject>` to `to`, In-Reply-To/References the Message-ID, JSON attached."""
    lines = [f"Bonjour,\n\nNous avons bien reçu vos commandes inter-sites ({site}) :\n"]
    for order in orders:
        text = f"- {order['id']} : {_STATES.get(order['state'], order['state'])}"
        if order.get("document"):
            text += f" ({order['document']})"
        if order["state"] == "rejected" and order.get("message"):
            text += f" — {order['message']}"
        lines.append(text)
    lines.append("\nCe message est envoyé automatiquement par Comptoir.\n")
    reply = build_message(to=[to], subject=f"Re: {subject}", body="\n".join(lines),
                          sender=sender)
    if message_id:
        reply["In-Reply-To"] = message_id
        reply["References"] = message_id
    document = {"format": "comptoir-intersite-ack", "version": 1, "in_reply_to": message_id,
                "site": site,
                "orders": [{key: order[key] for key in ("id", "state", "document", "rule",
                                                         "message")} for order in orders]}
    reply.add_attachment(json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
                         maintype="application", subtype="json",
                         filename=f"accuse-{site}-{now:%Y%m%d-%H%M%S}.json")
    return reply
