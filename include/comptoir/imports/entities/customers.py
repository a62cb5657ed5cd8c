"""Customers: third-party fields, FAMILLE, bank details (IBAN, BIC, RIB) and COMPTE.

`bank_details`: an IBAN with wrong check digits or not in its country's BBAN format; RIB
fields incomplete, malformed or with a wrong French key; a French or Monaco IBAN whose
BBAN is not the RIB given beside it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from comptoir.backoffice.schema import customers
from comptoir.imports.bank import RIB_FIELDS
from comptoir.imports.entities.base import Field, Run
from comptoir.imports.entities.thirdparty import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    ThirdParty,
    compact,
)
from comptoir.imports.gx_runner import expect

RULE = "bank_details"


class Customers(ThirdParty):
    name = "customers"
    table = customers
    fields = (
        Field("CODE", "code", length=40, mandatory=True),
        Field("DESIG", "name", length=120, mandatory=True),
        Field("REGIME_CODE", length=40),
        Field("FAMILLE", "family", length=40),
        *ADDRESS_FIELDS,
        *CONTACT_FIELDS,
        Field("IBAN", "iban", length=34),
        Field("BIC", "bic", length=11),
        Field("RIB_BANQUE", "rib_bank", length=5),
        Field("RIB_GUICHET", "rib_branch", length=5),
        Field("RIB_COMPTE", "rib_account", length=11),
        Field("RIB_CLE", "rib_key", length=2),
        Field("COMPTE", "account", length=20),
    )

    def prepare(self, frame: pd.DataFrame, run: Run) -> pd.DataFrame:
        frame = super().prepare(frame, run)
        compact(frame, ("IBAN", "BIC", *RIB_FIELDS))
        return frame

    def expectations(self, run: Run) -> list[Any]:
        rib = list(RIB_FIELDS)
        return [
            *super().expectations(run),
            expect("ExpectColumnValuesToBeValidIban", RULE, "IBAN",
                   "IBAN {value}: unknown country, or not the length and format of an IBAN "
                   "of its country", column="IBAN", part="format"),
            expect("ExpectColumnValuesToBeValidIban", RULE, "IBAN",
                   "IBAN {value}: the check digits are wrong", column="IBAN",
                   part="check_digits"),
            expect("ExpectBankDetailsToBeValid", RULE, "RIB_BANQUE",
                   "RIB incomplete: RIB_BANQUE, RIB_GUICHET, RIB_COMPTE and RIB_CLE go "
                   "together", column_list=rib, check="rib_complete"),
            expect("ExpectBankDetailsToBeValid", RULE, "RIB_BANQUE",
                   "RIB malformed: 5 digits, 5 digits, 11 letters or digits, 2 digits",
                   column_list=rib, check="rib_format"),
            expect("ExpectBankDetailsToBeValid", RULE, "RIB_CLE",
                   "RIB key {value} is wrong for this bank, branch and account",
                   column_list=rib, check="rib_key"),
            expect("ExpectBankDetailsToBeValid", RULE, "IBAN",
                   "IBAN {value} does not match the RIB (RIB_BANQUE + RIB_GUICHET + "
                   "RIB_COMPTE + RIB_CLE)", column_list=["IBAN", *rib], check="iban_rib"),
        ]
