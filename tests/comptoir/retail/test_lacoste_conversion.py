"""`lacoste_conversion` through `runner.run_task`: the contract's worked example (Windows-1252
files), a second run, how ART_CODE is found, the per-ticket controls, an unreadable line
failing its pair, files waiting for their partner, pairs of one date in time order
(both databases)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice.schema import (
    article_correspondences,
    articles,
    depots,
    payment_modes,
    registers,
)
from tests.comptoir.retail.file_runs import business, run

DT42_HEADER = ("MAGASIN;CAISSE;TICKET;DATE;HEURE;LIGNE;EAN;REFERENCE;LIBELLE;QTE;PU_TTC;REMISE;"
               "MONTANT_TTC;TVA;CLIENT")
DT43_HEADER = "MAGASIN;CAISSE;TICKET;DATE;MODE;MONTANT"
HEADER = ("TYPE;MAGASIN;CAISSE;TICKET;DATE;HEURE;CLIENT;LIGNE;ART_CODE;LIBELLE;QTE;PU_TTC;"
          "REMISE;MONTANT_TTC;TAUX_TVA;MODE;MONTANT")
TICKETS = "DT42 Tickets 20250319 2100 00001.txt"
PAYMENTS = "DT43 Reglements 20250319 2100 00001.txt"
MAPS = {"store_map": {"0042": "MAG01"}, "register_map": {"1": "C1"}}
WORKED_LINES = [
    "0042;1;101;20250319;101500;1;3614030000011;L1212-001;Polo piqué blanc;2;95,00;;190,00;20;",
    "0042;1;101;20250319;101500;2;;L-UNKNOWN;Casquette;1;35,00;10;31,50;20;",
    "0042;1;102;20250319;113000;1;3614030000011;L1212-001;Polo piqué blanc;-1;95,00;;-95,00;20;",
    "0042;1;103;20250319;120000;1;3614030000028;L1212-002;Polo piqué marine;1;95,00;;95,00;20;",
]
WORKED_PAYMENTS = [
    "0042;1;101;20250319;CB;200,00", "0042;1;101;20250319;ESP;21,50",
    "0042;1;102;20250319;ESP;-95,00", "0042;1;103;20250319;CB;90,00",
]


def task(output: dict[str, Any] | None = None, **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "lacoste", "type": "lacoste_conversion", "site": "central",
        "options": {"source": {"kind": "local", "path": "lacoste", "min_age_seconds": 0},
                    **MAPS, **options},
        "output": {"delivery": {"method": "local", "path": "ventes"}, **(output or {})}})


def inbox(home: Path) -> Path:
    return home / "inbox" / "lacoste"


def drop(home: Path, name: str, header: str, lines: list[str], encoding: str = "cp1252",
         hours_ago: float = 1) -> Path:
    folder = inbox(home) / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode(encoding))
    then = time.time() - hours_ago * 3600
    os.utime(path, (then, then))
    return path


def drop_pair(home: Path, lines: list[str], payments: list[str], stamp: str = "20250319 2100 00001",
              encoding: str = "cp1252") -> None:
    drop(home, f"DT42 Tickets {stamp}.txt", DT42_HEADER, lines, encoding)
    drop(home, f"DT43 Reglements {stamp}.txt", DT43_HEADER, payments, encoding)


def produced(folder: Path) -> list[str]:
    [path] = sorted(folder.glob("*.csv"))
    return path.read_text(encoding="utf-8").splitlines()


def filed(home: Path, where: str) -> list[str]:
    return sorted(p.name for p in (inbox(home) / where).glob("*/*.txt"))


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> Engine:
    """MAG01 with register C1, payment modes CB and ESP, the correspondence L1212-001."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAG01", "name": "Magasin 1", "is_store": True},
            {"id": 2, "code": "DEP01", "name": "Entrepôt", "is_store": False}])
        conn.execute(registers.insert(), [{"id": 1, "depot_id": 1, "code": "C1",
                                           "name": "Caisse 1"}])
        conn.execute(payment_modes.insert(), [{"id": 1, "code": "CB", "name": "Carte"},
                                              {"id": 2, "code": "ESP", "name": "Espèces"}])
        conn.execute(articles.insert(), [
            {"id": 1, "code": "TLC-POLO-B", "name": "Polo piqué blanc"},
            {"id": 2, "code": "TLC-POLO-M", "name": "Polo piqué marine"},
            {"id": 3, "code": "L1212-003", "name": "Polo piqué rouge"}])
        conn.execute(article_correspondences.insert(), [
            {"connector": "LACOSTE", "external_code": "L1212-001", "article_id": 1}])
    return engine


