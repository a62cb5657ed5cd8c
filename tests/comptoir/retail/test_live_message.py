"""`live_message` through `runner.run_task`: the contract's worked example, a retried run
(same run id) posting nothing twice, unknown store and register codes, and the task
reports staying apart from the live messages (both databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import CATEGORY as REPORTS
from comptoir.automation.messages import Report, list_messages
from comptoir.backoffice.schema import depots, messages, registers
from comptoir.retail.live_message import CATEGORY, report_line


def task(task_id: str = "live-message", **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": task_id, "type": "live_message", "site": "central",
        "options": options, "output": None})


def run(engine: Engine, definition: TaskDefinition, run_id: str = "manual-1") -> Report:
    return runner.run_task(definition, run_id, None, engine=engine, log=lambda _: None)


def registers_of_two_stores(engine: Engine) -> Engine:
    """MAG01 with C1..C3, MAG02 with C1, MAG03 without a register, a depot CENTRAL with C9."""
    with engine.begin() as conn:
        conn.execute(depots.insert(), [
            {"id": 1, "code": "MAG01", "name": "Magasin 1", "is_store": True},
            {"id": 2, "code": "MAG02", "name": "Magasin 2", "is_store": True},
            {"id": 3, "code": "MAG03", "name": "Magasin sans caisse", "is_store": True},
            {"id": 9, "code": "CENTRAL", "name": "Central", "is_store": False}])
        conn.execute(registers.insert(), [
            {"id": 1, "depot_id": 1, "code": "C1", "name": "Caisse 1"},
            {"id": 2, "depot_id": 1, "code": "C2", "name": "Caisse 2"},
            {"id": 3, "depot_id": 1, "code": "C3", "name": "Caisse 3"},
            {"id": 4, "depot_id": 2, "code": "C1", "name": "Caisse 1"},
            {"id": 5, "depot_id": 9, "code": "C9", "name": "Caisse du central"}])
    return engine


@pytest.fixture
def dossier(engine: Engine) -> Engine:
    return registers_of_two_stores(engine)


def live(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(messages).where(messages.c.category == CATEGORY)
                                 .order_by(messages.c.target)))


def business(report: Report) -> list[str]:
    return report.body.splitlines()[2:]


def test_the_worked_example(dossier: Engine) -> None:
    report = run(dossier, task(text="Inventaire ce soir à 19 h", title="Consigne",
                               stores=["MAG01"], valid_hours=48))
    assert report.level == "info", report.body
    assert business(report) == [
        "Message « Consigne » envoyé à 3 caisses : MAG01/C1, MAG01/C2, MAG01/C3"]
    rows = live(dossier)
    assert [row.target for row in rows] == ["MAG01/C1", "MAG01/C2", "MAG01/C3"]
    for row in rows:
        assert (row.task_id, row.run_id, row.level, row.title, row.body) == (
            "live-message", "manual-1", "info", "Consigne", "Inventaire ce soir à 19 h")
        lifetime = row.expires_at - row.created_at
        assert abs(lifetime - dt.timedelta(hours=48)) < dt.timedelta(minutes=1), lifetime


def test_a_retried_run_posts_nothing_twice(dossier: Engine) -> None:
    definition = task(text="Ouverture à 10 h", stores=["MAG01"])
    first = run(dossier, definition)
    with dossier.begin() as conn:  # a register added between the two attempts
        conn.execute(registers.insert().values(id=6, depot_id=1, code="C4", name="Caisse 4"))
    again = run(dossier, definition)
    assert again.level == "info", again.body
    assert business(again) == [
        "Message « Message » envoyé à 4 caisses : MAG01/C1, MAG01/C2, MAG01/C3, MAG01/C4"]
    assert business(first)[0].startswith("Message « Message » envoyé à 3 caisses")
    assert [row.target for row in live(dossier)] == ["MAG01/C1", "MAG01/C2", "MAG01/C3",
                                                     "MAG01/C4"]
    # another run of the task posts again
    run(dossier, definition, "scheduled-2")
    assert len(live(dossier)) == 8


def test_every_store_and_some_registers(dossier: Engine) -> None:
    report = run(dossier, task(text="Promo", level="warning", registers=["C1"]))
    assert business(report) == ["Message « Message » envoyé à 2 caisses : MAG01/C1, MAG02/C1"]
    assert {row.level for row in live(dossier)} == {"warning"}
    default = run(dossier, task("tout", text="Promo"))
    assert business(default)[0].startswith("Message « Message » envoyé à 4 caisses : ")


@pytest.mark.parametrize(("options", "error"), [
    ({"stores": ["MAG01", "NOPE", "CENTRAL"]},
     "unknown store code(s) in option stores: CENTRAL, NOPE"),
    ({"stores": ["MAG02"], "registers": ["C1", "C2", "C9"]},
     "unknown register code(s) in option registers: C2, C9"),
])
def test_unknown_codes_fail_the_run_before_writing(dossier: Engine, options: dict[str, Any],
                                                   error: str) -> None:
    report = run(dossier, task(text="Bonjour", **options))
    assert report.level == "error"
    assert error in report.body
    assert live(dossier) == []


def test_a_store_without_registers_is_a_warning(dossier: Engine) -> None:
    report = run(dossier, task(text="Bonjour", stores=["MAG03"]))
    assert report.level == "warning", report.body
    assert business(report)[0] == ("Message « Message » envoyé à aucune caisse : les "
                                    "magasins choisis n'ont pas de caisse")
    assert live(dossier) == []


@pytest.mark.parametrize("options", [
    {}, {"text": "   "}, {"text": "x" * 501}, {"text": "a", "valid_hours": 0},
    {"text": "a", "valid_hours": 721}, {"text": "a", "level": "error"},
    {"text": "a", "magasins": ["MAG01"]},
])
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        task(**options)


def test_more_than_twenty_targets_are_counted() -> None:
    targets = [f"MAG01/C{i:02}" for i in range(1, 26)]
    line = report_line("Consigne", targets)
    assert line.startswith("Message « Consigne » envoyé à 25 caisses : MAG01/C01, ")
    assert line.endswith("MAG01/C20 et 5 autres")
    assert report_line("X", ["MAG01/C1"]) == "Message « X » envoyé à 1 caisse : MAG01/C1"


def test_the_run_report_stays_the_newest_row_of_the_run(dossier: Engine) -> None:
    """`comptoir tasks run` and the nightly summary print the newest row of the run."""
    run(dossier, task(text="Bonjour", stores=["MAG01"]))
    with dossier.connect() as conn:
        newest = list_messages(conn, task_id="live-message", run_id="manual-1", limit=1)
    assert [m.category for m in newest] == [REPORTS]
    assert newest[0].target is None


def test_comptoir_messages_lists_task_reports_unless_asked_for_live_messages(
        dossier, comptoir_home) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from comptoir.cli import app

    run(dossier, task(text="Inventaire ce soir", stores=["MAG01"]))
    reports = json.loads(CliRunner().invoke(app, ["messages", "--json"]).stdout)
    assert {m["task_id"] for m in reports} == {"live-message"}
    assert len(reports) == 1  # the run's report, not the three live messages
    live = json.loads(CliRunner().invoke(
        app, ["messages", "--json", "--category", "Live message"]).stdout)
    assert len(live) == 3
