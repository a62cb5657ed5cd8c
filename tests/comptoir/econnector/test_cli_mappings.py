"""`comptoir connector map|unmap|mappings|map-bulk` as a user runs them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.cli import app
from comptoir.econnector.settings import ConnectorError, set_value
from tests.comptoir.econnector.partner import connector, reference


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["connector", *args], env={"COMPTOIR_FORCE_TERMINAL": ""})


@pytest.fixture
def dossier(engine, dossier_url, comptoir_home):  # type: ignore[no-untyped-def]
    ids = reference(engine)
    connector(engine)
    return ids


def stored(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    c, a = s.article_correspondences, s.articles
    with engine.connect() as conn:
        return dict(conn.execute(select(c.c.external_code, a.c.code)
                                 .join(a, a.c.id == c.c.article_id)).all())


def refused(result, message: str) -> None:  # type: ignore[no-untyped-def]
    """Exit 1 with a `ConnectorError` saying `message` (the entry point prints it)."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, ConnectorError)
    assert message in str(result.exception)


# ------------------------------------------------------------------ map, unmap

def test_map_then_replace_then_unmap(engine, dossier) -> None:
    result = run("map", "facili", "ART1", "NOTAIRE")
    assert result.exit_code == 0, result.output
    assert result.stdout == "FACILI: NOTAIRE → ART1 (mapped)\n"
    assert run("map", "FACILI", "ART1", "NOTAIRE").stdout == ("FACILI: NOTAIRE → ART1 "
                                                              "(already mapped)\n")
    refused(run("map", "FACILI", "ART2", "NOTAIRE"), "already mapped to article ART1")
    assert stored(engine) == {"NOTAIRE": "ART1"}
    result = run("map", "FACILI", "ART2", "NOTAIRE", "--replace")
    assert (result.exit_code, result.stdout) == (0, "FACILI: NOTAIRE → ART2 (moved)\n")
    assert stored(engine) == {"NOTAIRE": "ART2"}
    result = run("unmap", "FACILI", "NOTAIRE")
    assert (result.exit_code, result.stdout) == (0, "FACILI: NOTAIRE no longer maps to ART2\n")
    assert stored(engine) == {}


@pytest.mark.parametrize(("args", "message"), [
    (("map", "NOPE", "ART1", "X"), "unknown connector NOPE"),
    (("map", "FACILI", "ART9", "X"), "the dossier has no article 'ART9'"),
    (("map", "FACILI", "ART1", " "), "an external code cannot be empty"),
    (("map", "FACILI", "ART1", "X" * 61), "at most 60"),
    (("unmap", "FACILI", "X"), "external code X is not mapped for connector FACILI"),
])
def test_map_and_unmap_errors_exit_1_and_change_nothing(engine, dossier, args,
                                                        message) -> None:
    refused(run(*args), message)
    assert stored(engine) == {}


# ------------------------------------------------------------------ mappings

def test_mappings_csv_on_stdout(engine, dossier) -> None:
    run("map", "FACILI", "ART2", "B")
    run("map", "FACILI", "ART2", "A")
    result = run("mappings", "FACILI")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("ARTICLE;DESIG;CODE_EXTERNE\nART1;Article un;\n"
                             "ART2;Article deux;A|B\nART3;Article trois;\n")


def test_mappings_json_and_selections(engine, dossier) -> None:
    run("map", "FACILI", "ART2", "B")
    result = run("mappings", "FACILI", "--json")
    assert json.loads(result.stdout) == [
        {"article": "ART1", "name": "Article un", "external_codes": []},
        {"article": "ART2", "name": "Article deux", "external_codes": ["B"]},
        {"article": "ART3", "name": "Article trois", "external_codes": []}]
    listed = [row["article"] for row in json.loads(run("mappings", "FACILI", "--exportable",
                                                       "--json").stdout)]
    assert listed == ["ART1", "ART2"]
    listed = [row["article"] for row in json.loads(run("mappings", "FACILI", "--unmapped",
                                                       "--json").stdout)]
    assert listed == ["ART1", "ART3"]
    result = run("mappings", "FACILI", "--filter", '{"family": ["VET", "ALI"]}', "--unmapped",
                 "--json")
    assert [row["article"] for row in json.loads(result.stdout)] == ["ART1"]


def test_exportable_with_filter_is_a_usage_error(engine, dossier) -> None:
    result = run("mappings", "FACILI", "--exportable", "--filter", "{}")
    assert result.exit_code == 2
    assert "--exportable and --filter cannot be used together" in result.output


def test_an_invalid_filter_exits_1_with_the_reason(engine, dossier) -> None:
    refused(run("mappings", "FACILI", "--filter", "{not json"),
            "invalid article filter: not valid JSON")
    refused(run("mappings", "FACILI", "--filter", '{"brand": ["NOPE"]}'),
            "invalid article filter: brand: the dossier has no brand NOPE")
    refused(run("mappings", "NOPE"), "unknown connector NOPE")