def test_the_worked_example(dossier: Engine, comptoir_home: Path, tmp_path: Path) -> None:
    drop_pair(comptoir_home, WORKED_LINES, WORKED_PAYMENTS)
    report = run(dossier, task(), tmp_path / "out")
    assert report.level == "warning", report.body
    assert business(report) == [
        f"{TICKETS} + {PAYMENTS} : 2 tickets convertis, 1 rejeté",
        "ticket 0042/1/103 du 19/03/2025 rejeté : lignes 95,00 ≠ règlements 90,00",
    ]
    [path] = sorted((tmp_path / "out").glob("*.csv"))
    today = dt.datetime.now(dt.UTC).astimezone().date()
    assert path.name.startswith("Lacoste-Vente-") and path.name.endswith(".csv")
    assert path.read_text(encoding="utf-8").splitlines() == [
        HEADER,
        "L;MAG01;C1;101;2025-03-19;10:15:00;;1;TLC-POLO-B;Polo piqué blanc;2;95,00;0;190,00;20;;",
        "L;MAG01;C1;101;2025-03-19;10:15:00;;2;L-UNKNOWN;Casquette;1;35,00;10;31,50;20;;",
        "R;MAG01;C1;101;2025-03-19;10:15:00;;1;;;;;;;;CB;200,00",
        "R;MAG01;C1;101;2025-03-19;10:15:00;;2;;;;;;;;ESP;21,50",
        "L;MAG01;C1;102;2025-03-19;11:30:00;;1;TLC-POLO-B;Polo piqué blanc;-1;95,00;0;-95,00;20;;",
        "R;MAG01;C1;102;2025-03-19;11:30:00;;1;;;;;;;;ESP;-95,00",
    ]
    assert filed(comptoir_home, "done") == [TICKETS, PAYMENTS]
    assert {p.parent.name for p in (inbox(comptoir_home) / "done").glob("*/*.txt")} <= {
        today.isoformat(), (today + dt.timedelta(days=1)).isoformat(),
        (today - dt.timedelta(days=1)).isoformat()}
    assert list((inbox(comptoir_home) / "incoming").iterdir()) == []

    again = run(dossier, task(), tmp_path / "again")
    assert again.level == "info"
    assert business(again) == ["Aucun fichier à convertir"]
    assert not (tmp_path / "again").exists() or not list((tmp_path / "again").iterdir())


def test_art_code_correspondence_of_reference_then_ean_then_article_code(
        dossier: Engine, comptoir_home: Path, tmp_path: Path) -> None:
    with dossier.begin() as conn:
        conn.execute(article_correspondences.insert(), [
            {"connector": "LACOSTE", "external_code": "3614030000028", "article_id": 2},
            {"connector": "LACOSTE", "external_code": "3614030000099", "article_id": 2},
            {"connector": "FACILI", "external_code": "L1212-004", "article_id": 2}])
    drop_pair(comptoir_home, [
        "0042;1;7;20250319;090000;1;3614030000099;L1212-001;a;1;10.5;;10.5;20;C0001",
        "0042;1;7;20250319;090000;2;3614030000028;L1212-002;b;1,5;1,2345;;1,85;5,5;C0001",
        "0042;1;7;20250319;090000;3;;L1212-003;c;1;1;;1;20;C0001",
        "0042;1;7;20250319;090000;4;;L1212-004;d;1;1;;1;20;C0001",
        "0042;1;7;20250319;090000;5;3614030000777;;e;1;1;;1;20;C0001",
    ], ["0042;1;7;20250319;CB;15.35"], encoding="utf-8")
    report = run(dossier, task(), tmp_path / "out")
    assert report.level == "info", report.body
    assert [line.split(";")[6:15] for line in produced(tmp_path / "out")[1:]] == [
        ["C0001", "1", "TLC-POLO-B", "a", "1", "10,50", "0", "10,50", "20"],  # reference
        ["C0001", "2", "TLC-POLO-M", "b", "1,5", "1,2345", "0", "1,85", "5,5"],  # EAN
        ["C0001", "3", "L1212-003", "c", "1", "1,00", "0", "1,00", "20"],  # an article code
        ["C0001", "4", "L1212-004", "d", "1", "1,00", "0", "1,00", "20"],  # another connector's
        ["C0001", "5", "3614030000777", "e", "1", "1,00", "0", "1,00", "20"],  # EAN as is
        ["C0001", "1", "", "", "", "", "", "", ""],
    ]


