"""Suppliers: CODE*, DESIG*, REGIME_CODE, address, EMAIL, TEL."""

from __future__ import annotations

from comptoir.backoffice.schema import suppliers
from comptoir.imports.entities.base import Field
from comptoir.imports.entities.thirdparty import ADDRESS_FIELDS, CONTACT_FIELDS, ThirdParty


class Suppliers(ThirdParty):
    name = "suppliers"
    table = suppliers
    fields = (
        Field("CODE", "code", length=40, mandatory=True),
        Field("DESIG", "name", length=120, mandatory=True),
        Field("REGIME_CODE", length=40),
        *ADDRESS_FIELDS,
        *CONTACT_FIELDS,
    )
