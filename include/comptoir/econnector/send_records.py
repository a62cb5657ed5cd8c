"""What a connector sends: its articles, customers and contacts as chunks of text columns.

Each `*_chunks` function streams its selection from the database in code order
(`yield_per`: a server-side cursor on PostgreSQL) and turns every chunk into an Arrow
table of text columns, named and ordered as the file's columns (`spec/econnector.md`,
"Sending"). Numbers are read as exact scaled integers (`to_units`) and formatted by
Arrow kernels; no Python object per value but the rows the driver hands over.

Articles: `CODE_EXTERNE` the connector's external codes of the article, sorted, joined
by `|`; `PRIX` per `price_category` rounded half-up (away from zero) to the cent —
empty when the article has no such price, or (`sale_incl_tax`) no VAT code; `TAUX_TVA`
and `STOCK` without trailing zeros, `STOCK` `0` without a stock record in `send_depot`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import ColumnElement, Connection, Select, and_, select

from comptoir.backoffice.schema import (
    article_correspondences,
    articles,
    brands,
    customer_contacts,
    customers,
    depots,
    families,
    stock_records,
    sub_families,
    suppliers,
    vat_codes,
)
from comptoir.econnector.filters import article_condition, customer_condition
from comptoir.econnector.settings import Connector
from comptoir.econnector.snapshot_csv import CsvFormat, decimal_text, flag_text
from comptoir.pos.exact_sql import PRICE, RATE, code_order, to_units

__all__ = ["ARTICLE_COLUMNS", "CHUNK", "CONTACT_COLUMNS", "CUSTOMER_COLUMNS",
           "article_chunks", "article_selection", "contact_chunks", "customer_chunks",
           "customer_selection", "price_cents"]

CHUNK = 50_000
ARTICLE_COLUMNS = ("CODE", "CODE_EXTERNE", "DESIG", "FAMILLE", "SOUS_FAMILLE", "MARQUE",
                   "FOURNISSEUR", "UNITE", "PRIX", "PRIX_TYPE", "TVA_CODE", "TAUX_TVA",
                   "STOCK", "ACTIF")
CUSTOMER_COLUMNS = ("CODE", "NOM", "FAMILLE", "ADRESSE1", "ADRESSE2", "CP", "VILLE", "PAYS",
                    "EMAIL", "TEL", "MAGASIN")
CONTACT_COLUMNS = ("CLIENT_CODE", "NOM", "FONCTION", "EMAIL", "TEL")
QTY = 3  #: decimals of a stock quantity
_RATE_BASE = 100 * 10**RATE  # 100 %, in rate units


def article_selection(connector: Connector, mode: str) -> ColumnElement[bool]:
    """The articles sent: `exportable` ones, or those matching `article_filter`."""
    if mode == "exportable":
        return articles.c.exportable.is_(True)
    return article_condition(connector.filter("article_filter"))


def customer_selection(connector: Connector, mode: str) -> ColumnElement[bool]:
    """The customers sent: `all`, or those matching `customer_filter`."""
    return customer_condition(connector.filter("customer_filter") if mode == "filter" else None)


def _stream(conn: Connection, query: Select[Any]) -> Iterator[list[Sequence[Any]]]:
    """The columns of `query`'s rows, CHUNK rows at a time (never all in memory)."""
    result = conn.execution_options(yield_per=CHUNK).execute(query)
    for partition in result.partitions():
        yield list(zip(*partition, strict=True))


def _text_tables(conn: Connection, query: Select[Any], names: Sequence[str]
                 ) -> Iterator[pa.Table]:
    """The rows of a query of text columns, as tables whose columns are `names`."""
    for columns in _stream(conn, query):
        yield pa.table({name: _text(values) for name, values in zip(names, columns,
                                                                     strict=True)})


def _text(values: Sequence[Any]) -> pa.Array:
    return pa.array(values, type=pa.string())


def _integers(values: Sequence[Any]) -> pa.Array:
    return pa.array(values, type=pa.int64())


