"""Other addresses of existing customers: PROPRIO_CODE*, DESIG, address. Create mode only.

An address identical to one the customer already has is `already_exists` (so a re-import
creates nothing twice); the same address twice in the file is `duplicate_in_file`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select

from comptoir.backoffice.schema import customer_addresses, customers
from comptoir.imports import loader
from comptoir.imports.entities.base import Entity, Field, Run, codes_of
from comptoir.imports.entities.thirdparty import ADDRESS_FIELDS
from comptoir.imports.gx_runner import expect
from comptoir.imports.values import join_codes

ADDRESS_KEY = "_address"
_PARTS = ("PROPRIO_CODE", "DESIG", "ADRESSE1", "ADRESSE2", "CP", "VILLE", "PAYS")


def address_key(parts: list[pd.Series]) -> pd.Series:
    text = parts[0].fillna("").astype("str")
    for part in parts[1:]:
        text = text + "\x1f" + part.fillna("").astype("str")
    return text.str.replace("\n", " ", regex=False)


class CustomerAddresses(Entity):
    name = "customer_addresses"
    key = "PROPRIO_CODE"
    unique = ADDRESS_KEY
    fields = (
        Field("PROPRIO_CODE", length=40, mandatory=True),
        Field("DESIG", "name", length=120),
        *ADDRESS_FIELDS,
    )

    def prepare(self, frame: pd.DataFrame, run: Run) -> pd.DataFrame:
        frame = super().prepare(frame, run)
        frame["PAYS"] = frame["PAYS"].str.upper()
        frame[ADDRESS_KEY] = address_key([frame[c] for c in _PARTS])
        return frame

    def params(self, run: Run) -> dict[str, str]:
        c, a = customers.c, customer_addresses.c
        rows = run.conn.execute(select(c.code, a.name, a.address1, a.address2, a.postcode,
                                       a.city, a.country)
                                .select_from(customer_addresses.join(customers))).all()
        existing = pd.DataFrame(rows, columns=list(_PARTS), dtype="str")
        keys = address_key([existing[p] for p in _PARTS]) if len(existing) else []
        return {"customer_codes": codes_of(run.conn, customers),
                "address_keys": join_codes(keys)}

    def expectations(self, run: Run) -> list[Any]:
        return [
            *super().expectations(run),
            expect("ExpectColumnValuesToBeInCodes", "unknown_customer", "PROPRIO_CODE",
                   "PROPRIO_CODE {value} is not a customer of the dossier",
                   column="PROPRIO_CODE", codes={"$PARAMETER": "customer_codes"}),
            *self.unique_expectations(ADDRESS_KEY, "PROPRIO_CODE",
                                      "this address of customer {value} appears earlier in "
                                      "the file", value="PROPRIO_CODE"),
            expect("ExpectColumnValuesToNotBeInCodes", "already_exists", "PROPRIO_CODE",
                   "customer {value} already has this address", column=ADDRESS_KEY,
                   value="PROPRIO_CODE", codes={"$PARAMETER": "address_keys"}, decisive=True),
        ]

    def write(self, run: Run, accepted: pd.DataFrame) -> None:
        out, _ = self.db_values(accepted)
        ids = run.cache.setdefault("customers", loader.id_map(run.conn, customers))
        out["customer_id"] = accepted["PROPRIO_CODE"].map(ids).astype("Int64")
        out["import_batch_id"] = run.batch_id
        run.written["customer_addresses"] += loader.insert(run.conn, customer_addresses, out)
