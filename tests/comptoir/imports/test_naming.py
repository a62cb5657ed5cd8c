"""File names: which entity a file is for, the lines file of sales documents, safe paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.imports.errors import ImportUsageError
from comptoir.imports.naming import ENTITY_ORDER, entity_for_file, lines_file_for, safe_join


@pytest.mark.parametrize(("name", "entity"), [
    ("customers.csv", "customers"), ("CUSTOMERS_2026.CSV", "customers"),
    ("customer_addresses_paris.csv", "customer_addresses"), ("vat.txt", "vat"),
    ("sales_documents_web.xml", "sales_documents"), ("sales_documents_headers.csv",
                                                     "sales_documents"),
    ("sales_documents_lines.csv", None), ("customers.xml", None), ("notes.csv", None),
    ("customersX.csv", None),
])
def test_entity_for_file(name, entity) -> None:
    assert entity_for_file(name) == entity


def test_lines_file_for_headers() -> None:
    assert lines_file_for("in/sales_documents.csv") == "in/sales_documents_lines.csv"
    assert lines_file_for("sales_documents_headers_web.csv") == "sales_documents_lines_web.csv"
    assert lines_file_for("sales_documents.xml") is None
    assert ENTITY_ORDER[0] == "regimes" and ENTITY_ORDER[-1] == "sales_documents"


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "a/b.csv", "..", "",
                                  "a\\b.csv"])
def test_safe_join_refuses_names_that_leave_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(ImportUsageError):
        safe_join(tmp_path, name)


def test_safe_join_accepts_a_plain_name(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "customers.csv") == (tmp_path / "customers.csv").resolve()
