"""The `pos_base_files` task type without Airflow: one package per register, named by the
default template as the contract says, or mailed to a mail list."""

from __future__ import annotations

import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from comptoir.automation import catalog
from comptoir.automation.catalog import RunContext
from comptoir.automation.filenames import render
from comptoir.automation.types.pos_base_files import (
    TASK_TYPE,
    BaseFilesTaskError,
    Options,
    check,
    run,
)
from tests.comptoir.pos.pos_data import seed

MOMENT = datetime(2026, 1, 12, 18, 30, 5, tzinfo=ZoneInfo("Europe/Paris"))


def context(engine, tmp_path) -> RunContext:  # type: ignore[no-untyped-def]
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return RunContext("base", "r1", engine, work, MOMENT, TASK_TYPE.default_filename,
                      lambda _: None)


def test_the_catalog_knows_the_type_and_its_form() -> None:
    found = catalog.get("pos_base_files")
    assert (found.title, found.category, found.template) == (
        "Copie des fichiers de base", catalog.Category.IMPORT_EXPORT, "default")
    params = found.params_spec({})
    assert set(params) == {"stores", "registers", "list_file", "mail_list"}
    assert params["mail_list"]["section"] == "Content" and params["stores"]["title"]


def test_one_package_per_register_named_as_the_contract_says(engine, comptoir_home,
                                                            tmp_path) -> None:
    seed(engine)
    output = run(context(engine, tmp_path), Options())
    assert [f.store.code for f in output.files] == ["MAG01C1", "MAG01C2"]
    names = [render(TASK_TYPE.default_filename, MOMENT, f.store) for f in output.files]
    assert names == ["PvBaseMAG01C120260112183005.zip", "PvBaseMAG01C220260112183005.zip"]
    assert [f.path.name for f in output.files] == names  # the package's own name
    with zipfile.ZipFile(output.files[1].path) as archive:
        assert b"pos_register;C2" in archive.read("settings.csv")

    only = run(context(engine, tmp_path), Options(stores=["MAG01"], registers=["C2"]))
    assert [f.store.code for f in only.files] == ["MAG01C2"]
    with pytest.raises(BaseFilesTaskError, match="C9"):
        run(context(engine, tmp_path), Options(registers=["C9"]))


def test_a_mail_list_mails_the_packages_instead_of_delivering_them(engine, comptoir_home,
                                                                  tmp_path) -> None:
    seed(engine)
    (comptoir_home / "lists").mkdir()
    (comptoir_home / "lists" / "pvpplstmail.txt").write_text(
        "DEBUT LISTE\ncaisse@example.com\nFIN LISTE\n")
    (comptoir_home / "lists" / "pvpplstfic.txt").write_text(
        "DEBUT LISTE\narticles\nFIN LISTE\n")
    output = run(context(engine, tmp_path), Options(
        registers=["C1"], list_file="lists/pvpplstfic.txt", mail_list="lists/pvpplstmail.txt"))
    assert output.files == []
    assert "mailed to caisse@example.com" in output.summary[0]
    assert len(list((comptoir_home / "mail").glob("*.eml"))) == 1


def test_the_file_name_needs_the_register_tag() -> None:
    with pytest.raises(ValueError, match=r"\{mag:code\}"):
        check(Options(), "base-{y}{m}{d}.zip")
    check(Options(), TASK_TYPE.default_filename)
