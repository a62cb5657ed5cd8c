"""Received customers, suppliers and contacts: create or update, in bulk.

Customers and suppliers (`ImportClients*`, `ImportFournisseurs*`) are known by CODE: an
unknown one is created (family = the connector's `customer_family` / `supplier_family`,
regime = the `default_regime` setting), a known one updated with the columns present and
filled — never its family or regime. Contacts (`ImportContacts*`) are known by their third
party and their NOM (ignoring case and surrounding spaces). A CODE (or contact) seen twice
in one file is written once, with its last row; every row is an item.

Rules: `required` (a mandatory value empty), `invalid_value` (a value longer than the
dossier keeps, a TIERS_TYPE other than C or F), `purchases_module_off` (a supplier while
the purchases module is off), `unknown_third_party` (a contact's third party).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, func, select

from comptoir.backoffice.schema import customer_contacts, customers, supplier_contacts, suppliers
from comptoir.econnector.batch import Batch, too_long
from comptoir.econnector.lookup import lookup
from comptoir.econnector.sync_report import Item
from comptoir.imports import loader

__all__ = ["CONTACT_COLUMNS", "PARTY_COLUMNS", "receive_contacts", "receive_parties"]

#: File column → dossier column of customers and suppliers.
PARTY_COLUMNS = {"CODE": "code", "NOM": "name", "ADRESSE1": "address1", "ADRESSE2": "address2",
                 "CP": "postcode", "VILLE": "city", "PAYS": "country", "EMAIL": "email",
                 "TEL": "phone"}
PARTY_MANDATORY = ("CODE", "NOM")
#: File column → dossier column of contacts.
CONTACT_COLUMNS = {"TIERS_TYPE": None, "TIERS_CODE": None, "NOM": "name", "FONCTION": "role",
                   "EMAIL": "email", "TEL": "phone"}
CONTACT_MANDATORY = ("TIERS_TYPE", "TIERS_CODE", "NOM")
_PARTY_LIMITS = {"CODE": 40, "NOM": 120, "ADRESSE1": 120, "ADRESSE2": 120, "CP": 20,
                 "VILLE": 80, "PAYS": 2, "EMAIL": 200, "TEL": 40}
_CONTACT_LIMITS = {"TIERS_CODE": 40, "NOM": 120, "FONCTION": 60, "EMAIL": 200, "TEL": 40}
_SYNCHRONISED = "Synchronisé"


def _problems(frame: pd.DataFrame, mandatory: tuple[str, ...], limits: dict[str, int]
              ) -> tuple[pd.Series, pd.Series]:
    """Per row: the rule broken first (or null) and the messages, as two Series."""
    rule = pd.Series(pd.NA, index=frame.index, dtype="object")
    messages = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype="object")
    empty = frame[list(mandatory)].isna()
    long = too_long(frame, limits)
    for row in frame.index[empty.any(axis=1) | long.any(axis=1)]:
        found = [f"{c} is empty" for c in mandatory if empty.at[row, c]]
        if found:
            rule[row] = "required"
        wrong = [f"{c} is longer than {limits[c]} characters" for c in long.columns
                 if long.at[row, c]]
        if wrong and pd.isna(rule[row]):
            rule[row] = "invalid_value"
        messages[row] = found + wrong
    return rule, messages


def _item(batch: Batch, kind: str, line: int, identifier: str, rule: object,
          messages: list[str], done: str | None) -> Item:
    if isinstance(rule, str):
        return batch.add(Item(batch.file, line, kind, identifier, "error", rule, messages))
    return batch.add(Item(batch.file, line, kind, identifier, "synchronised", None,
                          [_SYNCHRONISED, *([done] if done else [])], local_ref=identifier))


def receive_parties(conn: Connection, batch: Batch, frame: pd.DataFrame, kind: str) -> None:
    """Create or update the customers (`kind` customer) or suppliers of a file."""
    table = customers if kind == "customer" else suppliers
    rule, messages = _problems(frame, PARTY_MANDATORY, _PARTY_LIMITS)
    if kind == "supplier" and not batch.purchases:
        rule[:] = "purchases_module_off"
        messages = pd.Series([["the purchases module is off: suppliers are not received"]]
                             * len(frame), index=frame.index, dtype="object")
    good = frame[rule.isna()]
    last = good.drop_duplicates("CODE", keep="last")
    known = set(lookup(conn, table.c.code, table.c.id, last["CODE"]))
    present = [c for c in PARTY_COLUMNS if c in frame.columns]
    rows = last[present].rename(columns=PARTY_COLUMNS)
    if "country" in rows.columns:
        rows["country"] = rows["country"].str.upper()
    is_new = ~last["CODE"].isin(known)
    new = rows[is_new.to_numpy()].copy()
    family = batch.connector.get("customer_family" if kind == "customer" else "supplier_family")
    if not new.empty:
        new["family"] = family or None
        new["regime_id"] = pd.array([batch.regime_id] * len(new), dtype="Int64")
    created = set(new["code"])
    if batch.detail is not None:
        batch.detail.third_parties.extend(
            {"type": kind, "code": code, "status": "new" if code in created else "update"}
            for code in last["CODE"])
    loader.insert(conn, table, new)
    loader.update(conn, table, "code", rows[(~is_new).to_numpy()])
    done_first: set[str] = set()
    for row, line, code in zip(frame.index, frame["_line"], frame["CODE"], strict=True):
        done = None
        if pd.isna(rule[row]):
            done = (f"{kind} created" if code in created and code not in done_first
                    else f"{kind} updated")
            done_first.add(code)
        _item(batch, kind, int(line), "" if pd.isna(code) else str(code), rule[row],
              messages[row], done)
    counted = last["CODE"]
    batch.report.written[f"{kind}s_created"] += int(counted.isin(created).sum())
    batch.report.written[f"{kind}s_updated"] += int((~counted.isin(created)).sum())


def receive_contacts(conn: Connection, batch: Batch, frame: pd.DataFrame) -> None:
    """Create or update the contacts of a file."""
    rule, messages = _problems(frame, CONTACT_MANDATORY, _CONTACT_LIMITS)
    party_type = frame["TIERS_TYPE"].str.upper()
    bad_type = party_type.notna() & ~party_type.isin(["C", "F"])
    for row in frame.index[bad_type & rule.isna()]:
        rule[row] = "invalid_value"
        messages[row] = [f"TIERS_TYPE {frame.at[row, 'TIERS_TYPE']!r} is neither C (customer) "
                         "nor F (supplier)"]
    party_id = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    for letter, table in (("C", customers), ("F", suppliers)):
        mine = rule.isna() & (party_type == letter)
        ids = lookup(conn, table.c.code, table.c.id, frame.loc[mine, "TIERS_CODE"])
        party_id[mine] = frame.loc[mine, "TIERS_CODE"].map(ids).astype("Int64")
        for row in frame.index[mine & party_id.isna()]:
            rule[row] = "unknown_third_party"
            word = "customer" if letter == "C" else "supplier"
            messages[row] = [f"the dossier has no {word} {frame.at[row, 'TIERS_CODE']}"]
    good = frame[rule.isna()].assign(_party=party_id[rule.isna()],
                                     _type=party_type[rule.isna()],
                                     _key=frame.loc[rule.isna(), "NOM"].str.strip().str.lower())
    last = good.drop_duplicates(["_type", "_party", "_key"], keep="last")
    created_keys: set[tuple[str, int, str]] = set()
    for letter, table, owner in (("C", customer_contacts, "customer_id"),
                                 ("F", supplier_contacts, "supplier_id")):
        part = last[last["_type"] == letter]
        if part.empty:
            continue
        known = _known_contacts(conn, table, owner, part["_party"])
        keys = list(zip(part["_party"].astype(int), part["_key"], strict=True))
        ids = pd.Series([known.get(k) for k in keys], index=part.index, dtype="Int64")
        present = [c for c in ("NOM", "FONCTION", "EMAIL", "TEL") if c in part.columns]
        rows = part[present].rename(columns=CONTACT_COLUMNS)
        rows[owner] = part["_party"]
        new = rows[ids.isna().to_numpy()]
        loader.insert(conn, table, new)
        old = rows[ids.notna().to_numpy()].drop(columns=[owner, "name"]).assign(
            id=ids[ids.notna()])
        if len(old.columns) > 1:
            loader.update(conn, table, "id", old)
        created_keys.update((letter, int(p), k) for p, k in zip(
            part.loc[ids.isna(), "_party"], part.loc[ids.isna(), "_key"], strict=True))
        batch.report.written["contacts_created"] += len(new)
        batch.report.written["contacts_updated"] += len(old)
    seen: set[tuple[str, int, str]] = set()
    for row, line in zip(frame.index, frame["_line"], strict=True):
        code, name = frame.at[row, "TIERS_CODE"], frame.at[row, "NOM"]
        identifier = f"{'' if pd.isna(code) else code} / {'' if pd.isna(name) else name}"
        done = None
        if pd.isna(rule[row]):
            key = (str(party_type[row]), int(party_id[row]), str(name).strip().lower())
            done = "contact created" if key in created_keys and key not in seen \
                else "contact updated"
            seen.add(key)
        _item(batch, "contact", int(line), identifier, rule[row], messages[row], done)


def _known_contacts(conn: Connection, table: object, owner: str, parties: pd.Series
                    ) -> dict[tuple[int, str], int]:
    """(third party, lower-cased trimmed name) → contact id, for these third parties."""
    found: dict[tuple[int, str], int] = {}
    owner_column = table.c[owner]  # type: ignore[attr-defined]
    key = func.lower(func.trim(table.c.name))  # type: ignore[attr-defined]
    distinct = sorted({int(p) for p in parties})
    for start in range(0, len(distinct), 2000):
        rows = conn.execute(select(owner_column, key, table.c.id)  # type: ignore[attr-defined]
                            .where(owner_column.in_(distinct[start:start + 2000])))
        for party, name, contact in rows:
            found.setdefault((party, name), contact)
    return found
