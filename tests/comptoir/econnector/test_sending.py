"""Sending (`spec/econnector.md`, "Sending"): the snapshot files, exactly, on both databases.

The dossier of `partner.reference`, plus: sub-family `VET-H` (ART1); articles `ART10`
(a name with `;`, a quote and a new line, unit `PCE`, 0.3333 → 0,33) and `ART4` (5.5 %,
3.00: 3.165 incl. VAT, half-up 3.17); stock in DEP1 (ART1 12, ART2 2.5) and MAG01 (ART1
5); external codes ZSERV and ASERV of ART1 (and OTHER for another connector); customers
CLI1 (an address with `;` and quotes), CLI10 (€, no store), CLI3 (store DEP1), CLI4
(`Ł`: not in Windows-1252) and their contacts — one of CLI2 named with `☎`.
"""

from __future__ import annotations

import errno
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import select

from comptoir.backoffice import schema as s
from comptoir.econnector import sending
from comptoir.econnector.send_records import price_cents
from comptoir.econnector.sending import send
from comptoir.econnector.settings import set_value
from tests.comptoir.econnector.partner import connector, reference

ARTICLES_HEADER = ("CODE;CODE_EXTERNE;DESIG;FAMILLE;SOUS_FAMILLE;MARQUE;FOURNISSEUR;UNITE;"
                   "PRIX;PRIX_TYPE;TVA_CODE;TAUX_TVA;STOCK;ACTIF")
CLIENTS_HEADER = "CODE;NOM;FAMILLE;ADRESSE1;ADRESSE2;CP;VILLE;PAYS;EMAIL;TEL;MAGASIN"
CONTACTS_HEADER = "CLIENT_CODE;NOM;FONCTION;EMAIL;TEL"


@pytest.fixture
def dossier(engine, comptoir_home):  # type: ignore[no-untyped-def]
    ids = reference(engine)
    with engine.begin() as conn:
        sub = conn.execute(s.sub_families.insert().values(
            family_id=ids["family"]["VET"], code="VET-H", name="Homme")).inserted_primary_key[0]
        conn.execute(s.articles.update().where(s.articles.c.id == ids["article"]["ART1"])
                     .values(sub_family_id=sub))
        art10 = conn.execute(s.articles.insert().values(
            code="ART10", name='Gants; "pro"\nlot de 2', vat_code_id=ids["vat"]["T1"],
            sale_price=Decimal("0.3333"), unit="PCE")).inserted_primary_key[0]
        conn.execute(s.articles.insert().values(
            code="ART4", name="Article quatre", vat_code_id=ids["vat"]["T3"],
            sale_price=Decimal("3.00"), unit="U"))
        conn.execute(s.stock_records.insert(), [
            {"article_id": ids["article"]["ART1"], "depot_id": ids["depot"]["DEP1"],
             "quantity": Decimal("12")},
            {"article_id": ids["article"]["ART2"], "depot_id": ids["depot"]["DEP1"],
             "quantity": Decimal("2.5")},
            {"article_id": ids["article"]["ART1"], "depot_id": ids["depot"]["MAG01"],
             "quantity": Decimal("5")}])
        conn.execute(s.article_correspondences.insert(), [
            {"connector": "FACILI", "external_code": "ZSERV", "article_id": ids["article"]["ART1"]},
            {"connector": "FACILI", "external_code": "ASERV", "article_id": ids["article"]["ART1"]},
            {"connector": "OTHER", "external_code": "OTHER", "article_id": art10}])
        conn.execute(s.customers.update().where(s.customers.c.code == "CLI1").values(
            address1='12 rue "Haute"; bât. B', postcode="75001", city="Paris",
            email="cli1@example.com", phone="01 02 03 04 05"))
        new = {}
        for code, name, store, family in (("CLI10", "Café € du coin", None, "PRO"),
                                          ("CLI3", "Client trois", "DEP1", "PRO"),
                                          ("CLI4", "Łukasz", "MAG01", "PART")):
            new[code] = conn.execute(s.customers.insert().values(
                code=code, name=name, family=family, country="FR",
                store_id=ids["depot"][store] if store else None)).inserted_primary_key[0]
        customer = {**ids["customer"], **new}
        conn.execute(s.customer_contacts.insert(), [
            {"customer_id": customer["CLI1"], "name": "Martin", "role": "Gérant",
             "email": "martin@example.com", "phone": "06"},
            *({"customer_id": customer[code], "name": name, "role": role, "email": None,
               "phone": None}
              for code, name, role in (("CLI1", "Dupont", None), ("CLI2", "Zoé ☎", "Accueil"),
                                       ("CLI3", "Paul", None), ("CLI4", "Anna", None)))])
    return ids


