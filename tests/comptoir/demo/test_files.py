"""Import files of the demo: the contract's headers, the asked volumes, and injected mistakes
that an independent reading of the contract finds exactly where expected_errors.csv says."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

import pytest
from schwifty import IBAN
from typer.testing import CliRunner

from comptoir.demo.bank import bank_pool
from comptoir.demo.files import FilesError, Request, write_files

CONTRACT = {  # spec/imports.md, column order as written there
    "regimes.csv": "CODE;DESIG",
    "vat.csv": "CODE;DESIG;TAUX",
    "revision_indexes.csv": "CODE;DESIG",
    "depots.csv": "CODE;DESIG;ADRESSE1;CP;VILLE",
    "suppliers.csv": "CODE;DESIG;REGIME_CODE;ADRESSE1;ADRESSE2;CP;VILLE;PAYS;EMAIL;TEL",
    "customers.csv": "CODE;DESIG;REGIME_CODE;FAMILLE;ADRESSE1;ADRESSE2;CP;VILLE;PAYS;EMAIL;TEL;"
                     "IBAN;BIC;RIB_BANQUE;RIB_GUICHET;RIB_COMPTE;RIB_CLE;COMPTE",
    "articles.csv": "CODE;DESIG;TVA_CODE;FOURNISSEUR_CODE;PRIX_ACHAT;PRIX_VENTE;FAMILLE;MARQUE;"
                    "UNITE;GERE_LOTS;ASSEMBLE;DISPONIBLE_EXPORT",
    "stocks.csv": "ART_CODE;DEPOT_CODE;QINITIALE;VINITIALE;LOT1;LOT2;LOT3;LOT4;LOT5;"
                  "QLOT1;QLOT2;QLOT3;QLOT4;QLOT5",
    "sales_documents_headers.csv": "IDENT;CLIENT_CODE;TYPE;DATE;WEB_IDENT;REFERENCE;DEPOT_CODE;"
                                   "INDICE_CODE;PERIODICITE;DATE_DEBUT;DATE_FIN",
    "sales_documents_lines.csv": "ENTETE_IDENT;ART_CODE;DESIG;QTE;PU_HT;REMISE;TVA_CODE",
}
SIZES = {"customers": 1500, "articles": 800, "suppliers": 40, "documents": 300, "stocks": 1200}
NUMBER = re.compile(r"-?\d+(,\d+)?")


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def number(text: str) -> float | None:
    return float(text.replace(",", ".")) if NUMBER.fullmatch(text) else None


def is_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%d/%m/%Y")
    except ValueError:
        return False
    return True


def rib_key_ok(bank: str, branch: str, account: str, key: str) -> bool:
    return 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97 == int(key)


def iban_ok(text: str) -> bool:
    try:
        return IBAN(text).validate(validate_bban=True)
    except Exception:
        return False


def bank_broken(r: dict[str, str]) -> bool:
    rib = [r["RIB_BANQUE"], r["RIB_GUICHET"], r["RIB_COMPTE"], r["RIB_CLE"]]
    if r["IBAN"] and not iban_ok(r["IBAN"]):
        return True
    if any(rib) and not all(rib):
        return True
    if all(rib) and not rib_key_ok(*rib):
        return True
    return bool(r["IBAN"] and all(rib) and r["IBAN"][4:] != "".join(rib))


def check(folder: Path) -> set[tuple[str, int, str, str]]:
    """Every rule of the contract broken in the files, found without the generator's help."""
    found: set[tuple[str, int, str, str]] = set()
    regimes = {r["CODE"] for r in read(folder, "regimes.csv")}
    vat = {r["CODE"] for r in read(folder, "vat.csv")}
    depots = {r["CODE"] for r in read(folder, "depots.csv")}
    indexes = {r["CODE"] for r in read(folder, "revision_indexes.csv")}

    def coded(name: str, extra) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
        accepted: dict[str, dict[str, str]] = {}
        seen: set[str] = set()
        for line, r in enumerate(read(folder, name), start=2):
            rules = set()
            if not r["CODE"] or not r["DESIG"]:
                rules.add("required")
            if r["CODE"] in seen:
                rules.add("duplicate_in_file")
            seen.add(r["CODE"])
            rules |= extra(r)
            found.update((name, line, r["CODE"], rule) for rule in rules)
            if not rules:
                accepted[r["CODE"]] = r
        return accepted

    def regime(r: dict[str, str]) -> set[str]:
        return {"unknown_regime"} if r["REGIME_CODE"] and r["REGIME_CODE"] not in regimes else set()

    suppliers = coded("suppliers.csv", regime)
    customers = coded("customers.csv",
                      lambda r: regime(r) | ({"bank_details"} if bank_broken(r) else set()))

    def article(r: dict[str, str]) -> set[str]:
        rules = set()
        if r["TVA_CODE"] and r["TVA_CODE"] not in vat:
            rules.add("unknown_vat")
        if r["FOURNISSEUR_CODE"] not in suppliers:
            rules.add("unknown_supplier")
        prices = [number(r[c]) for c in ("PRIX_ACHAT", "PRIX_VENTE")]
        flags = [r[c] for c in ("GERE_LOTS", "ASSEMBLE", "DISPONIBLE_EXPORT")]
        if any(p is None or p < 0 for p in prices) or any(f not in ("O", "N") for f in flags):
            rules.add("invalid_value")
        return rules

    articles = coded("articles.csv", article)

    for line, r in enumerate(read(folder, "stocks.csv"), start=2):
        rules = set()
        art = articles.get(r["ART_CODE"])
        if art is None:
            rules.add("unknown_article")
        if r["DEPOT_CODE"] not in depots:
            rules.add("unknown_depot")
        qty, value = number(r["QINITIALE"]), number(r["VINITIALE"])
        if qty is None or qty <= 0:
            rules.add("initial_qty")
        if value is None or value < 0:
            rules.add("initial_value")
        lots = [(r[f"LOT{k}"], r[f"QLOT{k}"]) for k in range(1, 6) if r[f"LOT{k}"]]
        if art is not None and art["GERE_LOTS"] == "O" and not lots:
            rules.add("lot_required")
        if art is not None and art["GERE_LOTS"] == "N" and lots:
            rules.add("lot_not_managed")
        if lots and sum(number(q) or 0 for _, q in lots) != qty:
            rules.add("lot_sum")
        found.update(("stocks.csv", line, r["ART_CODE"], rule) for rule in rules)

    headers = read(folder, "sales_documents_headers.csv")
    idents = {h["IDENT"] for h in headers}
    rejected_lines: set[str] = set()
    for line, r in enumerate(read(folder, "sales_documents_lines.csv"), start=2):
        rules = set()
        if r["ENTETE_IDENT"] not in idents:
            rules.add("orphan_line")
        else:
            if r["ART_CODE"] and r["ART_CODE"] not in articles:
                rules.add("unknown_article")
            if number(r["QTE"]) is None or number(r["PU_HT"]) is None or (
                    r["REMISE"] and number(r["REMISE"]) is None):
                rules.add("invalid_value")
            if rules:
                rejected_lines.add(r["ENTETE_IDENT"])
        found.update(("sales_documents_lines.csv", line, r["ENTETE_IDENT"], rule)
                     for rule in rules)
    seen_web: set[str] = set()
    for line, h in enumerate(headers, start=2):
        rules = set()
        if not h["CLIENT_CODE"]:
            rules.add("required")
        elif h["CLIENT_CODE"] not in customers:
            rules.add("unknown_customer")
        if h["TYPE"] not in ("D", "C", "B", "F", "A", "O"):
            rules.add("doc_type")
        if not is_date(h["DATE"]):
            rules.add("invalid_value")
        if h["WEB_IDENT"] and h["WEB_IDENT"] in seen_web:
            rules.add("duplicate_in_file")
        seen_web.add(h["WEB_IDENT"])
        if h["TYPE"] == "O" and h["PERIODICITE"] not in ("A", "M", "J"):
            rules.add("periodicity")
        if h["INDICE_CODE"] and h["INDICE_CODE"] not in indexes:
            rules.add("unknown_index")
        if h["IDENT"] in rejected_lines:
            rules.add("document_incomplete")
        found.update(("sales_documents_headers.csv", line, h["IDENT"], rule) for rule in rules)
    return found


