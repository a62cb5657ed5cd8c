"""The merge of `customer_duplicates` (option `merge`), inside the run's transaction.

Per group: every reference to a member (any column with a foreign key to
`customers.id`: addresses, contacts, sales documents, POS tickets, receivables, journal
entry lines, ...) moves to the master; the master's empty fields take the first non-empty
value among the members (by code); each member is copied into `customer_merges` (its row
as JSON) then deleted. A group whose members have different non-empty IBANs is left
alone and named in the report.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from comptoir.retail.customer_duplicates import Group

_KEPT = {"id", "code", "created_at", "updated_at", "import_batch_id"}
"""Columns of the master that the members never fill."""


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _iban(value: str | None) -> str | None:
    text = "".join((value or "").split()).upper()
    return text or None


def _references() -> list[Any]:
    """Every column that refers to a customer, but the merge log's."""
    from comptoir.backoffice.schema import metadata

    found = []
    for table in metadata.sorted_tables:
        if table.name in ("customers", "customer_merges"):
            continue
        for column in table.columns:
            if any(fk.column.table.name == "customers" for fk in column.foreign_keys):
                found.append(column)
    return found


def merge_groups(conn: Connection, groups: list[Group], run_id: str,
                 moment: datetime) -> tuple[list[str], int]:
    """Merge each group into its master; the report lines and how many groups were left."""
    from sqlalchemy import delete, insert, select, update

    from comptoir.backoffice.schema import customer_merges as merges
    from comptoir.backoffice.schema import customers

    references = _references()
    lines: list[str] = []
    left = 0
    for group in groups:
        codes = [c.code for c in group.members]
        if len({i for c in group.members if (i := _iban(c.iban))}) > 1:
            left += 1
            lines.append(f"Groupe {group.number} non fusionné, IBAN différents : "
                         f"{', '.join(codes)}")
            continue
        master = group.master
        merged = [c.id for c in group.members[1:]]
        rows = {row.id: row._mapping for row in conn.execute(
            select(customers).where(customers.c.id.in_([master.id, *merged])))}
        filled: dict[str, Any] = {}
        for name, value in rows[master.id].items():
            if name in _KEPT or not _empty(value):
                continue
            candidate = next((rows[m][name] for m in merged if not _empty(rows[m][name])),
                             None)
            if candidate is not None:
                filled[name] = candidate
        for ref in references:
            conn.execute(update(ref.table).where(ref.in_(merged)).values({ref.name: master.id}))
        conn.execute(insert(merges), [
            {"master_id": master.id, "merged_code": rows[m]["code"],
             "merged_name": rows[m]["name"],
             "data": json.dumps({k: _json(v) for k, v in rows[m].items()},
                                ensure_ascii=False),
             "run_id": run_id, "merged_at": moment}
            for m in merged])
        conn.execute(delete(customers).where(customers.c.id.in_(merged)))
        conn.execute(update(customers).where(customers.c.id == master.id)
                     .values(**filled, updated_at=moment))
        lines.append(f"Fusion de {', '.join(codes[1:])} dans {master.code}")
    return lines, left
