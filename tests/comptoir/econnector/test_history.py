"""A connector's history: `econnector.history.list_runs` and `comptoir connector history`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from comptoir.cli import app
from comptoir.econnector.history import list_runs
from comptoir.econnector.settings import ConnectorError
from comptoir.econnector.sync_report import Item, SyncReport, finish_run, record_items, start_run
from comptoir.errors import ComptoirError
from tests.comptoir.econnector.partner import connector, reference

PARIS = ZoneInfo("Europe/Paris")
DOCS = "ImportDocuments_001.csv"


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def record(engine: Engine, started: dt.datetime, *, direction: str = "in",
           items: Sequence[Item] = (), files: Sequence[str] = (), error: str | None = None,
           code: str = "FACILI", finished: bool = True) -> str:
    """Write one run as a reception or a sending does; its id."""
    report = SyncReport(code, direction, started)
    report.items = list(items)
    report.files = [{"file": name, "kind": "documents", "records": 1, "outcome": "done",
                     "error": None} for name in files]
    report.error = error
    with engine.begin() as conn:
        start_run(conn, report)
        record_items(conn, report, report.items)
        if finished:
            report.finished_at = started + dt.timedelta(seconds=3)
            finish_run(conn, report)
    return report.run_id


def synchronised(line: int = 2) -> Item:
    return Item(DOCS, line, "document", "F259037_D260174 / EC-C-000012", "synchronised",
                messages=["Synchronisé"], label="F259037_D260174 - CLI1 - 90.00€ - Chèques",
                local_ref="EC-C-000012")


def waiting() -> Item:
    return Item(DOCS, 5, "document", "F259031_D260109", "waiting", rule="unmapped_article",
                messages=["NOTAIRE (Notaire) has no correspondence",
                          "HONO (Honoraires) has no correspondence"])


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["connector", "history", *args],
                              env={"COMPTOIR_FORCE_TERMINAL": ""})


def listed(*args: str) -> list[dict[str, Any]]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def runs(engine, dossier_url, comptoir_home) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Four runs of FACILI (two receptions, a sending, a failed reception), one of ETA2."""
    reference(engine)
    connector(engine)
    return {
        "first": record(engine, at(28, 23, 59, month=2), items=[synchronised()],
                        files=[DOCS]),
        "second": record(engine, at(1, 0, 30), items=[synchronised(), waiting()],
                         files=[DOCS, "ImportClients_001.csv"]),
        "send": record(engine, at(2, 9), direction="out", files=["Articles.csv"],
                       items=[Item("Articles.csv", None, "file", "Articles.csv",
                                   "synchronised", messages=["3 records"])]),
        "failed": record(engine, at(3, 9), error="import folder unreadable"),
        "other": record(engine, at(4, 9), code="ETA2", files=[DOCS]),
    }


# --- list_runs ---------------------------------------------------------------------------

def test_runs_are_listed_newest_first_in_the_contract_shape(engine, runs) -> None:
    with engine.connect() as conn:
        found = list_runs(conn, "facili")
    assert [run["run_id"] for run in found] == [runs["failed"], runs["send"], runs["second"],
                                                runs["first"]]
    assert found[2] == {
        "run_id": runs["second"], "direction": "in", "started_at": "2026-03-01T00:30:00+01:00",
        "finished_at": "2026-03-01T00:30:03+01:00",
        "files": [DOCS, "ImportClients_001.csv"],
        "counts": {"synchronised": 1, "already_received": 0, "waiting": 1, "error": 0},
        "error": None}
    assert (found[0]["error"], found[0]["files"], found[0]["counts"]) == (
        "import folder unreadable", [], {"synchronised": 0, "already_received": 0,
                                         "waiting": 0, "error": 0})
    assert found[1]["direction"] == "out"


def test_items_are_read_back_in_the_reports_item_shape(engine, runs) -> None:
    with engine.connect() as conn:
        found = list_runs(conn, "FACILI", items=True)
    by_id = {run["run_id"]: run for run in found}
    assert by_id[runs["second"]]["items"] == [
        {"file": DOCS, "line": 2, "type": "document",
         "identifier": "F259037_D260174 / EC-C-000012", "label": None,
         "state": "synchronised", "rule": None, "messages": ["Synchronisé"]},
        {"file": DOCS, "line": 5, "type": "document", "identifier": "F259031_D260109",
         "label": None, "state": "waiting", "rule": None,
         "messages": ["NOTAIRE (Notaire) has no correspondence",
                      "HONO (Honoraires) has no correspondence"]},
    ]
    assert by_id[runs["send"]]["items"] == [
        {"file": "Articles.csv", "line": None, "type": "file", "identifier": "Articles.csv",
         "label": None, "state": "synchronised", "rule": None, "messages": ["3 records"]}]
    assert by_id[runs["failed"]]["items"] == []
    assert "items" not in list_runs_of(engine)[0]


