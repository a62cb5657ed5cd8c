"""`customer_duplicates` through `runner.run_task`: the contract's worked example, the
rules and the master, the CSV options, a second run, bad input (both databases)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice.schema import (
    customer_addresses,
    customers,
    depots,
    pos_tickets,
    registers,
)
from comptoir.backoffice.schema import (
    customer_merges as merges,
)
from comptoir.exchange.transports import LocalTransport
from comptoir.retail.customer_duplicates import normal_name, normal_phone

HEADER = ("group;rules;master;customer;name;postcode;city;email;phone;store;tickets;documents;"
          "created_at")


def task(output: dict[str, Any] | None = None, **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "clients-doublons", "type": "customer_duplicates", "site": "central",
        "options": options,
        "output": {"delivery": {"method": "local", "path": "doublons"}, **(output or {})}})


def run(engine: Engine, definition: TaskDefinition, folder: Path) -> Report:
    return runner.run_task(definition, "manual-1", LocalTransport(folder), engine=engine,
                           log=lambda _: None)


def customer(id: int, code: str, name: str, **columns: Any) -> dict[str, Any]:
    return {"id": id, "code": code, "name": name, "store_id": 1, "postcode": None,
            "city": None, "email": None, "phone": None,
            "created_at": dt.datetime(2024, 3, 1, 10, 0), **columns}


def worked_example(engine: Engine) -> Engine:
    """The contract's worked example: three pairs and a customer alone."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAGD1", "name": "Magasin 1", "is_store": True}])
        conn.execute(registers.insert(), [
            {"id": 1, "depot_id": 1, "code": "C1", "name": "Caisse 1"}])
        conn.execute(customers.insert(), [
            customer(1, "TDU1", "ZÉPHYRIN Adélaïde", postcode="99001", city="Testville"),
            customer(2, "TDU2", "Adelaide Zephyrin", postcode="99 001"),
            customer(3, "TDU3", "Quentin Testeur", email=" Q.Testeur@Exemple.test "),
            customer(4, "TDU4", "Q. Testeur", email="q.testeur@exemple.test"),
            customer(5, "TDU5", "Paul Numéro", phone="06 99 88 77 66"),
            customer(6, "TDU6", "Paula Numero", phone="+33 6 99 88 77 66"),
            customer(7, "TDU7", "Zoé Seule", postcode="99001", email="zoe@exemple.test",
                     phone="06 11 22 33 44"),
        ])
    return engine


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> Engine:
    return worked_example(engine)


def produced(home: Path, name: str = "doublons-clients-*.csv") -> list[str]:
    [path] = sorted((home / "doublons").glob(name))
    return path.read_text(encoding="utf-8").splitlines()


def business(report: Report) -> list[str]:
    return [line for line in report.body.splitlines()[2:] if not line.startswith(
        ("Produced ", "Delivered ", "delivered ", "Sent "))]


def test_the_worked_example(dossier: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "doublons"
    report = run(dossier, task(), folder)
    assert report.level == "info", report.body
    assert report.body.splitlines()[2] == "3 groupes de doublons, 6 clients concernés"
    [path] = sorted(folder.glob("*.csv"))
    assert re.fullmatch(r"doublons-clients-\d{8}\.csv", path.name)
    assert path.read_text(encoding="utf-8").splitlines() == [
        HEADER,
        "1;name_postcode;1;TDU1;ZÉPHYRIN Adélaïde;99001;Testville;;;MAGD1;0;0;2024-03-01",
        "1;name_postcode;0;TDU2;Adelaide Zephyrin;99 001;;;;MAGD1;0;0;2024-03-01",
        "2;email;1;TDU3;Quentin Testeur;;; Q.Testeur@Exemple.test ;;MAGD1;0;0;2024-03-01",
        "2;email;0;TDU4;Q. Testeur;;;q.testeur@exemple.test;;MAGD1;0;0;2024-03-01",
        "3;phone;1;TDU5;Paul Numéro;;;;06 99 88 77 66;MAGD1;0;0;2024-03-01",
        "3;phone;0;TDU6;Paula Numero;;;;+33 6 99 88 77 66;MAGD1;0;0;2024-03-01",
    ]
    with dossier.connect() as conn:
        assert conn.execute(select(func.count()).select_from(customers)).scalar_one() == 7
    # a second run recomputes the same report
    again = run(dossier, task(), tmp_path / "again")
    assert again.level == "info"
    [second] = sorted((tmp_path / "again").glob("*.csv"))
    assert second.read_bytes() == path.read_bytes()


def test_the_master_has_the_most_tickets_and_a_member_lists_its_rules(
        dossier: Engine, tmp_path: Path) -> None:
    with dossier.begin() as conn:
        conn.execute(customers.update().where(customers.c.id == 2).values(
            email="zoe@exemple.test", phone="0611223344"))
        conn.execute(pos_tickets.insert(), [
            {"depot_id": 1, "register_id": 1, "number": n, "customer_id": 7,
             "issued_at": dt.datetime(2025, 1, 1, 10, n, tzinfo=dt.UTC)} for n in (1, 2)])
    folder = tmp_path / "out"
    report = run(dossier, task(separator=",", decimal_separator="."), folder)
    assert report.body.splitlines()[2] == "3 groupes de doublons, 7 clients concernés"
    lines = next(folder.glob("*.csv")).read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "1", "2", "2", "3", "3", "3"]
    assert lines[5:] == [
        '3,"email,phone",1,TDU7,Zoé Seule,99001,,zoe@exemple.test,06 11 22 33 44,MAGD1,2,0,'
        "2024-03-01",
        "3,name_postcode,0,TDU1,ZÉPHYRIN Adélaïde,99001,Testville,,,MAGD1,0,0,2024-03-01",
        '3,"name_postcode,email,phone",0,TDU2,Adelaide Zephyrin,99 001,,zoe@exemple.test,'
        "0611223344,MAGD1,0,0,2024-03-01",
    ]


