"""The `intersite_send` task type through `runner.run_task`: mails sent, orders pending,
report levels, the selection options (both databases)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from tests.comptoir.intersite.distributor import CENTRAL, order, orders_state, reference


def task(**options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "appros-envoi", "type": "intersite_send", "site": "mag-01",
        "options": {"user": "s.lefevre", **options}, "output": None})


def run(engine: Engine, definition: TaskDefinition) -> Report:
    return runner.run_task(definition, "manual-1", None, engine=engine, log=lambda _: None)


def mails(home: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((home / "mail").glob("*.eml"))]


@pytest.fixture
def dossier(engine: Engine, dossier_url: str, comptoir_home: Path) -> Engine:
    reference(engine)
    return engine


def test_the_confirmed_orders_are_mailed_and_become_pending(dossier: Engine,
                                                            comptoir_home: Path) -> None:
    order(dossier, "CF2026-000001")
    order(dossier, "CF2026-000002", status="draft")
    report = run(dossier, task())
    assert report.level == "info", report.body
    assert report.body.splitlines()[-1].startswith("DIST-CALVI: 1 order(s) sent in 1 message")
    [sent] = mails(comptoir_home)
    assert sent["To"] == CENTRAL
    state = orders_state(dossier)
    assert state["CF2026-000001"][:2] == ("pending", True)
    assert state["CF2026-000001"][2] == sent["Message-ID"]
    assert state["CF2026-000002"] == ("draft", False, None)
    again = run(dossier, task())
    assert again.level == "info" and "nothing to send" in again.body
    assert len(mails(comptoir_home)) == 1


def test_an_order_that_cannot_be_sent_makes_a_warning(dossier: Engine,
                                                      comptoir_home: Path) -> None:
    order(dossier, "CF2026-000001")
    order(dossier, "CF2026-000003", lines=())  # no line
    report = run(dossier, task())
    assert report.level == "warning"
    assert "order CF2026-000003: not sent (empty_order)" in report.body
    assert orders_state(dossier)["CF2026-000003"] == ("confirmed", False, None)


def test_days_keeps_the_recent_orders_only(dossier: Engine, comptoir_home: Path) -> None:
    today = dt.date.today()
    order(dossier, "CF2026-000010", date=today - dt.timedelta(days=40))
    order(dossier, "CF2026-000011", date=today)
    run(dossier, task(days=7))
    state = orders_state(dossier)
    assert state["CF2026-000011"][0] == "pending"
    assert state["CF2026-000010"][0] == "confirmed"


def test_an_unknown_user_fails_the_run_and_sends_nothing(dossier: Engine,
                                                         comptoir_home: Path) -> None:
    order(dossier, "CF2026-000001")
    report = run(dossier, task(user="nobody"))
    assert report.level == "error"
    assert "nobody" in report.title
    assert mails(comptoir_home) == []
    assert orders_state(dossier)["CF2026-000001"] == ("confirmed", False, None)
