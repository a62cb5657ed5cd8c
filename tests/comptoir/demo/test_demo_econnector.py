"""The demo's partner connector: `stage_connector` sets up FACILI on the demo dossier with
four partner codes mapped and three partner files waiting; the demo's reception task
receives them with the counts the demo tells about; once `NOTAIRE` is mapped the waiting
document comes in; the nightly batch receives the partner's files right after the imports."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from comptoir.automation import runner
from comptoir.automation.definitions import load_folder, read_file
from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import article_correspondences, articles, customers, sales_documents
from comptoir.cli.nightly import SPOOL_RETRY_DAG, batch_order
from comptoir.demo.dossier import fill_dossier
from comptoir.demo.econnector import DEMO_CONNECTOR, stage_connector
from comptoir.econnector.correspondences import map_article
from comptoir.econnector.files import waiting_files
from comptoir.econnector.reception import receive

ROOT = Path(__file__).resolve().parents[3]
FILES = ["ImportClients_20261026.csv", "ImportContacts_20261026.csv",
         "ImportDocuments_20261026.csv"]


@pytest.fixture
def demo(tasks_dir, comptoir_home, monkeypatch) -> Engine:  # type: ignore[no-untyped-def]
    """The demo dossier (as test_demo_accounting builds it) and the demo's connector tasks."""
    for name in ("facili-receive.json", "facili-send.json"):
        shutil.copy(ROOT / "tasks" / name, tasks_dir)
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    migrate.upgrade()
    engine = get_engine()
    fill_dossier(engine, reset=True)
    return engine


def count(engine: Engine, table, *where) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_the_demo_connector_is_set_up_with_its_codes_and_files(demo: Engine) -> None:
    staged = stage_connector(demo)
    connector = staged.connector
    assert connector.code == DEMO_CONNECTOR == "FACILI"
    assert (connector.get("link"), connector.get("document_type")) == ("facilitime", "orders")
    assert staged.mapped == 4
    with demo.connect() as conn:
        mapped = sorted(conn.execute(select(article_correspondences.c.external_code)).scalars())
    assert mapped == ["FT-0001", "FT-0002", "FT-0003", "FT-0004"]
    assert [p.name for p in staged.files] == FILES
    assert all(p.parent == connector.import_folder for p in staged.files)
    assert all(time.time() - p.stat().st_mtime > connector.min_age for p in staged.files)
    waiting = waiting_files(connector)
    assert len(waiting) == 3 and waiting.others == []
    assert [(p.name, kind) for p, kind in waiting.files] == list(
        zip(FILES, ["customers", "contacts", "documents"], strict=True))
    assert b"LEF\xc8VRE" in staged.files[0].read_bytes()  # Windows-1252, as the partner writes

    again = stage_connector(demo)  # the demo can be staged again: the connector is recreated
    assert again.mapped == 4 and count(demo, article_correspondences) == 4


