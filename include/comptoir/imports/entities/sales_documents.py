"""Sales documents: a headers CSV and a lines CSV linked by IDENT / ENTETE_IDENT, or one XML
file where the nesting links them. Create mode only.

A document is written whole with its lines or not at all: a header with a rejected line
is `document_incomplete`, and so are the lines of a rejected header.

Its origin (the id of the document elsewhere) is its WEB_IDENT, else its IDENT as the file
gives it (an XML PIECE without IDENT has none). A header whose origin is already the
origin of a document of the dossier is `already_imported`: a file dropped again, or a
corrected file sent again, creates only the documents that are new. Bytes imported whole
before are refused as a repeat before any control (`repeat_by_content`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    revision_indexes,
    sales_document_lines,
    sales_documents,
    vat_codes,
)
from comptoir.imports import loader, values
from comptoir.imports.entities.base import (
    DATE,
    DECIMAL,
    FILE,
    Entity,
    Field,
    Part,
    Run,
    field_checks,
    quote_columns,
)
from comptoir.imports.errors import ImportFileError
from comptoir.imports.gx_runner import ROW, compiled, empty_rejections, expect, validate
from comptoir.imports.naming import lines_file_for
from comptoir.imports.readers import LINE, read_csv
from comptoir.imports.values import join_codes
from comptoir.imports.xml_reader import DOC, read_sales_xml

PART, KEY = "_part", "_key"
IDENT_ORIGIN = "_ident_origin"  # IDENT where WEB_IDENT is empty: the origin it will get
UNREAD_LINE = "_unread_line"  # a header one of whose lines could not be read
HEADER, LINE_PART = "H", "L"
TYPES = ["D", "C", "B", "F", "A", "O"]
PERIODICITIES = ["A", "M", "J"]
CENT = Decimal("0.01")

HEADER_FIELDS = (
    Field("IDENT", length=60),
    Field("CLIENT_CODE", length=40, mandatory=True),
    Field("TYPE", length=1, mandatory=True),
    Field("DATE", kind=DATE),
    Field("WEB_IDENT", length=120),
    Field("REFERENCE", length=120),
    Field("DEPOT_CODE", length=40),
    Field("INDICE_CODE", length=40),
    Field("PERIODICITE", length=1),
    Field("DATE_DEBUT", kind=DATE),
    Field("DATE_FIN", kind=DATE),
)
LINE_FIELDS = (
    Field("ENTETE_IDENT", length=60),
    Field("ART_CODE", length=40),
    Field("DESIG", length=200),
    Field("QTE", kind=DECIMAL, scale=3),
    Field("PU_HT", kind=DECIMAL, scale=4),
    Field("REMISE", kind=DECIMAL, scale=3, precision=6, minimum=0, maximum=100),
    Field("TVA_CODE", length=40),
)


class SalesDocuments(Entity):
    name = "sales_documents"
    key = KEY
    unique = None
    chunked = False
    repeat_by_content = True
    fields = HEADER_FIELDS + LINE_FIELDS

    # --- reading ----------------------------------------------------------------------

    def read(self, paths: Sequence[Path], lines: Path | None, *, sep: str, mode: str,
             chunk_rows: int) -> Iterator[Part]:
        for path in paths:
            if path.suffix.lower() == ".xml":
                yield self._read_xml(path)
            else:
                yield self._read_csv(path, lines, sep)

    def _read_xml(self, path: Path) -> Part:
        docs = read_sales_xml(path, header_columns=[f.name for f in HEADER_FIELDS],
                              line_columns=[f.name for f in LINE_FIELDS])
        headers, lines = docs.headers, docs.lines
        headers[DOC] = headers[DOC].astype("str")
        lines[DOC] = lines[DOC].astype("str")
        headers[KEY] = headers["IDENT"].fillna(headers[DOC])
        lines[KEY] = lines[DOC].map(dict(zip(headers[DOC], headers[KEY], strict=True)))
        return Part(_combine(headers, lines, path.name, path.name, csv=False), docs.warnings)

    def _read_csv(self, path: Path, lines: Path | None, sep: str) -> Part:
        if lines is None:
            guess = lines_file_for(str(path))
            if guess is None or not Path(guess).is_file():
                raise ImportFileError(f"{path.name}: sales documents in CSV need their lines "
                                      "file (--lines)")
            lines = Path(guess)
        head = read_csv(path, sep=sep, known=[f.name for f in HEADER_FIELDS],
                        mandatory=["IDENT", "CLIENT_CODE", "TYPE"])
        body = read_csv(lines, sep=sep, known=[f.name for f in LINE_FIELDS],
                        mandatory=["ENTETE_IDENT"])
        h, b = head.frame, body.frame
        h[DOC], h[KEY] = h["IDENT"], h["IDENT"]
        b[DOC], b[KEY] = b["ENTETE_IDENT"], b["ENTETE_IDENT"]
        bad = [(head.name, m) for m in head.malformed] + [(body.name, m) for m in body.malformed]
        frame = _combine(h, b, head.name, body.name, csv=True)
        # A line that could not be read (too long, wrong number of fields) still belongs
        # to its document when the lines file starts with ENTETE_IDENT: the document is
        # then incomplete, and a document is written whole or not at all.
        first = body.table.column_names[0] if body.table.column_names else None
        unread = {m.key for m in body.malformed if m.key} if first == "ENTETE_IDENT" else set()
        frame[UNREAD_LINE] = (frame[PART] == HEADER) & frame[DOC].isin(unread)
        return Part(frame, head.warnings + body.warnings, bad)

    # --- controls ---------------------------------------------------------------------

    def params(self, run: Run) -> dict[str, str]:
        origins = run.conn.execute(select(sales_documents.c.origin)
                                   .where(sales_documents.c.origin.is_not(None))).scalars()
        return {
            "customer_codes": join_codes(loader.id_map(run.conn, customers)),
            "article_codes": join_codes(loader.id_map(run.conn, articles)),
            "vat_codes": join_codes(loader.id_map(run.conn, vat_codes)),
            "depot_codes": join_codes(loader.id_map(run.conn, depots)),
            "index_codes": join_codes(loader.id_map(run.conn, revision_indexes)),
            "origins": join_codes(origins),
        }

    def control(self, frame: pd.DataFrame, run: Run,
                params: dict[str, str]) -> tuple[pd.DataFrame, list[Any]]:
        headers = frame[frame[PART] == HEADER]
        lines = frame[frame[PART] == LINE_PART]
        csv = bool(frame["_csv"].iloc[0])
        headers = headers.assign(**{IDENT_ORIGIN: headers["IDENT"].where(
            headers["WEB_IDENT"].isna())})
        params = {**params, "header_idents": join_codes(headers[DOC].dropna())}
        found, results = [], []
        for part, build, suffix in ((headers, self._header_checks, "headers"),
                                    (lines, self._line_checks, "lines")):
            suite = compiled(f"comptoir.imports.sales_documents.{suffix}", csv,
                             partial(build, csv))
            outcome = validate(part, suite, params)
            found.append(outcome.rejections)
            if outcome.result is not None:
                results.append(outcome.result)
        rejections = pd.concat(found, ignore_index=True) if found else empty_rejections()
        return rejections, results

    def _header_checks(self, csv: bool) -> list[Any]:
        checks = field_checks(HEADER_FIELDS, [f for f in HEADER_FIELDS if f.mandatory])
        if csv:
            checks.append(expect("ExpectColumnValuesToNotBeNull", "required", "IDENT",
                                 "IDENT is mandatory", column="IDENT"))
        return [
            *checks,
            expect("ExpectColumnValuesToBeInSet", "doc_type", "TYPE",
                   "TYPE {value} is not one of D (quote), C (order), B (delivery note), "
                   "F (invoice), A (credit note), O (subscription contract)",
                   column="TYPE", value_set=TYPES),
            expect("ExpectColumnValuesToBeInCodes", "unknown_customer", "CLIENT_CODE",
                   "CLIENT_CODE {value} is not a customer of the dossier",
                   column="CLIENT_CODE", codes={"$PARAMETER": "customer_codes"}),
            expect("ExpectColumnValuesToNotBeInCodes", "already_imported", "WEB_IDENT",
                   "a document of the dossier already has {value} as its origin",
                   column="WEB_IDENT", codes={"$PARAMETER": "origins"}),
            expect("ExpectColumnValuesToNotBeInCodes", "already_imported", "IDENT",
                   "a document of the dossier already has {value} as its origin (its "
                   "IDENT: the file gives no WEB_IDENT)",
                   column=IDENT_ORIGIN, codes={"$PARAMETER": "origins"}, value="IDENT"),
            expect("ExpectColumnValuesToBeFirstOccurrence", "duplicate_in_file", "IDENT",
                   "IDENT {value} appears earlier in the file", column="IDENT"),
            expect("ExpectColumnValuesToBeFirstOccurrence", "duplicate_in_file", "WEB_IDENT",
                   "WEB_IDENT {value} appears earlier in the file", column="WEB_IDENT"),
            expect("ExpectColumnValuesToNotBeNull", "periodicity", "PERIODICITE",
                   "a subscription contract (TYPE O) needs PERIODICITE A, M or J",
                   column="PERIODICITE", row_condition='TYPE == "O"', condition_parser="pandas"),
            expect("ExpectColumnValuesToBeInSet", "periodicity", "PERIODICITE",
                   "PERIODICITE {value} is not one of A, M, J", column="PERIODICITE",
                   value_set=PERIODICITIES),
            expect("ExpectColumnValuesToBeInCodes", "unknown_index", "INDICE_CODE",
                   "INDICE_CODE {value} is not a revision index of the dossier",
                   column="INDICE_CODE", codes={"$PARAMETER": "index_codes"}),
            expect("ExpectColumnValuesToBeInCodes", "unknown_depot", "DEPOT_CODE",
                   "DEPOT_CODE {value} is not a depot of the dossier",
                   column="DEPOT_CODE", codes={"$PARAMETER": "depot_codes"}),
            expect("ExpectColumnPairValuesAToBeGreaterThanB", "invalid_value", "DATE_FIN",
                   "DATE_FIN {value} is before DATE_DEBUT", column_A="DATE_FIN__value",
                   column_B="DATE_DEBUT__value", or_equal=True,
                   ignore_row_if="either_value_is_missing"),
        ]

    def _line_checks(self, csv: bool) -> list[Any]:
        checks = field_checks(LINE_FIELDS, [])
        if csv:
            checks += [
                expect("ExpectColumnValuesToNotBeNull", "required", "ENTETE_IDENT",
                       "ENTETE_IDENT is mandatory", column="ENTETE_IDENT"),
                expect("ExpectColumnValuesToBeInCodes", "orphan_line", "ENTETE_IDENT",
                       "ENTETE_IDENT {value} matches no header of the headers file",
                       column="ENTETE_IDENT", codes={"$PARAMETER": "header_idents"}),
            ]
        return [
            *checks,
            expect("ExpectColumnValuesToBeInCodes", "unknown_article", "ART_CODE",
                   "ART_CODE {value} is not an article of the dossier", column="ART_CODE",
                   codes={"$PARAMETER": "article_codes"}),
            expect("ExpectColumnValuesToBeInCodes", "unknown_vat", "TVA_CODE",
                   "TVA_CODE {value} is not a VAT code of the dossier", column="TVA_CODE",
                   codes={"$PARAMETER": "vat_codes"}),
        ]

    def propagate(self, frame: pd.DataFrame, rejected_rows: pd.Index) -> pd.DataFrame | None:
        headers = frame[frame[PART] == HEADER]
        lines = frame[frame[PART] == LINE_PART]
        owners = headers[headers[DOC].notna() & ~headers[DOC].duplicated()]
        bad_headers = set(owners.loc[owners.index.isin(rejected_rows), DOC])
        bad_lines = set(lines.loc[lines.index.isin(rejected_rows), DOC].dropna())
        if UNREAD_LINE in owners:
            bad_lines |= set(owners.loc[owners[UNREAD_LINE].astype(bool), DOC])
        head = owners[owners[DOC].isin(bad_lines) & ~owners.index.isin(rejected_rows)]
        tail = lines[lines[DOC].isin(bad_headers | bad_lines) & ~lines.index.isin(rejected_rows)]
        parts = [
            pd.DataFrame({ROW: head.index.to_numpy(), "rule": "document_incomplete",
                          "field": None, "message": [
                              f"document {k}: one of its lines is rejected" for k in head[KEY]]}),
            pd.DataFrame({ROW: tail.index.to_numpy(), "rule": "document_incomplete",
                          "field": None, "message": [
                              f"document {k} is rejected: its lines are not imported"
                              for k in tail[KEY]]}),
        ]
        found = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
            not p.empty for p in parts) else None
        return found

    def quotes(self, frame: pd.DataFrame) -> pd.Series:
        head = [f.name for f in HEADER_FIELDS]
        body = [f.name for f in LINE_FIELDS]
        is_header = frame[PART] == HEADER
        return quote_columns(frame, head).where(is_header, quote_columns(frame, body))

    # --- writing ----------------------------------------------------------------------

    def write(self, run: Run, accepted: pd.DataFrame) -> None:
        headers = accepted[accepted[PART] == HEADER]
        lines = accepted[accepted[PART] == LINE_PART]
        conn = run.conn
        ids = {t.name: loader.id_map(conn, t) for t in (customers, depots, revision_indexes)}
        art = {code: (ident, vat) for code, ident, vat in conn.execute(
            select(articles.c.code, articles.c.id, articles.c.vat_code_id))}
        vat = {code: (ident, rate) for code, ident, rate in conn.execute(
            select(vat_codes.c.code, vat_codes.c.id, vat_codes.c.rate))}
        rate_of = {ident: rate for ident, rate in vat.values()}
        numbers = _numbers(run, headers["TYPE"].tolist())
        line_rows, totals = [], {}
        by_doc = {doc: number for doc, number in zip(headers[DOC], numbers, strict=True)}
        for position, row in enumerate(lines.to_dict("records")):
            number = by_doc[row[DOC]]
            article = art.get(row["ART_CODE"]) if isinstance(row["ART_CODE"], str) else None
            vat_id = vat[row["TVA_CODE"]][0] if isinstance(row["TVA_CODE"], str) else (
                article[1] if article else None)
            qty = values.scaled_to_decimal(row["QTE__value"], 3)
            price = values.scaled_to_decimal(row["PU_HT__value"], 4)
            discount = values.scaled_to_decimal(row["REMISE__value"], 3)
            total = None
            if qty is not None and price is not None:
                total = (qty * price * (1 - (discount or Decimal(0)) / 100)).quantize(
                    CENT, ROUND_HALF_UP)
                excl, tax = totals.get(number, (Decimal(0), Decimal(0)))
                rate = rate_of.get(vat_id) or Decimal(0)
                totals[number] = (excl + total, tax + (total * rate / 100))
            line_rows.append({"_number": number, "_order": position,
                              "article_id": article[0] if article else None,
                              "description": _none(row["DESIG"]), "quantity": qty,
                              "unit_price": price, "discount": discount, "vat_code_id": vat_id,
                              "total_excl_tax": total, "import_batch_id": run.batch_id})
        docs = pd.DataFrame({
            "number": numbers, "type": headers["TYPE"].tolist(),
            "customer_id": headers["CLIENT_CODE"].map(ids["customers"]).tolist(),
            "date": [d or run.today for d in values.to_dates(headers["DATE__value"])],
            "depot_id": headers["DEPOT_CODE"].map(ids["depots"]).astype("Int64").tolist(),
            "reference": headers["REFERENCE"].tolist(),
            "origin": headers["WEB_IDENT"].fillna(headers["IDENT"]).tolist(),
            "source": "import",
            "revision_index_id": headers["INDICE_CODE"].map(ids["revision_indexes"])
            .astype("Int64").tolist(),
            "periodicity": headers["PERIODICITE"].tolist(),
            "start_date": values.to_dates(headers["DATE_DEBUT__value"]),
            "end_date": values.to_dates(headers["DATE_FIN__value"]),
        })
        excl = [totals.get(n, (Decimal(0), Decimal(0)))[0] for n in numbers]
        tax = [totals.get(n, (Decimal(0), Decimal(0)))[1].quantize(CENT, ROUND_HALF_UP)
               for n in numbers]
        docs["total_excl_tax"], docs["total_tax"] = excl, tax
        docs["total_incl_tax"] = [e + t for e, t in zip(excl, tax, strict=True)]
        docs["import_batch_id"] = run.batch_id
        conn.execute(sales_documents.insert(), loader.records(docs.astype("object")))
        run.written["sales_documents"] += len(docs)
        doc_ids = dict(conn.execute(select(sales_documents.c.number, sales_documents.c.id)
                                    .where(sales_documents.c.import_batch_id == run.batch_id))
                       .all())
        counters: dict[str, int] = {}
        for line in line_rows:
            number = line.pop("_number")
            line.pop("_order")
            counters[number] = counters.get(number, 0) + 1
            line["document_id"] = doc_ids[number]
            line["line_no"] = counters[number]
        if line_rows:
            conn.execute(sales_document_lines.insert(), line_rows)
        run.written["sales_document_lines"] += len(line_rows)


def _combine(headers: pd.DataFrame, lines: pd.DataFrame, head_file: str, line_file: str, *,
             csv: bool) -> pd.DataFrame:
    headers = headers.copy()
    lines = lines.copy()
    headers[PART], lines[PART] = HEADER, LINE_PART
    headers[FILE], lines[FILE] = head_file, line_file
    frame = pd.concat([headers, lines], ignore_index=True)
    frame["_csv"] = csv
    for column in frame.columns:
        if column not in (LINE, "_csv"):
            frame[column] = frame[column].astype("str")
    frame[LINE] = frame[LINE].astype("int64")
    return frame


def _numbers(run: Run, types: list[str]) -> list[str]:
    """New document numbers, one series per type: IMP-F-000001, ..."""
    out: list[str] = [""] * len(types)
    for kind in sorted(set(types)):
        positions = [i for i, t in enumerate(types) if t == kind]
        first = loader.reserve_numbers(run.conn, f"import.sales_documents.{kind}", len(positions))
        for offset, i in enumerate(positions):
            out[i] = f"IMP-{kind}-{first + offset:06d}"
    return out


def _none(value: object) -> object:
    return None if value is None or (isinstance(value, float) and value != value) else value
