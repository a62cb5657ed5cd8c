"""`last_purchases_store` through `runner.run_task`: the contract's worked example, the
watermark of a second run, an unknown store (both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice.schema import customers, depots, pos_tickets, registers

STORES = {"MAGL1": 1, "MAGL2": 2, "MAGL3": 3}
START = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)


def task(task_id: str = "magasin-10-achats", **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": task_id, "type": "last_purchases_store", "site": "central",
        "options": options, "output": None})


def run(engine: Engine, definition: TaskDefinition) -> Report:
    return runner.run_task(definition, "manual-1", None, engine=engine, log=lambda _: None)


class Tickets:
    """Writes tickets one after the other, each later than the previous one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def add(self, customer: int, store: str, times: int = 1,
            total: str = "10.00") -> None:
        rows = []
        for _ in range(times):
            self.count += 1
            rows.append({"id": self.count, "depot_id": STORES[store],
                         "register_id": STORES[store], "number": self.count,
                         "issued_at": START + dt.timedelta(hours=self.count),
                         "customer_id": customer, "total_incl_tax": Decimal(total)})
        with self.engine.begin() as conn:
            conn.execute(pos_tickets.insert(), rows)


def stores_and_customers(engine: Engine) -> Engine:
    """Stores MAGL1..3 (one register each), a depot CENTRAL, customers TLP1..5."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": i, "code": code, "name": f"Magasin {code}", "is_store": True}
            for code, i in STORES.items()] + [
            {"id": 9, "code": "CENTRAL", "name": "Central", "is_store": False}])
        conn.execute(registers.insert(), [
            {"id": i, "depot_id": i, "code": "C1", "name": "Caisse 1"}
            for i in STORES.values()])
        conn.execute(customers.insert(), [
            {"id": 1, "code": "TLP1", "name": "Client 1", "store_id": 1},
            {"id": 2, "code": "TLP2", "name": "Client 2", "store_id": 1},
            {"id": 3, "code": "TLP3", "name": "Client 3", "store_id": 2},
            {"id": 4, "code": "TLP4", "name": "Client 4", "store_id": 1},
            {"id": 5, "code": "TLP5", "name": "Sans achat", "store_id": None},
        ])
    return engine


@pytest.fixture
def dossier(engine: Engine) -> Engine:
    return stores_and_customers(engine)


def worked_example(engine: Engine) -> Tickets:
    """The contract's worked example's purchases."""
    tickets = Tickets(engine)
    tickets.add(1, "MAGL1", 5)
    tickets.add(1, "MAGL2", 6)
    tickets.add(1, "MAGL1", 4)
    tickets.add(2, "MAGL1", 3)
    tickets.add(2, "MAGL2", 2)
    tickets.add(2, "MAGL2", 3, total="-10.00")
    tickets.add(3, "MAGL2", 2)
    tickets.add(3, "MAGL1", 2)
    tickets.add(4, "MAGL3", 3)
    tickets.add(4, "MAGL1", 1)
    return tickets


@pytest.fixture
def example(dossier: Engine) -> Tickets:
    return worked_example(dossier)


def linked(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(customers.c.code, depots.c.code.label("store"))
                            .select_from(customers.outerjoin(
                                depots, depots.c.id == customers.c.store_id)))
        return {row.code: row.store for row in rows}


def business(report: Report) -> list[str]:
    return report.body.splitlines()[2:]


def test_the_worked_example(dossier: Engine, example: Tickets) -> None:
    with dossier.connect() as conn:
        before = dict(conn.execute(select(customers.c.code, customers.c.updated_at)).all())
    report = run(dossier, task(full_sync=True, stores=["MAGL1", "MAGL2"]))
    assert report.level == "info", report.body
    assert business(report) == ["Nombre de clients à mettre à jour : 2",
                                "Clients examinés : 4"]
    assert linked(dossier) == {"TLP1": "MAGL2", "TLP2": "MAGL1", "TLP3": "MAGL1",
                               "TLP4": "MAGL1", "TLP5": None}
    with dossier.connect() as conn:
        after = dict(conn.execute(select(customers.c.code, customers.c.updated_at)).all())
    assert after["TLP2"] == before["TLP2"] and after["TLP4"] == before["TLP4"]
    again = run(dossier, task(full_sync=False, stores=["MAGL1", "MAGL2"]))
    assert again.level == "info", again.body
    assert business(again) == ["Nombre de clients à mettre à jour : 0",
                               "Clients examinés : 0"]
    assert linked(dossier)["TLP1"] == "MAGL2"


def test_every_store_counts_by_default(dossier: Engine, example: Tickets) -> None:
    report = run(dossier, task(full_sync=True))
    assert business(report)[0] == "Nombre de clients à mettre à jour : 3"
    assert linked(dossier)["TLP4"] == "MAGL3"


def test_a_second_run_examines_only_the_customers_who_bought_since(
        dossier: Engine, example: Tickets) -> None:
    first = run(dossier, task())  # no watermark yet: everyone
    assert business(first) == ["Nombre de clients à mettre à jour : 3",
                               "Clients examinés : 4"]
    example.add(2, "MAGL2", 4)  # TLP2: 3 MAGL1 then 6 MAGL2 in its last ten
    example.add(4, "MAGL2", 1, total="-5.00")  # a refund is not a purchase
    second = run(dossier, task())
    assert business(second) == ["Nombre de clients à mettre à jour : 1",
                                "Clients examinés : 1"]
    assert linked(dossier)["TLP2"] == "MAGL2"
    # another task keeps its own watermark
    other = run(dossier, task("autre-tache"))
    assert business(other) == ["Nombre de clients à mettre à jour : 0",
                               "Clients examinés : 4"]


def test_an_unknown_store_fails_the_run_before_writing(dossier: Engine,
                                                       example: Tickets) -> None:
    report = run(dossier, task(full_sync=True, stores=["MAGL1", "NOPE", "CENTRAL"]))
    assert report.level == "error"
    assert "unknown store code(s) in option stores: CENTRAL, NOPE" in report.body
    assert linked(dossier)["TLP1"] == "MAGL1"


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValueError, match="full_synch"):
        task(full_synch=True)
