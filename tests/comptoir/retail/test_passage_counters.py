"""`passage_counters` through `runner.run_task`: the contract's worked example, a second
run, a corrected file replacing the figures, a file without the columns, bad rows, one
file per store, unknown store codes (both databases)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select

from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice.schema import (
    depots,
    pos_tickets,
    registers,
    sales_days,
    store_traffic,
)
from comptoir.retail.passage_counters import Options
from tests.comptoir.retail.file_runs import business, run

HEADER = "date;store;store_name;visitors;tickets;conversion_rate;sales_incl_tax;average_basket"
VISITORS = (5, 8, 10, 12, 15, 20, 18, 14, 10, 6, 2)  # hours 9 to 19: 120 visitors
DAY = {"period": "custom", "date_from": "2026-01-06", "date_to": "2026-01-06"}


def task(output: dict[str, Any] | None = None, **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "compteurs", "type": "passage_counters", "site": "central",
        "options": {"source": {"kind": "local", "path": "compteurs", "min_age_seconds": 0},
                    **options},
        "output": {"delivery": {"method": "local", "path": "taux"}, **(output or {})}})


def inbox(home: Path) -> Path:
    return home / "inbox" / "compteurs"


def drop(home: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    folder = inbox(home) / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    an_hour_ago = path.stat().st_mtime - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    return path


def worked_file() -> list[str]:
    rows = [f"MAG01;06/01/2026;{hour};{count}" for hour, count in zip(range(9, 20), VISITORS)]
    return ["MAGASIN;DATE;HEURE;ENTREES", *rows, "MAG99;06/01/2026;12;40",
            "MAG01;06/01/2026;20;abc"]


def traffic(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(store_traffic.c.depot_id, store_traffic.c.date, store_traffic.c.hour,
                   store_traffic.c.visitors, store_traffic.c.source_file)
            .order_by(store_traffic.c.depot_id, store_traffic.c.date,
                      func.coalesce(store_traffic.c.hour, -1)))]


def ticket(id: int, depot: int, number: int, total: str, day: int | None,
           issued: dt.datetime) -> dict[str, Any]:
    return {"id": id, "depot_id": depot, "register_id": depot, "number": number,
            "issued_at": issued, "sales_day_id": day, "total_incl_tax": Decimal(total)}


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> Engine:
    """MAG01 and MAG02 with a register each; MAG01's tickets around 06/01/2026."""
    at = dt.datetime(2026, 1, 6, 9, 0, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAG01", "name": "Magasin 1", "is_store": True},
            {"id": 2, "code": "MAG02", "name": "Magasin 2", "is_store": True},
            {"id": 3, "code": "DEP01", "name": "Entrepôt", "is_store": False}])
        conn.execute(registers.insert(), [
            {"id": 1, "depot_id": 1, "code": "C1", "name": "Caisse 1"},
            {"id": 2, "depot_id": 2, "code": "C1", "name": "Caisse 1"}])
        conn.execute(sales_days.insert(), [
            {"id": 1, "depot_id": 1, "register_id": 1, "date": dt.date(2026, 1, 6)},
            {"id": 2, "depot_id": 1, "register_id": 1, "date": dt.date(2026, 1, 5)},
            {"id": 3, "depot_id": 2, "register_id": 2, "date": dt.date(2026, 1, 6)}])
        conn.execute(pos_tickets.insert(), [
            ticket(1, 1, 1, "45.00", 1, at),
            ticket(2, 1, 2, "30.00", 1, at),
            ticket(3, 1, 3, "-20.00", 1, at),  # a return: in the sales, not a ticket above 0
            ticket(4, 1, 4, "25.50", None, at),  # no sales day: the local date of issued_at
            ticket(5, 1, 5, "99.00", 2, at - dt.timedelta(days=1)),  # the day before
            ticket(6, 2, 1, "60.00", 3, at)])
    return engine


