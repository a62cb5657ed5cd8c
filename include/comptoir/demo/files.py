"""Import files in the formats of the import contract (spec/imports.md), at any size.

`;`-separated UTF-8 text with a header row, decimal comma, dates DD/MM/YYYY, booleans
O/N. Records are generated and written a block at a time with numpy, so a million
customers take seconds and little memory. With an error rate, a sprinkling of realistic
mistakes is injected and listed in `expected_errors.csv` (file;line;key;rule).

Files that other files refer to are coherent: articles name suppliers of `suppliers.csv`
(or of the demo dossier when it is not written), stock lines and sales documents refer
to customers and articles of the files, never to a record the files spoil. The small
reference files (regimes, VAT codes, revision indexes, depots) are always written and
never spoiled: every other file depends on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from comptoir.demo import mistakes as mk
from comptoir.demo import names, people, products, reference
from comptoir.demo.bank import bank_pool
from comptoir.demo.mistakes import Block, Mistake
from comptoir.demo.text import STR, cat, compact_fixed, date_fr, fixed, num, strs
from comptoir.errors import ComptoirError

BLOCK = 100_000
BANK_POOL = 5000
MAX_ERROR_RATE = 0.5

HEADERS: dict[str, list[str]] = {
    "regimes.csv": ["CODE", "DESIG"],
    "vat.csv": ["CODE", "DESIG", "TAUX"],
    "revision_indexes.csv": ["CODE", "DESIG"],
    "depots.csv": ["CODE", "DESIG", "ADRESSE1", "CP", "VILLE"],
    "suppliers.csv": ["CODE", "DESIG", "REGIME_CODE", "ADRESSE1", "ADRESSE2", "CP", "VILLE",
                      "PAYS", "EMAIL", "TEL"],
    "customers.csv": ["CODE", "DESIG", "REGIME_CODE", "FAMILLE", "ADRESSE1", "ADRESSE2", "CP",
                      "VILLE", "PAYS", "EMAIL", "TEL", "IBAN", "BIC", "RIB_BANQUE",
                      "RIB_GUICHET", "RIB_COMPTE", "RIB_CLE", "COMPTE"],
    "articles.csv": ["CODE", "DESIG", "TVA_CODE", "FOURNISSEUR_CODE", "PRIX_ACHAT",
                     "PRIX_VENTE", "FAMILLE", "MARQUE", "UNITE", "GERE_LOTS", "ASSEMBLE",
                     "DISPONIBLE_EXPORT"],
    "stocks.csv": ["ART_CODE", "DEPOT_CODE", "QINITIALE", "VINITIALE",
                   *(f"LOT{k}" for k in range(1, 6)), *(f"QLOT{k}" for k in range(1, 6))],
    "sales_documents_headers.csv": ["IDENT", "CLIENT_CODE", "TYPE", "DATE", "WEB_IDENT",
                                    "REFERENCE", "DEPOT_CODE", "INDICE_CODE", "PERIODICITE",
                                    "DATE_DEBUT", "DATE_FIN"],
    "sales_documents_lines.csv": ["ENTETE_IDENT", "ART_CODE", "DESIG", "QTE", "PU_HT",
                                  "REMISE", "TVA_CODE"],
}
EXPECTED = "expected_errors.csv"

# Random streams, one per entity (and block): (seed, entity, block).
SUPPLIERS, CUSTOMERS, ARTICLES, STOCKS, DOCUMENTS, LINES, BANK = 5, 6, 7, 8, 9, 10, 11
DEPOT_CODES = [names.CENTRAL.code] + [st.code for st in names.STORES]


class FilesError(ComptoirError):
    """The files cannot be generated as asked."""


@dataclass(frozen=True)
class FilesSummary:
    """What was written: records per file and the mistakes injected."""

    directory: Path
    records: dict[str, int]
    errors: int


@dataclass(frozen=True)
class Request:
    """How many records of each kind to write, the error rate and the seed."""

    customers: int = 0
    articles: int = 0
    suppliers: int = 0
    documents: int = 0
    stocks: int = 0
    errors: float = 0.0
    seed: int = reference.DEFAULT_SEED

    def check(self) -> None:
        for name in ("customers", "articles", "suppliers", "documents", "stocks"):
            if getattr(self, name) < 0:
                raise FilesError(f"--{name} cannot be negative")
        if not 0 <= self.errors <= MAX_ERROR_RATE:
            raise FilesError(f"--errors is a rate between 0 and {MAX_ERROR_RATE}, "
                             f"not {self.errors}")
        if self.stocks and not self.articles:
            raise FilesError("--stocks needs --articles: stock lines are for the articles "
                             "of articles.csv")
        if self.stocks > self.articles * len(DEPOT_CODES):
            raise FilesError(f"--stocks is at most {len(DEPOT_CODES)} per article "
                             f"({self.articles * len(DEPOT_CODES)} here)")


def write_files(directory: Path, request: Request,
                on_progress: Callable[[int], None] | None = None) -> FilesSummary:
    """Write the import files of `request` into `directory` (created when missing)."""
    request.check()
    directory.mkdir(parents=True, exist_ok=True)
    writer = _Writer(directory, request, on_progress or (lambda _n: None))
    writer.run()
    return FilesSummary(directory, writer.records, writer.error_count)


def total_records(request: Request) -> int:
    """Records the request writes (for a progress bar)."""
    return (request.customers + request.articles + request.suppliers + request.documents
            + request.stocks)


class _Writer:
    def __init__(self, directory: Path, request: Request,
                 on_progress: Callable[[int], None]) -> None:
        self.dir = directory
        self.req = request
        self.seed = request.seed
        self.on_progress = on_progress
        self.records: dict[str, int] = {}
        self.error_count = 0
        self.expected: TextIO | None = None
        self.reference = reference.reference_date(request.seed)

    def run(self) -> None:
        with (self.dir / EXPECTED).open("w", encoding="utf-8", newline="") as expected:
            expected.write("file;line;key;rule\n")
            self.expected = expected
            self._reference_files()
            if self.req.suppliers:
                self._write("suppliers.csv", self._supplier_blocks(), self._supplier_mistakes())
            if self.req.customers:
                self._write("customers.csv", self._customer_blocks(), self._customer_mistakes())
            if self.req.articles:
                self._write("articles.csv", self._article_blocks(), self._article_mistakes())
            if self.req.stocks:
                self._write("stocks.csv", self._stock_blocks(), self._stock_mistakes())
            if self.req.documents:
                self._documents()

    # --- writing ---------------------------------------------------------------------------

    def _open(self, name: str) -> TextIO:
        out = (self.dir / name).open("w", encoding="utf-8", newline="")
        out.write(";".join(HEADERS[name]) + "\n")
        self.records[name] = 0
        return out

    def _write(self, name: str, blocks: Iterator[Block], mistakes: list[Mistake]) -> None:
        with self._open(name) as out:
            for number, block in enumerate(blocks):
                if self.req.errors and mistakes:
                    rng = mk.error_stream(self.seed, _STREAMS[name], number)
                    self._expect(name, block, mk.inject(block, mistakes, self.req.errors, rng))
                self._emit(out, name, block)

    def _emit(self, out: TextIO, name: str, block: Block) -> None:
        line = cat(*[x for col in HEADERS[name] for x in (";", block.columns[col])][1:])
        out.write("\n".join(line.tolist()))
        out.write("\n")
        self.records[name] += len(block)
        if name in _COUNTED:
            self.on_progress(len(block))

    def _expect(self, name: str, block: Block, found: list[tuple[np.ndarray, str]]) -> None:
        """List the block's mistakes in expected_errors.csv, in line order."""
        assert self.expected is not None
        if not found:
            return
        rows = np.concatenate([r for r, _ in found])
        rules = np.concatenate([np.full(len(r), rule, dtype=STR) for r, rule in found])
        order = np.argsort(rows, kind="stable")
        rows, rules = rows[order], rules[order]
        keys = block.columns[block.key][rows]
        text = cat(name, ";", num(rows + block.first + 2), ";", keys, ";", rules)
        self.expected.write("".join(f"{t}\n" for t in text.tolist()))
        self.error_count += len(rows)

    # --- reference files -----------------------------------------------------------------------

    def _reference_files(self) -> None:
        def small(name: str, columns: dict[str, list[str]]) -> None:
            with self._open(name) as out:
                self._emit(out, name, Block({k: strs(v) for k, v in columns.items()}, "CODE", 0))

        small("regimes.csv", {"CODE": [c for c, _ in products.REGIMES],
                              "DESIG": [n for _, n in products.REGIMES]})
        vat = products.VAT_CODES
        rates = compact_fixed(np.array([v[2] for v in vat]), 3).tolist()
        small("vat.csv", {"CODE": [v[0] for v in vat], "DESIG": [v[1] for v in vat],
                          "TAUX": rates})
        small("revision_indexes.csv", {"CODE": [r[0] for r in reference.REVISION_INDEXES],
                                       "DESIG": [r[1] for r in reference.REVISION_INDEXES]})
        sites = (names.CENTRAL, *names.STORES)
        small("depots.csv", {"CODE": [st.code for st in sites],
                             "DESIG": [st.name for st in sites],
                             "ADRESSE1": [st.address1 for st in sites],
                             "CP": [st.postcode for st in sites],
                             "VILLE": [st.city for st in sites]})

    # --- suppliers ---------------------------------------------------------------------------

    def _supplier_blocks(self) -> Iterator[Block]:
        """The demo's suppliers first, then made-up wholesalers."""
        total = self.req.suppliers
        known = names.SUPPLIERS
        towns = [t for st in names.STORES for t in st.towns]
        forms = strs(["Établissements", "Grossiste", "Distribution", "Négoce"])
        for number, start in enumerate(range(0, total, BLOCK)):
            n = min(BLOCK, total - start)
            rng = np.random.default_rng([self.seed, SUPPLIERS, number])
            index = np.arange(start, start + n)
            is_known = index < len(known)
            k = np.minimum(index, len(known) - 1)
            town = rng.integers(0, len(towns), n)
            last = strs(names.LAST_NAMES)[rng.integers(0, len(names.LAST_NAMES), n)]
            code = cat("FOU", num(index + 1, 4))

            def either(attr: str, made: np.ndarray, k: np.ndarray = k,
                       is_known: np.ndarray = is_known) -> np.ndarray:
                return np.where(is_known, strs(getattr(x, attr) for x in known)[k],
                                made).astype(STR)

            yield Block({
                "CODE": code,
                "DESIG": either("name", cat(forms[rng.integers(0, len(forms), n)], " ", last)),
                "REGIME_CODE": either("regime", np.full(n, "FR", dtype=STR)),
                "ADRESSE1": _streets(rng, n), "ADRESSE2": np.full(n, "", dtype=STR),
                "CP": either("postcode", strs(t[0] for t in towns)[town]),
                "VILLE": either("city", strs(t[1] for t in towns)[town]),
                "PAYS": either("country", np.full(n, "FR", dtype=STR)),
                "EMAIL": cat("contact@", either("domain", cat(np.strings.lower(code), ".fr"))),
                "TEL": cat("0", num(rng.integers(1, 6, n)), " ", num(rng.integers(10, 100, n)),
                           " ", num(rng.integers(10, 100, n)), " ",
                           num(rng.integers(10, 100, n)), " ", num(rng.integers(10, 100, n))),
            }, "CODE", start)

    @staticmethod
    def _supplier_mistakes() -> list[Mistake]:
        return [mk.required("DESIG"), mk.duplicate_code(),
                Mistake("unknown_regime", mk.set_value("REGIME_CODE", "FRA"))]

    def _clean(self, entity: int, number: int, start: int, n: int) -> np.ndarray:
        """Indexes (within the block) of the records of block `number` left unspoiled."""
        if not self.req.errors:
            return np.arange(n)
        stream = mk.error_stream(self.seed, entity, number)
        return np.flatnonzero(~mk.error_mask(stream, n, self.req.errors, start))

    # --- customers ---------------------------------------------------------------------------

    def _customer_blocks(self) -> Iterator[Block]:
        total = self.req.customers
        width = people.code_width(total)
        pool = bank_pool(np.random.default_rng([self.seed, BANK]), min(BANK_POOL, total))
        for number, start in enumerate(range(0, total, BLOCK)):
            n = min(BLOCK, total - start)
            rng = np.random.default_rng([self.seed, CUSTOMERS, number])
            c = people.customers(rng, start + 1, n, width, pool)
            regime = c["regime"].copy()
            regime[(regime == "FR") & (rng.random(n) < 0.08)] = ""  # the default regime
            yield Block({
                "CODE": c["code"], "DESIG": c["name"], "REGIME_CODE": regime,
                "FAMILLE": c["family"], "ADRESSE1": c["address1"], "ADRESSE2": c["address2"],
                "CP": c["postcode"], "VILLE": c["city"], "PAYS": c["country"],
                "EMAIL": c["email"], "TEL": c["phone"], "IBAN": c["iban"], "BIC": c["bic"],
                "RIB_BANQUE": c["rib_bank"], "RIB_GUICHET": c["rib_branch"],
                "RIB_COMPTE": c["rib_account"], "RIB_CLE": c["rib_key"],
                "COMPTE": c["account"]}, "CODE", start)

    @staticmethod
    def _customer_mistakes() -> list[Mistake]:
        return [mk.required("DESIG"), mk.duplicate_code(),
                Mistake("unknown_regime", mk.set_value("REGIME_CODE", "FRA")), *mk.BANK_MISTAKES]

    # --- articles ----------------------------------------------------------------------------

    def _supplier_table(self) -> np.ndarray:
        """Supplier code for each supplier index of the catalogue: a clean supplier of
        suppliers.csv, or the demo dossier's when the file is not written."""
        count = self.req.suppliers
        clean = (self._clean(SUPPLIERS, 0, 0, min(count, BLOCK)) if count
                 else np.arange(len(names.SUPPLIERS)))
        clean_set = set(clean.tolist())
        table = [i if i in clean_set else int(clean[i % len(clean)])
                 for i in range(len(names.SUPPLIERS))]
        return strs(products.supplier_code(i) for i in table)

    def _articles(self, number: int, start: int, n: int, width: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, ARTICLES, number])
        return products.articles(rng, start + 1, n, width)

    def _article_blocks(self) -> Iterator[Block]:
        total = self.req.articles
        width = people.code_width(total)
        suppliers = self._supplier_table()
        for number, start in enumerate(range(0, total, BLOCK)):
            n = min(BLOCK, total - start)
            a = self._articles(number, start, n, width)
            supplier = suppliers[np.strings.slice(a["supplier"], 3, None).astype(np.int64) - 1]
            yield Block({
                "CODE": a["code"], "DESIG": a["name"], "TVA_CODE": a["vat"],
                "FOURNISSEUR_CODE": supplier, "PRIX_ACHAT": fixed(a["purchase"], 2),
                "PRIX_VENTE": fixed(products.round_div(a["sale"], 100), 2), "FAMILLE": a["family"],
                "MARQUE": a["brand"], "UNITE": a["unit"], "GERE_LOTS": _yes_no(a["lot_managed"]),
                "ASSEMBLE": _yes_no(a["assembled"]),
                "DISPONIBLE_EXPORT": _yes_no(a["exportable"])}, "CODE", start)

    @staticmethod
    def _article_mistakes() -> list[Mistake]:
        return [mk.required("DESIG"), mk.duplicate_code(),
                Mistake("unknown_vat", mk.set_value("TVA_CODE", "TVA20")),
                Mistake("unknown_supplier", mk.set_value("FOURNISSEUR_CODE", "FOU0000")),
                Mistake("invalid_value", mk.negative("PRIX_VENTE")),
                Mistake("invalid_value", mk.letter_o("PRIX_ACHAT")),
                Mistake("invalid_value", mk.set_value("GERE_LOTS", "peut-être"))]

    # --- stocks ------------------------------------------------------------------------------

    def _stock_blocks(self) -> Iterator[Block]:
        """Initial stock of the clean articles of articles.csv, in every depot in turn."""
        total, articles = self.req.stocks, self.req.articles
        width = people.code_width(articles)
        depots = strs(DEPOT_CODES)
        per_block = BLOCK // len(DEPOT_CODES)
        done = part = 0
        for number, start in enumerate(range(0, articles, BLOCK)):
            n = min(BLOCK, articles - start)
            a = self._articles(number, start, n, width)
            clean = self._clean(ARTICLES, number, start, n)
            for offset in range(0, len(clean), per_block):
                if done >= total:
                    return
                keep = clean[offset:offset + per_block]
                rows = np.repeat(keep, len(DEPOT_CODES))[: total - done]
                depot = np.tile(np.arange(len(DEPOT_CODES)), len(keep))[: len(rows)]
                rng = np.random.default_rng([self.seed, STOCKS, part])
                columns = _stock_columns(rng, a, rows, depots[depot], depot == 0)
                lots = columns.pop("_lots")
                yield Block(columns, "ART_CODE", done, {"lots": lots})
                done += len(rows)
                part += 1

    @staticmethod
    def _stock_mistakes() -> list[Mistake]:
        lots, no_lots = mk.flag("lots"), mk.flag("lots", expected=False)
        return [
            Mistake("unknown_article", mk.set_value("ART_CODE", "ART-INCONNU"), no_lots),
            Mistake("unknown_depot", mk.set_value("DEPOT_CODE", "MAG99"), no_lots),
            Mistake("initial_qty", mk.set_value("QINITIALE", "0"), no_lots),
            Mistake("initial_value", mk.negative("VINITIALE")),
            Mistake("lot_required", _drop_lots, lots),
            Mistake("lot_not_managed", _add_lot, no_lots),
            Mistake("lot_sum", _one_more_in_lot, lots),
        ]

    # --- sales documents ---------------------------------------------------------------------

    def _documents(self) -> None:
        total = self.req.documents
        width = people.code_width(total)
        customers = self.req.customers or reference.CUSTOMERS_PER_SCALE
        articles = self.req.articles or reference.ARTICLES_PER_SCALE
        cust_ok = self._clean(CUSTOMERS, 0, 0, min(customers, BLOCK)) if self.req.customers \
            else np.arange(customers)
        cust_codes = cat("CLI", num(cust_ok + 1, people.code_width(customers)))
        art_n = min(articles, BLOCK)
        art = self._articles(0, 0, art_n, people.code_width(articles)) if self.req.articles \
            else products.articles(np.random.default_rng([self.seed, ARTICLES, 0]), 1, art_n,
                                   people.code_width(articles))
        art_ok = self._clean(ARTICLES, 0, 0, art_n) if self.req.articles else np.arange(art_n)
        headers_out = self._open("sales_documents_headers.csv")
        lines_out = self._open("sales_documents_lines.csv")
        line_first = 0
        with headers_out, lines_out:
            for number, start in enumerate(range(0, total, BLOCK)):
                n = min(BLOCK, total - start)
                rng = np.random.default_rng([self.seed, DOCUMENTS, number])
                head = self._headers(rng, start, n, width, cust_codes)
                lines = _lines(rng, head, art, art_ok, line_first)
                if self.req.errors:
                    self._document_errors(number, head, lines)
                self._emit(headers_out, "sales_documents_headers.csv", head)
                self._emit(lines_out, "sales_documents_lines.csv", lines)
                line_first += len(lines)

    def _headers(self, rng: np.random.Generator, start: int, n: int, width: int,
                 customers: np.ndarray) -> Block:
        types = strs("DCBFAO")
        kind = types[rng.choice(6, size=n, p=[0.15, 0.25, 0.10, 0.40, 0.08, 0.02])]
        ident = cat("DOC", num(np.arange(start + 1, start + n + 1), width))
        day = np.datetime64(self.reference) - rng.integers(1, 91, n).astype("timedelta64[D]")
        web = ((kind == "C") | (kind == "F")) & (rng.random(n) < 0.4)
        web_ident = np.where(web, cat("WEB-", num(np.arange(start + 1, start + n + 1), width)),
                             "").astype(STR)
        reference_ = np.where(web, "Commande boutique en ligne",
                              np.where(rng.random(n) < 0.3,
                                       cat("Réf. client ", num(rng.integers(1000, 99999, n))),
                                       "")).astype(STR)
        depots = strs(DEPOT_CODES)
        depot = np.where(web, depots[0], depots[rng.integers(1, len(depots), n)]).astype(STR)
        contract = kind == "O"
        indexes = strs(r[0] for r in reference.REVISION_INDEXES)
        month_start = day.astype("datetime64[M]")
        start_day = month_start.astype("datetime64[D]")
        end_day = ((month_start + 12).astype("datetime64[D]") - np.timedelta64(1, "D"))
        empty = np.full(n, "", dtype=STR)
        return Block({
            "IDENT": ident, "CLIENT_CODE": customers[rng.integers(0, len(customers), n)],
            "TYPE": kind, "DATE": date_fr(day), "WEB_IDENT": web_ident, "REFERENCE": reference_,
            "DEPOT_CODE": depot,
            "INDICE_CODE": np.where(contract, indexes[rng.integers(0, len(indexes), n)],
                                    empty).astype(STR),
            "PERIODICITE": np.where(contract, strs("AM")[rng.integers(0, 2, n)], empty
                                    ).astype(STR),
            "DATE_DEBUT": np.where(contract, date_fr(start_day), empty).astype(STR),
            "DATE_FIN": np.where(contract, date_fr(end_day), empty).astype(STR),
        }, "IDENT", start, {"web": web})

    def _document_errors(self, number: int, head: Block, lines: Block) -> None:
        rate = self.req.errors
        found = mk.inject(head, [
            mk.required("CLIENT_CODE"),
            Mistake("unknown_customer", mk.set_value("CLIENT_CODE", "CLI-INCONNU")),
            Mistake("doc_type", mk.set_value("TYPE", "X")),
            Mistake("invalid_value", mk.impossible_date("DATE")),
            Mistake("duplicate_in_file", _same_web_ident, _earlier_web_ident),
            Mistake("periodicity", mk.set_value("PERIODICITE", "T"), mk.when("TYPE", "O")),
            Mistake("unknown_index", mk.set_value("INDICE_CODE", "INSEE"), mk.when("TYPE", "O")),
        ], rate, mk.error_stream(self.seed, DOCUMENTS, number))
        self._expect("sales_documents_headers.csv", head, found)
        lines.info["clean_header"] = ~head.info["error_mask"][lines.info["doc"]]
        spoiled = mk.inject(lines, [
            Mistake("unknown_article", mk.set_value("ART_CODE", "ART-INCONNU"), _article_line),
            Mistake("invalid_value", mk.set_value("QTE", "deux"), mk.flag("clean_header")),
            Mistake("orphan_line", mk.set_value("ENTETE_IDENT", "DOC-INCONNU"), _orphan_ok),
        ], rate, mk.error_stream(self.seed, LINES, number))
        self._expect("sales_documents_lines.csv", lines, spoiled)
        broken = [rows for rows, rule in spoiled if rule != "orphan_line"]
        if broken:
            docs = np.unique(lines.info["doc"][np.concatenate(broken)])
            self._expect("sales_documents_headers.csv", head, [(docs, "document_incomplete")])


