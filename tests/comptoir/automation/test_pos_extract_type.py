"""The `pos_extract` task type: the ticket file keeps its name through the run and the
delivery; output.filename is refused; nothing to extract gives no file."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from comptoir.automation import catalog
from comptoir.automation.catalog import Category, RunContext
from comptoir.automation.definitions import TaskDefinition, find
from comptoir.automation.runner import run_task
from comptoir.automation.types.pos_extract import Options, run
from comptoir.backoffice.settings import set_setting
from comptoir.exchange.transports import LocalTransport
from comptoir.pos.integration import integrate_files
from comptoir.pos.ticket_file import read_ticket_file
from tests.comptoir.pos.pos_data import sale, seed, ticket_file


def definition(**output) -> dict:
    return {"id": "register-tickets", "type": "pos_extract", "options": {"kind": "degraded"},
            "output": {"delivery": {"method": "local", "path": "lan"}, **output}}


@pytest.fixture
def register(engine, comptoir_home, tmp_path):  # type: ignore[no-untyped-def]
    """A register dossier MAG01/C1 with two degraded tickets."""
    seed(engine)
    integrate_files(engine, [ticket_file(tmp_path / "src", [sale(148), sale(149)])])
    with engine.begin() as conn:
        set_setting(conn, "pos_store", "MAG01")
        set_setting(conn, "pos_register", "C1")
    return engine


def test_the_type_is_in_the_catalog() -> None:
    task_type = catalog.get("pos_extract")
    assert (task_type.title, task_type.category, task_type.template) == (
        "Extraction des tickets dégradés", Category.IMPORT_EXPORT, "default")
    assert task_type.steps == ["run", "deliver"]
    assert set(task_type.params_spec({})) == {"kind", "include_extracted", "store", "register"}


def test_output_filename_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="pos_extract names its files itself .*TicDeg.*"
                                              "remove output.filename"):
        TaskDefinition.model_validate(definition(filename="tickets-{y}{m}{d}.zip"))
    task = TaskDefinition.model_validate(definition())
    assert task.filename is None
    assert "files TicDeg<store><register>" in task.summary()


def test_run_returns_the_ticket_file_under_its_name(register, tmp_path) -> None:
    ctx = RunContext("t", "r", register, tmp_path / "work", datetime(2026, 1, 12), None,
                     lambda _: None)
    output = run(ctx, Options())
    (produced,) = output.files
    assert produced.path.name.startswith("TicDegMAG01C1") and produced.lines == 2
    assert read_ticket_file(produced.path).tickets.column("ticket") == ["148", "149"]
    assert "2 degraded tickets (148-149) of register C1 of store MAG01" in output.summary[0]

    again = run(ctx, Options())
    assert again.files == [] and again.summary[0].startswith(
        "No degraded ticket to extract for register C1 of store MAG01: no file")


def test_a_run_delivers_the_file_under_its_own_name(register, write_task, tmp_path) -> None:
    write_task(definition())
    lan = tmp_path / "lan"
    report = run_task(find("register-tickets"), "manual__1", LocalTransport(lan),
                      engine=register, log=lambda _: None)
    assert report.level == "info", report.body
    (delivered,) = lan.iterdir()
    assert delivered.name.startswith("TicDegMAG01C1") and delivered.suffix == ".zip"
    assert f"Produced {delivered.name} (2 rows)" in report.body
    assert read_ticket_file(delivered).store == "MAG01"


def test_store_and_register_options_name_another_register(register, tmp_path) -> None:
    ctx = RunContext("t", "r", register, tmp_path / "work", datetime(2026, 1, 12), None,
                     lambda _: None)
    options = Options.model_validate({"store": "MAG01", "register": "C2"})
    output = run(ctx, options)
    assert output.files == [] and "register C2 of store MAG01" in output.summary[0]
