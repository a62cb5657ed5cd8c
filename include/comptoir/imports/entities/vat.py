"""VAT codes: CODE*, DESIG*, TAUX (a percentage ≥ 0, 0 when empty)."""

from __future__ import annotations

from comptoir.backoffice.schema import vat_codes
from comptoir.imports.entities.base import DECIMAL, CodedEntity, Field


class Vat(CodedEntity):
    name = "vat"
    table = vat_codes
    fields = (
        Field("CODE", "code", length=40, mandatory=True),
        Field("DESIG", "name", length=120, mandatory=True),
        Field("TAUX", "rate", kind=DECIMAL, scale=3, precision=6, minimum=0),
    )

    def create_defaults(self) -> dict[str, object]:
        return {"rate": 0}