def test_each_ticket_control_names_the_ticket(dossier: Engine, comptoir_home: Path,
                                              tmp_path: Path) -> None:
    drop_pair(comptoir_home, [
        "0042;1;1;20250319;090000;1;;L1212-001;a;1;10;;10;20;",
        "0099;1;2;20250319;090000;1;;L1212-001;a;1;10;;10;20;",
        "DEP;1;3;20250319;090000;1;;L1212-001;a;1;10;;10;20;",
        "0042;1;4;20250319;090000;1;;L1212-001;a;1;10;;10;20;",
        "0042;1;6;20250319;090000;1;;L1212-001;a;1;10;;10;20;",
        "0042;1;12345;20250319;090000;1;;L1212-001;a;1;10;;10;20;",
    ], [
        "0042;1;1;20250319;CHQ;10", "0099;1;2;20250319;CB;10", "DEP;1;3;20250319;CB;10",
        "0042;1;4;20250319;BON;10", "0042;1;5;20250319;CB;10",
        "0042;1;12345;20250319;CB;10",
    ])
    report = run(dossier, task(store_map={"0042": "MAG01", "DEP": "DEP01"},
                               payment_map={"CHQ": "CB"}, ticket_numbering="date_prefixed"),
                 tmp_path / "out")
    assert report.level == "warning"
    assert report.title.endswith("6 tickets rejetés")
    assert business(report) == [
        f"{TICKETS} + {PAYMENTS} : 1 ticket converti, 6 rejetés",
        "ticket 0099/1/2 du 19/03/2025 rejeté : magasin 0099 inconnu du dossier",
        "ticket DEP/1/3 du 19/03/2025 rejeté : magasin DEP01 inconnu du dossier",
        "ticket 0042/1/4 du 19/03/2025 rejeté : mode de règlement BON inconnu",
        "ticket 0042/1/6 du 19/03/2025 rejeté : lignes 10,00 ≠ règlements 0,00",
        "ticket 0042/1/12345 du 19/03/2025 rejeté : numéro 12345 trop grand pour la "
        "numérotation date_prefixed",
        "ticket 0042/1/5 du 19/03/2025 rejeté : règlements sans lignes",
    ]
    assert produced(tmp_path / "out")[1:] == [
        "L;MAG01;C1;2503190001;2025-03-19;09:00:00;;1;TLC-POLO-B;a;1;10,00;0;10,00;20;;",
        "R;MAG01;C1;2503190001;2025-03-19;09:00:00;;1;;;;;;;;CB;10,00",
    ]


