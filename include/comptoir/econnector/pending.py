"""What waits for reception (the seed's reception screen): `comptoir connector pending`.

A dry run of the reception (nothing written, no file moved) that lists the files, the
external article codes with their correspondence, the documents with the status a
reception would give them now (`new`, `already_received`, `waiting`, `error`) and the
third parties it would create or update — so that the user maps the unmapped codes, then
receives.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from comptoir.econnector.batch import Detail
from comptoir.econnector.reception import receive
from comptoir.econnector.settings import ConnectorError

__all__ = ["pending"]


def pending(engine: Engine, code: str) -> dict[str, Any]:
    """The files, articles, documents and third parties waiting for reception."""
    detail = Detail()
    report = receive(engine, code, dry_run=True, detail=detail)
    if report.error is not None:
        raise ConnectorError(report.error)
    return {
        "connector": report.connector,
        "files": [{"name": f["file"], "kind": f["kind"], "records": f["records"]}
                  for f in report.files],
        "articles": sorted(detail.articles.values(),
                           key=lambda a: (a["status"] != "unmapped", a["external_code"])),
        "documents": detail.documents,
        "third_parties": detail.third_parties,
    }