def test_the_worked_example(dossier: Engine, comptoir_home: Path, tmp_path: Path) -> None:
    drop(comptoir_home, "comptages-20260106.csv", worked_file())
    report = run(dossier, task(**DAY), tmp_path / "out")
    assert report.level == "warning", report.body
    assert report.title.endswith("2 lignes rejetées")
    assert business(report) == [
        "Période : du 06/01/2026 au 06/01/2026",
        "comptages-20260106.csv : 11 lignes importées, 2 rejetées",
        "ligne 13 : magasin inconnu MAG99",
        "ligne 14 : entrées invalides abc",
        "Taux de transformation : 1 journée, moyenne 2,50 %",
    ]
    stored = traffic(dossier)
    assert [(r[2], r[3]) for r in stored] == list(zip(range(9, 20), VISITORS))
    assert {(r[0], r[1], r[4]) for r in stored} == {
        (1, dt.date(2026, 1, 6), "comptages-20260106.csv")}
    [path] = sorted((tmp_path / "out").glob("*.csv"))
    assert path.name.startswith("taux-transformation-")
    assert path.read_text(encoding="utf-8").splitlines() == [
        HEADER, "2026-01-06;MAG01;Magasin 1;120;3;2,5;80,50;26,83"]
    assert not list((inbox(comptoir_home) / "incoming").iterdir())
    [done] = (inbox(comptoir_home) / "done").glob("*/comptages-20260106.csv")
    assert done.with_name(done.name + ".report.json").exists()

    again = run(dossier, task(**DAY), tmp_path / "again")
    assert again.level == "info", again.body
    assert business(again) == [
        "Période : du 06/01/2026 au 06/01/2026", "Aucun fichier de comptages",
        "Taux de transformation : 1 journée, moyenne 2,50 %"]
    assert traffic(dossier) == stored
    [second] = sorted((tmp_path / "again").glob("*.csv"))
    assert second.read_bytes() == path.read_bytes()


def test_a_corrected_file_replaces_the_figures_and_a_whole_day_row_wins(
        dossier: Engine, comptoir_home: Path, tmp_path: Path) -> None:
    drop(comptoir_home, "comptages-1.csv", worked_file()[:12])
    run(dossier, task(**DAY), tmp_path / "one")
    drop(comptoir_home, "comptages-2.csv", [
        "magasin;date;heure;entrees;capteur", "MAG01;2026-01-06;9;7;porte A",
        "MAG01;2026-01-06;10;1;porte A", "MAG01;2026-01-06;10;9;porte A"])
    report = run(dossier, task(**DAY), tmp_path / "two")
    assert business(report)[1] == "comptages-2.csv : 3 lignes importées, 0 rejetée"
    stored = traffic(dossier)
    assert len(stored) == 11
    assert stored[0][2:] == (9, 7, "comptages-2.csv")
    assert stored[1][2:] == (10, 9, "comptages-2.csv")  # the later row of the file
    [path] = (tmp_path / "two").glob("*.csv")
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith(
        "2026-01-06;MAG01;Magasin 1;123;3;2,44;")

    drop(comptoir_home, "comptages-3.csv", ["MAGASIN;DATE;HEURE;ENTREES",
                                            "MAG01;06/01/2026;;150"])
    run(dossier, task(**DAY), tmp_path / "three")
    assert len(traffic(dossier)) == 12
    [path] = (tmp_path / "three").glob("*.csv")
    assert path.read_text(encoding="utf-8").splitlines()[1] == (
        "2026-01-06;MAG01;Magasin 1;150;3;2;80,50;26,83")
    drop(comptoir_home, "comptages-4.csv", ["MAGASIN;DATE;HEURE;ENTREES",
                                            "MAG01;06/01/2026;;160"])
    run(dossier, task(**DAY), tmp_path / "four")
    assert len(traffic(dossier)) == 12  # the whole-day row replaced, not added


