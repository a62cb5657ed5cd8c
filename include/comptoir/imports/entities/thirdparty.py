"""What customers and suppliers share: addresses and the tax regime.

REGIME_CODE empty: the dossier's `default_regime` (create mode). An unknown regime is
`unknown_regime`, unless --auto-create-regimes creates it (DESIG = CODE).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from comptoir.backoffice.schema import tax_regimes
from comptoir.imports import loader, values
from comptoir.imports.entities.base import CodedEntity, Field, Run, codes_of
from comptoir.imports.gx_runner import expect
from comptoir.imports.values import map_codes

REGIME = "_regime"

ADDRESS_FIELDS = (
    Field("ADRESSE1", "address1", length=120),
    Field("ADRESSE2", "address2", length=120),
    Field("CP", "postcode", length=20),
    Field("VILLE", "city", length=80),
    Field("PAYS", "country", length=2),
)
CONTACT_FIELDS = (
    Field("EMAIL", "email", length=200),
    Field("TEL", "phone", length=40),
)


class ThirdParty(CodedEntity):
    """A customer or a supplier."""

    def prepare(self, frame: pd.DataFrame, run: Run) -> pd.DataFrame:
        frame = super().prepare(frame, run)
        frame["PAYS"] = frame["PAYS"].str.upper()
        regime = frame["REGIME_CODE"]
        default = run.settings.get("default_regime")
        if run.mode == "create" and default:
            regime = regime.fillna(default)
        frame[REGIME] = regime
        return frame

    def params(self, run: Run) -> dict[str, str]:
        found = super().params(run)
        found["regime_codes"] = codes_of(run.conn, tax_regimes)
        return found

    def expectations(self, run: Run) -> list[Any]:
        found = super().expectations(run)
        if not run.auto_create_regimes:
            found.append(expect(
                "ExpectColumnValuesToBeInCodes", "unknown_regime", "REGIME_CODE",
                "regime {value} is not a tax regime of the dossier (REGIME_CODE, or the "
                "default_regime setting when it is empty)",
                value=REGIME, column=REGIME, codes={"$PARAMETER": "regime_codes"}))
        return found

    def resolve(self, run: Run, frame: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
        regimes = regime_ids(run, frame[REGIME])
        out["regime_id"] = map_codes(frame[REGIME], regimes)
        return out


def regime_ids(run: Run, wanted: pd.Series) -> dict[str, int]:
    """code → id of the regimes, creating the missing ones of `wanted` when allowed."""
    known = run.cache.setdefault("regimes", loader.id_map(run.conn, tax_regimes))
    if run.auto_create_regimes:
        missing = sorted(set(wanted.dropna().unique()) - set(known))
        if missing:
            new = pd.DataFrame({"code": missing, "name": missing, "import_batch_id": run.batch_id})
            run.written["tax_regimes"] += loader.insert(run.conn, tax_regimes, new)
            known.update(loader.id_map(run.conn, tax_regimes))
    return known


def compact(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Bank fields without spaces, upper-cased."""
    for column in columns:
        frame[column] = values.compact_upper(frame[column])