def out(comptoir_home: Path) -> Path:
    return comptoir_home / "connectors" / "FACILI" / "out"


def text(path: Path, encoding: str = "cp1252") -> str:
    return path.read_bytes().decode(encoding)


def lines(*rows: str) -> str:
    return "".join(f"{row}\r\n" for row in rows)


def test_articles_every_column_excluding_vat_comma_decimals(engine, dossier, comptoir_home):
    connector(engine, send_articles="exportable")
    report = send(engine, "facili")
    assert report.exit_code == 0, report.summary()
    assert report.summary() == "FACILI: sent Articles.csv (4); 0 left out"
    assert text(out(comptoir_home) / "Articles.csv") == lines(
        ARTICLES_HEADER,
        "ART1;ASERV|ZSERV;Article un;VET;VET-H;BRD;FOU1;U;10,00;HT;T1;20;12;1",
        'ART10;;"Gants; ""pro""\nlot de 2";;;;;PCE;0,33;HT;T1;20;0;1',
        "ART2;;Article deux;ALI;;;;KG;2,50;HT;T3;5,5;2,5;1",
        "ART4;;Article quatre;;;;;U;3,00;HT;T3;5,5;0;1")
    assert report.files == [{"file": "Articles.csv", "kind": "articles", "records": 4,
                             "outcome": "done", "error": None}]
    assert sorted(p.name for p in out(comptoir_home).iterdir()) == ["Articles.csv"]


def test_articles_incl_vat_half_up_dot_decimals_unit_and_send_depot(engine, dossier,
                                                                     comptoir_home):
    connector(engine, send_articles="exportable", price_category="sale_incl_tax",
              decimal_separator=".", unit="CART", send_depot="MAG01", separator="|",
              encoding="utf-8")
    assert send(engine, "FACILI").exit_code == 0
    assert text(out(comptoir_home) / "Articles.csv", "utf-8") == lines(
        ARTICLES_HEADER.replace(";", "|"),
        'ART1|"ASERV|ZSERV"|Article un|VET|VET-H|BRD|FOU1|CART|12.00|TTC|T1|20|5|1',
        'ART10||"Gants; ""pro""\nlot de 2"|||||CART|0.40|TTC|T1|20|0|1',
        "ART2||Article deux|ALI||||CART|2.64|TTC|T3|5.5|0|1",
        "ART4||Article quatre|||||CART|3.17|TTC|T3|5.5|0|1")


def test_articles_by_filter_purchase_price(engine, dossier, comptoir_home):
    connector(engine, send_articles="filter", article_filter='{"code": ["art1", "art3"]}',
              price_category="purchase")
    report = send(engine, "FACILI")
    assert report.exit_code == 0
    assert text(out(comptoir_home) / "Articles.csv") == lines(
        ARTICLES_HEADER,
        "ART1;ASERV|ZSERV;Article un;VET;VET-H;BRD;FOU1;U;6,00;HT;T1;20;12;1",
        "ART3;;Article trois;;;;;;;HT;T1;20;0;0")


def test_customers_and_contacts_cp1252_leaves_out_what_it_cannot_write(engine, dossier,
                                                                         comptoir_home):
    connector(engine, send_customers="all", send_contacts="on")
    report = send(engine, "FACILI")
    assert report.exit_code == 3
    assert report.summary() == ("FACILI: sent Clients.csv (4), Contacts.csv (3); "
                                "2 left out")
    assert text(out(comptoir_home) / "Clients.csv") == lines(
        CLIENTS_HEADER,
        'CLI1;Client CLI1;PART;"12 rue ""Haute""; bât. B";;75001;Paris;FR;cli1@example.com;'
        "01 02 03 04 05;MAG01",
        "CLI10;Café € du coin;PRO;;;;;FR;;;",
        "CLI2;Client CLI2;PART;;;;;FR;;;MAG01",
        "CLI3;Client trois;PRO;;;;;FR;;;DEP1")
    assert text(out(comptoir_home) / "Contacts.csv") == lines(
        CONTACTS_HEADER, "CLI1;Dupont;;;", "CLI1;Martin;Gérant;martin@example.com;06",
        "CLI3;Paul;;;")
    assert [item.as_json() for item in report.items] == [
        {"file": "Clients.csv", "line": None, "type": "customer", "identifier": "CLI4",
         "label": None, "state": "error", "rule": "unencodable",
         "messages": ["NOM contains 'Ł' (U+0141), which cp1252 cannot write"]},
        {"file": "Contacts.csv", "line": None, "type": "contact", "identifier": "CLI2 / Zoé ☎",
         "label": None, "state": "error", "rule": "unencodable",
         "messages": ["NOM contains '☎' (U+260E), which cp1252 cannot write"]}]
    assert report.files[1] == {"file": "Contacts.csv", "kind": "contacts", "records": 3,
                               "outcome": "done", "error": None}


