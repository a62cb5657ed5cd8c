"""A supplier's order address (the seed's "Courriel commandes"): where its orders go."""

from __future__ import annotations

from sqlalchemy import Connection, select

from comptoir.backoffice.schema import suppliers
from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import check_address

__all__ = ["SupplierError", "order_address", "set_order_address", "supplier_id"]


class SupplierError(ComptoirError):
    """An unknown supplier, or an invalid order address."""


def supplier_id(conn: Connection, code: str) -> int:
    """The id of the supplier `code`; `SupplierError` when there is none."""
    found = conn.execute(select(suppliers.c.id).where(suppliers.c.code == code.strip())
                         ).scalar_one_or_none()
    if found is None:
        raise SupplierError(f"unknown supplier {code.strip()!r}")
    return found


def order_address(conn: Connection, code: str) -> str | None:
    """The order address of the supplier `code`, or None."""
    found = conn.execute(select(suppliers.c.intersite_email)
                         .where(suppliers.c.id == supplier_id(conn, code))).scalar_one()
    return found or None


def set_order_address(conn: Connection, code: str, address: str | None) -> str | None:
    """Store (None: clear) the order address of the supplier `code`; the stored value."""
    ident = supplier_id(conn, code)
    if address is not None:
        try:
            address = check_address(address)
        except ValueError as exc:
            raise SupplierError(f"supplier {code.strip()}: {exc}") from None
    conn.execute(suppliers.update().where(suppliers.c.id == ident)
                 .values(intersite_email=address))
    return address