#: Files whose records `total_records` counts (the progress bar's unit).
_COUNTED = {"suppliers.csv", "customers.csv", "articles.csv", "stocks.csv",
            "sales_documents_headers.csv"}
_STREAMS = {"suppliers.csv": SUPPLIERS, "customers.csv": CUSTOMERS, "articles.csv": ARTICLES,
            "stocks.csv": STOCKS}


def _yes_no(values: np.ndarray) -> np.ndarray:
    return np.where(values, "O", "N").astype(STR)


def _streets(rng: np.random.Generator, n: int) -> np.ndarray:
    return cat(num(rng.integers(1, 180, n)), " ",
               strs(names.STREET_TYPES)[rng.integers(0, len(names.STREET_TYPES), n)], " ",
               strs(names.STREET_NAMES)[rng.integers(0, len(names.STREET_NAMES), n)])


def _stock_columns(rng: np.random.Generator, a: dict[str, np.ndarray], rows: np.ndarray,
                   depot: np.ndarray, central: np.ndarray) -> dict[str, np.ndarray]:
    """Stock lines of articles `rows` of block `a`: quantity, value and up to 3 lots."""
    n = len(rows)
    qty = np.where(central, rng.integers(20, 401, n), rng.integers(1, 61, n))
    value = qty * a["purchase"][rows]
    lots = a["lot_managed"][rows]
    count = np.where(lots, np.minimum(qty, rng.integers(1, 4, n)), 0)
    share = np.where(count > 0, qty // np.maximum(count, 1), 0)
    base = num(rng.integers(1000, 10000, n))
    columns = {"ART_CODE": a["code"][rows], "DEPOT_CODE": depot, "QINITIALE": num(qty),
               "VINITIALE": fixed(value, 2)}
    empty = np.full(n, "", dtype=STR)
    for k in range(1, 6):
        filled = count >= k
        amount = np.where(k == count, qty - share * (count - 1), share)
        columns[f"LOT{k}"] = np.where(filled, cat("L", base, "-", str(k)), empty).astype(STR)
        columns[f"QLOT{k}"] = np.where(filled, num(amount), empty).astype(STR)
    columns["_lots"] = lots
    return columns


def _drop_lots(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
    for k in range(1, 6):
        block.columns[f"LOT{k}"][rows] = ""
        block.columns[f"QLOT{k}"][rows] = ""


def _add_lot(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
    block.columns["LOT1"][rows] = "L0001"
    block.columns["QLOT1"][rows] = block.columns["QINITIALE"][rows]


def _one_more_in_lot(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
    block.columns["QLOT1"][rows] = num(block.columns["QLOT1"][rows].astype(np.int64) + 1)


def _earlier_web_ident(block: Block) -> np.ndarray:
    mask = block.info["error_mask"]
    n = len(block)
    with_web = np.where(~mask & block.info["web"], np.arange(n), -1)
    block.info["prev_web"] = np.maximum.accumulate(with_web)
    return block.info["prev_web"] >= 0


def _same_web_ident(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
    source = block.info["prev_web"][rows]
    block.columns["WEB_IDENT"][rows] = block.columns["WEB_IDENT"][source]


def _article_line(block: Block) -> np.ndarray:
    return block.info["clean_header"] & (np.strings.str_len(block.columns["ART_CODE"]) > 0)


def _orphan_ok(block: Block) -> np.ndarray:
    """Not a document's first line: the document keeps at least one line."""
    return block.info["position"] > 0


def _lines(rng: np.random.Generator, head: Block, art: dict[str, np.ndarray],
           art_ok: np.ndarray, first: int) -> Block:
    """1 to 6 lines per document; contracts get service lines without an article."""
    n_docs = len(head)
    per_doc = rng.integers(1, 7, n_docs)
    doc = np.repeat(np.arange(n_docs), per_doc)
    position = np.arange(len(doc)) - np.repeat(np.cumsum(per_doc) - per_doc, per_doc)
    n = len(doc)
    pick = art_ok[rng.integers(0, len(art_ok), n)]
    contract = head.columns["TYPE"][doc] == "O"
    services = names.SUBSCRIPTIONS
    service = rng.integers(0, len(services), n)
    service_label = strs(s[0] for s in services)[service]
    service_price = np.array([s[1] for s in services])[service]
    discount = np.where(rng.random(n) < 0.2, strs(["5", "10", "15"])[rng.integers(0, 3, n)],
                        "").astype(STR)
    empty = np.full(n, "", dtype=STR)
    return Block({
        "ENTETE_IDENT": head.columns["IDENT"][doc],
        "ART_CODE": np.where(contract, empty, art["code"][pick]).astype(STR),
        "DESIG": np.where(contract, service_label, art["name"][pick]).astype(STR),
        "QTE": np.where(contract, "1", num(rng.integers(1, 13, n))).astype(STR),
        "PU_HT": fixed(np.where(contract, service_price, products.round_div(art["sale"][pick],
                                                                              100)), 2),
        "REMISE": np.where(contract, empty, discount).astype(STR),
        "TVA_CODE": np.where(contract, "T1", art["vat"][pick]).astype(STR),
    }, "ENTETE_IDENT", first, {"doc": doc, "position": position})