def expected(folder: Path) -> set[tuple[str, int, str, str]]:
    return {(r["file"], int(r["line"]), r["key"], r["rule"])
            for r in read(folder, "expected_errors.csv")}


def test_files_have_the_contract_headers_and_the_asked_volumes(tmp_path: Path) -> None:
    summary = write_files(tmp_path, Request(**SIZES))
    for name, header in CONTRACT.items():
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        assert lines[0] == header, name
        assert all(line.count(";") == header.count(";") for line in lines), name
    records = {name: len(read(tmp_path, name)) for name in CONTRACT}
    assert records == summary.records
    assert records["customers.csv"] == 1500 and records["articles.csv"] == 800
    assert records["suppliers.csv"] == 40 and records["stocks.csv"] == 1200
    assert records["sales_documents_headers.csv"] == 300
    assert records["sales_documents_lines.csv"] >= 300
    assert summary.errors == 0 and not read(tmp_path, "expected_errors.csv")
    assert check(tmp_path) == set()  # every record is valid

    customers = read(tmp_path, "customers.csv")
    with_bank = [c for c in customers if c["IBAN"]]
    assert len(with_bank) > len(customers) // 2
    assert all(c["IBAN"].startswith("FR76") and iban_ok(c["IBAN"]) for c in with_bank)
    articles = read(tmp_path, "articles.csv")
    assert all(re.fullmatch(r"\d+,\d\d", a["PRIX_VENTE"]) for a in articles)
    assert {a["GERE_LOTS"] for a in articles} == {"O", "N"}
    assert any(s["LOT1"] for s in read(tmp_path, "stocks.csv"))
    headers = read(tmp_path, "sales_documents_headers.csv")
    assert all(is_date(h["DATE"]) for h in headers) and any(h["WEB_IDENT"] for h in headers)


