"""A small dossier and a connector for the econnector tests, and partner files.

Depots `DEP1` (site `central`) and `MAG01` (a store); VAT codes `T1` 20 % and `T3` 5.5 %;
regime `FR` (the `default_regime`); families `VET`, `ALI`; brand `BRD`; supplier `FOU1`;
articles `ART1` (T1, 10.00), `ART2` (T3, 2.50), `ART3` (T1, no sale price, inactive, not
exportable); customers `CLI1`, `CLI2` (store MAG01). `connector(engine)` creates
`FACILI` (orders, depot DEP1) whose folders are under the test's data home;
`drop(folder, name, rows)` writes a partner file (`;`, Windows-1252 by default) old
enough to be received.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.econnector.settings import Connector, create_connector

DOCUMENT_COLUMNS = ("DOC_ID", "DOC_DATE", "CLIENT_CODE", "CLIENT_NOM", "REFERENCE",
                    "REGLEMENT", "TOTAL_TTC", "LIGNE_NO", "ART_EXT", "ART_DESIG", "QTE",
                    "PU_HT", "REMISE")


def reference(engine: Engine) -> dict[str, dict[str, int]]:
    """Write the reference data; the ids by kind and code."""
    ids: dict[str, dict[str, int]] = {}

    def add(kind: str, key: str, table: Any, **values: Any) -> int:
        with engine.begin() as conn:
            new = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
        ids.setdefault(kind, {})[key] = new
        return new

    add("regime", "FR", s.tax_regimes, code="FR", name="France")
    add("depot", "DEP1", s.depots, code="DEP1", name="Dépôt central", site="central")
    add("depot", "MAG01", s.depots, code="MAG01", name="Magasin 1", is_store=True,
        site="mag-01")
    add("vat", "T1", s.vat_codes, code="T1", name="20 %", rate=Decimal("20"))
    add("vat", "T3", s.vat_codes, code="T3", name="5,5 %", rate=Decimal("5.5"))
    for family in ("VET", "ALI"):
        add("family", family, s.families, code=family, name=family)
    add("supplier", "FOU1", s.suppliers, code="FOU1", name="Fournisseur 1")
    add("brand", "BRD", s.brands, code="BRD", name="Marque", supplier_id=ids["supplier"]["FOU1"])
    add("article", "ART1", s.articles, code="ART1", name="Article un",
        vat_code_id=ids["vat"]["T1"], sale_price=Decimal("10.00"),
        purchase_price=Decimal("6.00"), unit="U", family_id=ids["family"]["VET"],
        brand_id=ids["brand"]["BRD"], supplier_id=ids["supplier"]["FOU1"])
    add("article", "ART2", s.articles, code="ART2", name="Article deux",
        vat_code_id=ids["vat"]["T3"], sale_price=Decimal("2.50"), unit="KG",
        family_id=ids["family"]["ALI"])
    add("article", "ART3", s.articles, code="ART3", name="Article trois",
        vat_code_id=ids["vat"]["T1"], active=False, exportable=False)
    for code in ("CLI1", "CLI2"):
        add("customer", code, s.customers, code=code, name=f"Client {code}",
            store_id=ids["depot"]["MAG01"], family="PART", country="FR")
    with engine.begin() as conn:
        set_setting(conn, "default_regime", "FR")
    return ids


def connector(engine: Engine, code: str = "FACILI", **values: str) -> Connector:
    """Create a connector (orders into DEP1, families CLIFAC / FOUFAC, min age 0)."""
    settings = {"link": "facilitime", "document_type": "orders", "depot": "DEP1",
                "customer_family": "CLIFAC", "supplier_family": "FOUFAC",
                "min_age_seconds": "0", **values}
    with engine.begin() as conn:
        return create_connector(conn, code, settings)


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[Any]], sep: str = ";") -> str:
    """A CSV text: the header, then the rows (None is an empty field)."""
    lines = [sep.join(columns)]
    lines += [sep.join("" if v is None else str(v) for v in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def drop(folder: Path, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
         encoding: str = "cp1252", sep: str = ";", age: float = 60.0) -> Path:
    """Write a partner file into `folder`, dated `age` seconds ago."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(csv_text(columns, rows, sep).encode(encoding))
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def document_rows(doc_id: str, client: str, *lines: tuple[str, str, str | None],
                  date: str = "15/01/2026", client_name: str | None = None,
                  total: str | None = None, payment: str | None = "Chèques"
                  ) -> list[list[Any]]:
    """Rows of one document: `lines` are (ART_EXT, QTE, PU_HT)."""
    return [[doc_id, date, client, client_name, None, payment, total, n, ext, f"Désig {ext}",
             qty, price, None] for n, (ext, qty, price) in enumerate(lines, 1)]


def today() -> str:
    """The dossier's date (its default zone, Europe/Paris): done/ and failed/ are dated so."""
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


def tree(folder: Path, *, links: bool = True) -> list[str]:
    """Every file under the folder (the lock files left out; symlinks unless `links` is
    False), relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and (links or not p.is_symlink())
                  and p.name not in (".reception.lock", ".lock"))


def count(engine: Engine, table: Any, *where: Any) -> int:
    """Rows of `table` (matching `where`)."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def mapped_dossier(engine: Engine) -> dict[str, Any]:
    """The reference data and FACILI with `X1` mapped to ART1: ids and import folder."""
    ids = reference(engine)
    folder = connector(engine).import_folder
    with engine.begin() as conn:
        conn.execute(s.article_correspondences.insert().values(
            connector="FACILI", external_code="X1", article_id=ids["article"]["ART1"]))
    return {"ids": ids, "folder": folder}