def test_mappings_out_writes_utf8_and_says_where(engine, dossier, tmp_path) -> None:
    with engine.begin() as conn:
        conn.execute(s.articles.update().where(s.articles.c.code == "ART1")
                     .values(name="Thé; vert"))
    target = tmp_path / "listing" / "map.csv"
    result = run("mappings", "FACILI", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"FACILI: 3 articles → {target}\n"
    assert target.read_bytes().decode("utf-8").splitlines()[1] == 'ART1;"Thé; vert";'


# ------------------------------------------------------------------ map-bulk

def test_round_trip_mappings_edit_map_bulk(engine, dossier, tmp_path) -> None:
    run("map", "FACILI", "ART2", "KEEP")
    listing = tmp_path / "map.csv"
    assert run("mappings", "FACILI", "--out", str(listing)).exit_code == 0
    lines = listing.read_text(encoding="utf-8").splitlines()
    lines[1] += "CAFÉ|THÉ"                  # ART1 gets two codes
    lines[2] += "|NEW"                      # ART2 keeps KEEP, gets NEW
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("map-bulk", "FACILI", str(listing), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "FACILI: 3 records, 3 accepted, 0 rejected (written: 3 mapped, " \
                            "0 moved)\n"
    assert stored(engine) == {"CAFÉ": "ART1", "THÉ": "ART1", "KEEP": "ART2", "NEW": "ART2"}
    assert run("mappings", "FACILI").stdout == (
        "ARTICLE;DESIG;CODE_EXTERNE\nART1;Article un;CAFÉ|THÉ\n"
        "ART2;Article deux;KEEP|NEW\nART3;Article trois;\n")
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (report["records"], report["accepted"], report["rejected"], report["error"],
            report["rejections"]) == (3, 3, 0, None, [])
    # loading the listing again changes nothing
    again = run("map-bulk", "FACILI", str(listing))
    assert again.exit_code == 0 and "(written: 0 mapped, 0 moved)" in again.stdout


def test_round_trip_with_a_pipe_separator(engine, dossier, tmp_path) -> None:
    with engine.begin() as conn:
        set_value(conn, "FACILI", "separator", "|")
    run("map", "FACILI", "ART1", "A")
    run("map", "FACILI", "ART1", "B")
    listing = tmp_path / "map.csv"
    run("mappings", "FACILI", "--out", str(listing))
    assert listing.read_text(encoding="utf-8").splitlines()[1] == 'ART1|Article un|"A|B"'
    with engine.begin() as conn:
        conn.execute(s.article_correspondences.delete())
    assert run("map-bulk", "FACILI", str(listing)).exit_code == 0
    assert stored(engine) == {"A": "ART1", "B": "ART1"}


def test_map_bulk_rejections_exit_3_and_the_report(engine, dossier, tmp_path) -> None:
    run("map", "FACILI", "ART3", "TAKEN")
    path = tmp_path / "m.csv"
    path.write_bytes("ARTICLE;DESIG;CODE_EXTERNE\r\nART1;Thé;OK|TAKEN\r\nART2;Crème;OK2\r\n"
                     "ART9;;X\r\n".encode("cp1252"))
    result = run("map-bulk", "FACILI", str(path), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines() == [
        "FACILI: 3 records, 1 accepted, 2 rejected (written: 1 mapped, 0 moved)",
        "  m.csv:2 ART1 external_code_taken CODE_EXTERNE: CODE_EXTERNE TAKEN is already "
        "mapped to article ART3 (--replace moves it)",
        "  m.csv:4 ART9 unknown_article ARTICLE: ARTICLE ART9 is not an article of the "
        "dossier"]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["rejections"][0] == {
        "file": "m.csv", "line": 2, "key": "ART1", "rule": "external_code_taken",
        "field": "CODE_EXTERNE",
        "message": "CODE_EXTERNE TAKEN is already mapped to article ART3 (--replace moves it)"}
    assert stored(engine) == {"TAKEN": "ART3", "OK2": "ART2"}
    result = run("map-bulk", "FACILI", str(path), "--replace")
    assert result.exit_code == 3  # ART9 is still unknown
    assert stored(engine) == {"TAKEN": "ART1", "OK": "ART1", "OK2": "ART2"}


def test_map_bulk_exit_1_writes_nothing(engine, dossier, tmp_path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("ARTICLE;DESIG\nART1;x\n", encoding="utf-8")
    result = run("map-bulk", "FACILI", str(path), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 1
    assert "mandatory column CODE_EXTERNE missing" in result.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["error"]
    path.write_text("ARTICLE;CODE_EXTERNE\nART1;A\n", encoding="utf-8")
    result = run("map-bulk", "NOPE", str(path))
    assert result.exit_code == 1 and "unknown connector NOPE" in result.stderr
    assert stored(engine) == {}


def test_map_bulk_of_a_header_only_file(engine, dossier, tmp_path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("ARTICLE;DESIG;CODE_EXTERNE\n", encoding="utf-8")
    result = run("map-bulk", "FACILI", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == "FACILI: 0 records, 0 accepted, 0 rejected (written: 0 mapped, " \
                            "0 moved)\n"