def test_an_unreadable_line_fails_the_whole_pair(dossier: Engine, comptoir_home: Path,
                                                  tmp_path: Path) -> None:
    drop_pair(comptoir_home, [*WORKED_LINES[:2],
                              "0042;1;102;20250319;113000;1;;L1212-001;Polo;abc;95,00;;-95,00;20;"],
              WORKED_PAYMENTS[:2])
    drop_pair(comptoir_home, WORKED_LINES[:2], WORKED_PAYMENTS[:2], stamp="20250320 2100 00001")
    drop_pair(comptoir_home, WORKED_LINES[:2], [*WORKED_PAYMENTS[:2], "0042;1;101;2025-03-19;CB;1"],
              stamp="20250321 2100 00001")
    drop_pair(comptoir_home, [WORKED_LINES[0] + ";de trop"], WORKED_PAYMENTS[:1],
              stamp="20250322 2100 00001")
    report = run(dossier, task(), tmp_path / "out")
    assert report.level == "warning"
    assert business(report) == [
        f"{TICKETS} + {PAYMENTS} : non convertis, {TICKETS} ligne 4 : QTE n'est pas un "
        "nombre : 'abc' (dans failed/)",
        "DT42 Tickets 20250320 2100 00001.txt + DT43 Reglements 20250320 2100 00001.txt : "
        "1 ticket converti, 0 rejeté",
        "DT42 Tickets 20250321 2100 00001.txt + DT43 Reglements 20250321 2100 00001.txt : "
        "non convertis, DT43 Reglements 20250321 2100 00001.txt ligne 4 : DATE n'est pas "
        "une date AAAAMMJJ : '2025-03-19' (dans failed/)",
        "DT42 Tickets 20250322 2100 00001.txt + DT43 Reglements 20250322 2100 00001.txt : "
        "non convertis, DT42 Tickets 20250322 2100 00001.txt ligne 2 : 16 champs au lieu "
        "de 15 (dans failed/)",
    ]
    assert len(produced(tmp_path / "out")) == 5  # the header, 2 lines and 2 payments of 101
    assert filed(comptoir_home, "failed") == sorted([
        TICKETS, PAYMENTS, "DT42 Tickets 20250321 2100 00001.txt",
        "DT43 Reglements 20250321 2100 00001.txt", "DT42 Tickets 20250322 2100 00001.txt",
        "DT43 Reglements 20250322 2100 00001.txt"])
    [report_file] = (inbox(comptoir_home) / "failed").glob(f"*/{TICKETS}.report.json")
    assert "ligne 4 : QTE" in report_file.read_text(encoding="utf-8")


def test_lonely_files_wait_then_fail_and_pairs_of_one_date_go_in_time_order(
        dossier: Engine, comptoir_home: Path, tmp_path: Path) -> None:
    one = ["0042;1;1;20250319;090000;1;;L1212-001;a;1;10;;10;20;"]
    two = ["0042;1;2;20250319;190000;1;;L1212-001;a;1;20;;20;20;"]
    drop(comptoir_home, "DT42 Tickets 20250319 2200 00002.txt", DT42_HEADER, two)
    drop(comptoir_home, "DT43 Reglements 20250319 2200 00002.txt", DT43_HEADER,
         ["0042;1;2;20250319;CB;20"])
    drop(comptoir_home, "DT42 Tickets 20250319 1300 00001.txt", DT42_HEADER, one)
    drop(comptoir_home, "DT43 Reglements 20250319 1300 00001.txt", DT43_HEADER,
         ["0042;1;1;20250319;CB;10"])
    drop(comptoir_home, "DT42 Tickets 20250318 2100 00001.txt", DT42_HEADER, one, hours_ago=2)
    drop(comptoir_home, "DT43 Reglements 20250317 2100 00001.txt", DT43_HEADER, [],
         hours_ago=25)
    drop(comptoir_home, "DT4 liste.txt", DT42_HEADER, [])
    report = run(dossier, task(), tmp_path / "out")
    assert business(report) == [
        "DT4 liste.txt : nom inattendu, attendu DT42 Tickets AAAAMMJJ HHMM NNNNN.txt ou "
        "DT43 Reglements AAAAMMJJ HHMM NNNNN.txt (dans failed/)",
        "DT42 Tickets 20250319 1300 00001.txt + DT43 Reglements 20250319 1300 00001.txt : "
        "1 ticket converti, 0 rejeté",
        "DT42 Tickets 20250319 2200 00002.txt + DT43 Reglements 20250319 2200 00002.txt : "
        "1 ticket converti, 0 rejeté",
        "DT42 Tickets 20250318 2100 00001.txt : en attente de son fichier DT43 Reglements "
        "du 18/03/2025",
        "DT43 Reglements 20250317 2100 00001.txt : sans fichier DT42 Tickets du 17/03/2025 "
        "après 24 h (dans failed/)",
    ]
    assert report.title.endswith("2 fichiers en échec")
    assert [p.name for p in (inbox(comptoir_home) / "incoming").iterdir()] == [
        "DT42 Tickets 20250318 2100 00001.txt"]
    assert [line.split(";")[3] for line in produced(tmp_path / "out")[1:]] == ["1", "1", "2", "2"]


def test_the_mag_tag_is_refused() -> None:
    with pytest.raises(ValidationError, match="lacoste_conversion writes one file"):
        task({"filename": "ventes-{mag:code}.csv"})
