"""Revision indexes of subscription contracts: CODE*, DESIG*."""

from __future__ import annotations

from comptoir.backoffice.schema import revision_indexes
from comptoir.imports.entities.base import CodedEntity, Field


class RevisionIndexes(CodedEntity):
    name = "revision_indexes"
    table = revision_indexes
    fields = (
        Field("CODE", "code", length=40, mandatory=True),
        Field("DESIG", "name", length=120, mandatory=True),
    )
