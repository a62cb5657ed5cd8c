"""Known sites of the central base: the customer each represents, its depot, its senders.

A site's mails may come only from its senders (From addresses, stored lower-case, each
belonging to one site); its orders become orders of its customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from comptoir.backoffice.schema import (
    customers,
    depots,
    intersite_mails,
    intersite_site_senders,
    intersite_sites,
)
from comptoir.backoffice.settings import SITE_CODE
from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import check_address

__all__ = ["Site", "SiteError", "add_site", "list_sites", "remove_site", "sites_by_sender"]



class SiteError(ComptoirError):
    """A known site cannot be added or removed as asked."""


@dataclass(frozen=True)
class Site:
    """A known site as the reception uses it."""

    id: int
    code: str
    customer_id: int
    depot_id: int | None


def _check_code(code: str) -> str:
    code = code.strip()
    if not SITE_CODE.fullmatch(code):
        raise SiteError(f"site {code!r} is not 1 to 40 letters, digits, '-', '_' or '.'")
    return code


def _check_senders(senders: list[str]) -> list[str]:
    if not senders:
        raise SiteError("a site needs at least one sender address (--sender)")
    found: list[str] = []
    for sender in senders:
        try:
            address = check_address(sender).lower()
        except ValueError as exc:
            raise SiteError(f"sender {exc}") from None
        if address not in found:
            found.append(address)
    return found


def add_site(conn: Connection, code: str, *, customer: str, senders: list[str],
             depot: str | None = None, name: str | None = None) -> Site:
    """Record a site; `SiteError` (nothing written) on any refusal of the contract."""
    code = _check_code(code)
    addresses = _check_senders(senders)
    if conn.execute(select(intersite_sites.c.id).where(intersite_sites.c.code == code)
                    ).first() is not None:
        raise SiteError(f"site {code} already exists (remove it first to change it)")
    customer_id = conn.execute(select(customers.c.id).where(customers.c.code == customer)
                               ).scalar()
    if customer_id is None:
        raise SiteError(f"customer {customer} is unknown")
    depot_id = None
    if depot is not None:
        depot_id = conn.execute(select(depots.c.id).where(depots.c.code == depot)).scalar()
        if depot_id is None:
            raise SiteError(f"depot {depot} is unknown")
    taken = conn.execute(
        select(intersite_site_senders.c.address, intersite_sites.c.code)
        .join(intersite_sites, intersite_sites.c.id == intersite_site_senders.c.site_id)
        .where(intersite_site_senders.c.address.in_(addresses))).first()
    if taken is not None:
        raise SiteError(f"sender {taken[0]} is already registered for site {taken[1]}")
    site_id = conn.execute(intersite_sites.insert().values(
        code=code, name=name, customer_id=customer_id, depot_id=depot_id)
    ).inserted_primary_key[0]
    conn.execute(intersite_site_senders.insert(),
                 [{"site_id": site_id, "address": address} for address in addresses])
    return Site(site_id, code, customer_id, depot_id)


def list_sites(conn: Connection) -> list[dict[str, Any]]:
    """`[{"code", "name", "customer", "depot", "senders"}]` by code (customer, depot by code)."""
    senders: dict[int, list[str]] = {}
    for site_id, address in conn.execute(
            select(intersite_site_senders.c.site_id, intersite_site_senders.c.address)
            .order_by(intersite_site_senders.c.address)):
        senders.setdefault(site_id, []).append(address)
    rows = conn.execute(
        select(intersite_sites.c.id, intersite_sites.c.code, intersite_sites.c.name,
               customers.c.code, depots.c.code)
        .join(customers, customers.c.id == intersite_sites.c.customer_id)
        .outerjoin(depots, depots.c.id == intersite_sites.c.depot_id)
        .order_by(intersite_sites.c.code)).all()
    return [{"code": code, "name": name, "customer": customer, "depot": depot,
             "senders": senders.get(site_id, [])}
            for site_id, code, name, customer, depot in rows]


def remove_site(conn: Connection, code: str) -> None:
    """Forget a site and its senders; the mails it sent keep their report, not the link."""
    site_id = conn.execute(select(intersite_sites.c.id).where(intersite_sites.c.code == code)
                           ).scalar()
    if site_id is None:
        raise SiteError(f"site {code} is unknown")
    conn.execute(update(intersite_mails).where(intersite_mails.c.site_id == site_id)
                 .values(site_id=None))
    conn.execute(delete(intersite_site_senders)
                 .where(intersite_site_senders.c.site_id == site_id))
    conn.execute(delete(intersite_sites).where(intersite_sites.c.id == site_id))


def sites_by_sender(conn: Connection) -> dict[str, Site]:
    """Every sender address (lower-case) → its site."""
    rows = conn.execute(
        select(func.lower(intersite_site_senders.c.address), intersite_sites.c.id,
               intersite_sites.c.code, intersite_sites.c.customer_id,
               intersite_sites.c.depot_id)
        .join(intersite_sites, intersite_sites.c.id == intersite_site_senders.c.site_id))
    return {address: Site(site_id, code, customer_id, depot_id)
            for address, site_id, code, customer_id, depot_id in rows}
