"""The `intersite_receive` task type over a mail folder, through `run_task`: the report's
lines and level, the JSON report kept, the asset event, the fetch step that extracts
nothing, and its options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from comptoir.automation import catalog, runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.backoffice import schema as s
from tests.comptoir.intersite.central import attachment, central, count, drop, mail, order

FOLDER = {"kind": "mail_folder", "path": "incoming"}


def task(source: dict[str, Any] | None = None, **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "appros-releve", "type": "intersite_receive", "site": "central",
        "options": {"source": source or FOLDER, **options}, "output": None})


def run(engine, definition: TaskDefinition, run_id: str = "manual-1"):  # type: ignore[no-untyped-def]
    return runner.run_task(definition, run_id, None, engine=engine, log=lambda _: None)


def test_the_type_in_the_catalog() -> None:
    declared = catalog.get("intersite_receive")
    assert declared.title == "Réception des commandes inter-sites"
    assert declared.category == catalog.Category.IMPORT_EXPORT
    assert declared.template == "inbox" and declared.steps == ["fetch", "receive"]
    assert declared.fetch is not None and declared.asset_alias == "comptoir-intersite"
    options = task().typed_options()
    assert (options.prices, options.acknowledge, options.dry_run) == ("order", False, False)
    imap = task({"kind": "imap", "conn_id": "i"}).typed_options().source
    assert imap.processed_mailbox == "Comptoir/Commandes inter-sites"
    kept = task({"kind": "imap", "conn_id": "i", "processed_mailbox": None})
    assert kept.typed_options().source.processed_mailbox is None


def test_options_are_checked() -> None:
    for bad in ({"kind": "local", "path": "x"}, {"kind": "sftp", "conn_id": "s"}):
        with pytest.raises(ValidationError, match="imap, pop3 or mail_folder"):
            task(bad)
    with pytest.raises(ValidationError):
        TaskDefinition.model_validate({"id": "x", "type": "intersite_receive",
                                       "options": {}, "output": None})
    with pytest.raises(ValidationError):
        task(prices="cheap")


def test_a_mail_folder_reception_reports_every_rejection_and_the_summary_last(
        engine, comptoir_home: Path) -> None:
    central(engine)
    incoming = comptoir_home / "mail" / "incoming"
    drop(incoming, "a.eml", mail(attachment(order("CF1"), order("CF2", lines=[]))))
    drop(incoming, "b.eml", mail(attachment(), sender="x@evil.example"))
    report = run(engine, task())
    assert report.level == "warning"
    body = report.body.splitlines()
    assert "2 message(s) waiting in mail folder incoming" in body
    assert "a.eml CF2: empty_order: the order has no line" in body
    assert any(line.startswith("b.eml: rejected, unknown_sender") for line in body)
    assert body[-1] == ("2 messages: 1 processed, 1 rejected; 1 orders created, "
                        "0 already received, 1 rejected")
    kept = comptoir_home / "reports" / "intersite" / "appros-releve" / "manual-1.json"
    assert f"Report: {kept}" in body
    assert json.loads(kept.read_text())["counts"]["orders_created"] == 1
    assert count(engine, s.sales_documents) == 1
    assert not (comptoir_home / "inbox" / "appros-releve").exists()  # nothing extracted

    again = run(engine, task(), "manual-2")
    assert again.level == "info" and again.body.splitlines()[-1].startswith("0 messages")


def test_created_documents_are_announced_and_a_dry_run_announces_nothing(
        engine, comptoir_home: Path) -> None:
    central(engine)
    drop(comptoir_home / "mail" / "incoming", "a.eml", mail(attachment(order("CF1"))))
    dry = runner.produce(task(dry_run=True), "manual-1", engine=engine, log=lambda _: None)
    assert dry.ok and dry.assets == {} and dry.warning is None
    assert dry.lines[-1].endswith("(dry run: nothing written)")
    done = runner.produce(task(), "manual-2", engine=engine, log=lambda _: None)
    assert done.ok and done.step == "receive"
    assert done.assets == {"comptoir://dossier/sales_documents": {
        "task_id": "appros-releve", "run_id": "manual-2", "documents": 1}}


def test_no_known_site_fails_the_run(engine, comptoir_home: Path) -> None:
    drop(comptoir_home / "mail" / "incoming", "a.eml", mail(attachment()))
    report = run(engine, task())
    assert report.level == "error" and "no known site" in report.title
    assert count(engine, s.intersite_mails) == 0


def test_imap_without_a_connector_fails_at_the_fetch_step(engine, comptoir_home: Path) -> None:
    central(engine)
    report = run(engine, task({"kind": "imap", "conn_id": "imap_x"}))
    assert report.level == "error" and "fetch:" in report.body
    assert "Airflow's connections" in report.body