def price_cents(price: pa.Array, rate: pa.Array | None = None) -> pa.Array:
    """Prices in units of 10**-PRICE as cents, rounded half away from zero; with `rate`
    (VAT in units of 10**-RATE percent) the price including VAT. Exact: 64-bit integers,
    Python integers when a product would not fit."""
    factor = 10 ** (PRICE - 2)
    try:
        numerator = price
        if rate is not None:
            numerator = pc.multiply_checked(price, pc.add_checked(rate, _RATE_BASE))
            factor *= _RATE_BASE
        whole = pc.divide(pc.add_checked(pc.abs_checked(numerator), factor // 2), factor)
        return pc.if_else(pc.less(numerator, 0), pc.negate(whole), whole)
    except pa.ArrowInvalid:  # overflow: a huge price
        rates = rate.to_pylist() if rate is not None else [None] * len(price)
        return _integers([_cents_exact(p, r, rate is not None)
                          for p, r in zip(price.to_pylist(), rates, strict=True)])


def _cents_exact(price: int | None, rate: int | None, with_rate: bool) -> int | None:
    if price is None or (with_rate and rate is None):
        return None
    value = Decimal(price).scaleb(-PRICE)
    if with_rate:
        value *= (_RATE_BASE + Decimal(rate)) / _RATE_BASE
    return int(value.scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _correspondences(conn: Connection, code: str) -> dict[int, str]:
    """Article id → its external codes for this connector, sorted, joined by `|`."""
    ac = article_correspondences
    joined: dict[int, list[str]] = {}
    for article_id, external in conn.execute(
            select(ac.c.article_id, ac.c.external_code).where(ac.c.connector == code)
            .order_by(ac.c.article_id, code_order(conn, ac.c.external_code))):
        joined.setdefault(article_id, []).append(external)
    return {article_id: "|".join(codes) for article_id, codes in joined.items()}


def article_chunks(conn: Connection, connector: Connector, mode: str, fmt: CsvFormat,
                   depot_id: int) -> Iterator[pa.Table]:
    """The articles sent, in code order, as `ARTICLE_COLUMNS` text tables."""
    category = connector.get("price_category")
    price_column = articles.c.purchase_price if category == "purchase" \
        else articles.c.sale_price
    a, f, sf, b, s, v = articles, families, sub_families, brands, suppliers, vat_codes
    st = stock_records
    query = (
        select(a.c.id, a.c.code, a.c.name, f.c.code, sf.c.code, b.c.code, s.c.code, a.c.unit,
               to_units(price_column, PRICE), v.c.code, to_units(v.c.rate, RATE),
               to_units(st.c.quantity, QTY), a.c.active)
        .select_from(a.outerjoin(f, f.c.id == a.c.family_id)
                     .outerjoin(sf, sf.c.id == a.c.sub_family_id)
                     .outerjoin(b, b.c.id == a.c.brand_id)
                     .outerjoin(s, s.c.id == a.c.supplier_id)
                     .outerjoin(v, v.c.id == a.c.vat_code_id)
                     .outerjoin(st, and_(st.c.article_id == a.c.id, st.c.depot_id == depot_id)))
        .where(article_selection(connector, mode))
        .order_by(code_order(conn, a.c.code)))
    external = _correspondences(conn, connector.code)
    unit = connector.get("unit")
    dec = fmt.decimal_separator
    for columns in _stream(conn, query):
        (ids, code, name, family, sub_family, brand, supplier, units, price, vat, rate,
         stock, active) = columns
        count = len(ids)
        rates = _integers(rate)
        cents = price_cents(_integers(price),
                            rates if category == "sale_incl_tax" else None)
        yield pa.table({
            "CODE": _text(code), "CODE_EXTERNE": _text([external.get(i) for i in ids]),
            "DESIG": _text(name), "FAMILLE": _text(family), "SOUS_FAMILLE": _text(sub_family),
            "MARQUE": _text(brand), "FOURNISSEUR": _text(supplier),
            "UNITE": _text(units) if unit == "article" else _text([unit] * count),
            "PRIX": decimal_text(cents, 2, dec),
            "PRIX_TYPE": _text(["TTC" if category == "sale_incl_tax" else "HT"] * count),
            "TVA_CODE": _text(vat), "TAUX_TVA": decimal_text(rates, RATE, dec, trim=True),
            "STOCK": decimal_text(pc.fill_null(_integers(stock), 0), QTY, dec, trim=True),
            "ACTIF": flag_text(pa.array(active, type=pa.bool_())),
        })


def customer_chunks(conn: Connection, connector: Connector, mode: str) -> Iterator[pa.Table]:
    """The customers sent, in code order, as `CUSTOMER_COLUMNS` text tables."""
    c, d = customers, depots
    query = (
        select(c.c.code, c.c.name, c.c.family, c.c.address1, c.c.address2, c.c.postcode,
               c.c.city, c.c.country, c.c.email, c.c.phone, d.c.code)
        .select_from(c.outerjoin(d, d.c.id == c.c.store_id))
        .where(customer_selection(connector, mode))
        .order_by(code_order(conn, c.c.code)))
    yield from _text_tables(conn, query, CUSTOMER_COLUMNS)


def contact_chunks(conn: Connection, connector: Connector, mode: str) -> Iterator[pa.Table]:
    """The contacts of the customers sent, by customer code then name, as
    `CONTACT_COLUMNS` text tables."""
    c, cc = customers, customer_contacts
    query = (
        select(c.c.code, cc.c.name, cc.c.role, cc.c.email, cc.c.phone)
        .select_from(cc.join(c, c.c.id == cc.c.customer_id))
        .where(customer_selection(connector, mode))
        .order_by(code_order(conn, c.c.code), code_order(conn, cc.c.name), cc.c.id))
    yield from _text_tables(conn, query, CONTACT_COLUMNS)
