import email
from pathlib import Path

import pytest

from comptoir.automation.definitions import UnknownTask, find
from comptoir.automation.messages import list_messages
from comptoir.automation.runner import compose_report, retry_spools, run_task
from comptoir.exchange import spool
from comptoir.exchange.errors import ConnectionFailed
from comptoir.exchange.mail import FileMailer
from comptoir.exchange.transports import LocalTransport


class DownServer:
    """A transport whose server refuses every connection."""

    name = "SFTP connection 'partner', folder /in"

    def check(self) -> None:
        raise ConnectionFailed(self.name)

    def send(self, path: Path, remote_name: str) -> None:
        raise ConnectionFailed(self.name, "Connection refused")


def export_task(folder: Path, **changes):
    task = {"id": "stock-per-store", "name": "Stock per store", "type": "export_data",
            "options": {"entity": "stock", "columns": ["article", "quantity"]},
            "output": {"filename": "stock-{mag:code}-{y}{m}{d}.csv",
                       "delivery": {"method": "local", "path": str(folder)}}}
    task.update(changes)
    return task


def reports(engine, **filters):
    with engine.connect() as conn:
        return list_messages(conn, **filters)


def test_a_run_delivers_one_file_per_store_and_reports_it(seeded, comptoir_home, write_task,
                                                        tmp_path):
    out = tmp_path / "out"
    write_task(export_task(out))
    definition = find("stock-per-store")
    report = run_task(definition, "manual__1", LocalTransport(out), engine=seeded,
                      log=lambda _: None)
    assert report.level == "info"
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].startswith("stock-MAG01-")
    assert (out / names[0]).read_text().splitlines() == ["article;quantity", "A1;4,000"]
    assert spool.pending("stock-per-store") == []
    (message,) = reports(seeded)
    assert message.category == "Rapports de tâches"
    assert (message.task_id, message.run_id, message.title) == (
        "stock-per-store", "manual__1", "stock-per-store: succeeded")
    assert f"Produced {names[0]} (1 rows)" in message.body
    assert f"Delivered to local folder {out}" in message.body


def test_a_server_down_keeps_the_files_and_the_next_run_delivers_them(
        seeded, comptoir_home, write_task, tmp_path):
    out = tmp_path / "out"
    write_task(export_task(out, output={"filename": "stock.csv",
                                        "delivery": {"method": "local", "path": str(out)}}))
    definition = find("stock-per-store")
    failed = run_task(definition, "run-1", DownServer(), engine=seeded, log=lambda _: None)
    assert failed.level == "error"
    assert [p.name for p in spool.pending("stock-per-store")] == ["stock.csv"]
    (message,) = reports(seeded, errors_only=True)
    assert "cannot connect to the server" in message.title
    assert "Still in the spool, retried at the next run: stock.csv" in message.body
    assert "Connection refused" in message.body

    ok = run_task(definition, "run-2", LocalTransport(out), engine=seeded, log=lambda _: None)
    assert ok.level == "info"
    assert [p.name for p in out.iterdir()] == ["stock.csv"]
    assert spool.pending("stock-per-store") == []


def test_the_spool_retry_delivers_pending_files_of_its_site(seeded, comptoir_home, write_task,
                                                          tmp_path):
    out = tmp_path / "out"
    write_task(export_task(out, site="mag-01"))
    definition = find("stock-per-store")
    run_task(definition, "run-1", DownServer(), engine=seeded, log=lambda _: None)
    assert len(spool.pending("stock-per-store")) == 2
    assert retry_spools(lambda d: LocalTransport(out), site="central", engine=seeded) == []
    (outcome,) = retry_spools(lambda d: LocalTransport(out), site="mag-01", engine=seeded,
                              log=lambda _: None)
    assert outcome.ok and len(outcome.files) == 2
    assert spool.pending("stock-per-store") == []
    assert reports(seeded)[0].title == "stock-per-store: pending files delivered by the spool retry"


def test_a_failed_core_function_is_reported_with_its_reason(seeded, comptoir_home, write_task,
                                                           tmp_path):
    write_task(export_task(tmp_path, options={"entity": "stock", "stores": ["MAG99"]}))
    report = run_task(find("stock-per-store"), "r", LocalTransport(tmp_path), engine=seeded,
                      log=lambda _: None)
    assert report.level == "error"
    assert "run: unknown store code(s) in option stores: MAG99" in report.body


def test_run_once_removes_the_definition_after_success_only(seeded, comptoir_home, write_task,
                                                           tmp_path):
    write_task(export_task(tmp_path / "out", run_once=True))
    definition = find("stock-per-store")
    run_task(definition, "r1", DownServer(), engine=seeded, log=lambda _: None)
    assert find("stock-per-store")  # a failure keeps it
    run_task(definition, "r2", LocalTransport(tmp_path / "out"), engine=seeded,
             log=lambda _: None)
    with pytest.raises(UnknownTask):
        find("stock-per-store")


def test_reports_are_mailed_and_can_be_turned_off(seeded, comptoir_home, write_task, tmp_path):
    write_task({"id": "maint", "type": "db_maintenance",
                "report": {"on_success": False, "email": "boss@example.com"}})
    mails = tmp_path / "mail"
    run_task(find("maint"), "r1", None, engine=seeded, mailer=FileMailer(mails),
             log=lambda _: None)
    assert reports(seeded) == []  # on_success false: no report, no mail
    assert not mails.exists()

    write_task({"id": "maint", "type": "db_maintenance",
                "report": {"email": ["boss@example.com"]}})
    run_task(find("maint"), "r2", None, engine=seeded, mailer=FileMailer(mails),
             log=lambda _: None)
    (eml,) = mails.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes())
    assert message["To"] == "boss@example.com"
    assert message["Subject"] == "[Comptoir] maint: succeeded"
    assert "Database maintenance of" in message.get_payload(decode=True).decode()


def test_a_step_that_left_no_outcome_is_reported_as_such(write_task, tmp_path):
    write_task(export_task(tmp_path))
    report = compose_report(find("stock-per-store"), "r", [None, None])
    assert report.level == "error"
    assert "the run step did not finish (see its Airflow log)" in report.title


def test_the_run_step_logs_the_options_it_runs_with_first(seeded, comptoir_home, write_task,
                                                          tmp_path):
    write_task(export_task(tmp_path / "out"))
    lines: list[str] = []
    run_task(find("stock-per-store"), "manual__1", LocalTransport(tmp_path / "out"),
             engine=seeded, overrides={"separator": "|"}, log=lines.append)
    start = lines.index("Options of this run (* set for this run only):")
    assert start < min(i for i, line in enumerate(lines) if line.startswith("Produced"))
    options = lines[start + 1:start + 8]
    assert options == ['  entity: "stock"', '  columns: ["article", "quantity"]',
                       "  stores: []", '* separator: "|"', '  encoding: "utf-8"',
                       '  decimal_separator: ","', "  header: true"]