def test_injected_mistakes_are_listed_and_really_wrong(tmp_path: Path) -> None:
    summary = write_files(tmp_path, Request(**SIZES, errors=0.08, seed=3))
    listed = expected(tmp_path)
    assert summary.errors == len(listed) > 100
    assert check(tmp_path) == listed
    rules = {(file, rule) for file, _, _, rule in listed}
    for file, rule in [("customers.csv", "bank_details"), ("customers.csv", "required"),
                       ("customers.csv", "duplicate_in_file"), ("articles.csv", "unknown_vat"),
                       ("articles.csv", "invalid_value"), ("stocks.csv", "lot_sum"),
                       ("sales_documents_headers.csv", "document_incomplete"),
                       ("sales_documents_lines.csv", "orphan_line")]:
        assert (file, rule) in rules
    # about the asked share of records, never the first record of a file
    customers = [line for file, line, _, _ in listed if file == "customers.csv"]
    assert 0.04 * 1500 < len(customers) < 0.12 * 1500 and 2 not in customers


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    ask = {"customers": 200, "articles": 100, "documents": 30}
    write_files(tmp_path / "a", Request(**ask, errors=0.05, seed=11))
    write_files(tmp_path / "b", Request(**ask, errors=0.05, seed=11))
    write_files(tmp_path / "c", Request(**ask, errors=0.05, seed=12))
    for name in ("customers.csv", "articles.csv", "sales_documents_lines.csv",
                 "expected_errors.csv"):
        same = (tmp_path / "a" / name).read_bytes()
        assert same == (tmp_path / "b" / name).read_bytes()
        assert same != (tmp_path / "c" / name).read_bytes()


def test_bank_pool_details_are_valid() -> None:
    import numpy as np

    pool = bank_pool(np.random.default_rng(5), 300)
    assert len(set(pool.iban.tolist())) == 300
    for iban, bank, branch, account, key in zip(pool.iban.tolist(), pool.bank.tolist(),
                                                pool.branch.tolist(), pool.account.tolist(),
                                                pool.key.tolist(), strict=True):
        assert iban_ok(iban) and iban[4:] == bank + branch + account + key
        assert rib_key_ok(bank, branch, account, key)


@pytest.mark.parametrize("ask, message", [
    (Request(stocks=10), "--stocks needs --articles"),
    (Request(articles=1, stocks=8), "at most 7 per article"),
    (Request(customers=10, errors=0.9), "--errors"),
])
def test_impossible_requests_are_refused(tmp_path: Path, ask: Request, message: str) -> None:
    with pytest.raises(FilesError, match=message):
        write_files(tmp_path, ask)


def test_cli_writes_files_without_a_dossier(tmp_path: Path, comptoir_home: Path) -> None:
    from comptoir.cli import app
    from comptoir.cli.demo import DemoUsageError

    runner = CliRunner()
    result = runner.invoke(app, ["demo-data", "--files", str(tmp_path / "out"), "--customers",
                                 "50", "--articles", "20", "--errors", "0.1"])
    assert result.exit_code == 0, result.output
    assert len(read(tmp_path / "out", "customers.csv")) == 50
    assert not (comptoir_home / "comptoir.db").exists()  # no database needed
    misuse = runner.invoke(app, ["demo-data", "--customers", "50"])
    assert isinstance(misuse.exception, DemoUsageError)
    misuse = runner.invoke(app, ["demo-data", "--files", str(tmp_path), "--reset"])
    assert isinstance(misuse.exception, DemoUsageError)
