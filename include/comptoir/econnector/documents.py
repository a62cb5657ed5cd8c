"""Received documents (`ImportDocuments*`): checked whole, created whole or not at all.

One row per line, the header columns repeated on each. A document is, in this order:
`already_received` (a sales document with origin `<CONNECTOR>:<DOC_ID>` exists), in
`error` (`required`, `invalid_value`, `inconsistent_header`, `unknown_customer`: the first
broken rule names it, its messages list every problem), `waiting` (`unmapped_article`: an
external code without correspondence) or `synchronised` (created). Everything is read,
checked and written in bulk: a few statements per file, whatever its size.

A document created: type `C` or `B` (the connector's `document_type`), number
`EC-<type>-NNNNNN` (counter `econnector.<type>`), the customer (created first when unknown
and CLIENT_NOM is given), the connector's depot, REFERENCE (default DOC_ID), origin
`<CONNECTOR>:<DOC_ID>`, source `econnector`; lines in LIGNE_NO order (else file order)
with the mapped article, ART_DESIG (else the article's name), quantity, unit price (PU_HT,
else the article's sale price), discount and the article's VAT code. Line total = quantity ×
price × (1 − discount/100), half-up to the cent; VAT per rate on the base, half-up; totals
their sums. A TOTAL_TTC more than 0.01 away from the computed total is said in the
messages. No stock movement (as an imported sales document).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    sales_document_lines,
    sales_document_taxes,
    sales_documents,
    vat_codes,
)
from comptoir.econnector.batch import Batch, too_long
from comptoir.econnector.correspondences import correspondences
from comptoir.econnector.lookup import lookup
from comptoir.econnector.sync_report import Item
from comptoir.imports import loader
from comptoir.imports.values import parse_date, parse_decimal
from comptoir.rounding import half_up

__all__ = ["DOCUMENT_COLUMNS", "DOCUMENT_MANDATORY", "RULES", "receive_documents"]

DOCUMENT_COLUMNS = ("DOC_ID", "DOC_DATE", "CLIENT_CODE", "CLIENT_NOM", "REFERENCE",
                    "REGLEMENT", "TOTAL_TTC", "LIGNE_NO", "ART_EXT", "ART_DESIG", "QTE",
                    "PU_HT", "REMISE")
DOCUMENT_MANDATORY = ("DOC_ID", "DOC_DATE", "CLIENT_CODE", "ART_EXT", "QTE")
#: The error rules, in the order they are checked (the first broken one names the error).
RULES = ("required", "invalid_value", "inconsistent_header", "unknown_customer")
_HEADER = ("DOC_DATE", "CLIENT_CODE", "CLIENT_NOM", "REFERENCE", "REGLEMENT", "TOTAL_TTC")
_LIMITS = {"DOC_ID": 60, "CLIENT_CODE": 40, "CLIENT_NOM": 120, "REFERENCE": 120,
           "ART_EXT": 60, "ART_DESIG": 200}
_NUMBERS = {"QTE": (3, 15), "PU_HT": (4, 15), "REMISE": (3, 6), "TOTAL_TTC": (2, 15),
            "LIGNE_NO": (0, 9)}
_SYNCHRONISED = "Synchronisé"
#: Rows per SQLite executemany (its parameter dicts are built a slice at a time).
_SLICE = 25_000


class _Problems:
    """The problems found per document: (rule, message), in the order found."""

    def __init__(self) -> None:
        self.found: dict[str, list[tuple[str, str]]] = {}

    def add(self, doc: str, rule: str, message: str) -> None:
        self.found.setdefault(doc, []).append((rule, message))

    def rule(self, doc: str) -> str | None:
        rules = {rule for rule, _ in self.found.get(doc, ())}
        return next((rule for rule in RULES if rule in rules), None)

    def messages(self, doc: str) -> list[str]:
        return [message for _, message in self.found.get(doc, ())]


def _line_checks(frame: pd.DataFrame, parsed: dict[str, pd.Series], problems: _Problems
                 ) -> None:
    """`required` and `invalid_value` of each line (a Python loop over flagged lines only)."""
    empty = frame[[c for c in DOCUMENT_MANDATORY if c != "DOC_ID"]].isna()
    bad: dict[str, pd.Series] = {}
    for column, series in parsed.items():
        bad[column] = frame[column].notna() & series.isna()
    bad["QTE"] = bad["QTE"] | (parsed["QTE"] == 0).fillna(False)
    bad["PU_HT"] = bad["PU_HT"] | (parsed["PU_HT"] < 0).fillna(False)
    bad["REMISE"] = bad["REMISE"] | ((parsed["REMISE"] < 0) | (parsed["REMISE"] > 100_000)
                                     ).fillna(False)
    wrong = pd.DataFrame(bad)
    long = too_long(frame, _LIMITS)
    flagged = empty.any(axis=1) | wrong.any(axis=1) | long.any(axis=1)
    for row in frame.index[flagged]:
        doc, line = frame.at[row, "DOC_ID"], int(frame.at[row, "_line"])
        for column in empty.columns[empty.loc[row].to_numpy()]:
            problems.add(doc, "required", f"line {line}: {column} is empty")
        for column in wrong.columns[wrong.loc[row].to_numpy()]:
            value = frame.at[row, column]
            problems.add(doc, "invalid_value", f"line {line}: {column} {value!r} "
                         f"{_why(column, value)}")
        for column in long.columns[long.loc[row].to_numpy()]:
            problems.add(doc, "invalid_value", f"line {line}: {column} is longer than "
                         f"{_LIMITS[column]} characters")


def _why(column: str, value: str) -> str:
    return {"DOC_DATE": "is not a date (DD/MM/YYYY or YYYY-MM-DD)",
            "QTE": "is not a quantity other than 0 (at most 3 decimals)",
            "PU_HT": "is not a unit price ≥ 0 (at most 4 decimals)",
            "REMISE": "is not a discount percentage between 0 and 100",
            "TOTAL_TTC": "is not an amount (at most 2 decimals)",
            "LIGNE_NO": "is not a line number"}.get(column, "is not readable")


def _header_checks(frame: pd.DataFrame, parsed: dict[str, pd.Series], problems: _Problems
                   ) -> None:
    """`inconsistent_header`: lines of one DOC_ID that disagree on a header column."""
    header = pd.DataFrame({column: frame[column] for column in _HEADER}, index=frame.index)
    header["DOC_DATE"] = parsed["DOC_DATE"].astype("str").where(
        parsed["DOC_DATE"].notna(), frame["DOC_DATE"])
    header["TOTAL_TTC"] = parsed["TOTAL_TTC"].astype("str").where(
        parsed["TOTAL_TTC"].notna(), frame["TOTAL_TTC"])
    counts = header.groupby(frame["DOC_ID"], sort=False).nunique(dropna=False)
    disagree = counts > 1
    for doc in counts.index[disagree.any(axis=1)]:
        columns = ", ".join(counts.columns[disagree.loc[doc].to_numpy()])
        problems.add(doc, "inconsistent_header", f"its lines disagree on {columns}")


def _articles(conn: Connection, ids: list[int]) -> pd.DataFrame:
    """Code, name, sale price (scaled 10⁴), VAT code and rate (scaled 10³) of articles."""
    rates = {vat: rate for vat, rate in conn.execute(select(vat_codes.c.id, vat_codes.c.rate))}
    rows = []
    for start in range(0, len(ids), 2000):
        rows += conn.execute(select(articles.c.id, articles.c.code, articles.c.name,
                                    articles.c.sale_price, articles.c.vat_code_id)
                             .where(articles.c.id.in_(ids[start:start + 2000]))).all()
    table = pd.DataFrame(rows, columns=["id", "code", "name", "price", "vat"]).set_index("id")
    table["price_s"] = [None if p is None else int(p.scaleb(4)) for p in table["price"]]
    table["rate_s"] = [0 if v is None or pd.isna(v) else int(rates[int(v)].scaleb(3))
                       for v in table["vat"]]
    return table


def receive_documents(conn: Connection, batch: Batch, frame: pd.DataFrame) -> None:
    """Check every document of the file, create the synchronised ones, record the items."""
    code = batch.connector.code
    no_id = frame["DOC_ID"].isna()
    for line in frame.loc[no_id, "_line"]:
        batch.add(Item(batch.file, int(line), "document", "(no DOC_ID)", "error", "required",
                       [f"line {int(line)}: DOC_ID is empty"]))
    f = frame[~no_id].copy()
    if f.empty:
        return
    f["_pos"] = np.arange(len(f))
    parsed = {"DOC_DATE": parse_date(f["DOC_DATE"])}
    for column, (scale, precision) in _NUMBERS.items():
        parsed[column] = parse_decimal(f[column], scale=scale, precision=precision)
    problems = _Problems()
    _line_checks(f, parsed, problems)
    _header_checks(f, parsed, problems)

    first = f.drop_duplicates("DOC_ID")
    docs = pd.DataFrame({"line": first["_line"].to_numpy(), "client": first["CLIENT_CODE"]
                         .to_numpy(), "client_name": first["CLIENT_NOM"].to_numpy()},
                        index=pd.Index(first["DOC_ID"].to_numpy(), name="doc"))
    origins = {f"{code}:{doc}": doc for doc in docs.index}
    existing = lookup(conn, sales_documents.c.origin, sales_documents.c.number, origins,
                      sales_documents.c.source == "econnector")
    docs["existing"] = [existing.get(f"{code}:{doc}") for doc in docs.index]
    customer_ids = lookup(conn, customers.c.code, customers.c.id, docs["client"])
    docs["customer_id"] = pd.array([customer_ids.get(c) for c in docs["client"]], dtype="Int64")
    for doc in docs.index[docs["customer_id"].isna() & docs["client"].notna()
                          & docs["client_name"].isna()]:
        problems.add(doc, "unknown_customer", f"customer {docs.at[doc, 'client']} is unknown "
                     "and CLIENT_NOM is empty (nothing to create it with)")

    mapped = correspondences(conn, code, f["ART_EXT"].dropna().unique().tolist())
    f["_article"] = pd.array([mapped.get(e) for e in f["ART_EXT"]], dtype="Int64")
    known = _articles(conn, sorted({int(a) for a in mapped.values()}))
    article_rows = known.reindex(f["_article"].fillna(-1).astype(int).to_numpy())
    no_price = f["PU_HT"].isna() & f["_article"].notna() & article_rows["price_s"].isna().to_numpy()
    for row in f.index[no_price]:
        problems.add(f.at[row, "DOC_ID"], "invalid_value",
                     f"line {int(f.at[row, '_line'])}: PU_HT is empty and article "
                     f"{article_rows['code'].iloc[f.at[row, '_pos']]} has no sale price")
    unmapped_lines = f[f["_article"].isna() & f["ART_EXT"].notna()]
    unmapped = unmapped_lines.groupby("DOC_ID", sort=False)["ART_EXT"].agg(
        lambda codes: list(dict.fromkeys(codes)))

    # amounts (Python integers: quantity 10³, price 10⁴, discount 10³, rate 10³, cents)
    quantity = parsed["QTE"].fillna(0).astype(object).to_numpy()
    price = parsed["PU_HT"].astype(object).to_numpy()
    fallback = article_rows["price_s"].to_numpy()
    price = np.array([p if not pd.isna(p) else (0 if pd.isna(a) else int(a))
                      for p, a in zip(price, fallback, strict=True)], dtype=object)
    discount = parsed["REMISE"].fillna(0).astype(object).to_numpy()
    f["_total"] = half_up(quantity * price * (100_000 - discount), 10**10)
    f["_price"] = pd.array([int(p) for p in price], dtype="Int64")
    f["_name"] = article_rows["name"].to_numpy()
    f["_rate"] = article_rows["rate_s"].fillna(0).astype(int).to_numpy()
    f["_vat"] = article_rows["vat"].to_numpy()
    taxes = f.groupby(["DOC_ID", "_rate"], sort=False)["_total"].sum().reset_index()
    taxes["_tax"] = half_up(taxes["_total"].to_numpy(dtype=object)
                             * taxes["_rate"].to_numpy(dtype=object), 100_000)
    docs["excl"] = f.groupby("DOC_ID", sort=False)["_total"].sum()
    docs["tax"] = taxes.groupby("DOC_ID", sort=False)["_tax"].sum()
    docs["incl"] = docs["excl"] + docs["tax"]
    stated = parsed["TOTAL_TTC"].groupby(f["DOC_ID"], sort=False).first()
    docs["stated"] = stated
    docs["label"] = _labels(docs, f)

    docs["state"] = "synchronised"
    docs["rule"] = None
    for doc in problems.found:
        docs.at[doc, "state"], docs.at[doc, "rule"] = "error", problems.rule(doc)
    waiting = docs.index.isin(unmapped.index) & (docs["state"] == "synchronised")
    docs.loc[waiting, "state"] = "waiting"
    docs.loc[waiting, "rule"] = "unmapped_article"
    docs.loc[docs["existing"].notna(), ["state", "rule"]] = ["already_received", None]

    labels = f.drop_duplicates("ART_EXT").set_index("ART_EXT")["ART_DESIG"]
    for doc, codes in unmapped.items():
        if docs.at[doc, "state"] == "already_received":
            continue
        for external in codes:
            entry = batch.report.unmapped.setdefault(
                external, {"label": _text(labels.get(external)), "documents": []})
            if doc not in entry["documents"]:
                entry["documents"].append(doc)
    if batch.detail is not None:
        _detail(batch, docs, f, labels, known)

    created = _create(conn, batch, docs[docs["state"] == "synchronised"], f, taxes)
    unmapped_of = unmapped.to_dict()
    stated_known = docs["stated"].notna().tolist()
    for doc, state, rule, line, label, existing, known_total, stated, incl in zip(
            docs.index, docs["state"].tolist(), docs["rule"].tolist(), docs["line"].tolist(),
            docs["label"].tolist(), docs["existing"].tolist(), stated_known,
            docs["stated"].tolist(), docs["incl"].tolist(), strict=True):
        messages = problems.messages(doc)
        if state in ("error", "waiting"):
            messages += [f"{e} ({_text(labels.get(e)) or 'no label'}) has no correspondence"
                         for e in unmapped_of.get(doc, [])]
        identifier, local = doc, None
        if state == "already_received":
            messages = [f"already received as {existing}"]
            local = existing
        elif state == "synchronised":
            local = created[doc]
            identifier = f"{doc} / {local}"
            messages = [_SYNCHRONISED]
            if known_total and abs(int(stated) - int(incl)) > 1:
                messages.append(f"TOTAL_TTC {_euros(stated)} differs from the computed "
                                f"total {_euros(incl)}")
        batch.add(Item(batch.file, int(line), "document", doc, state, rule, messages,
                       label=label, local_ref=local)).identifier = identifier


def _among(ids: pd.Series, wanted: pd.Index) -> pd.Series:
    """`ids.isin(wanted)` on object values (on pandas' Arrow strings isin is ~15 × slower)."""
    return ids.astype(object).isin(wanted.astype(object))


def _text(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _euros(cents: Any) -> str:
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _labels(docs: pd.DataFrame, f: pd.DataFrame) -> list[str]:
    """`DOC_ID - CLIENT_CODE - TOTAL€ - REGLEMENT` (TOTAL_TTC, else the computed total)."""
    payment = f.groupby("DOC_ID", sort=False)["REGLEMENT"].first().reindex(docs.index)
    has_payment = payment.notna().tolist()
    stated = docs["stated"]
    totals = [incl if not known else total for known, total, incl in zip(
        stated.notna().tolist(), stated.tolist(), docs["incl"].tolist(), strict=True)]
    clients = [_text(client) for client in docs["client"].tolist()]
    return [f"{doc} - {client} - {_euros(total)}€ - {paid}" if has else
            f"{doc} - {client} - {_euros(total)}€"
            for doc, client, total, has, paid in zip(docs.index, clients, totals, has_payment,
                                                     payment.tolist(), strict=True)]


def _detail(batch: Batch, docs: pd.DataFrame, f: pd.DataFrame, labels: pd.Series,
            known: pd.DataFrame) -> None:
    """What `connector pending` lists: the articles, documents and customers to create."""
    assert batch.detail is not None
    status = {"synchronised": "new", "already_received": "already_received",
              "waiting": "waiting", "error": "error"}
    batch.detail.documents += [{"identifier": doc, "label": label, "status": status[state]}
                               for doc, label, state in zip(docs.index, docs["label"],
                                                            docs["state"], strict=True)]
    live = f[_among(f["DOC_ID"], docs.index[docs["state"] != "already_received"])]
    for external, article in live.drop_duplicates("ART_EXT")[["ART_EXT", "_article"]] \
            .itertuples(index=False):
        if pd.isna(external) or external in batch.detail.articles:
            continue
        batch.detail.articles[external] = {
            "external_code": external, "label": _text(labels.get(external)) or None,
            "status": "unmapped" if pd.isna(article) else "mapped",
            "article": None if pd.isna(article) else known.at[int(article), "code"]}
    new = docs[(docs["state"] == "synchronised") & docs["customer_id"].isna()]
    batch.detail.third_parties += [{"type": "customer", "code": c, "status": "new"}
                                   for c in dict.fromkeys(new["client"])]


def _insert(conn: Connection, table: Any, frame: pd.DataFrame,
            scales: dict[str, int] | None = None) -> None:
    """`loader.insert`: one COPY on PostgreSQL; on SQLite slices of `_SLICE` rows, so the
    rows' parameter dicts of a 300,000-line file never exist all at once."""
    if loader.is_postgres(conn):
        loader.insert(conn, table, frame, scales)
        return
    for start in range(0, len(frame), _SLICE):
        loader.insert(conn, table, frame.iloc[start:start + _SLICE], scales)


def _create(conn: Connection, batch: Batch, docs: pd.DataFrame, f: pd.DataFrame,
            taxes: pd.DataFrame) -> dict[str, str]:
    """Write the synchronised documents; DOC_ID → number."""
    if docs.empty:
        return {}
    connector = batch.connector
    new = docs[docs["customer_id"].isna()].drop_duplicates("client")
    if not new.empty:
        rows = pd.DataFrame({"code": new["client"].to_numpy(),
                             "name": new["client_name"].to_numpy(),
                             "family": connector.get("customer_family"),
                             "regime_id": pd.array([batch.regime_id] * len(new),
                                                   dtype="Int64")})
        _insert(conn, customers, rows)
        for client, line in zip(new["client"], new["line"], strict=True):
            batch.add(Item(batch.file, int(line), "customer", client, "synchronised", None,
                           [_SYNCHRONISED, "customer created"], local_ref=client))
        batch.report.written["customers_created"] += len(new)
        ids = lookup(conn, customers.c.code, customers.c.id, new["client"])
        docs = docs.assign(customer_id=[ids.get(c, i) if pd.isna(i) else i
                                        for c, i in zip(docs["client"], docs["customer_id"],
                                                        strict=True)])
    kind = connector.document_type
    first = loader.reserve_numbers(conn, f"econnector.{kind}", len(docs))
    numbers = [f"EC-{kind}-{n:06d}" for n in range(first, first + len(docs))]
    depot = conn.execute(select(depots.c.id).where(depots.c.code == connector.get("depot"))
                         ).scalar_one()
    lines = f[_among(f["DOC_ID"], docs.index)]
    heads = lines.drop_duplicates("DOC_ID").set_index("DOC_ID").loc[docs.index]
    dates = parse_date(heads["DOC_DATE"])
    frame = pd.DataFrame({
        "number": numbers, "type": kind, "customer_id": pd.array(docs["customer_id"],
                                                                 dtype="Int64"),
        "date": dates.to_numpy(), "depot_id": depot,
        "reference": heads["REFERENCE"].fillna(pd.Series(docs.index, index=docs.index))
        .to_numpy(),
        "origin": [f"{connector.code}:{doc}" for doc in docs.index], "source": "econnector",
        "total_excl_tax": docs["excl"].astype("Int64").to_numpy(),
        "total_tax": docs["tax"].astype("Int64").to_numpy(),
        "total_incl_tax": docs["incl"].astype("Int64").to_numpy()})
    frame["date"] = pd.to_datetime(frame["date"])
    money = {"total_excl_tax": 2, "total_tax": 2, "total_incl_tax": 2}
    _insert(conn, sales_documents, frame, money)
    ids = lookup(conn, sales_documents.c.origin, sales_documents.c.id, frame["origin"],
                 sales_documents.c.source == "econnector")
    doc_ids = {doc: ids[f"{connector.code}:{doc}"] for doc in docs.index}
    _create_lines(conn, lines, doc_ids)
    mine = taxes[_among(taxes["DOC_ID"], docs.index)]
    first_of_rate = lines.drop_duplicates(["DOC_ID", "_rate"])
    keys = zip(first_of_rate["DOC_ID"].tolist(), first_of_rate["_rate"].tolist(), strict=True)
    vat_of = dict(zip(keys, first_of_rate["_vat"].tolist(), strict=True))
    mine = mine.assign(vat=[vat_of.get(key) for key in zip(
        mine["DOC_ID"].tolist(), mine["_rate"].tolist(), strict=True)])
    mine = mine[mine["vat"].notna()]
    _insert(conn, sales_document_taxes, pd.DataFrame({
        "document_id": pd.array([doc_ids[d] for d in mine["DOC_ID"]], dtype="Int64"),
        "vat_code_id": pd.array(mine["vat"].astype(int), dtype="Int64"),
        "rate": pd.array(mine["_rate"].astype(int), dtype="Int64"),
        "base_excl_tax": pd.array(mine["_total"].astype(int), dtype="Int64"),
        "tax": pd.array(mine["_tax"].astype(int), dtype="Int64"),
        "total_incl_tax": pd.array((mine["_total"] + mine["_tax"]).astype(int),
                                   dtype="Int64")}),
        {"rate": 3, "base_excl_tax": 2, "tax": 2, "total_incl_tax": 2})
    batch.report.written["sales_documents"] += len(docs)
    return dict(zip(docs.index, numbers, strict=True))


def _create_lines(conn: Connection, lines: pd.DataFrame, doc_ids: dict[str, int]) -> None:
    order = parse_decimal(lines["LIGNE_NO"], scale=0, precision=9)
    ordered = lines.assign(_order=order.astype("Float64").fillna(np.inf).to_numpy()) \
        .sort_values(["_order", "_pos"], kind="stable")
    ordered = ordered.assign(_doc=[doc_ids[d] for d in ordered["DOC_ID"]])
    ordered = ordered.sort_values(["_doc"], kind="stable")
    line_no = ordered.groupby("_doc").cumcount() + 1
    description = ordered["ART_DESIG"].fillna(ordered["_name"])
    quantity = parse_decimal(ordered["QTE"], scale=3, precision=15)
    discount = parse_decimal(ordered["REMISE"], scale=3, precision=6)
    _insert(conn, sales_document_lines, pd.DataFrame({
        "document_id": pd.array(ordered["_doc"], dtype="Int64"),
        "line_no": pd.array(line_no, dtype="Int64"),
        "article_id": pd.array(ordered["_article"], dtype="Int64"),
        "description": description.to_numpy(),
        "quantity": quantity.to_numpy(), "unit_price": ordered["_price"].to_numpy(),
        "discount": discount.to_numpy(),
        "vat_code_id": pd.array(ordered["_vat"], dtype="Int64"),
        "total_excl_tax": pd.array(ordered["_total"].astype(int), dtype="Int64")}),
        {"quantity": 3, "unit_price": 4, "discount": 3, "total_excl_tax": 2})

