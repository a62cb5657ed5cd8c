"""`comptoir connector receive` and `comptoir connector pending`: the reception screen, the
summary line, the report file and the exit statuses, through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.cli import app
from comptoir.econnector.settings import Connector
from tests.comptoir.econnector.partner import (
    DOCUMENT_COLUMNS,
    connector,
    document_rows,
    drop,
    reference,
)


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["connector", *args], env={"COMPTOIR_FORCE_TERMINAL": ""})


def documents(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.sales_documents)).scalar_one()


@pytest.fixture
def facili(engine, dossier_url, comptoir_home) -> Connector:  # type: ignore[no-untyped-def]
    reference(engine)
    made = connector(engine)
    with engine.begin() as conn:
        conn.execute(s.article_correspondences.insert().values(
            connector="FACILI", external_code="PRESTA1", article_id=1))
    drop(made.import_folder, "ImportClients_01.csv", ("CODE", "NOM"), [("NEW1", "Éloïse")])
    drop(made.import_folder, "ImportDocuments_01.csv", DOCUMENT_COLUMNS,
         document_rows("D1", "NEW1", ("PRESTA1", "2", "10"))
         + document_rows("D2", "CLI1", ("PRESTA1", "1", "10"), ("NOTAIRE", "1", "99")))
    return made


def test_pending_lists_files_codes_documents_and_third_parties_and_writes_nothing(
        facili: Connector, engine: Engine) -> None:
    result = run("pending", "facili", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [(f["name"], f["kind"], f["records"]) for f in found["files"]] == [
        ("ImportClients_01.csv", "customers", 1), ("ImportDocuments_01.csv", "documents", 3)]
    assert found["articles"] == [
        {"external_code": "NOTAIRE", "label": "Désig NOTAIRE", "status": "unmapped",
         "article": None},
        {"external_code": "PRESTA1", "label": "Désig PRESTA1", "status": "mapped",
         "article": "ART1"}]
    assert [(d["identifier"], d["status"]) for d in found["documents"]] == [
        ("D1", "new"), ("D2", "waiting")]
    assert found["documents"][0]["label"] == "D1 - NEW1 - 24.00€ - Chèques"
    assert found["third_parties"] == [{"type": "customer", "code": "NEW1", "status": "new"}]
    assert documents(engine) == 0
    assert sorted(p.name for p in facili.import_folder.iterdir() if not p.name.startswith(".")
                  ) == ["ImportClients_01.csv", "ImportDocuments_01.csv"]


def test_map_the_pending_code_then_receive_integrates_the_waiting_document(
        facili: Connector, engine: Engine, tmp_path: Path) -> None:
    first = run("receive", "FACILI", "--report", str(tmp_path / "r1.json"))
    assert first.exit_code == 3, first.output
    assert first.stdout.splitlines()[0] == \
        "FACILI: 2 synchronised, 0 already received, 1 waiting, 0 in error"
    assert "D2: waiting (unmapped_article) NOTAIRE (Désig NOTAIRE) has no correspondence" \
        in first.stdout
    report = json.loads((tmp_path / "r1.json").read_text(encoding="utf-8"))
    assert report["counts"] == {"synchronised": 2, "already_received": 0, "waiting": 1,
                                "error": 0}
    assert report["unmapped"] == [{"external_code": "NOTAIRE", "label": "Désig NOTAIRE",
                                   "documents": ["D2"]}]
    assert run("map", "FACILI", "ART2", "NOTAIRE").exit_code == 0
    second = run("receive", "FACILI")
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[0] == \
        "FACILI: 1 synchronised, 1 already received, 0 waiting, 0 in error"
    assert documents(engine) == 2
    assert not (facili.import_folder / "ImportDocuments_01.csv").exists()


def test_a_dry_run_says_so_and_writes_nothing(facili: Connector, engine: Engine) -> None:
    result = run("receive", "FACILI", "--dry-run")
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines()[0].endswith("(dry run: nothing written)")
    assert documents(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.sync_runs)).scalar_one() == 0


def test_an_unknown_connector_is_exit_1_with_the_reason(facili: Connector) -> None:
    result = run("receive", "NOPE")
    assert result.exit_code == 1
    assert "unknown connector NOPE" in result.output
    assert run("pending", "NOPE").exit_code == 1


def test_nothing_to_receive_is_exit_0(engine: Engine, dossier_url: str,
                                      comptoir_home: Path) -> None:
    reference(engine)
    connector(engine)
    result = run("receive", "FACILI")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == \
        "FACILI: 0 synchronised, 0 already received, 0 waiting, 0 in error"


def test_an_unknown_column_is_said_as_a_warning_and_the_file_is_received(
        engine: Engine, dossier_url: str, comptoir_home: Path) -> None:
    reference(engine)
    made = connector(engine)
    drop(made.import_folder, "ImportClients_01.csv", ("CODE", "NOM", "COULEUR"),
         [("NEW1", "Éloïse", "bleu")])
    result = run("receive", "FACILI")
    assert result.exit_code == 0, result.output
    assert "ImportClients_01.csv: done: warning: unknown column COULEUR ignored" \
        in result.stdout
    assert (made.import_folder / "done").is_dir()


def test_a_file_received_but_not_moved_is_said_and_read_again_without_duplicates(
        facili: Connector, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from comptoir.exchange.inbox import Inbox

    def full_disk(self: Inbox, *args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(Inbox, "done", full_disk)
        first = run("receive", "FACILI")
    assert first.exit_code == 3, first.output
    assert "ImportClients_01.csv: done: received, but could not be moved to done/ " \
           "(No space left on device)" in first.stdout
    assert documents(engine) == 1
    second = run("receive", "FACILI")
    assert second.exit_code == 3  # D2 still waits for NOTAIRE
    assert documents(engine) == 1
    assert second.stdout.splitlines()[0] == \
        "FACILI: 1 synchronised, 1 already received, 1 waiting, 0 in error"  # NEW1 updated


def test_a_reception_stopped_part_way_is_closed_in_the_history(
        facili: Connector, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from comptoir.backoffice import lock
    from comptoir.econnector import reception

    calls = []

    def busy_second_time(conn: object, step: str, wait: float) -> None:
        calls.append(step)
        if len(calls) == 2:
            raise lock.DossierBusy("another econnector.FACILI run of this dossier has been "
                                   "running for more than 600 s")

    monkeypatch.setattr(reception.lock, "acquire", busy_second_time)
    result = run("receive", "FACILI")
    assert result.exit_code == 1
    assert "the files received before it are in the dossier" in result.output
    with engine.connect() as conn:
        (row,) = conn.execute(select(s.sync_runs.c.finished_at, s.sync_runs.c.error,
                                     s.sync_runs.c.files)).all()
    assert row.finished_at is not None and "more than 600 s" in row.error
    assert json.loads(row.files)[0]["file"] == "ImportClients_01.csv"
