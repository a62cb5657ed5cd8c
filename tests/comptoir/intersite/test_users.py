"""`comptoir users`: the directory of the people who send orders, and their address."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from comptoir.cli import app
from comptoir.errors import ComptoirError


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["users", *args], env={"COMPTOIR_FORCE_TERMINAL": ""})


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home):  # type: ignore[no-untyped-def]
    return engine


def test_set_list_and_remove_users(dossier) -> None:
    assert run("set", "s.lefevre", "--email", " s.lefevre@calvi.example ",
               "--name", "Sophie Lefèvre").exit_code == 0
    assert run("set", "a.martin", "--email", "a.martin@calvi.example").exit_code == 0
    listed = run("list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [
        {"login": "a.martin", "name": None, "email": "a.martin@calvi.example"},
        {"login": "s.lefevre", "name": "Sophie Lefèvre", "email": "s.lefevre@calvi.example"}]
    removed = run("remove", "a.martin")
    assert removed.exit_code == 0, removed.output
    assert [u["login"] for u in json.loads(run("list", "--json").stdout)] == ["s.lefevre"]


def test_set_again_changes_the_address_and_keeps_the_name(dossier) -> None:
    run("set", "s.lefevre", "--email", "old@calvi.example", "--name", "Sophie")
    assert run("set", "s.lefevre", "--email", "new@calvi.example").exit_code == 0
    assert json.loads(run("list", "--json").stdout) == [
        {"login": "s.lefevre", "name": "Sophie", "email": "new@calvi.example"}]


def test_plain_listing_has_a_header_and_one_line_per_user(dossier) -> None:
    run("set", "s.lefevre", "--email", "s.lefevre@calvi.example")
    assert run("list").stdout == "login\tname\temail\ns.lefevre\t\ts.lefevre@calvi.example\n"


@pytest.mark.parametrize("args", [("set", "x", "--email", "not-an-address"),
                                  ("set", "two words", "--email", "a@b.example"),
                                  ("remove", "nobody")])
def test_mistakes_exit_1_and_write_nothing(dossier, args) -> None:
    result = run(*args)
    assert result.exit_code == 1 and isinstance(result.exception, ComptoirError), result.output
    assert json.loads(run("list", "--json").stdout) == []
