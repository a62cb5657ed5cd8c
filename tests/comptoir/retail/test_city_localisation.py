"""`city_localisation` through `runner.run_task`: the contract's worked example, a second
run, overwrite, check_only, the keys (4-digit French codes, overseas), bad options (both
databases)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice.schema import customer_addresses, customers, depots, suppliers
from comptoir.retail.postcodes import city_of, normal_city, postcode_key


def task(**options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "villes", "type": "city_localisation", "site": "central",
        "options": options, "output": None})


def run(engine: Engine, definition: TaskDefinition) -> Report:
    return runner.run_task(definition, "manual-1", None, engine=engine, log=lambda _: None)


def business(report: Report) -> list[str]:
    return report.body.splitlines()[2:]


@pytest.fixture
def dossier(engine: Engine) -> Engine:
    """The contract's worked example: TCY1..TCY4."""
    with engine.begin() as conn:
        conn.execute(customers.insert(), [
            {"id": 1, "code": "TCY1", "name": "Client 1", "postcode": "69100",
             "city": None, "country": "FR"},
            {"id": 2, "code": "TCY2", "name": "Client 2", "postcode": "33700",
             "country": None, "city": ""},
            {"id": 3, "code": "TCY3", "name": "Client 3", "postcode": "99999",
             "city": None, "country": "FR"},
            {"id": 4, "code": "TCY4", "name": "Client 4", "postcode": "69002", "city": "Lyon",
             "country": "FR"}])
    return engine


def cities(engine: Engine, table: Any = customers) -> dict[str, str | None]:
    with engine.connect() as conn:
        if table is customer_addresses:
            return dict(conn.execute(select(customer_addresses.c.name, table.c.city)).all())
        return dict(conn.execute(select(table.c.code, table.c.city)).all())


def test_the_worked_example_and_a_second_run(dossier: Engine) -> None:
    report = run(dossier, task())
    assert report.level == "info", report.body
    assert business(report) == [
        "Localisation des villes : 2 villes renseignées, 1 code postal inconnu",
        "Codes postaux inconnus : 99999 (1)"]
    assert cities(dossier) == {"TCY1": "VILLEURBANNE", "TCY2": "MERIGNAC", "TCY3": None,
                               "TCY4": "Lyon"}
    again = run(dossier, task())
    assert business(again) == [
        "Localisation des villes : 0 villes renseignées, 1 code postal inconnu",
        "Codes postaux inconnus : 99999 (1)"]
    assert cities(dossier)["TCY4"] == "Lyon"


def test_overwrite_replaces_the_city_once(dossier: Engine) -> None:
    report = run(dossier, task(overwrite=True))
    assert business(report)[0] == ("Localisation des villes : 3 villes renseignées, "
                                   "1 code postal inconnu")
    assert cities(dossier)["TCY4"] == "LYON"
    assert business(run(dossier, task(overwrite=True)))[0].startswith(
        "Localisation des villes : 0 villes renseignées")


def test_check_only_lists_the_differences_and_writes_nothing(dossier: Engine) -> None:
    with dossier.begin() as conn:
        conn.execute(customers.insert(), [
            {"id": 5, "code": "TCY5", "name": "Client 5", "postcode": "44800",
             "city": "Saint-Herblain"},
            {"id": 6, "code": "TCY6", "name": "Client 6", "postcode": "33700",
             "city": "Bordeaux"}])
    report = run(dossier, task(check_only=True))
    assert business(report) == [
        "Contrôle des villes : 1 ville différente, 2 villes vides à renseigner, "
        "1 code postal inconnu",
        "Ville différente : client TCY6 (33700) « Bordeaux » au lieu de MERIGNAC",
        "Codes postaux inconnus : 99999 (1)"]
    assert cities(dossier)["TCY1"] is None
    assert cities(dossier)["TCY6"] == "Bordeaux"


def test_the_other_entities_and_the_keys(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(customers.insert(), [
            {"id": 1, "code": "C1", "name": "Client", "postcode": "69100", "city": "X"}])
        conn.execute(customer_addresses.insert(), [
            {"customer_id": 1, "name": "Livraison", "postcode": " 1000 ", "country": "fr"}])
        conn.execute(suppliers.insert(), [
            {"code": "F1", "name": "Fournisseur", "postcode": "97100", "country": "FR"},
            {"code": "F2", "name": "Lieferant", "postcode": "1000", "country": "BE"}])
        conn.execute(depots.insert(), [
            {"code": "D1", "name": "Dépôt", "postcode": "44 800", "country": None},
            {"code": "D2", "name": "Sans code", "postcode": "  ", "country": None}])
    report = run(engine, task(entities=["customer_addresses", "suppliers", "depots"]))
    assert business(report) == [
        "Localisation des villes : 4 villes renseignées, 0 codes postaux inconnus"]
    assert cities(engine, customer_addresses) == {"Livraison": "BOURG EN BRESSE"}
    assert cities(engine, suppliers) == {"F1": "Basse-Terre", "F2": "Bruxelles"}
    assert cities(engine, depots) == {"D1": "ST HERBLAIN", "D2": None}
    assert cities(engine)["C1"] == "X"  # customers not chosen


def test_the_unknown_codes_are_listed_most_frequent_first_up_to_20(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(customers.insert(), [
            {"code": f"U{i}", "name": "Inconnu", "postcode": f"{99900 + i % 22}"}
            for i in range(23)])
    [first, listed] = business(run(engine, task()))
    assert first == "Localisation des villes : 0 villes renseignées, 22 codes postaux inconnus"
    codes = listed.removeprefix("Codes postaux inconnus : ").split(", ")
    assert codes[0] == "99900 (2)" and len(codes) == 20


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValidationError, match="entities"):
        task(entities=["articles"])
    with pytest.raises(ValidationError, match="entities"):
        task(entities=[])


def test_keys_and_comparison() -> None:
    assert postcode_key(None, "1000") == ("FR", "01000")
    assert postcode_key("", "") is None
    assert postcode_key("ch", "ab 12") == ("CH", "AB12")
    assert city_of("FR", "97133") == "Saint-Barthelemy"
    assert city_of("ZZ", "1") is None
    assert normal_city("Saint-Étienne") == normal_city("ST ETIENNE")
