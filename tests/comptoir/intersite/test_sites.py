"""`comptoir intersite sites add|list|remove` and every refusal of add."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.cli import app
from comptoir.errors import ComptoirError

from .central import SENDER, central, count


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["intersite", "sites", *args],
                              env={"COMPTOIR_FORCE_TERMINAL": ""})


def said(result) -> str:  # type: ignore[no-untyped-def]
    """What the command said: its output, or the user error `main()` prints (exit 1)."""
    if result.exception is not None:
        assert isinstance(result.exception, ComptoirError), result.exception
    return result.output + str(result.exception or "")


def test_add_list_remove(engine) -> None:  # type: ignore[no-untyped-def]
    central(engine)
    result = cli("add", "DIST-AJACCIO", "--customer", "AJACCIO", "--sender", "A@Ajaccio.example",
                 "--sender", "b@ajaccio.example", "--name", "Ajaccio")
    assert result.exit_code == 0, result.output
    listed = json.loads(cli("list", "--json").stdout)
    assert listed == [
        {"code": "DIST-AJACCIO", "name": "Ajaccio", "customer": "AJACCIO", "depot": None,
         "senders": ["a@ajaccio.example", "b@ajaccio.example"]},
        {"code": "DIST-CALVI", "name": None, "customer": "CALVI", "depot": "DEP1",
         "senders": [SENDER]}]
    assert cli("remove", "DIST-AJACCIO").exit_code == 0
    assert [site["code"] for site in json.loads(cli("list", "--json").stdout)] == ["DIST-CALVI"]
    assert count(engine, s.intersite_site_senders) == 1


def test_add_refusals_write_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    central(engine)
    cases = [
        (["DIST-CALVI", "--customer", "CALVI", "--sender", "x@y.example"], "already exists"),
        (["NEW", "--customer", "NOBODY", "--sender", "x@y.example"], "customer NOBODY"),
        (["NEW", "--customer", "CALVI", "--sender", "x@y.example", "--depot", "NODEP"],
         "depot NODEP"),
        (["NEW", "--customer", "CALVI", "--sender", "not-an-address"], "not an e-mail"),
        (["NEW", "--customer", "CALVI", "--sender", "x@y.example", "--sender",
          SENDER.upper()], "already registered for site DIST-CALVI"),
        (["bad code!", "--customer", "CALVI", "--sender", "x@y.example"], "letters, digits"),
    ]
    for args, text in cases:
        result = cli("add", *args)
        assert result.exit_code == 1, (args, result.output)
        assert text in said(result), (args, said(result))
    assert count(engine, s.intersite_sites) == 1
    assert count(engine, s.intersite_site_senders) == 1


def test_remove_an_unknown_site_exits_1(engine) -> None:  # type: ignore[no-untyped-def]
    central(engine)
    result = cli("remove", "NOPE")
    assert result.exit_code == 1 and "site NOPE is unknown" in said(result)