def test_utf8_writes_every_record_and_utf8_sig_starts_with_a_bom(engine, dossier,
                                                                   comptoir_home):
    connector(engine, send_customers="all", send_contacts="on", encoding="utf-8")
    report = send(engine, "FACILI")
    assert report.exit_code == 0 and report.items == []
    clients = text(out(comptoir_home) / "Clients.csv", "utf-8")
    assert "CLI4;Łukasz;PART;;;;;FR;;;MAG01\r\n" in clients
    assert "CLI2;Zoé ☎;Accueil;;\r\nCLI3;Paul;;;\r\nCLI4;Anna;;;\r\n" in text(
        out(comptoir_home) / "Contacts.csv", "utf-8")
    with engine.begin() as conn:
        set_value(conn, "FACILI", "encoding", "utf-8-sig")
    assert send(engine, "FACILI").exit_code == 0
    data = (out(comptoir_home) / "Clients.csv").read_bytes()
    assert data == b"\xef\xbb\xbf" + clients.encode("utf-8")


def test_contacts_only_of_the_customers_sent(engine, dossier, comptoir_home):
    connector(engine, send_customers="filter", customer_filter='{"store": ["DEP1"]}',
              send_contacts="on")
    assert send(engine, "FACILI").exit_code == 0
    assert text(out(comptoir_home) / "Clients.csv") == lines(
        CLIENTS_HEADER, "CLI3;Client trois;PRO;;;;;FR;;;DEP1")
    assert text(out(comptoir_home) / "Contacts.csv") == lines(CONTACTS_HEADER, "CLI3;Paul;;;")


def test_no_contacts_file_with_send_contacts_off(engine, dossier, comptoir_home):
    connector(engine, send_customers="all", encoding="utf-8")
    report = send(engine, "FACILI")
    assert [f["file"] for f in report.files] == ["Clients.csv"]
    assert sorted(p.name for p in out(comptoir_home).iterdir()) == ["Clients.csv"]


def test_options_override_the_settings(engine, dossier, comptoir_home):
    connector(engine, send_customers="all")
    report = send(engine, "FACILI", articles=True, customers=False)
    assert [f["file"] for f in report.files] == ["Articles.csv"]
    assert report.files[0]["records"] == 4     # the exportable ones: ART3 is not


def test_nothing_to_send_is_exit_0_and_recorded(engine, dossier, comptoir_home):
    connector(engine)
    report = send(engine, "FACILI")
    assert (report.exit_code, report.summary()) == (
        0, "FACILI: nothing to send (send_articles is none, send_customers is none)")
    assert not out(comptoir_home).exists()
    assert send(engine, "FACILI", articles=False, customers=False).summary() == (
        "FACILI: nothing to send (no articles, no customers)")
    with engine.connect() as conn:
        runs = conn.execute(select(s.sync_runs.c.direction, s.sync_runs.c.error)).all()
    assert runs == [("out", None), ("out", None)]


def test_snapshot_replaced_in_one_rename(engine, dossier, comptoir_home):
    connector(engine, send_customers="all", encoding="utf-8")
    send(engine, "FACILI")
    with engine.begin() as conn:
        conn.execute(s.customers.delete().where(s.customers.c.code == "CLI10"))
        conn.execute(s.customers.update().where(s.customers.c.code == "CLI2")
                     .values(name="Client deux"))
    assert send(engine, "FACILI").exit_code == 0
    assert text(out(comptoir_home) / "Clients.csv", "utf-8") == lines(
        CLIENTS_HEADER, 'CLI1;Client CLI1;PART;"12 rue ""Haute""; bât. B";;75001;Paris;FR;'
        "cli1@example.com;01 02 03 04 05;MAG01", "CLI2;Client deux;PART;;;;;FR;;;MAG01",
        "CLI3;Client trois;PRO;;;;;FR;;;DEP1", "CLI4;Łukasz;PART;;;;;FR;;;MAG01")
    assert [p.name for p in out(comptoir_home).iterdir()] == ["Clients.csv"]


