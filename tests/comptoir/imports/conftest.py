"""Helpers of the import tests: small files, a seeded dossier, one call to run an import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from comptoir.imports.report import ImportReport
from comptoir.imports.service import run_import


@pytest.fixture
def files(tmp_path: Path):  # type: ignore[no-untyped-def]
    """write(name, text, encoding='utf-8') -> path of a file in the test's folder."""

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / "in" / name
        path.parent.mkdir(exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def imp(dossier_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """imp(entity, path, **options) -> ImportReport, on the test's dossier."""
    count = iter(range(1000))

    def run(entity: str, path: Path, **options: Any) -> ImportReport:
        options.setdefault("data_docs", False)
        return run_import(entity, path, url=dossier_url,
                          report_dir=tmp_path / f"report-{next(count)}", **options)

    return run


def found(report: ImportReport) -> set[tuple[int | None, str]]:
    """(line, rule) of every rejection."""
    return {(r.line, r.rule) for r in report.rejections}


def rows(engine: Engine, sql: str, **params: Any) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def fetch(engine: Engine, statement: Any) -> list[tuple]:
    """Rows of a SQLAlchemy Core statement (typed: Decimal, bool, date)."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(statement)]


def count(engine: Engine, table: str) -> int:
    return rows(engine, f"SELECT COUNT(*) FROM {table}")[0][0]


def execute(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


@pytest.fixture
def dossier(engine: Engine) -> Engine:
    """A dossier with reference data: regimes, VAT codes, suppliers, customers, depots,
    articles (A-LOT managed by lots, A-KIT assembled), a revision index."""
    execute(
        engine,
        "INSERT INTO tax_regimes (code, name) VALUES ('FR', 'France'), ('EU', 'Europe')",
        "INSERT INTO vat_codes (code, name, rate) VALUES ('N', 'Normal', 20), ('R', 'Reduit', 5.5)",
        "INSERT INTO suppliers (code, name) VALUES ('S1', 'Supplier one'), ('S2', 'Supplier two')",
        "INSERT INTO customers (code, name) VALUES ('C1', 'Customer one'), ('C2', 'Customer two')",
        "INSERT INTO depots (code, name) VALUES ('D1', 'Central'), ('D2', 'Store')",
        "INSERT INTO families (code, name) VALUES ('F1', 'Family')",
        "INSERT INTO brands (code, name) VALUES ('B1', 'Brand')",
        "INSERT INTO revision_indexes (code, name) VALUES ('SYNTEC', 'Syntec')",
    )
    vat = rows(engine, "SELECT id FROM vat_codes WHERE code = 'N'")[0][0]
    execute(
        engine,
        f"INSERT INTO articles (code, name, vat_code_id, lot_managed, assembled) VALUES "
        f"('A1', 'Article one', {vat}, false, false), ('A2', 'Article two', {vat}, false, false), "
        f"('A-LOT', 'Lots', {vat}, true, false), ('A-KIT', 'Kit', {vat}, false, true)",
        "INSERT INTO stock_records (article_id, depot_id) SELECT a.id, d.id FROM articles a, "
        "depots d",
    )
    return engine
