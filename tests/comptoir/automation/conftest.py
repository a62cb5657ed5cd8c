"""Automation tests: a tasks folder and a data home of the test's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from comptoir.backoffice.schema import articles, customers, depots, stock_records, suppliers


@pytest.fixture
def write_task(tasks_dir: Path) -> Callable[..., Path]:
    """Write one task (a dict) as `<id>.json` in the tasks folder."""

    def write(task: dict[str, Any], name: str | None = None) -> Path:
        path = tasks_dir / (name or f"{task['id']}.json")
        path.write_text(json.dumps({"comptoir_tasks": 1, "tasks": [task]}), encoding="utf-8")
        return path

    return write


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """A dossier with two stores and a central depot, customers, a supplier, an article, stock."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAG01", "name": "Lyon", "is_store": True, "site": "mag-01"},
            {"id": 2, "code": "MAG02", "name": "Paris Rivoli", "is_store": True, "site": "mag-02"},
            {"id": 3, "code": "CENTRAL", "name": "Central", "is_store": False, "site": "central"},
        ])
        conn.execute(customers.insert(), [
            {"id": 1, "code": "C001", "name": "Dupont", "store_id": 1, "city": "Lyon",
             "credit_limit": Decimal("1500.50")},
            {"id": 2, "code": "C002", "name": "Müller; Søren", "store_id": 2, "city": "Paris",
             "credit_limit": None},
            {"id": 3, "code": "C003", "name": "Martin", "store_id": 1, "city": "Villeurbanne",
             "credit_limit": None},
        ])
        conn.execute(suppliers.insert(), [{"id": 1, "code": "F01", "name": "Textiles SA"}])
        conn.execute(articles.insert(), [
            {"id": 1, "code": "A1", "name": "Tee-shirt", "supplier_id": 1,
             "sale_price": Decimal("12.5000")},
        ])
        conn.execute(stock_records.insert(), [
            {"article_id": 1, "depot_id": 1, "quantity": Decimal("4"), "value": Decimal("20")},
            {"article_id": 1, "depot_id": 3, "quantity": Decimal("100"), "value": Decimal("500")},
        ])
    return engine
