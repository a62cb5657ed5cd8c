"""Tax regimes: CODE*, DESIG*."""

from __future__ import annotations

from comptoir.backoffice.schema import tax_regimes
from comptoir.imports.entities.base import CodedEntity, Field


class Regimes(CodedEntity):
    name = "regimes"
    table = tax_regimes
    fields = (
        Field("CODE", "code", length=40, mandatory=True),
        Field("DESIG", "name", length=120, mandatory=True),
    )
