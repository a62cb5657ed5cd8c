"""One module per importable entity; `get_entity(name)` gives its spec."""

from __future__ import annotations

from importlib import import_module

from comptoir.imports.entities.base import Entity
from comptoir.imports.naming import check_entity

_CLASSES = {
    "regimes": "regimes.Regimes",
    "vat": "vat.Vat",
    "revision_indexes": "revision_indexes.RevisionIndexes",
    "depots": "depots.Depots",
    "suppliers": "suppliers.Suppliers",
    "customers": "customers.Customers",
    "customer_addresses": "customer_addresses.CustomerAddresses",
    "articles": "articles.Articles",
    "stocks": "stocks.Stocks",
    "bom": "bom.Bom",
    "sales_documents": "sales_documents.SalesDocuments",
}


def get_entity(name: str) -> Entity:
    """The spec of entity `name` (see naming.ENTITY_ORDER)."""
    module, cls = _CLASSES[check_entity(name)].split(".")
    return getattr(import_module(f"comptoir.imports.entities.{module}"), cls)()
