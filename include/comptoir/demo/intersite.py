"""The demo's inter-site orders: the stores order from the central base by e-mail.

One dossier plays both roles (docs/intersite.md says so): as the distributor, site
`DIST-MAGASINS`, its stores' purchase orders to the central logistics supplier (the demo's
first supplier) are sent by `s.lefevre`; as the central base, the site `DIST-MAGASINS` is
known, represented by the customer `SITE-MAGASINS`, and its orders are read from the
embedded mail folder (the `.eml` files the file mail backend writes) and become customer
orders of that customer. Staging it again (a demo refill) sets the previous demo's mails
aside in `mail/earlier/`, so that only this run's mails are read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, insert, select

from comptoir import paths
from comptoir.backoffice.schema import customers, depots, purchase_orders, suppliers
from comptoir.backoffice.settings import set_setting
from comptoir.demo import names
from comptoir.exchange.names import name_candidates
from comptoir.intersite.sites import add_site, list_sites, remove_site
from comptoir.intersite.suppliers import set_order_address
from comptoir.intersite.users import set_user

__all__ = ["CENTRAL_MAILBOX", "DEMO_SITE", "StagedIntersite", "stage_intersite"]

DEMO_SITE = "DIST-MAGASINS"
SITE_CUSTOMER = "SITE-MAGASINS"
SENDING_USER = "s.lefevre"
CENTRAL_MAILBOX = "commandes@central.comptoirs-reunis.example"
DOMAIN = "comptoirs-reunis.example"


@dataclass(frozen=True)
class StagedIntersite:
    """What the demo set up: the site, the orders ready to send, the mails set aside."""

    site: str
    supplier: str
    orders: list[str]
    set_aside: int


def _set_aside_mails() -> int:
    """Move the top-level `.eml` files of the mail folder to `mail/earlier/`."""
    folder = paths.mail_dir()
    if not folder.is_dir():
        return 0
    earlier = folder / "earlier"
    moved = 0
    for path in sorted(folder.glob("*.eml")):
        if path.is_symlink() or not path.is_file():
            continue
        earlier.mkdir(exist_ok=True)
        target = next(earlier / name for name in name_candidates(path.name)
                      if not os.path.lexists(earlier / name))
        os.replace(path, target)
        moved += 1
    return moved


def stage_intersite(engine: Engine) -> StagedIntersite:
    """Set both roles up on the demo dossier; the orders the send task will mail."""
    set_aside = _set_aside_mails()
    with engine.begin() as conn:
        set_setting(conn, "intersite_site_code", DEMO_SITE)
        for login in names.USERS:
            set_user(conn, login, f"{login}@{DOMAIN}", name=login.replace(".", " ").title())
        supplier = conn.execute(select(suppliers.c.code).order_by(suppliers.c.code)
                                ).scalars().first()
        assert supplier is not None, "the demo dossier has no supplier"
        set_order_address(conn, supplier, CENTRAL_MAILBOX)
        if conn.execute(select(customers.c.id).where(customers.c.code == SITE_CUSTOMER)
                        ).first() is None:
            conn.execute(insert(customers).values(code=SITE_CUSTOMER,
                                                  name="Réseau des magasins (inter-sites)",
                                                  family="INTERSITE"))
        if any(site["code"] == DEMO_SITE for site in list_sites(conn)):
            remove_site(conn, DEMO_SITE)
        central = conn.execute(select(depots.c.code).where(depots.c.is_store.is_(False))
                               .order_by(depots.c.code)).scalars().first()
        add_site(conn, DEMO_SITE, customer=SITE_CUSTOMER, senders=[f"{SENDING_USER}@{DOMAIN}"],
                 depot=central, name="Les magasins du réseau")
        supplier_id = conn.execute(select(suppliers.c.id).where(suppliers.c.code == supplier)
                                   ).scalar_one()
        ready = list(conn.execute(
            select(purchase_orders.c.number).where(
                purchase_orders.c.supplier_id == supplier_id,
                purchase_orders.c.status == "confirmed",
                purchase_orders.c.sent_at.is_(None)).order_by(purchase_orders.c.number)
        ).scalars())
    return StagedIntersite(DEMO_SITE, supplier, ready, set_aside)


def mail_folder() -> Path:
    """The folder the demo's central side reads (the file mail backend's)."""
    return paths.mail_dir()
