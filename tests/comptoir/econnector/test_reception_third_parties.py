"""Reception of `ImportClients*`, `ImportFournisseurs*` and `ImportContacts*` files.

Create or update by CODE (contacts: by third party and NOM ignoring case and surrounding
spaces); a reception never changes a family or a regime; only the columns present and
filled are updated (`spec/econnector.md`, "Received files"). SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.econnector.reception import receive
from comptoir.econnector.sync_report import SyncReport
from tests.comptoir.econnector.partner import connector, drop, reference

PARTY = ("CODE", "NOM", "ADRESSE1", "ADRESSE2", "CP", "VILLE", "PAYS", "EMAIL", "TEL")
CONTACT = ("TIERS_TYPE", "TIERS_CODE", "NOM", "FONCTION", "EMAIL", "TEL")


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> dict[str, Any]:
    ids = reference(engine)
    return {"ids": ids, "folder": connector(engine).import_folder}


def _receive(engine: Engine, folder: Path, name: str, columns: tuple[str, ...],
             rows: list[list[Any]]) -> SyncReport:
    drop(folder, name, columns, rows)
    return receive(engine, "FACILI")


def _states(report: SyncReport) -> list[tuple[Any, ...]]:
    return [(i.line, i.type, i.identifier, i.state, i.rule) for i in report.items]


def _customer(engine: Engine, code: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(s.customers).where(s.customers.c.code == code)).one()


def _supplier(engine: Engine, code: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(s.suppliers).where(s.suppliers.c.code == code)).one()


# ------------------------------------------------------------------------------ customers

def test_unknown_customer_is_created_with_the_connector_family_and_default_regime(
        engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [["NEW1", "Nouveau", "1 rue A", "Bât B", "75001", "Paris", "fr",
             "a@example.org", "0102030405"]]
    report = _receive(engine, dossier["folder"], "ImportClients_1.csv", PARTY, rows)
    assert _states(report) == [(2, "customer", "NEW1", "synchronised", None)]
    assert report.items[0].messages == ["Synchronisé", "customer created"]
    new = _customer(engine, "NEW1")
    assert (new.name, new.address1, new.address2, new.postcode, new.city, new.country,
            new.email, new.phone) == ("Nouveau", "1 rue A", "Bât B", "75001", "Paris", "FR",
                                      "a@example.org", "0102030405")
    assert (new.family, new.regime_id) == ("CLIFAC", dossier["ids"]["regime"]["FR"])
    assert report.written["customers_created"] == 1
    assert report.exit_code == 0


def test_known_customer_is_updated_with_the_columns_present_and_filled_only(
        engine: Engine, dossier: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(update(s.customers).where(s.customers.c.code == "CLI1").values(
            email="old@example.org", phone="0600000000", city="Lyon", regime_id=None))
    # no TEL column at all; EMAIL present but empty; VILLE and NOM filled
    columns = ("CODE", "NOM", "VILLE", "EMAIL")
    report = _receive(engine, dossier["folder"], "ImportClients_1.csv", columns,
                      [["CLI1", "Client renommé", "Nantes", None]])
    assert _states(report) == [(2, "customer", "CLI1", "synchronised", None)]
    assert report.items[0].messages == ["Synchronisé", "customer updated"]
    cli = _customer(engine, "CLI1")
    assert (cli.name, cli.city, cli.email, cli.phone) == (
        "Client renommé", "Nantes", "old@example.org", "0600000000")
    # never the family, nor the regime (even an empty one)
    assert (cli.family, cli.regime_id) == ("PART", None)
    assert cli.store_id == dossier["ids"]["depot"]["MAG01"]
    assert (report.written["customers_created"], report.written["customers_updated"]) == (0, 1)


def test_customer_family_and_regime_never_change_on_update(engine: Engine,
                                                           dossier: dict[str, Any]) -> None:
    with engine.begin() as conn:
        other = conn.execute(insert(s.tax_regimes).values(code="EX", name="Export")
                             ).inserted_primary_key[0]
        conn.execute(update(s.customers).where(s.customers.c.code == "CLI2")
                     .values(regime_id=other))
    _receive(engine, dossier["folder"], "ImportClients_1.csv", PARTY,
             [["CLI2", "Client deux", None, None, None, None, None, None, None]])
    cli = _customer(engine, "CLI2")
    assert (cli.family, cli.regime_id) == ("PART", other)


@pytest.mark.parametrize(("code", "name", "message"), [
    (None, "Sans code", "CODE is empty"), ("NC", None, "NOM is empty"),
    (None, None, "CODE is empty")])
def test_customer_without_code_or_name_is_required(engine: Engine, dossier: dict[str, Any],
                                                   code: str | None, name: str | None,
                                                   message: str) -> None:
    rows = [[code, name, None, None, None, None, None, None, None],
            ["OK1", "Bon", None, None, None, None, None, None, None]]
    report = _receive(engine, dossier["folder"], "ImportClients_1.csv", PARTY, rows)
    assert _states(report) == [(2, "customer", code or "", "error", "required"),
                               (3, "customer", "OK1", "synchronised", None)]
    assert message in report.items[0].messages
    with engine.connect() as conn:
        assert conn.execute(select(s.customers.c.code).where(s.customers.c.code == "NC")
                            ).first() is None
    assert report.exit_code == 3
    assert report.files[0]["outcome"] == "done"


def test_a_code_seen_twice_in_a_file_is_written_once_with_its_last_row(
        engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [["DUP", "Premier", None, None, None, "Paris", None, None, None],
            ["DUP", "Second", None, None, None, None, None, None, None]]
    report = _receive(engine, dossier["folder"], "ImportClients_1.csv", PARTY, rows)
    assert [i.messages for i in report.items] == [["Synchronisé", "customer created"],
                                                  ["Synchronisé", "customer updated"]]
    dup = _customer(engine, "DUP")
    assert dup.name == "Second"
    assert report.written["customers_created"] == 1


# ------------------------------------------------------------------------------ suppliers

def test_suppliers_are_created_and_updated(engine: Engine, dossier: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(update(s.suppliers).where(s.suppliers.c.code == "FOU1")
                     .values(family="ANCIENNE", email="f@example.org"))
    rows = [["FOU1", "Fournisseur renommé", None, None, None, "Lille", None, None, None],
            ["FOU2", "Fournisseur deux", None, None, "59000", None, "be", None, None]]
    report = _receive(engine, dossier["folder"], "ImportFournisseurs_1.csv", PARTY, rows)
    assert _states(report) == [(2, "supplier", "FOU1", "synchronised", None),
                               (3, "supplier", "FOU2", "synchronised", None)]
    assert [i.messages[1] for i in report.items] == ["supplier updated", "supplier created"]
    old, new = _supplier(engine, "FOU1"), _supplier(engine, "FOU2")
    assert (old.name, old.city, old.email, old.family, old.regime_id) == (
        "Fournisseur renommé", "Lille", "f@example.org", "ANCIENNE", None)
    assert (new.name, new.postcode, new.country, new.family, new.regime_id) == (
        "Fournisseur deux", "59000", "BE", "FOUFAC", dossier["ids"]["regime"]["FR"])
    assert (report.written["suppliers_created"], report.written["suppliers_updated"]) == (1, 1)


def test_suppliers_are_refused_while_the_purchases_module_is_off(
        engine: Engine, dossier: dict[str, Any]) -> None:
    with engine.begin() as conn:
        set_setting(conn, "purchases_module", "off")
    rows = [["FOU1", "Renommé", None, None, None, None, None, None, None],
            ["FOU9", "Nouveau", None, None, None, None, None, None, None],
            [None, None, None, None, None, None, None, None, None]]
    report = _receive(engine, dossier["folder"], "ImportFournisseurs_1.csv", PARTY, rows)
    assert [(i.state, i.rule) for i in report.items] == [("error", "purchases_module_off")] * 3
    with engine.connect() as conn:
        codes = conn.execute(select(s.suppliers.c.code, s.suppliers.c.name)).all()
    assert [tuple(c) for c in codes] == [("FOU1", "Fournisseur 1")]
    assert report.exit_code == 3


# ------------------------------------------------------------------------------- contacts

def test_contacts_are_created_for_customers_and_suppliers(engine: Engine,
                                                          dossier: dict[str, Any]) -> None:
    rows = [["C", "CLI1", "Jean Dupont", "Acheteur", "jd@example.org", "0102"],
            ["f", "FOU1", "Anne Martin", None, None, None]]
    report = _receive(engine, dossier["folder"], "ImportContacts_1.csv", CONTACT, rows)
    assert _states(report) == [(2, "contact", "CLI1 / Jean Dupont", "synchronised", None),
                               (3, "contact", "FOU1 / Anne Martin", "synchronised", None)]
    assert [i.messages for i in report.items] == [["Synchronisé", "contact created"]] * 2
    with engine.connect() as conn:
        cc = conn.execute(select(s.customer_contacts)).one()
        sc = conn.execute(select(s.supplier_contacts)).one()
    assert (cc.customer_id, cc.name, cc.role, cc.email, cc.phone) == (
        dossier["ids"]["customer"]["CLI1"], "Jean Dupont", "Acheteur", "jd@example.org",
        "0102")
    assert (sc.supplier_id, sc.name) == (dossier["ids"]["supplier"]["FOU1"], "Anne Martin")
    assert report.written["contacts_created"] == 2


def test_a_contact_is_known_by_its_third_party_and_name_ignoring_case_and_spaces(
        engine: Engine, dossier: dict[str, Any]) -> None:
    ids = dossier["ids"]["customer"]
    with engine.begin() as conn:
        conn.execute(insert(s.customer_contacts), [
            {"customer_id": ids["CLI1"], "name": "Jean Dupont", "role": "Acheteur",
             "email": "old@example.org", "phone": "0600"},
            {"customer_id": ids["CLI2"], "name": "Jean Dupont", "role": "Gérant",
             "email": None, "phone": None}])
    rows = [["C", "CLI1", "  jean DUPONT ", "Directeur", None, "0700"]]
    report = _receive(engine, dossier["folder"], "ImportContacts_1.csv", CONTACT, rows)
    assert report.items[0].messages == ["Synchronisé", "contact updated"]
    with engine.connect() as conn:
        contacts = conn.execute(select(s.customer_contacts.c.customer_id,
                                       s.customer_contacts.c.name, s.customer_contacts.c.role,
                                       s.customer_contacts.c.email, s.customer_contacts.c.phone)
                                .order_by(s.customer_contacts.c.id)).all()
    assert [tuple(c) for c in contacts] == [
        (ids["CLI1"], "Jean Dupont", "Directeur", "old@example.org", "0700"),
        (ids["CLI2"], "Jean Dupont", "Gérant", None, None)]  # another customer's: untouched
    assert (report.written["contacts_created"], report.written["contacts_updated"]) == (0, 1)


def test_contact_rules(engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [["C", "GHOST", "Personne", None, None, None],
            ["F", "CLI1", "Mauvais type de tiers", None, None, None],
            ["X", "CLI1", "Type inconnu", None, None, None],
            [None, "CLI1", "Sans type", None, None, None],
            ["C", None, "Sans tiers", None, None, None],
            ["C", "CLI1", None, None, None, None]]
    report = _receive(engine, dossier["folder"], "ImportContacts_1.csv", CONTACT, rows)
    assert [(i.line, i.state, i.rule) for i in report.items] == [
        (2, "error", "unknown_third_party"), (3, "error", "unknown_third_party"),
        (4, "error", "invalid_value"), (5, "error", "required"), (6, "error", "required"),
        (7, "error", "required")]
    assert report.items[0].messages == ["the dossier has no customer GHOST"]
    assert report.items[1].messages == ["the dossier has no supplier CLI1"]
    assert "TIERS_TYPE 'X'" in report.items[2].messages[0]
    assert report.items[3].messages == ["TIERS_TYPE is empty"]
    with engine.connect() as conn:
        assert conn.execute(select(s.customer_contacts)).first() is None
        assert conn.execute(select(s.supplier_contacts)).first() is None


def test_contacts_may_use_customers_of_the_same_reception(engine: Engine,
                                                          dossier: dict[str, Any]) -> None:
    drop(dossier["folder"], "ImportContacts_1.csv", CONTACT,
         [["C", "NEWC", "Marie", None, None, None]])
    drop(dossier["folder"], "ImportClients_9.csv", PARTY,
         [["NEWC", "Nouveau", None, None, None, None, None, None, None]])
    report = receive(engine, "FACILI")
    assert [(i.type, i.state) for i in report.items] == [("customer", "synchronised"),
                                                         ("contact", "synchronised")]