def test_a_failure_leaves_every_previous_snapshot(engine, dossier, comptoir_home,
                                                  monkeypatch):
    connector(engine, send_articles="exportable", send_customers="all", encoding="utf-8")
    send(engine, "FACILI")
    before = {p.name: p.read_bytes() for p in out(comptoir_home).iterdir()}
    with engine.begin() as conn:
        conn.execute(s.articles.update().values(name="Renamed"))
        conn.execute(s.customers.update().values(name="Renamed"))
    real = sending.write_durably

    def disk_full(path, content):  # type: ignore[no-untyped-def]
        real(path, content)
        if ".Clients.csv." in path.name:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sending, "write_durably", disk_full)
    report = send(engine, "FACILI")
    assert report.exit_code == 1
    assert report.error == ("cannot write in the export folder FACILI/out: No space left on "
                            "device; nothing was sent")
    assert (report.files, report.items) == ([], [])
    assert {p.name: p.read_bytes() for p in out(comptoir_home).iterdir()} == before
    with engine.connect() as conn:
        run = conn.execute(select(s.sync_runs.c.error).where(
            s.sync_runs.c.id == report.run_id)).scalar_one()
        history = conn.execute(select(s.sync_history).where(
            s.sync_history.c.run_id == report.run_id)).all()
    assert (run, history) == (report.error, [])


def test_export_folder_not_writable(engine, dossier, comptoir_home, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    connector(engine, send_customers="all", export_path=str(blocker / "out"))
    report = send(engine, "FACILI")
    assert report.exit_code == 1
    assert report.error.startswith(f"cannot write in the export folder {blocker / 'out'}: ")
    assert report.summary() == f"FACILI: {report.error}"
    assert blocker.read_text() == "not a folder"


def test_unknown_connector_is_exit_1_and_not_recorded(engine, dossier):
    report = send(engine, "nope")
    assert (report.exit_code, report.connector) == (1, "NOPE")
    assert report.error.startswith("unknown connector NOPE")
    with engine.connect() as conn:
        assert conn.execute(select(s.sync_runs.c.id)).all() == []


def test_history_one_row_per_file_and_per_record_left_out(engine, dossier, comptoir_home):
    connector(engine, send_articles="exportable", send_customers="all", send_contacts="on")
    report = send(engine, "FACILI")
    with engine.connect() as conn:
        run = conn.execute(select(s.sync_runs).where(s.sync_runs.c.id == report.run_id)).one()
        history = conn.execute(
            select(s.sync_history.c.direction, s.sync_history.c.entity,
                   s.sync_history.c.external_id, s.sync_history.c.status,
                   s.sync_history.c.message, s.sync_history.c.file)
            .where(s.sync_history.c.run_id == report.run_id)
            .order_by(s.sync_history.c.id)).all()
    assert (run.connector, run.direction, run.error) == ("FACILI", "out", None)
    assert run.finished_at is not None
    assert json.loads(run.files) == report.files
    assert json.loads(run.counts) == {"synchronised": 0, "already_received": 0, "waiting": 0,
                                      "error": 2}
    assert history == [
        ("out", "articles", "Articles.csv", "ok", "4 records written", "Articles.csv"),
        ("out", "customers", "Clients.csv", "ok", "4 records written", "Clients.csv"),
        ("out", "contacts", "Contacts.csv", "ok", "3 records written", "Contacts.csv"),
        ("out", "customer", "CLI4", "error",
         "NOM contains 'Ł' (U+0141), which cp1252 cannot write", "Clients.csv"),
        ("out", "contact", "CLI2 / Zoé ☎", "error",
         "NOM contains '☎' (U+260E), which cp1252 cannot write", "Contacts.csv")]


def test_price_cents_exact_even_past_64_bits():
    prices = pa.array([30000, 6375, -30000, 10**15, None], pa.int64())   # 10**-4 euros
    rates = pa.array([5500, 0, 5500, 999999, 20000], pa.int64())         # 10**-3 %
    assert price_cents(prices).to_pylist() == [300, 64, -300, 10**13, None]
    assert price_cents(prices, rates).to_pylist() == [317, 64, -317, 109999900000000, None]


def test_send_depot_gone_is_exit_1_nothing_written(engine, dossier, comptoir_home):
    with engine.begin() as conn:
        conn.execute(s.depots.insert().values(code="OLD", name="Fermé"))
    connector(engine, send_articles="exportable", send_customers="all", send_depot="OLD")
    with engine.begin() as conn:
        conn.execute(s.depots.delete().where(s.depots.c.code == "OLD"))
    report = send(engine, "FACILI")
    assert report.exit_code == 1
    assert report.error == ("connector FACILI: send_depot 'OLD' is not a depot of the dossier "
                            "(comptoir connector set ... send_depot CODE); nothing was sent")
    assert list(out(comptoir_home).iterdir()) == []
