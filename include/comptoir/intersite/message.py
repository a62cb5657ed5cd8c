"""The inter-site mail of one supplier's orders: subject, header, French body, attachment."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage

from comptoir.exchange.mail import build_message
from comptoir.intersite.selection import SelectedOrder

__all__ = ["HEADER", "HEADER_VALUE", "orders_message", "subject"]

HEADER = "X-Comptoir-Intersite"
HEADER_VALUE = "orders/1"


def subject(site: str, count: int) -> str:
    """`Commandes inter-sites <SITE> : N commande(s)`."""
    return f"Commandes inter-sites {site} : {count} commande(s)"


def _euros(amount: object) -> str:
    return f"{amount} €".replace(".", ",")


def _body(site: str, orders: Sequence[SelectedOrder], attachment: str) -> str:
    lines = ["Bonjour,", "",
             f"Le site {site} vous transmet {len(orders)} commande(s) :", ""]
    for order in orders:
        reference = f", référence {order.reference}" if order.reference else ""
        lines.append(f"- {order.number} du {order.date:%d/%m/%Y}{reference} : "
                     f"{len(order.lines)} ligne(s), total HT {_euros(order.total_excl_tax)}")
    lines += ["", f"Le détail est dans la pièce jointe {attachment}, lue par Comptoir "
                  "à la réception.", "", "Cordialement,", ""]
    return "\n".join(lines)


def orders_message(*, site: str, sender: str, recipient: str, orders: Sequence[SelectedOrder],
                   attachment: str, payload: bytes) -> EmailMessage:
    """The mail carrying `orders` (one supplier's) with the attachment `payload`."""
    message = build_message(to=[recipient], subject=subject(site, len(orders)),
                            body=_body(site, orders, attachment), sender=sender)
    message[HEADER] = HEADER_VALUE
    message.add_attachment(payload, maintype="application", subtype="json", filename=attachment)
    return message
