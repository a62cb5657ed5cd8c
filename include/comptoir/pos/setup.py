"""The POS set-up a person keeps: payment modes and registers (`pos modes`, `pos registers`).

`set_mode` creates or updates one payment mode (a new mode: the flags not given are off,
`lettrable` on; an empty account clears it); `set_register` creates or updates one
register of an existing store. Both validate before writing and write one row.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, select

from comptoir.backoffice.schema import depots, payment_modes, registers
from comptoir.errors import ComptoirError

MODE_COLUMNS = ("code", "name", "account", "state_code", "is_credit", "is_deposit", "lettrable",
                "generates_delivery_note")
REGISTER_COLUMNS = ("store", "register", "name", "number", "journal")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_JOURNAL = re.compile(r"[A-Za-z0-9]{1,10}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,20}")
_STATE = re.compile(r"[A-Za-z0-9]{3}")


class SetupError(ComptoirError):
    """A mode or register that cannot be written as given (nothing written)."""


def list_modes(conn: Connection) -> list[dict[str, Any]]:
    """Every payment mode, by code."""
    rows = conn.execute(select(*(payment_modes.c[c] for c in MODE_COLUMNS))
                        .order_by(payment_modes.c.code)).all()
    return [dict(row._mapping) for row in rows]


def set_mode(conn: Connection, code: str, *, name: str | None = None,
             account: str | None = None, state: str | None = None,
             flags: dict[str, bool | None] | None = None) -> str:
    """Create or update payment mode `code`; "created" or "updated"."""
    if not _CODE.fullmatch(code):
        raise SetupError(f"mode code {code!r}: 1 to 40 letters, digits, '_', '.' or '-'")
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _text(name, "name", 120)
    if account is not None:
        if account and not _ACCOUNT.fullmatch(account):
            raise SetupError(f"account {account!r}: 1 to 20 letters or digits")
        values["account"] = account or None
    if state is not None:
        if not _STATE.fullmatch(state):
            raise SetupError(f"state code {state!r}: 3 letters or digits (e.g. BPV, C10)")
        values["state_code"] = state.upper()
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    found = conn.execute(select(payment_modes.c.id).where(payment_modes.c.code == code)).first()
    if found is not None:
        if values:
            conn.execute(payment_modes.update().where(payment_modes.c.id == found.id)
                         .values(**values))
        return "updated"
    defaults = {"name": code, "is_credit": False, "is_deposit": False, "lettrable": True,
                "generates_delivery_note": False}
    conn.execute(payment_modes.insert().values(code=code, **{**defaults, **values}))
    return "created"


def list_registers(conn: Connection) -> list[dict[str, Any]]:
    """Every register with its store, by store then code."""
    rows = conn.execute(
        select(depots.c.code.label("store"), registers.c.code.label("register"),
               registers.c.name, registers.c.number, registers.c.journal_code.label("journal"))
        .select_from(registers.join(depots)).order_by(depots.c.code, registers.c.code)).all()
    return [dict(row._mapping) for row in rows]


def set_register(conn: Connection, store: str, code: str, *, name: str | None = None,
                 number: int | None = None, journal: str | None = None) -> str:
    """Create or update register `code` of the existing store `store`; "created"/"updated"."""
    depot_id = conn.execute(select(depots.c.id).where(depots.c.code == store)).scalar()
    if depot_id is None:
        raise SetupError(f"store {store!r} is not in this dossier")
    if not _CODE.fullmatch(code):
        raise SetupError(f"register code {code!r}: 1 to 40 letters, digits, '_', '.' or '-'")
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _text(name, "name", 120)
    if number is not None:
        if not 0 <= number <= 99:
            raise SetupError(f"register number {number}: 0 to 99 (the NN of *TPV<NN>)")
        values["number"] = number
    if journal is not None:
        if journal and not _JOURNAL.fullmatch(journal):
            raise SetupError(f"journal {journal!r}: 1 to 10 letters or digits")
        values["journal_code"] = journal.upper() or None
    found = conn.execute(select(registers.c.id).where(registers.c.depot_id == depot_id,
                                                      registers.c.code == code)).first()
    if found is not None:
        if values:
            conn.execute(registers.update().where(registers.c.id == found.id).values(**values))
        return "updated"
    conn.execute(registers.insert().values(depot_id=depot_id, code=code,
                                           **{"name": code, **values}))
    return "created"


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise SetupError(f"{what} {value!r}: 1 to {limit} characters")
    return value
