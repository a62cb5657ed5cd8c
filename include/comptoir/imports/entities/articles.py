"""Articles: CODE*, DESIG*, VAT code, supplier, prices, family, brand, unit, flags.

`unknown_vat` unless --auto-create-vat (DESIG = CODE, TAUX 0). With the purchases module
on, FOURNISSEUR_CODE must be a supplier (`unknown_supplier`); with it off, every article
gets the `default_supplier`. FAMILLE and MARQUE link to existing families and brands (an
unknown one is left empty, with a warning). A new article gets a stock record in every
existing depot.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from comptoir.backoffice.schema import articles, brands, families, suppliers, vat_codes
from comptoir.imports import loader
from comptoir.imports.entities.base import BOOL, DECIMAL, CodedEntity, Field, Run, codes_of
from comptoir.imports.entities.depots import stock_records_for
from comptoir.imports.errors import ImportFileError
from comptoir.imports.gx_runner import expect
from comptoir.imports.report import Notice
from comptoir.imports.values import map_codes


class Articles(CodedEntity):
    name = "articles"
    table = articles
    fields = (
        Field("CODE", "code", length=40, mandatory=True),
        Field("DESIG", "name", length=200, mandatory=True),
        Field("TVA_CODE", length=40),
        Field("FOURNISSEUR_CODE", length=40),
        Field("PRIX_ACHAT", "purchase_price", kind=DECIMAL, scale=4, precision=15, minimum=0),
        Field("PRIX_VENTE", "sale_price", kind=DECIMAL, scale=4, precision=15, minimum=0),
        Field("FAMILLE", length=40),
        Field("MARQUE", length=40),
        Field("UNITE", "unit", length=10),
        Field("GERE_LOTS", "lot_managed", kind=BOOL),
        Field("ASSEMBLE", "assembled", kind=BOOL),
        Field("DISPONIBLE_EXPORT", "exportable", kind=BOOL),
    )

    @staticmethod
    def purchases(run: Run) -> bool:
        return run.settings.get("purchases_module", "on") != "off"

    def params(self, run: Run) -> dict[str, str]:
        found = super().params(run)
        found["vat_codes"] = codes_of(run.conn, vat_codes)
        found["supplier_codes"] = codes_of(run.conn, suppliers)
        default = run.settings.get("default_supplier")
        if not self.purchases(run) and default:
            supplier = loader.id_map(run.conn, suppliers).get(default)
            if supplier is None:
                raise ImportFileError(f"the default_supplier setting names {default}, which is "
                                      "not a supplier of the dossier")
            run.cache["default_supplier_id"] = supplier
        return found

    def expectations(self, run: Run) -> list[Any]:
        found = super().expectations(run)
        if not run.auto_create_vat:
            found.append(expect("ExpectColumnValuesToBeInCodes", "unknown_vat", "TVA_CODE",
                                "TVA_CODE {value} is not a VAT code of the dossier",
                                column="TVA_CODE", codes={"$PARAMETER": "vat_codes"}))
        if self.purchases(run):
            found.append(expect("ExpectColumnValuesToBeInCodes", "unknown_supplier",
                                "FOURNISSEUR_CODE",
                                "FOURNISSEUR_CODE {value} is not a supplier of the dossier",
                                column="FOURNISSEUR_CODE",
                                codes={"$PARAMETER": "supplier_codes"}))
        return found

    def create_defaults(self) -> dict[str, object]:
        return {"lot_managed": False, "assembled": False, "exportable": True}

    def resolve(self, run: Run, frame: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
        out["vat_code_id"] = map_codes(frame["TVA_CODE"], vat_ids(run, frame["TVA_CODE"]))
        if self.purchases(run):
            ids = run.cache.setdefault("suppliers", loader.id_map(run.conn, suppliers))
            out["supplier_id"] = map_codes(frame["FOURNISSEUR_CODE"], ids)
        else:
            default = run.cache.get("default_supplier_id")
            out["supplier_id"] = pd.Series(default, index=frame.index, dtype="Int64")
            if frame["FOURNISSEUR_CODE"].notna().any() and "supplier_note" not in run.cache:
                run.cache["supplier_note"] = True
                run.warnings.append(Notice(
                    str(frame["_file"].iloc[0]), None,
                    "purchases module off: FOURNISSEUR_CODE is ignored, articles get the "
                    "default_supplier"))
        for column, table, target in (("FAMILLE", families, "family_id"),
                                      ("MARQUE", brands, "brand_id")):
            ids = run.cache.setdefault(table.name, loader.id_map(run.conn, table))
            out[target] = map_codes(frame[column], ids)
            _note_unknown(run, frame, column, table.name, out[target])
        for column in ("vat_code_id", "supplier_id", "family_id", "brand_id"):
            out[column] = out[column].astype("Int64")
        return out

    def finish(self, run: Run) -> None:
        if run.mode == "create":
            run.written["stock_records"] += stock_records_for(
                run, articles.c.import_batch_id == run.batch_id)


def _note_unknown(run: Run, frame: pd.DataFrame, column: str, what: str,
                  ids: pd.Series) -> None:
    """FAMILLE / MARQUE naming nothing of the dossier: left empty, said once per code."""
    unknown = sorted(frame.loc[frame[column].notna() & ids.isna(), column].unique())
    noted = run.cache.setdefault(f"unknown_{what}", set())
    new = [code for code in unknown if code not in noted]
    if new:
        noted.update(new)
        shown = ", ".join(new[:10]) + (f" and {len(new) - 10} more" if len(new) > 10 else "")
        run.warnings.append(Notice(str(frame["_file"].iloc[0]), None,
                                   f"{column} {shown}: not in the dossier's {what}, left empty"))


def vat_ids(run: Run, wanted: pd.Series) -> dict[str, int]:
    """code → id of VAT codes, creating the missing ones of `wanted` when allowed."""
    known = run.cache.setdefault("vat", loader.id_map(run.conn, vat_codes))
    if run.auto_create_vat:
        missing = sorted(set(wanted.dropna().unique()) - set(known))
        if missing:
            new = pd.DataFrame({"code": missing, "name": missing, "rate": 0,
                                "import_batch_id": run.batch_id})
            run.written["vat_codes"] += loader.insert(run.conn, vat_codes, new, {"rate": 3})
            known.update(loader.id_map(run.conn, vat_codes))
    return known