def test_bad_rows_are_named_and_a_file_without_the_columns_goes_to_failed(
        dossier: Engine, comptoir_home: Path, tmp_path: Path) -> None:
    drop(comptoir_home, "a.csv", [
        "MAGASIN;DATE;HEURE;ENTREES", "DEP01;06/01/2026;9;3", ";06/01/2026;9;3",
        "MAG01;31/02/2026;9;3", "MAG01;;9;3", "MAG01;06/01/2026;24;3",
        "MAG01;06/01/2026;9h;3", "MAG01;06/01/2026;9;-3", "MAG01;06/01/2026;9;",
        "MAG01;06/01/2026;9;2,5", "", "MAG01;06/01/2026;9"])
    drop(comptoir_home, "b.csv", ["MAGASIN;DATE;ENTREES", "MAG01;06/01/2026;3"])
    (inbox(comptoir_home) / "incoming" / "c.csv").write_bytes(
        "MAGASIN;DATE;HEURE;ENTREES;NOTE\r\nMAG01;06/01/2026;9;4;entrée\r\n".encode("cp1252"))
    # Windows-1252, with an extra column
    drop(comptoir_home, "notes.txt", ["not a counter file"])
    report = run(dossier, task(**DAY), tmp_path / "out")
    assert report.level == "warning"
    assert report.title.endswith("10 lignes rejetées, 1 fichier refusé")
    assert business(report) == [
        "Période : du 06/01/2026 au 06/01/2026",
        "a.csv : 0 ligne importée, 10 rejetées",
        "ligne 2 : magasin inconnu DEP01",
        "ligne 3 : magasin manquant",
        "ligne 4 : date invalide 31/02/2026",
        "ligne 5 : date manquante",
        "ligne 6 : heure invalide 24",
        "ligne 7 : heure invalide 9h",
        "ligne 8 : entrées invalides -3",
        "ligne 9 : entrées manquantes",
        "ligne 10 : entrées invalides 2,5",
        "ligne 12 : entrées manquantes",
        "b.csv : fichier refusé, colonnes manquantes : HEURE",
        "c.csv : 1 ligne importée, 0 rejetée",
        "Taux de transformation : 1 journée, moyenne 75,00 %",
    ]
    assert [p.name for p in (inbox(comptoir_home) / "failed").glob("*/*.csv")] == ["b.csv"]
    assert [p.name for p in (inbox(comptoir_home) / "incoming").iterdir()] == ["notes.txt"]
    assert [(r[2], r[3]) for r in traffic(dossier)] == [(9, 4)]


def test_one_file_per_store_with_the_mag_tag(dossier: Engine, comptoir_home: Path,
                                              tmp_path: Path) -> None:
    drop(comptoir_home, "c.csv", ["MAGASIN;DATE;HEURE;ENTREES", "MAG01;06/01/2026;;40",
                                  "MAG02;2026-01-06;;30", "MAG02;2026-01-07;;10"])
    report = run(dossier, task({"filename": "taux-{mag:code}.csv"}, period="custom",
                               date_from="2026-01-01", date_to="2026-01-31"),
                 tmp_path / "out")
    assert business(report)[-1] == "Taux de transformation : 3 journées, moyenne 5,00 %"
    files = {p.name: p.read_text(encoding="utf-8").splitlines()
             for p in (tmp_path / "out").glob("*.csv")}
    assert files == {
        "taux-MAG01.csv": [HEADER, "2026-01-06;MAG01;Magasin 1;40;3;7,5;80,50;26,83"],
        "taux-MAG02.csv": [HEADER, "2026-01-06;MAG02;Magasin 2;30;1;3,33;60,00;60,00",
                           "2026-01-07;MAG02;Magasin 2;10;0;0;0,00;"],
    }
    only = run(dossier, task(stores=["MAG02"], period="custom", date_from="2026-01-07",
                             date_to="2026-01-07"), tmp_path / "only")
    [path] = (tmp_path / "only").glob("*.csv")
    assert path.read_text(encoding="utf-8").splitlines()[1:] == [
        "2026-01-07;MAG02;Magasin 2;10;0;0;0,00;"]
    assert business(only)[1:] == ["Aucun fichier de comptages",
                                  "Taux de transformation : 1 journée, moyenne 0,00 %"]


def test_nothing_in_the_period_writes_no_file(dossier: Engine, comptoir_home: Path,
                                               tmp_path: Path) -> None:
    report = run(dossier, task(**DAY), tmp_path / "out")
    assert report.level == "info"
    assert business(report) == [
        "Période : du 06/01/2026 au 06/01/2026", "Aucun fichier de comptages",
        "Taux de transformation : aucune journée de comptages sur la période",
        "Pas de fichier : aucune journée avec des comptages"]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_unknown_stores_fail_before_anything_is_read(dossier: Engine, comptoir_home: Path,
                                                      tmp_path: Path) -> None:
    drop(comptoir_home, "c.csv", worked_file())
    report = run(dossier, task(stores=["NOPE", "DEP01"], **DAY), tmp_path / "out")
    assert report.level == "error"
    assert "unknown store code(s) in option stores: DEP01, NOPE" in report.body
    assert [p.name for p in (inbox(comptoir_home) / "incoming").iterdir()] == ["c.csv"]
    assert traffic(dossier) == []


def test_custom_dates_with_another_period_are_refused() -> None:
    with pytest.raises(ValidationError, match="only with period custom"):
        task(period="yesterday", date_from="2026-01-06")
    assert Options.model_validate({}).period == "last_7_days"
