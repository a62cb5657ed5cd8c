"""The `econnector_receive` and `econnector_send` task types through `runner.run_task` (no
Airflow), on SQLite and PostgreSQL: the connector's import folder received (or first fetched
from a real SFTP server), the task report at level info / warning / error for the command's
exit 0 / 3 / 1 with the summary line last and the items not synchronised listed, the JSON
report kept with the run, the assets announced only when something was written; the
snapshots written in the export folder (spec/econnector.md, "Task types")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from comptoir.automation import catalog, runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report, list_messages
from comptoir.automation.types.econnector_receive import CUSTOMERS, SALES_DOCUMENTS
from comptoir.backoffice.schema import customers
from comptoir.econnector.correspondences import map_article
from comptoir.econnector.settings import Connector, set_value
from tests.comptoir.econnector.partner import (
    DOCUMENT_COLUMNS,
    connector,
    document_rows,
    drop,
    reference,
)
from tests.comptoir.imports.conftest import count, rows
from tests.plugins.conftest import ftp_server, set_connection, sshd  # noqa: F401  (fixtures)
from tests.servers.ftp import READER, READER_PASSWORD
from tests.servers.sshd import TEST_PASSWORD

TASK = "facili-receive"
PARTY_COLUMNS = ("CODE", "NOM", "VILLE", "EMAIL")
CONTACT_COLUMNS = ("TIERS_TYPE", "TIERS_CODE", "NOM", "FONCTION")
REPORT_KEYS = {"connector", "direction", "run_id", "dry_run", "started_at", "finished_at",
               "error", "files", "items", "unmapped", "counts", "written"}
FILE_KEYS = {"file", "kind", "encoding", "records", "outcome", "error"}
ITEM_KEYS = {"file", "line", "type", "identifier", "label", "state", "rule", "messages"}


@pytest.fixture
def facili(engine: Engine, comptoir_home: Path) -> Connector:
    """The reference dossier and `FACILI` (folders under the data home, min age 0); the
    partner's codes `POSE` → ART1 and `LIVR` → ART2 mapped."""
    reference(engine)
    made = connector(engine)
    with engine.begin() as conn:
        map_article(conn, "FACILI", "ART1", "POSE")
        map_article(conn, "FACILI", "ART2", "LIVR")
    return made


def receive_task(task_id: str = TASK, **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": task_id, "type": "econnector_receive", "site": "central",
        "options": {"connector": "FACILI", **options}, "output": None})


def send_task(**options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "facili-send", "type": "econnector_send", "site": "central",
        "options": {"connector": "FACILI", **options}, "output": None})


def run(engine: Engine, definition: TaskDefinition, run_id: str = "manual-1",
        **kwargs: Any) -> Report:
    return runner.run_task(definition, run_id, None, engine=engine, log=lambda _: None,
                           **kwargs)


def produce(engine: Engine, definition: TaskDefinition,
            run_id: str = "manual-1") -> runner.StepOutcome:
    return runner.produce(definition, run_id, engine=engine, log=lambda _: None)


def json_report(report: Report) -> tuple[Path, dict[str, Any]]:
    """The JSON report the body points at, and its content."""
    (line,) = [x for x in report.body.splitlines() if x.startswith("Report: ")]
    path = Path(line.removeprefix("Report: "))
    return path, json.loads(path.read_text(encoding="utf-8"))


def at_top(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()
                  and not p.name.startswith("."))


