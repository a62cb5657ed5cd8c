"""`pos modes` and `pos registers`: the set-up a person keeps, listed and set."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from comptoir.cli import app
from comptoir.pos.setup import SetupError, list_modes, set_mode, set_register
from tests.comptoir.pos.pos_data import seed


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", dossier_url)
    seed(engine)
    return engine


def test_a_new_mode_has_its_flags_off_and_lettrable_on(dossier) -> None:
    with dossier.begin() as conn:
        assert set_mode(conn, "CHQ", name="Cheque", account="511300", state="cpv") == "created"
        assert set_mode(conn, "CB", account="", flags={"generates_delivery_note": True}) == \
            "updated"
        modes = {m["code"]: m for m in list_modes(conn)}
    assert (modes["CHQ"]["state_code"], modes["CHQ"]["lettrable"], modes["CHQ"]["is_credit"]) \
        == ("CPV", True, False)
    assert modes["CB"]["account"] is None and modes["CB"]["generates_delivery_note"] is True
    assert modes["CB"]["name"] == "Card"  # what was not given stays


def test_bad_values_are_refused_before_writing(dossier) -> None:
    with dossier.begin() as conn:
        with pytest.raises(SetupError, match="state code"):
            set_mode(conn, "X1", state="TOOLONG")
        with pytest.raises(SetupError, match="store 'MAG99'"):
            set_register(conn, "MAG99", "C1")
        with pytest.raises(SetupError, match="0 to 99"):
            set_register(conn, "MAG01", "C1", number=123)


def test_the_cli_lists_and_sets(dossier) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["pos", "modes", "set", "CHQ", "--name", "Cheque", "--state",
                               "CPV", "--delivery-note"])
    assert done.exit_code == 0 and "payment mode CHQ created" in done.output
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["pos", "modes", "list"]).output),
                               delimiter=";"))
    assert {"code": "CHQ", "generates_delivery_note": "1", "lettrable": "1"}.items() <= \
        next(r for r in rows if r["code"] == "CHQ").items()
    runner.invoke(app, ["pos", "registers", "set", "MAG01", "C3", "--number", "3",
                        "--journal", "mag01c3"])
    listed = json.loads(runner.invoke(app, ["pos", "registers", "list", "--json"]).output)
    assert {"store": "MAG01", "register": "C3", "name": "C3", "number": 3,
            "journal": "MAG01C3"} in listed