def test_rules_and_encoding_options(dossier: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    report = run(dossier, task({"filename": "dup.csv"}, rules=["email"], encoding="cp1252"),
                 folder)
    assert report.body.splitlines()[2] == "1 groupes de doublons, 2 clients concernés"
    lines = (folder / "dup.csv").read_text(encoding="cp1252").splitlines()
    assert [line.split(";")[3] for line in lines[1:]] == ["TDU3", "TDU4"]


def test_no_duplicate_writes_no_file(engine: Engine, comptoir_home: Path,
                                     tmp_path: Path) -> None:
    with engine.begin() as conn:
        conn.execute(customers.insert(), [
            customer(1, "A", "Alpha", postcode="1000", store_id=None),
            customer(2, "B", "A", postcode="1000", store_id=None),  # a name under 2 chars
            customer(3, "C", "A", postcode="1000", phone="12 34 56", store_id=None),
            customer(4, "D", "Delta", phone="123456", email="nope", store_id=None),
            customer(5, "E", "Echo", phone="0012 3456", email="nope", store_id=None),
        ])
    folder = tmp_path / "out"
    report = run(engine, task(), folder)
    assert report.level == "info", report.body
    assert report.body.splitlines()[2:4] == ["0 groupes de doublons, 0 clients concernés",
                                             "Aucun doublon : pas de fichier"]
    assert not folder.exists() or not list(folder.iterdir())


@pytest.mark.parametrize(("raw", "expected"), [
    ("06 99 88 77 66", "0699887766"), ("+33 6 99 88 77 66", "0699887766"),
    ("0033 6 99 88 77 66", "0699887766"), ("+33 (0)6 99 88 77 66", "0699887766"),
    ("+32 470 12 34 56", "+32470123456"), ("0032 470 12 34 56", "+32470123456"),
    ("06 99 88", None), ("", None), (None, None),
])
def test_phone_normalisation(raw: str | None, expected: str | None) -> None:
    assert normal_phone(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("DUPONT Marie", "dupont marie"), ("Marie Dupont", "dupont marie"),
    ("SARL Dupont & Fils", "dupont fils"), ("ZÉPHYRIN Adélaïde", "adelaide zephyrin"),
    ("SA", None), ("S.A.", "a s"), ("x", None), ("", None),
])
def test_name_normalisation(raw: str, expected: str | None) -> None:
    assert normal_name(raw) == expected


@pytest.mark.parametrize(("options", "message"), [
    ({"rules": ["email", "siret"]}, "rules"),
    ({"rules": []}, "at least one rule"),
    ({"separator": ",", "decimal_separator": ","}, "decimal_separator"),
    ({"encoding": "latin-9"}, "encoding"),
])
def test_bad_options_are_refused_at_validation(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task(**options)


def test_one_file_per_store_is_refused() -> None:
    with pytest.raises(ValueError, match="mag"):
        task({"filename": "doublons-{mag:code}.csv"})


def test_merge_moves_the_references_and_keeps_the_members(dossier: Engine,
                                                          tmp_path: Path) -> None:
    with dossier.begin() as conn:
        conn.execute(customers.update().where(customers.c.id == 4).values(
            city="Lyon", iban="FR76 3000 6000 0112 3456 7890 189"))
        conn.execute(customers.update().where(customers.c.id == 5).values(
            iban="FR7630006000011234567890189"))
        conn.execute(customers.update().where(customers.c.id == 6).values(
            iban="DE89370400440532013000"))
        conn.execute(customer_addresses.insert(), [
            {"customer_id": 3, "name": "Livraison", "city": "Lyon"}])
        conn.execute(pos_tickets.insert(), [
            {"depot_id": 1, "register_id": 1, "number": 1, "customer_id": 4,
             "issued_at": dt.datetime(2025, 1, 1, 10, 0, tzinfo=dt.UTC)}])
    report = run(dossier, task(merge=True), tmp_path / "out")
    assert report.level == "warning", report.body
    assert business(report) == [
        "3 groupes de doublons, 6 clients concernés",
        "Fusion de TDU2 dans TDU1",
        "Fusion de TDU3 dans TDU4",
        "Groupe 3 non fusionné, IBAN différents : TDU5, TDU6",
    ]
    with dossier.connect() as conn:
        left = dict(conn.execute(select(customers.c.code, customers.c.city)).all())
        assert left == {"TDU1": "Testville", "TDU4": "Lyon", "TDU5": None, "TDU6": None,
                        "TDU7": None}
        email = conn.execute(select(customers.c.email).where(customers.c.code == "TDU4"))
        assert email.scalar_one() == "q.testeur@exemple.test"
        kept = conn.execute(select(merges.c.merged_code, merges.c.master_id, merges.c.run_id)
                            .order_by(merges.c.merged_code)).all()
        assert kept == [("TDU2", 1, "manual-1"), ("TDU3", 4, "manual-1")]
        addresses = conn.execute(select(customer_addresses.c.customer_id)).scalars().all()
        assert addresses == [4]
    again = run(dossier, task(merge=True), tmp_path / "again")
    assert business(again)[:2] == ["1 groupes de doublons, 2 clients concernés",
                                   "Groupe 1 non fusionné, IBAN différents : TDU5, TDU6"]