def filed(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(p.name for day in folder.iterdir() for p in day.iterdir())


def good_documents(folder: Path, name: str = "ImportDocuments_001.csv") -> Path:
    """D1 for CLI1 (POSE × 2 at 45, LIVR × 1): synchronised."""
    return drop(folder, name, DOCUMENT_COLUMNS,
                document_rows("D1", "CLI1", ("POSE", "2", "45,00"), ("LIVR", "1", None)))


# ---------------------------------------------------------------------------- reception


def test_the_import_folder_is_received_and_reported_at_level_info(
        engine: Engine, facili: Connector, comptoir_home: Path) -> None:
    folder = facili.import_folder
    drop(folder, "ImportClients_001.csv", PARTY_COLUMNS,
         [["CLI9", "Hélène Nouveau", "Lyon", "cli9@example.fr"]])
    drop(folder, "ImportContacts_001.csv", CONTACT_COLUMNS, [["C", "CLI9", "Mme Roux", "Gérante"]])
    good_documents(folder)

    report = run(engine, receive_task())

    assert (report.level, report.title) == ("info", f"{TASK}: succeeded")
    body = report.body.splitlines()
    assert body[-1] == "FACILI: 3 synchronised, 0 already received, 0 waiting, 0 in error"
    assert rows(engine, "SELECT type, origin, source FROM sales_documents") == [
        ("C", "FACILI:D1", "econnector")]
    assert rows(engine, "SELECT family FROM customers WHERE code = 'CLI9'") == [("CLIFAC",)]
    assert count(engine, "customer_contacts") == 1
    assert at_top(folder) == []
    assert filed(folder / "done") == sorted(
        f"{name}{extra}" for name in ("ImportClients_001.csv", "ImportContacts_001.csv",
                                      "ImportDocuments_001.csv")
        for extra in ("", ".report.json"))
    with engine.connect() as conn:
        (recorded,) = list_messages(conn, task_id=TASK)
    assert (recorded.level, recorded.run_id) == ("info", "manual-1")

    # the JSON report is kept with the run, in the contract's shape
    path, document = json_report(report)
    assert path == comptoir_home / "reports" / "econnector" / TASK / f"{document['run_id']}.json"
    assert set(document) == REPORT_KEYS
    assert (document["connector"], document["direction"], document["dry_run"],
            document["error"]) == ("FACILI", "in", False, None)
    assert document["started_at"] <= document["finished_at"]
    assert all(set(entry) == FILE_KEYS for entry in document["files"])
    assert [(f["file"], f["kind"], f["encoding"], f["records"], f["outcome"])
            for f in document["files"]] == [
        ("ImportClients_001.csv", "customers", "cp1252", 1, "done"),
        ("ImportContacts_001.csv", "contacts", "cp1252", 1, "done"),
        ("ImportDocuments_001.csv", "documents", "cp1252", 2, "done")]
    assert all(set(item) == ITEM_KEYS for item in document["items"])
    assert [(i["type"], i["identifier"], i["state"]) for i in document["items"]] == [
        ("customer", "CLI9", "synchronised"), ("contact", "CLI9 / Mme Roux", "synchronised"),
        ("document", "D1 / EC-C-000001", "synchronised")]
    assert document["unmapped"] == []
    assert document["counts"] == {"synchronised": 3, "already_received": 0, "waiting": 0,
                                  "error": 0}
    assert document["written"]["sales_documents"] == 1
    assert document["written"]["customers_created"] == 1
    # the history knows the same run
    assert rows(engine, "SELECT id, direction FROM sync_runs") == [(document["run_id"], "in")]


def test_waiting_and_error_items_make_a_warning_that_lists_them(
        engine: Engine, facili: Connector) -> None:
    folder = facili.import_folder
    drop(folder, "ImportDocuments_001.csv", DOCUMENT_COLUMNS, [
        *document_rows("D1", "CLI1", ("POSE", "1", "45,00")),
        *document_rows("D2", "CLI2", ("POSE", "1", "45,00"), ("NOTAIRE", "1", "120,00")),
        *document_rows("D3", "CLI404", ("LIVR", "1", "15,00")),  # unknown, no CLIENT_NOM
    ])

    report = run(engine, receive_task())

    summary = "FACILI: 1 synchronised, 0 already received, 1 waiting, 1 in error"
    assert report.level == "warning"
    assert report.title == f"{TASK}: succeeded with warnings — {summary}"
    body = report.body.splitlines()
    assert body[-1] == summary
    assert "ImportDocuments_001.csv: waiting" in body
    (waiting,) = [x for x in body if " D2: " in x]
    assert waiting.startswith("ImportDocuments_001.csv:3 document D2: waiting "
                              "(unmapped_article)") and "NOTAIRE" in waiting
    (error,) = [x for x in body if " D3: " in x]
    assert error.startswith("ImportDocuments_001.csv:5 document D3: error (unknown_customer)")
    assert not [x for x in body if " D1 " in x]  # synchronised items are not listed
    assert at_top(folder) == ["ImportDocuments_001.csv"]  # read again by the next reception
    _, document = json_report(report)
    assert document["unmapped"] == [{"external_code": "NOTAIRE", "label": "Désig NOTAIRE",
                                     "documents": ["D2"]}]
    assert document["counts"] == {"synchronised": 1, "already_received": 0, "waiting": 1,
                                  "error": 1}

    with engine.begin() as conn:
        map_article(conn, "FACILI", "ART2", "NOTAIRE")
    again = run(engine, receive_task(), "manual-2")
    assert again.level == "warning"  # D3 is still in error
    assert again.body.splitlines()[-1] == (
        "FACILI: 1 synchronised, 1 already received, 0 waiting, 1 in error")
    assert rows(engine, "SELECT origin FROM sales_documents ORDER BY origin") == [
        ("FACILI:D1",), ("FACILI:D2",)]
    assert at_top(folder) == []


def test_the_report_lists_fifty_items_and_counts_the_others(
        engine: Engine, facili: Connector) -> None:
    drop(facili.import_folder, "ImportDocuments_001.csv", DOCUMENT_COLUMNS, [
        row for n in range(53) for row in document_rows(f"D{n:02}", "CLI404",
                                                        ("POSE", "1", "45,00"))])
    report = run(engine, receive_task())
    body = report.body.splitlines()
    listed = [x for x in body if ": error (unknown_customer)" in x]
    assert len(listed) == 50 and listed[0].startswith("ImportDocuments_001.csv:2 document D00")
    assert body[-3:] == ["... and 3 more items not synchronised", body[-2],
                         "FACILI: 0 synchronised, 0 already received, 0 waiting, 53 in error"]
    _, document = json_report(report)
    assert len(document["items"]) == 53


def test_an_unknown_connector_is_an_error_and_receives_nothing(
        engine: Engine, facili: Connector) -> None:
    good_documents(facili.import_folder)
    report = run(engine, receive_task(connector="NOPE"))
    assert report.level == "error"
    assert report.title.startswith(f"{TASK}: failed — ")
    assert "unknown connector NOPE" in report.title and "FACILI" in report.title
    lines = report.body.splitlines()  # the reception step said it: summary line and report
    assert "NOPE: unknown connector NOPE; known: FACILI" in lines
    assert any(line.startswith("Report: ") for line in lines)
    assert count(engine, "sales_documents") == 0
    assert at_top(facili.import_folder) == ["ImportDocuments_001.csv"]
    with engine.connect() as conn:
        assert [m.level for m in list_messages(conn, task_id=TASK)] == ["error"]


def test_a_file_filed_in_failed_fails_the_run_and_the_others_are_received(
        engine: Engine, facili: Connector) -> None:
    folder = facili.import_folder
    good_documents(folder)
    drop(folder, "ImportClients_001.csv", ("CODE", "VILLE"), [["CLI9", "Lyon"]])  # NOM missing
    drop(folder, "Tarifs.csv", ("CODE",), [["X"]])  # not a connector file

    report = run(engine, receive_task())

    assert report.level == "error"
    assert report.title.startswith(
        f"{TASK}: failed — receive: files not received (in failed/, or left in the import "
        "folder when the dossier refused the write): ")
    assert "Tarifs.csv" in report.title and "ImportClients_001.csv" in report.title
    body = report.body.splitlines()
    assert "FACILI: 1 synchronised, 0 already received, 0 waiting, 0 in error" in body
    assert any(x.startswith("Tarifs.csv: failed: not a connector file") for x in body)
    assert any(x.startswith("ImportClients_001.csv: failed: ") and "NOM" in x for x in body)
    assert rows(engine, "SELECT origin FROM sales_documents") == [("FACILI:D1",)]
    assert count(engine, "customers") == 2  # nothing of the refused file
    assert filed(folder / "failed") == ["ImportClients_001.csv",
                                        "ImportClients_001.csv.report.json",
                                        "Tarifs.csv", "Tarifs.csv.report.json"]
    assert filed(folder / "done") == ["ImportDocuments_001.csv",
                                      "ImportDocuments_001.csv.report.json"]


def test_assets_are_announced_only_for_what_was_written(
        engine: Engine, facili: Connector) -> None:
    folder = facili.import_folder
    definition = receive_task()

    assert produce(engine, definition).assets == {}  # nothing waiting

    drop(folder, "ImportContacts_001.csv", CONTACT_COLUMNS, [["C", "CLI1", "M. Paul", None]])
    contacts_only = produce(engine, definition)
    assert contacts_only.ok and contacts_only.assets == {}

    good_documents(folder)
    documents = produce(engine, definition, "manual-2")
    assert set(documents.assets) == {SALES_DOCUMENTS}
    assert documents.assets[SALES_DOCUMENTS]["documents"] == 1
    assert documents.assets[SALES_DOCUMENTS]["task_id"] == TASK

    drop(folder, "ImportClients_001.csv", PARTY_COLUMNS, [["CLI1", "Client renommé", None, None]])
    updated = produce(engine, definition, "manual-3")
    assert set(updated.assets) == {CUSTOMERS} and updated.assets[CUSTOMERS]["customers"] == 1

    drop(folder, "ImportDocuments_002.csv", DOCUMENT_COLUMNS, [
        *document_rows("D1", "CLI1", ("POSE", "2", "45,00"), ("LIVR", "1", None)),  # again
        *document_rows("D5", "CLI50", ("POSE", "1", "45,00"), client_name="Cabinet Martin")])
    both = produce(engine, definition, "manual-4")
    assert set(both.assets) == {SALES_DOCUMENTS, CUSTOMERS}
    assert both.assets[SALES_DOCUMENTS]["documents"] == 1
    assert both.assets[CUSTOMERS]["customers"] == 1

    drop(folder, "ImportDocuments_003.csv", DOCUMENT_COLUMNS,
         document_rows("D5", "CLI50", ("POSE", "1", "45,00"), client_name="Cabinet Martin"))
    already = produce(engine, definition, "manual-5")
    assert already.ok and already.warning is None and already.assets == {}
    assert already.lines[-1] == (
        "FACILI: 0 synchronised, 1 already received, 0 waiting, 0 in error")


def test_a_dry_run_controls_everything_and_writes_nothing(
        engine: Engine, facili: Connector) -> None:
    folder = facili.import_folder
    drop(folder, "ImportClients_001.csv", PARTY_COLUMNS, [["CLI9", "Nouveau", None, None]])
    drop(folder, "ImportDocuments_001.csv", DOCUMENT_COLUMNS, [
        *document_rows("D1", "CLI9", ("POSE", "1", "45,00")),
        *document_rows("D2", "CLI1", ("NOTAIRE", "1", "120,00"))])
    before = at_top(folder)

    outcome = produce(engine, receive_task(dry_run=True))
    report = run(engine, receive_task(dry_run=True), "manual-2")

    summary = "FACILI: 2 synchronised, 0 already received, 1 waiting, 0 in error"
    assert outcome.assets == {} and outcome.lines[-1] == summary
    assert report.level == "warning" and report.body.splitlines()[-1] == summary
    assert count(engine, "sales_documents") == 0 and count(engine, "customers") == 2
    assert count(engine, "sync_runs") == 0 and count(engine, "sync_history") == 0
    assert at_top(folder) == before
    assert not (folder / "done").exists() and not (folder / "failed").exists()
    _, document = json_report(report)
    assert document["dry_run"] is True
    assert [i["state"] for i in document["items"]] == ["synchronised", "synchronised",
                                                       "waiting"]

    real = run(engine, receive_task(), "manual-3")  # the states the dry run announced
    assert real.body.splitlines()[-1] == summary


def test_a_dry_run_says_which_files_would_be_refused_without_filing_them(
        engine: Engine, facili: Connector) -> None:
    folder = facili.import_folder
    good_documents(folder)
    drop(folder, "Tarifs.csv", ("CODE",), [["X"]])
    report = run(engine, receive_task(dry_run=True))
    assert report.level == "warning"  # the command's exit 3: nothing went to failed/
    assert "in failed/" not in report.body
    assert "Tarifs.csv: failed: not a connector file" in report.body
    assert at_top(folder) == ["ImportDocuments_001.csv", "Tarifs.csv"]
    assert not (folder / "failed").exists()


def test_the_overrides_of_a_run_change_its_options(engine: Engine, facili: Connector) -> None:
    good_documents(facili.import_folder)
    report = run(engine, receive_task(), overrides={"dry_run": True})
    assert report.level == "info"
    assert count(engine, "sales_documents") == 0
    assert at_top(facili.import_folder) == ["ImportDocuments_001.csv"]


@pytest.mark.parametrize("source", [
    {"kind": "imap", "conn_id": "mail", "mailbox": "INBOX"},
    {"kind": "local", "path": "elsewhere"},
    {"kind": "pop3", "conn_id": "mail"},
])
def test_a_source_other_than_an_sftp_or_ftp_folder_is_refused(source: dict) -> None:
    with pytest.raises(ValueError, match="options.source") as refused:
        receive_task(source=source)
    assert ("a connector receives from its import folder (leave source empty) or from an "
            "SFTP or FTP folder") in str(refused.value)
    for kind in ("sftp", "ftp"):
        accepted = receive_task(source={"kind": kind, "conn_id": "partner",
                                        "directory": "/out"})
        assert accepted.typed_options().source.kind == kind


def test_the_types_are_in_the_catalog_with_the_contract_options() -> None:
    receive = catalog.get("econnector_receive")
    send = catalog.get("econnector_send")
    assert (receive.title, receive.category, receive.template, receive.produces_files) == (
        "Réception E-connecteur", catalog.Category.IMPORT_EXPORT, "inbox", False)
    assert (send.title, send.category, send.template, send.produces_files) == (
        "Envoi E-connecteur", catalog.Category.IMPORT_EXPORT, "default", False)
    assert receive.steps == ["fetch", "receive"]
    assert receive_task().typed_options().dry_run is False
    options = send_task().typed_options()
    assert (options.articles, options.customers) == (None, None)
    for task_type in ("econnector_receive", "econnector_send"):
        with pytest.raises(ValueError, match="options.connector"):
            TaskDefinition.model_validate({"id": "x", "type": task_type, "options": {}})
        with pytest.raises(ValueError, match="writes no file"):
            TaskDefinition.model_validate({
                "id": "x", "type": task_type, "options": {"connector": "FACILI"},
                "output": {"delivery": {"method": "local", "path": "x"}}})


@pytest.mark.servers
def test_an_sftp_folder_is_fetched_into_the_import_folder_and_received_once(
        engine: Engine, comptoir_home: Path, sshd, set_connection) -> None:  # noqa: F811
    reference(engine)
    made = connector(engine, min_age_seconds="3600")  # fetched files are complete: no wait
    with engine.begin() as conn:
        map_article(conn, "FACILI", "ART1", "POSE")
    set_connection("sftp_partner", sshd.connection(password=TEST_PASSWORD))
    remote = sshd.user_folder("out")
    drop(remote, "ImportClients_001.csv", PARTY_COLUMNS, [["CLI9", "Nouveau", None, None]],
         age=0)
    drop(remote, "ImportDocuments_001.csv", DOCUMENT_COLUMNS,
         document_rows("D1", "CLI9", ("POSE", "1", "45,00")), age=0)
    from comptoir_airflow.exchange.factory import CONNECTOR

    definition = receive_task(source={"kind": "sftp", "conn_id": "sftp_partner",
                                      "directory": str(remote), "pattern": "Import*"})
    report = run(engine, definition, connector=CONNECTOR)

    assert (report.level, report.title) == ("info", f"{TASK}: succeeded")
    assert "Fetched from SFTP connection 'sftp_partner'" in report.body
    assert report.body.splitlines()[-1] == (
        "FACILI: 2 synchronised, 0 already received, 0 waiting, 0 in error")
    assert rows(engine, "SELECT origin FROM sales_documents") == [("FACILI:D1",)]
    folder = made.import_folder
    assert filed(folder / "done") == sorted(
        f"{name}{extra}" for name in ("ImportClients_001.csv", "ImportDocuments_001.csv")
        for extra in ("", ".origin.json", ".report.json"))
    assert sorted(p.name for p in remote.iterdir()) == ["processed"]

    again = run(engine, definition, "manual-2", connector=CONNECTOR)
    assert again.level == "info"
    assert "Fetched from SFTP" not in again.body
    assert again.body.splitlines()[-1] == (
        "FACILI: 0 synchronised, 0 already received, 0 waiting, 0 in error")
    assert count(engine, "sales_documents") == 1
    with engine.connect() as conn:
        assert [c for (c,) in conn.execute(customers.select().with_only_columns(
            customers.c.code).order_by(customers.c.code))] == ["CLI1", "CLI2", "CLI9"]


@pytest.mark.servers
def test_a_file_left_on_a_read_only_ftp_folder_is_received_once(
        engine: Engine, facili: Connector, ftp_server, set_connection) -> None:  # noqa: F811
    set_connection("ftp_partner", ftp_server.connection(login=READER,
                                                        password=READER_PASSWORD))
    remote = ftp_server.root / "out"
    drop(remote, "ImportDocuments_001.csv", DOCUMENT_COLUMNS,
         document_rows("D1", "CLI1", ("POSE", "2", "45,00")), age=0)
    from comptoir_airflow.exchange.factory import CONNECTOR

    definition = receive_task(source={"kind": "ftp", "conn_id": "ftp_partner",
                                      "directory": "/out"})
    first = run(engine, definition, connector=CONNECTOR)
    second = run(engine, definition, "manual-2", connector=CONNECTOR)

    assert first.level == "info" and "Fetched from FTP connection 'ftp_partner'" in first.body
    assert first.body.splitlines()[-1] == (
        "FACILI: 1 synchronised, 0 already received, 0 waiting, 0 in error")
    assert "ImportDocuments_001.csv" in [p.name for p in remote.iterdir()]  # cannot delete
    assert second.level == "info"
    assert second.body.splitlines()[-1] == (
        "FACILI: 0 synchronised, 0 already received, 0 waiting, 0 in error")
    assert count(engine, "sales_documents") == 1
    assert filed(facili.import_folder / "done") == [
        "ImportDocuments_001.csv", "ImportDocuments_001.csv.origin.json",
        "ImportDocuments_001.csv.report.json"]


# ------------------------------------------------------------------------------ sending


@pytest.fixture
def sender(facili: Connector, engine: Engine) -> Connector:
    """FACILI sending the exportable articles and every customer, in Windows-1252."""
    with engine.begin() as conn:
        set_value(conn, "FACILI", "send_articles", "exportable")
        return set_value(conn, "FACILI", "send_customers", "all")


def test_the_snapshots_are_written_in_the_export_folder(
        engine: Engine, sender: Connector, comptoir_home: Path) -> None:
    report = run(engine, send_task())
    assert (report.level, report.title) == ("info", "facili-send: succeeded")
    folder = sender.export_folder
    assert at_top(folder) == ["Articles.csv", "Clients.csv"]
    articles = (folder / "Articles.csv").read_bytes().decode("cp1252").splitlines()
    assert articles[0] == ("CODE;CODE_EXTERNE;DESIG;FAMILLE;SOUS_FAMILLE;MARQUE;FOURNISSEUR;"
                           "UNITE;PRIX;PRIX_TYPE;TVA_CODE;TAUX_TVA;STOCK;ACTIF")
    assert articles[1:] == ["ART1;POSE;Article un;VET;;BRD;FOU1;U;10,00;HT;T1;20;0;1",
                            "ART2;LIVR;Article deux;ALI;;;;KG;2,50;HT;T3;5,5;0;1"]
    clients = (folder / "Clients.csv").read_bytes().decode("cp1252").splitlines()
    assert [line.split(";")[0] for line in clients] == ["CODE", "CLI1", "CLI2"]
    assert report.body.splitlines()[-1] == (
        "FACILI: sent Articles.csv (2), Clients.csv (2); 0 left out")
    path, document = json_report(report)
    assert path.parent == comptoir_home / "reports" / "econnector" / "facili-send"
    assert (document["direction"], document["error"], document["items"]) == ("out", None, [])

    only_articles = run(engine, send_task(customers=False), "manual-2")
    assert only_articles.level == "info"
    assert only_articles.body.splitlines()[-1] == "FACILI: sent Articles.csv (2); 0 left out"


def test_a_record_the_encoding_cannot_write_is_left_out_with_a_warning(
        engine: Engine, sender: Connector) -> None:
    with engine.begin() as conn:
        conn.execute(customers.update().where(customers.c.code == "CLI2").values(
            name="Client ☃ Snow"))
    report = run(engine, send_task())
    assert report.level == "warning"
    assert report.title.startswith("facili-send: succeeded with warnings — FACILI: ")
    body = report.body.splitlines()
    (left_out,) = [x for x in body if "left out (unencodable)" in x]
    assert left_out.startswith("customer CLI2: left out (unencodable) NOM ")
    assert body[-1] == "FACILI: sent Articles.csv (2), Clients.csv (1); 1 left out"
    clients = (sender.export_folder / "Clients.csv").read_bytes().decode("cp1252")
    assert "CLI1" in clients and "CLI2" not in clients
    _, document = json_report(report)
    assert [(i["type"], i["identifier"], i["state"], i["rule"])
            for i in document["items"]] == [("customer", "CLI2", "error", "unencodable")]


def test_sending_for_an_unknown_connector_is_an_error(engine: Engine, facili: Connector) -> None:
    report = run(engine, send_task(connector="NOPE"))
    assert report.level == "error"
    assert report.title.startswith("facili-send: failed — run: unknown connector NOPE")
    assert not facili.export_folder.exists() or at_top(facili.export_folder) == []