def test_the_demo_reception_and_the_waiting_document_once_its_code_is_mapped(
        demo: Engine, comptoir_home: Path) -> None:
    staged = stage_connector(demo)
    customers_before = count(demo, customers)
    (definition,), errors = read_file(ROOT / "tasks" / "facili-receive.json")
    assert errors == []

    first = runner.run_task(definition, "demo-1", None, engine=demo, log=lambda _: None)

    summary = "FACILI: 8 synchronised, 0 already received, 1 waiting, 3 in error"
    assert first.level == "warning"
    assert first.title == f"facili-receive: succeeded with warnings — {summary}"
    body = first.body.splitlines()
    assert body[-1] == summary
    listed = [line for line in body if ": waiting (" in line or ": error (" in line]
    assert [line.split(": ")[0].split(" ", 1)[1] for line in listed] == [
        "customer (empty)", "contact FAC999999 / Inconnu", "document F259033_D260121",
        "document F259034_D260122"]
    assert "waiting (unmapped_article)" in listed[2] and "NOTAIRE" in listed[2]
    assert "error (unknown_customer)" in listed[3]
    with demo.connect() as conn:
        created = conn.execute(select(sales_documents.c.origin, sales_documents.c.number)
                               .where(sales_documents.c.source == "econnector")
                               .order_by(sales_documents.c.origin)).all()
    assert [tuple(row) for row in created] == [
        ("FACILI:F259030_D260118", "EC-C-000001"), ("FACILI:F259031_D260119", "EC-C-000002"),
        ("FACILI:F259032_D260120", "EC-C-000003")]
    assert count(demo, customers) == customers_before + 2  # FAC000101, FAC000102
    folder = staged.connector.import_folder
    assert sorted(p.name for p in folder.iterdir() if p.is_file()
                  and not p.name.startswith(".")) == ["ImportDocuments_20261026.csv"]

    with demo.begin() as conn:
        article = conn.execute(select(articles.c.code).where(articles.c.active.is_(True))
                               .order_by(articles.c.code.desc())).scalars().first()
        map_article(conn, DEMO_CONNECTOR, article, "NOTAIRE")
    second = receive(demo, DEMO_CONNECTOR)

    assert second.counts() == {"synchronised": 2, "already_received": 3, "waiting": 0,
                               "error": 1}
    assert [(i.type, i.identifier.split(" / ")[0], i.state) for i in second.items
            if i.state == "synchronised"] == [("customer", "FAC000150", "synchronised"),
                                              ("document", "F259033_D260121", "synchronised")]
    assert count(demo, sales_documents, sales_documents.c.origin ==
                 "FACILI:F259033_D260121") == 1
    assert count(demo, customers, customers.c.code == "FAC000150",
                 customers.c.family == "FACILITIME") == 1
    assert [f["outcome"] for f in second.files] == ["done"]
    assert len(waiting_files(staged.connector)) == 0


def test_the_demo_receptions_counts_by_file(demo: Engine) -> None:
    stage_connector(demo)
    report = receive(demo, DEMO_CONNECTOR, dry_run=True)
    assert [(f["file"], f["kind"], f["encoding"], f["records"], f["outcome"])
            for f in report.files] == [
        (FILES[0], "customers", "cp1252", 4, "done"),
        (FILES[1], "contacts", "cp1252", 3, "done"),
        (FILES[2], "documents", "cp1252", 7, "waiting")]
    assert report.counts() == {"synchronised": 8, "already_received": 0, "waiting": 1,
                               "error": 3}
    assert report.as_json()["written"] == {
        "sales_documents": 3, "customers_created": 2, "customers_updated": 1,
        "suppliers_created": 0, "suppliers_updated": 0, "contacts_created": 2,
        "contacts_updated": 0}
    assert [(u["external_code"], u["documents"]) for u in report.as_json()["unmapped"]] == [
        ("NOTAIRE", ["F259033_D260121"])]


def test_the_nightly_batch_receives_the_partner_files_right_after_the_imports(
        monkeypatch) -> None:
    monkeypatch.setenv("COMPTOIR_TASKS_DIR", str(ROOT / "tasks"))
    loaded = load_folder()
    assert loaded.errors == []
    by_id = {d.id: d for d in loaded.definitions}
    order = batch_order(loaded.definitions)
    types = [by_id[task_id].type if task_id in by_id else None for task_id in order]
    receive_at = order.index("facili-receive")
    imports = [i for i, kind in enumerate(types) if kind == "imports"]
    assert imports and max(imports) == receive_at - 1
    assert types[:receive_at] == ["imports"] * receive_at
    assert types[receive_at + 1] == "intersite_send"  # then the inter-site orders
    assert types.index("pos_tickets") > receive_at
    send_at = order.index("facili-send")
    assert send_at > receive_at
    assert by_id["facili-send"].task_type.category.value == "Import-Export"
    assert order[-1] == SPOOL_RETRY_DAG