def list_runs_of(engine: Engine, **options: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list_runs(conn, "FACILI", **options)


def test_direction_keeps_receptions_or_sendings(engine, runs) -> None:
    assert [r["run_id"] for r in list_runs_of(engine, direction="out")] == [runs["send"]]
    assert [r["run_id"] for r in list_runs_of(engine, direction="in")] == [
        runs["failed"], runs["second"], runs["first"]]


def test_since_is_the_start_of_that_day_in_the_dossiers_time_zone(engine, runs) -> None:
    found = list_runs_of(engine, since=dt.date(2026, 3, 1))
    assert [r["run_id"] for r in found] == [runs["failed"], runs["send"], runs["second"]]
    assert list_runs_of(engine, since=dt.date(2026, 3, 4)) == []


def test_limit_keeps_the_newest_runs_and_their_items(engine, runs) -> None:
    found = list_runs_of(engine, limit=2, direction="in", items=True)
    assert [r["run_id"] for r in found] == [runs["failed"], runs["second"]]
    assert len(found[1]["items"]) == 2


def test_a_run_still_going_has_no_end_and_no_counts(engine, runs) -> None:
    going = record(engine, at(5, 9), finished=False)
    found = list_runs_of(engine)[0]
    assert (found["run_id"], found["finished_at"], found["counts"], found["files"]) == (
        going, None, None, [])


def test_a_code_that_never_ran_has_no_runs_and_an_invalid_one_is_refused(engine,
                                                                         runs) -> None:
    with engine.connect() as conn:
        assert list_runs(conn, "NEVER") == []
        with pytest.raises(ConnectorError, match="invalid connector code"):
            list_runs(conn, "bad code")


# --- the command -------------------------------------------------------------------------

def test_history_json_is_list_runs(engine, runs) -> None:
    assert listed("facili") == list_runs_of(engine)
    assert listed("FACILI", "--items") == list_runs_of(engine, items=True)


def test_history_options(engine, runs) -> None:
    assert [r["run_id"] for r in listed("FACILI", "--direction", "out")] == [runs["send"]]
    assert [r["run_id"] for r in listed("FACILI", "--since", "2026-03-02")] == [
        runs["failed"], runs["send"]]
    assert [r["run_id"] for r in listed("FACILI", "--limit", "1")] == [runs["failed"]]
    both = listed("FACILI", "--direction", "in", "--since", "2026-03-01", "--limit", "5",
                  "--items")
    assert [r["run_id"] for r in both] == [runs["failed"], runs["second"]]
    assert [i["state"] for i in both[1]["items"]] == ["synchronised", "waiting"]


def test_history_table(engine, runs) -> None:
    result = run("FACILI", "--limit", "2", "--direction", "in")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "started_at\tfinished_at\tdirection\trun_id\tfiles\tcounts\terror"
    assert lines[2] == (f"2026-03-01T00:30:00+01:00\t2026-03-01T00:30:03+01:00\tin\t"
                        f"{runs['second']}\t{DOCS}; ImportClients_001.csv\t"
                        "1 synchronised, 0 already_received, 1 waiting, 0 error\t")
    assert lines[1].endswith("\timport folder unreadable")
    assert len(lines) == 3


def test_history_table_with_items(engine, runs) -> None:
    result = run("FACILI", "--since", "2026-03-01", "--direction", "in", "--items")
    lines = result.stdout.splitlines()
    header = lines.index("run_id\tfile\tline\ttype\tidentifier\tstate\tmessages")
    assert lines[header + 1:] == [
        f"{runs['second']}\t{DOCS}\t2\tdocument\tF259037_D260174 / EC-C-000012\t"
        "synchronised\tSynchronisé",
        f"{runs['second']}\t{DOCS}\t5\tdocument\tF259031_D260109\twaiting\t"
        "NOTAIRE (Notaire) has no correspondence; HONO (Honoraires) has no correspondence"]


def test_history_of_a_deleted_connector(engine, runs) -> None:
    deleted = CliRunner().invoke(app, ["connector", "delete", "FACILI"])
    assert deleted.exit_code == 0, deleted.output
    found = listed("FACILI", "--items")
    assert [r["run_id"] for r in found] == [runs["failed"], runs["send"], runs["second"],
                                            runs["first"]]
    assert len(found[2]["items"]) == 2


def test_history_of_a_code_without_runs_is_empty(engine, runs) -> None:
    assert listed("NEVER") == []
    assert run("NEVER").stdout.splitlines() == [
        "started_at\tfinished_at\tdirection\trun_id\tfiles\tcounts\terror"]


@pytest.mark.parametrize("args", [
    ("--since", "01/03/2026"), ("--since", "2026-02-30"), ("--since", "yesterday"),
    ("--direction", "both"), ("--direction", "IN2"), ("--limit", "0"), ("--limit", "x"),
])
def test_history_usage_errors_exit_2(engine, runs, args) -> None:
    result = run("FACILI", *args)
    assert result.exit_code == 2, (args, result.output)
    assert result.stdout == ""


def test_history_of_an_invalid_code_exits_1(engine, runs) -> None:
    result = run("bad code")
    assert result.exit_code == 1
    assert isinstance(result.exception, ComptoirError)
    assert "invalid connector code" in str(result.exception)
