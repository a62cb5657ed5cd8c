"""Which files a reception takes, how it reads them and where it files them afterwards.

`spec/econnector.md`, "Received files" and "Files after a reception". SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from comptoir.backoffice import schema as s
from comptoir.econnector.reception import receive
from comptoir.econnector.settings import ConnectorError, set_value
from tests.comptoir.econnector.partner import (
    DOCUMENT_COLUMNS,
    connector,
    count,
    csv_text,
    document_rows,
    drop,
    mapped_dossier,
    reference,
    today,
    tree,
)

PARTY = ("CODE", "NOM", "VILLE")


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> dict[str, Any]:
    return mapped_dossier(engine)


def _codes(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(s.customers.c.code)).scalars())


# ------------------------------------------------------------------------ names and kinds

@pytest.mark.parametrize(("name", "kind"), [
    ("ImportClients.csv", "customers"), ("importclients_2026.CSV", "customers"),
    ("IMPORTFOURNISSEURS.txt", "suppliers"), ("ImportContacts-1.TXT", "contacts"),
    ("importDocuments162002_07.csv", "documents")])
def test_the_name_says_the_kind_ignoring_case(engine: Engine, dossier: dict[str, Any],
                                              name: str, kind: str) -> None:
    columns = {"contacts": ("TIERS_TYPE", "TIERS_CODE", "NOM"),
               "documents": DOCUMENT_COLUMNS}.get(kind, PARTY)
    rows = {"contacts": [["C", "CLI1", "Jean"]],
            "documents": document_rows("D1", "CLI1", ("X1", "1", None))}.get(
        kind, [["FOU1" if kind == "suppliers" else "CLI1", "Nom", None]])
    drop(dossier["folder"], name, columns, rows)
    report = receive(engine, "FACILI")
    assert [(f["file"], f["kind"], f["outcome"]) for f in report.files] == [
        (name, kind, "done")]
    assert report.items[0].type == kind.rstrip("s")
    assert report.items[0].state == "synchronised"


@pytest.mark.parametrize("name", ["Clients.csv", "ImportClients.xlsx", "ImportClients",
                                  "Import_Clients.csv", "ExportDocuments.csv"])
def test_any_other_name_is_filed_in_failed(engine: Engine, dossier: dict[str, Any],
                                           name: str) -> None:
    drop(dossier["folder"], name, PARTY, [["NEW1", "Nouveau", None]])
    report = receive(engine, "FACILI")
    assert [(f["file"], f["kind"], f["outcome"]) for f in report.files] == [
        (name, None, "failed")]
    assert report.files[0]["error"].startswith("not a connector file")
    assert tree(dossier["folder"], links=False) == [f"failed/{today()}/{name}",
                                        f"failed/{today()}/{name}.report.json"]
    assert "NEW1" not in _codes(engine)
    assert report.exit_code == 3


@pytest.mark.parametrize("name", [".ImportClients.csv", "ImportClients.csv.part",
                                  "ImportClients.tmp", "ImportClients.csv~",
                                  "~$ImportClients.csv"])
def test_hidden_and_temporary_names_are_never_picked_up(engine: Engine, dossier: dict[str, Any],
                                                        name: str) -> None:
    drop(dossier["folder"], name, PARTY, [["NEW1", "Nouveau", None]])
    report = receive(engine, "FACILI")
    assert report.files == [] and report.items == []
    assert tree(dossier["folder"], links=False) == [name]
    assert report.exit_code == 0


def test_folders_and_symbolic_links_are_never_picked_up(engine: Engine, dossier: dict[str, Any],
                                                        tmp_path: Path) -> None:
    folder = dossier["folder"]
    (folder / "ImportClients_dir.csv").mkdir(parents=True)
    target = drop(tmp_path, "ImportClients_target.csv", PARTY, [["NEW1", "Nouveau", None]])
    (folder / "ImportClients_link.csv").symlink_to(target)
    report = receive(engine, "FACILI")
    assert report.files == [] and report.items == []
    assert (folder / "ImportClients_dir.csv").is_dir()
    assert (folder / "ImportClients_link.csv").is_symlink()
    assert target.exists()
    assert "NEW1" not in _codes(engine)


def test_files_younger_than_min_age_wait_for_the_next_reception(engine: Engine,
                                                                comptoir_home: Path) -> None:
    reference(engine)
    folder = connector(engine, min_age_seconds="3600").import_folder
    drop(folder, "ImportClients_new.csv", PARTY, [["NEW1", "Nouveau", None]], age=60)
    drop(folder, "ImportClients_old.csv", PARTY, [["OLD1", "Ancien", None]], age=7200)
    report = receive(engine, "FACILI")
    assert [f["file"] for f in report.files] == ["ImportClients_old.csv"]
    assert (folder / "ImportClients_new.csv").exists()
    assert {"OLD1"} <= _codes(engine) and "NEW1" not in _codes(engine)


def test_files_are_processed_in_kind_order_then_by_name(engine: Engine,
                                                        dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    # the document's customer is created by a customers file that sorts after it by name
    drop(folder, "ImportDocuments_A.csv", DOCUMENT_COLUMNS,
         document_rows("D1", "NEWC", ("X1", "1", None)))
    drop(folder, "ImportContacts_A.csv", ("TIERS_TYPE", "TIERS_CODE", "NOM"),
         [["F", "NEWF", "Paul"]])
    drop(folder, "ImportFournisseurs_Z.csv", PARTY, [["NEWF", "Fournisseur", None]])
    drop(folder, "ImportClients_Z.csv", PARTY, [["NEWC", "Client", None]])
    drop(folder, "ImportClients_B.csv", PARTY, [["CLI2", "Client deux", None]])
    report = receive(engine, "FACILI")
    assert [f["file"] for f in report.files] == [
        "ImportClients_B.csv", "ImportClients_Z.csv", "ImportFournisseurs_Z.csv",
        "ImportContacts_A.csv", "ImportDocuments_A.csv"]
    assert all(i.state == "synchronised" for i in report.items)
    assert report.exit_code == 0


# --------------------------------------------------------------------------- the format

@pytest.mark.parametrize(("encoding", "bom", "shown"), [
    ("cp1252", b"", "cp1252"), ("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8")])
def test_encoding_is_detected(engine: Engine, dossier: dict[str, Any], encoding: str,
                              bom: bytes, shown: str) -> None:
    path = dossier["folder"] / "ImportClients.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = csv_text(PARTY, [["ENC1", "Hélène Çà œuvre", "Orléans"]])
    path.write_bytes(bom + text.encode(encoding))
    os.utime(path, (time.time() - 60, time.time() - 60))
    report = receive(engine, "FACILI")
    assert report.files[0]["encoding"] == shown
    with engine.connect() as conn:
        row = conn.execute(select(s.customers.c.name, s.customers.c.city)
                           .where(s.customers.c.code == "ENC1")).one()
    assert tuple(row) == ("Hélène Çà œuvre", "Orléans")


def test_both_decimal_separators_and_both_date_formats(engine: Engine,
                                                       dossier: dict[str, Any]) -> None:
    rows = [*document_rows("D1", "CLI1", ("X1", "1,5", "2,25"), date="03/02/2026"),
            *document_rows("D2", "CLI1", ("X1", "1.5", "2.25"), date="2026-02-03")]
    report = receive_file(engine, dossier["folder"], "ImportDocuments.csv", rows)
    assert [i.state for i in report.items] == ["synchronised", "synchronised"]
    with engine.connect() as conn:
        docs = conn.execute(select(s.sales_documents.c.date,
                                   s.sales_documents.c.total_excl_tax)).all()
    assert {tuple(d) for d in docs} == {(dt.date(2026, 2, 3), Decimal("3.38"))}  # 3.375 half-up


def receive_file(engine: Engine, folder: Path, name: str, rows: list[list[Any]],
                 columns: tuple[str, ...] = DOCUMENT_COLUMNS, **options: Any) -> Any:
    drop(folder, name, columns, rows, **options)
    return receive(engine, "FACILI")


def test_column_names_ignore_case_and_spaces_and_an_unknown_column_is_not_a_failure(
        engine: Engine, dossier: dict[str, Any]) -> None:
    report = receive_file(engine, dossier["folder"], "ImportClients.csv",
                          [["NEW1", "Nouveau", "Paris", "ignored"]],
                          columns=(" code ", "Nom", "VILLE ", "COULEUR"))
    assert [(f["outcome"], f["error"]) for f in report.files] == [("done", None)]
    assert [(i.identifier, i.state) for i in report.items] == [("NEW1", "synchronised")]
    assert "NEW1" in _codes(engine)


@pytest.mark.parametrize(("name", "columns", "missing"), [
    ("ImportClients.csv", ("CODE", "VILLE"), "NOM"),
    ("ImportContacts.csv", ("TIERS_CODE", "NOM"), "TIERS_TYPE"),
    ("ImportDocuments.csv", tuple(c for c in DOCUMENT_COLUMNS if c != "QTE"), "QTE")])
def test_a_missing_mandatory_column_fails_the_whole_file(engine: Engine,
                                                         dossier: dict[str, Any], name: str,
                                                         columns: tuple[str, ...],
                                                         missing: str) -> None:
    rows = [["NEW1"] + [None] * (len(columns) - 1)]
    report = receive_file(engine, dossier["folder"], name, rows, columns=columns)
    assert [(f["file"], f["outcome"]) for f in report.files] == [(name, "failed")]
    assert missing in report.files[0]["error"]
    assert report.items == []
    assert tree(dossier["folder"], links=False) == [f"failed/{today()}/{name}",
                                        f"failed/{today()}/{name}.report.json"]
    part = json.loads((dossier["folder"] / "failed" / today() / f"{name}.report.json")
                      .read_text(encoding="utf-8"))
    assert part["files"] == report.files
    assert "NEW1" not in _codes(engine)
    assert report.exit_code == 3


@pytest.mark.parametrize("content", [b"\x00\x01\x02PK\x03\x04binary", b"",
                                     b"CODE;NOM\r\nA;\x81\x8d\x8f\r\n"])
def test_a_file_that_is_not_text_fails_whole(engine: Engine, dossier: dict[str, Any],
                                             content: bytes) -> None:
    path = dossier["folder"] / "ImportClients.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (time.time() - 60, time.time() - 60))
    report = receive(engine, "FACILI")
    assert report.files[0]["outcome"] == "failed" and report.files[0]["error"]
    assert (dossier["folder"] / "failed" / today() / "ImportClients.csv").read_bytes() \
        == content
    assert report.items == []


def test_a_malformed_record_fails_a_documents_file_whole(engine: Engine,
                                                         dossier: dict[str, Any]) -> None:
    rows = document_rows("D1", "CLI1", ("X1", "1", None))
    rows.append(["D2", "15/01/2026", "CLI1"])  # three fields
    report = receive_file(engine, dossier["folder"], "ImportDocuments.csv", rows)
    assert report.files[0]["outcome"] == "failed"
    assert "line 3" in report.files[0]["error"]
    assert count(engine, s.sales_documents) == 0


def test_a_malformed_record_of_a_customers_file_is_an_item_in_error(
        engine: Engine, dossier: dict[str, Any]) -> None:
    rows = [["NEW1", "Nouveau", "Paris"], ["NEW2", "Trop", "de", "champs"]]
    report = receive_file(engine, dossier["folder"], "ImportClients.csv", rows, columns=PARTY)
    assert report.files[0]["outcome"] == "done"
    assert [(i.line, i.identifier, i.state, i.rule) for i in report.items] == [
        (2, "NEW1", "synchronised", None), (3, "NEW2", "error", "invalid_value")]


def test_the_separator_setting_is_honoured(engine: Engine, dossier: dict[str, Any]) -> None:
    with engine.begin() as conn:
        set_value(conn, "FACILI", "separator", "|")
    drop(dossier["folder"], "ImportClients_pipe.csv", PARTY, [["NEW1", "A; B", None]],
         sep="|")
    drop(dossier["folder"], "ImportClients_semi.csv", PARTY, [["NEW2", "C", None]])
    report = receive(engine, "FACILI")
    outcomes = {f["file"]: f["outcome"] for f in report.files}
    assert outcomes == {"ImportClients_pipe.csv": "done", "ImportClients_semi.csv": "failed"}
    with engine.connect() as conn:
        assert conn.execute(select(s.customers.c.name).where(s.customers.c.code == "NEW1")
                            ).scalar_one() == "A; B"
    assert "NEW2" not in _codes(engine)


# ------------------------------------------------------------------ after the reception

def test_a_processed_file_goes_to_done_with_its_part_of_the_report(
        engine: Engine, dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    drop(folder, "ImportClients_001.csv", PARTY, [["NEW1", "Nouveau", None]])
    drop(folder, "ImportDocuments_001.csv", DOCUMENT_COLUMNS,
         document_rows("D1", "NEW1", ("X1", "1", None)))
    report = receive(engine, "FACILI")
    day = today()
    assert tree(folder, links=False) == [f"done/{day}/ImportClients_001.csv",
                             f"done/{day}/ImportClients_001.csv.report.json",
                             f"done/{day}/ImportDocuments_001.csv",
                             f"done/{day}/ImportDocuments_001.csv.report.json"]
    part = json.loads((folder / "done" / day / "ImportClients_001.csv.report.json")
                      .read_text(encoding="utf-8"))
    assert part["connector"] == "FACILI" and part["run_id"] == report.run_id
    assert [f["file"] for f in part["files"]] == ["ImportClients_001.csv"]
    assert [(i["file"], i["identifier"]) for i in part["items"]] == [
        ("ImportClients_001.csv", "NEW1")]
    assert part["counts"] == {"synchronised": 1, "already_received": 0, "waiting": 0,
                              "error": 0}
    docs = json.loads((folder / "done" / day / "ImportDocuments_001.csv.report.json")
                      .read_text(encoding="utf-8"))
    assert [i["identifier"] for i in docs["items"]] == ["D1 / EC-C-000001"]


def test_a_file_with_a_waiting_document_stays_and_is_read_again(
        engine: Engine, dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    rows = [*document_rows("D1", "CLI1", ("X1", "1", None)),
            *document_rows("D2", "CLI1", ("NOTAIRE", "1", "50")),
            *document_rows("D3", "CLI1", ("X1", "0", None))]
    drop(folder, "ImportDocuments.csv", DOCUMENT_COLUMNS, rows)
    first = receive(engine, "FACILI")
    assert [(i.identifier, i.state) for i in first.items] == [
        ("D1 / EC-C-000001", "synchronised"), ("D2", "waiting"), ("D3", "error")]
    assert first.files[0]["outcome"] == "waiting"
    assert tree(folder, links=False) == ["ImportDocuments.csv"]

    again = receive(engine, "FACILI")  # nothing mapped yet: the same states, nothing new
    assert [(i.identifier, i.state) for i in again.items] == [
        ("D1", "already_received"), ("D2", "waiting"), ("D3", "error")]
    assert tree(folder, links=False) == ["ImportDocuments.csv"]

    with engine.begin() as conn:
        conn.execute(insert(s.article_correspondences).values(
            connector="FACILI", external_code="NOTAIRE",
            article_id=dossier["ids"]["article"]["ART2"]))
    last = receive(engine, "FACILI")
    assert [(i.identifier, i.state) for i in last.items] == [
        ("D1", "already_received"), ("D2 / EC-C-000002", "synchronised"), ("D3", "error")]
    assert last.files[0]["outcome"] == "done"
    assert tree(folder, links=False) == [f"done/{today()}/ImportDocuments.csv",
                             f"done/{today()}/ImportDocuments.csv.report.json"]
    assert count(engine, s.sales_documents) == 2


def test_a_name_already_taken_in_done_gets_a_suffix(engine: Engine,
                                                    dossier: dict[str, Any]) -> None:
    folder = dossier["folder"]
    for code in ("NEW1", "NEW2", "NEW3"):
        drop(folder, "ImportClients.csv", PARTY, [[code, "Nouveau", None]])
        assert receive(engine, "FACILI").exit_code == 0
    day = today()
    assert tree(folder, links=False) == [f"done/{day}/{name}" for name in (
        "ImportClients-2.csv", "ImportClients-2.csv.report.json",
        "ImportClients-3.csv", "ImportClients-3.csv.report.json",
        "ImportClients.csv", "ImportClients.csv.report.json")]
    assert "NEW3" in (folder / "done" / day / "ImportClients-3.csv").read_text("cp1252")
    assert {"NEW1", "NEW2", "NEW3"} <= _codes(engine)


@pytest.mark.parametrize("value", ["../x", "FACILI/../../x", "a\\b", "in\x01"])
def test_an_import_path_leaving_the_connectors_folder_is_refused(
        engine: Engine, comptoir_home: Path, value: str) -> None:
    reference(engine)
    with pytest.raises(ConnectorError, match="import_path"):
        connector(engine, import_path=value)
    connector(engine)
    with engine.begin() as conn, pytest.raises(ConnectorError, match="import_path"):
        set_value(conn, "FACILI", "import_path", value)
    with engine.connect() as conn:
        assert "import_path" not in {k for (k,) in conn.execute(
            select(s.connector_settings.c.key))}
