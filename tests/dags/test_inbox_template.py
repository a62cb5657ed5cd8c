"""The `inbox` template with a task type written for this test as one module of the core and
nothing in plugins/: fetch (mails of the embedded `.eml` folder) >> run >> deliver >> report,
through Airflow (`dag.test()`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

import comptoir
from comptoir.automation import catalog
from comptoir.automation.messages import list_messages
from comptoir.backoffice.engine import get_engine
from comptoir.exchange.mail import FileMailer, build_message

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("dossier_url", ["sqlite"],
                                                        indirect=True)]

# The whole new task type: options, core function, declaration. Nothing else anywhere.
COUNT_LINES = '''
"""`count_lines`: how many lines each file of the inbox has, as one CSV."""
from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.task_inbox import InboxOptions


class Options(InboxOptions):
    """Options of `count_lines` (the inbox only)."""


def run(ctx, options):
    files = ctx.inbox.waiting()
    out = ctx.work_dir / "counts.csv"
    out.write_text("".join(f"{p.name};{len(p.read_bytes().splitlines())}\\n" for p in files))
    for path in files:
        ctx.inbox.inbox.done(path, {"lines": len(path.read_bytes().splitlines())})
    return TaskOutput(files=[ProducedFile(out)], summary=[f"Counted {len(files)} file(s)"])


TASK_TYPE = TaskType(
    name="count_lines", title="Comptage", category=Category.AUTRES,
    description="Counts the lines of the files it receives.", options=Options, run=run,
    default_filename="counts-{y}{m}{d}.csv", template="inbox",
)
'''


@pytest.fixture
def count_lines_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`comptoir.extra.count_lines`: a module of the core package, written by the test."""
    package = tmp_path / "package"
    (package / "extra").mkdir(parents=True)
    (package / "extra" / "__init__.py").write_text("")
    (package / "extra" / "count_lines.py").write_text(COUNT_LINES)
    monkeypatch.setattr(comptoir, "__path__", [*comptoir.__path__, str(package)])
    catalog.reload()
    yield
    catalog.reload()


def test_a_new_inbox_type_is_one_core_module_and_runs_fetch_run_deliver_report(
        airflow_db, dossier_url, comptoir_home, tasks_dir, tmp_path, count_lines_type):
    mail = tmp_path / "mail"
    for name, text in (("a.csv", "1\n2\n"), ("b.csv", "1\n2\n3\n")):
        attachment = tmp_path / name
        attachment.write_text(text)
        FileMailer(mail).send(build_message(to=["shop@example.com"], subject=name, body="x",
                                            attachments=[attachment]))
    out = tmp_path / "out"
    (tasks_dir / "counter.json").write_text(json.dumps({"comptoir_tasks": 1, "tasks": [{
        "id": "counter", "type": "count_lines", "retries": 0,
        "options": {"source": {"kind": "mail_folder", "path": str(mail), "pattern": "*.csv"}},
        "output": {"delivery": {"method": "local", "path": str(out)}}}]}))

    dag = DagBag(dag_folder=str(ROOT / "dags" / "comptoir_tasks.py")).dags["counter"]
    assert [t.task_id for t in dag.tasks] == ["fetch", "run", "deliver", "report"]
    assert dag.params.get_param("source_kind").value == "mail_folder"

    run = dag.test()
    assert run.state == "success"
    (delivered,) = out.iterdir()
    assert delivered.read_text().splitlines() == ["a.csv;2", "b.csv;3"]
    inbox = comptoir_home / "inbox" / "counter"
    assert sorted(p.name for day in (inbox / "done").iterdir() for p in day.iterdir()) == [
        "a.csv", "a.csv.origin.json", "a.csv.report.json",
        "b.csv", "b.csv.origin.json", "b.csv.report.json"]
    assert not list(mail.glob("*.eml")), "the mails were filed in processed/"
    with get_engine(dossier_url).connect() as conn:
        (report,) = list_messages(conn, task_id="counter", run_id=run.run_id)
    assert report.title == "counter: succeeded"
    assert f"Fetched from mail folder {mail}, attachments *.csv: a.csv, b.csv" in report.body
    assert "Counted 2 file(s)" in report.body
    assert f"Delivered to local folder {out}: {delivered.name}" in report.body

    again = dag.test()
    assert again.state == "success"
    with get_engine(dossier_url).connect() as conn:
        (second,) = list_messages(conn, task_id="counter", run_id=again.run_id)
    assert "Nothing new in mail folder" in second.body and "Counted 0 file(s)" in second.body
