"""Article correspondences (`spec/econnector.md`, ways 1 and 2): one code, listing, bulk."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import event, select

from comptoir.backoffice import schema as s
from comptoir.econnector.correspondences import (
    COLUMNS_OUT,
    correspondences,
    map_article,
    map_bulk,
    mapping_rows,
    split_codes,
    unmap,
)
from comptoir.econnector.settings import ConnectorError
from comptoir.imports import loader
from comptoir.imports.loader import WriteError
from tests.comptoir.econnector.partner import connector, drop, reference


@pytest.fixture
def dossier(engine, comptoir_home):  # type: ignore[no-untyped-def]
    """Reference data, connector FACILI, and connector OTHER."""
    ids = reference(engine)
    connector(engine)
    connector(engine, "OTHER")
    return ids


def stored(engine, code: str = "FACILI") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """External code → article code, for one connector."""
    c, a = s.article_correspondences, s.articles
    with engine.connect() as conn:
        return dict(conn.execute(select(c.c.external_code, a.c.code)
                                 .join(a, a.c.id == c.c.article_id)
                                 .where(c.c.connector == code)).all())


def mapped(engine, *pairs: tuple[str, str], code: str = "FACILI") -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        for article, external in pairs:
            map_article(conn, code, article, external)


def bulk_file(folder: Path, rows, *, encoding: str = "utf-8", sep: str = ";",  # type: ignore[no-untyped-def]
              columns=COLUMNS_OUT) -> Path:
    return drop(folder, "mappings.csv", columns, rows, encoding=encoding, sep=sep)


def by_rule(report) -> list[tuple[int | None, str | None, str, str | None]]:  # type: ignore[no-untyped-def]
    return [(r.line, r.key, r.rule, r.field) for r in report.rejections]


# ------------------------------------------------------------------ way 1: one code

def test_map_creates_a_trimmed_code_and_an_article_may_have_several(engine, dossier) -> None:
    with engine.begin() as conn:
        assert map_article(conn, "facili", "ART1", "  NOTAIRE  ", label="Notaire") == "created"
        assert map_article(conn, "FACILI", "ART1", "NOT-2") == "created"
    assert stored(engine) == {"NOTAIRE": "ART1", "NOT-2": "ART1"}
    with engine.connect() as conn:
        label = conn.execute(select(s.article_correspondences.c.label).where(
            s.article_correspondences.c.external_code == "NOTAIRE")).scalar_one()
    assert label == "Notaire"


def test_mapping_the_same_code_to_the_same_article_is_a_no_op(engine, dossier) -> None:
    mapped(engine, ("ART1", "X1"))
    with engine.begin() as conn:
        assert map_article(conn, "FACILI", "ART1", "X1 ") == "unchanged"
    assert stored(engine) == {"X1": "ART1"}


def test_a_code_mapped_to_another_article_is_refused_naming_it(engine, dossier) -> None:
    mapped(engine, ("ART1", "X1"))
    with pytest.raises(ConnectorError, match="already mapped to article ART1.*--replace"), \
            engine.begin() as conn:
        map_article(conn, "FACILI", "ART2", "X1")
    assert stored(engine) == {"X1": "ART1"}


def test_replace_moves_the_code(engine, dossier) -> None:
    mapped(engine, ("ART1", "X1"))
    with engine.begin() as conn:
        assert map_article(conn, "FACILI", "ART2", "X1", replace=True) == "moved"
    assert stored(engine) == {"X1": "ART2"}


def test_codes_are_per_connector(engine, dossier) -> None:
    mapped(engine, ("ART1", "X1"))
    mapped(engine, ("ART2", "X1"), code="OTHER")
    assert stored(engine) == {"X1": "ART1"}
    assert stored(engine, "OTHER") == {"X1": "ART2"}


@pytest.mark.parametrize(("connector_code", "article", "external", "message"), [
    ("NOPE", "ART1", "X1", "unknown connector NOPE"),
    ("FACILI", "ART9", "X1", "the dossier has no article 'ART9'"),
    ("FACILI", "ART1", "   ", "an external code cannot be empty"),
    ("FACILI", "ART1", "X" * 61, "61 characters long; at most 60"),
])
def test_map_errors_change_nothing(engine, dossier, connector_code, article, external,
                                   message) -> None:
    with pytest.raises(ConnectorError, match=message), engine.begin() as conn:
        map_article(conn, connector_code, article, external)
    assert stored(engine) == {}


def test_a_code_of_60_characters_is_accepted(engine, dossier) -> None:
    mapped(engine, ("ART1", "X" * 60))
    assert stored(engine) == {"X" * 60: "ART1"}


def test_unmap_removes_the_code_and_says_from_which_article(engine, dossier) -> None:
    mapped(engine, ("ART1", "X1"), ("ART1", "X2"))
    with engine.begin() as conn:
        assert unmap(conn, "FACILI", " X1 ") == "ART1"
    assert stored(engine) == {"X2": "ART1"}


def test_unmap_of_a_code_not_mapped_is_refused(engine, dossier) -> None:
    mapped(engine, ("ART1", "X1"), code="OTHER")
    with pytest.raises(ConnectorError, match="X1 is not mapped for connector FACILI"), \
            engine.begin() as conn:
        unmap(conn, "FACILI", "X1")
    assert stored(engine, "OTHER") == {"X1": "ART1"}
    with pytest.raises(ConnectorError, match="unknown connector"), engine.begin() as conn:
        unmap(conn, "NOPE", "X1")


# ------------------------------------------------------------------ the bulk lookup

def test_correspondences_looks_codes_up_in_a_few_statements(engine, dossier) -> None:
    with engine.begin() as conn:
        loader.insert(conn, s.article_correspondences, pd.DataFrame({
            "connector": "FACILI", "external_code": [f"E{n:05d}" for n in range(3000)],
            "article_id": dossier["article"]["ART2"]}))
    mapped(engine, ("ART1", "X1"))
    mapped(engine, ("ART3", "Y1"), code="OTHER")
    wanted = [f"E{n:05d}" for n in range(0, 3000)] + [" X1 ", "Y1", "MISSING"]
    statements: list[str] = []
    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        found = correspondences(conn, "facili", wanted)
    assert len(found) == 3001
    assert found[" X1 "] == dossier["article"]["ART1"]
    assert found["E00002"] == dossier["article"]["ART2"]
    assert "Y1" not in found and "MISSING" not in found
    assert len(statements) <= 4


# ------------------------------------------------------------------ the listing

def test_mapping_rows_lists_articles_in_code_order_with_sorted_codes(engine, dossier) -> None:
    mapped(engine, ("ART2", "B"), ("ART2", "A"))
    mapped(engine, ("ART1", "Z"), code="OTHER")
    with engine.connect() as conn:
        rows = mapping_rows(conn, "FACILI")
    assert [(r.article, r.name, r.external_codes) for r in rows] == [
        ("ART1", "Article un", ()), ("ART2", "Article deux", ("A", "B")),
        ("ART3", "Article trois", ())]
    assert rows[1].to_json() == {"article": "ART2", "name": "Article deux",
                                 "external_codes": ["A", "B"]}


def test_mapping_rows_selections(engine, dossier) -> None:
    mapped(engine, ("ART2", "B"))
    with engine.connect() as conn:
        assert [r.article for r in mapping_rows(conn, "FACILI", exportable=True)] == [
            "ART1", "ART2"]
        assert [r.article for r in mapping_rows(conn, "FACILI", unmapped=True)] == [
            "ART1", "ART3"]
        assert [r.article for r in mapping_rows(conn, "FACILI", exportable=True,
                                                unmapped=True)] == ["ART1"]
        assert [r.article for r in mapping_rows(
            conn, "FACILI", filter='{"family": ["ALI"]}')] == ["ART2"]
        assert [r.article for r in mapping_rows(
            conn, "FACILI", filter={"code": ["art*"], "active": False})] == ["ART3"]


def test_mapping_rows_refuses_a_bad_filter_and_both_selections(engine, dossier) -> None:
    with engine.connect() as conn:
        with pytest.raises(ConnectorError, match="invalid article filter: family: the "
                                                 "dossier has no family XXX"):
            mapping_rows(conn, "FACILI", filter='{"family": ["XXX"]}')
        with pytest.raises(ConnectorError, match="invalid article filter: unknown filter "
                                                 "key 'colour'"):
            mapping_rows(conn, "FACILI", filter='{"colour": 1}')
        with pytest.raises(ConnectorError, match="not both"):
            mapping_rows(conn, "FACILI", exportable=True, filter="{}")
        with pytest.raises(ConnectorError, match="unknown connector"):
            mapping_rows(conn, "NOPE")


# ------------------------------------------------------------------ way 2: map_bulk

def test_split_codes_trims_and_drops_empty_parts_and_repeats() -> None:
    assert split_codes(" A | B ||A| ") == ["A", "B"]
    assert split_codes(None) == []


def test_map_bulk_writes_accepted_rows_in_the_import_report_shape(engine, dossier,
                                                                  tmp_path) -> None:
    mapped(engine, ("ART3", "KEPT"))
    path = bulk_file(tmp_path, [("ART1", "Article un", "A1|A2 | A1"),
                                ("ART2", "Article deux", None),
                                ("ART3", "Article trois", "KEPT")])
    report = map_bulk(engine, "facili", path)
    assert report.exit_code == 0 and report.error is None
    assert (report.records, report.accepted, report.rejected) == (3, 3, 0)
    assert report.written == {"correspondences_created": 2, "correspondences_moved": 0}
    assert stored(engine) == {"A1": "ART1", "A2": "ART1", "KEPT": "ART3"}
    document = report.to_dict()
    assert {"records", "accepted", "rejected", "rejections", "error", "files"} <= set(document)
    assert document["files"] == ["mappings.csv"]


def test_an_empty_external_code_changes_nothing(engine, dossier, tmp_path) -> None:
    mapped(engine, ("ART1", "A1"))
    report = map_bulk(engine, "FACILI", bulk_file(tmp_path, [("ART1", "x", None),
                                                             ("ART2", "y", " | ")]))
    assert (report.exit_code, report.accepted, report.rejected) == (0, 2, 0)
    assert stored(engine) == {"A1": "ART1"}


def test_every_rule_rejects_its_rows_and_the_others_are_written(engine, dossier,
                                                               tmp_path) -> None:
    mapped(engine, ("ART3", "TAKEN"))
    path = bulk_file(tmp_path, [
        ("ART1", "ok", "OK1"),                        # line 2
        (None, "no article", "R1"),                   # line 3: required
        ("ART9", "unknown", "U1"),                    # line 4: unknown_article
        ("ART2", "dup", "D1|OK1"),                    # line 5: duplicate_in_file (OK1)
        ("ART2", "taken", "T2|TAKEN"),                # line 6: external_code_taken
        ("ART2", "too long", "L" * 61),               # line 7: invalid_value
        ("ART2", "fine", "OK2"),                      # line 8
    ])
    report = map_bulk(engine, "FACILI", path)
    assert report.exit_code == 3
    assert (report.records, report.accepted, report.rejected) == (7, 2, 5)
    assert by_rule(report) == [
        (3, None, "required", "ARTICLE"),
        (4, "ART9", "unknown_article", "ARTICLE"),
        (5, "ART2", "duplicate_in_file", "CODE_EXTERNE"),
        (6, "ART2", "external_code_taken", "CODE_EXTERNE"),
        (7, "ART2", "invalid_value", "CODE_EXTERNE"),
    ]
    messages = {r.rule: r.message for r in report.rejections}
    assert messages["duplicate_in_file"] == ("CODE_EXTERNE OK1 appears earlier in the file "
                                             "(line 2)")
    assert messages["external_code_taken"] == ("CODE_EXTERNE TAKEN is already mapped to "
                                               "article ART3 (--replace moves it)")
    assert messages["invalid_value"] == ("CODE_EXTERNE '" + "L" * 61
                                         + "' is longer than 60 characters")
    assert messages["unknown_article"] == "ARTICLE ART9 is not an article of the dossier"
    assert report.rejections_by_rule == {"duplicate_in_file": 1, "external_code_taken": 1,
                                         "invalid_value": 1, "required": 1,
                                         "unknown_article": 1}
    # a rejected row is rejected whole: D1 and T2 are not written either
    assert stored(engine) == {"OK1": "ART1", "OK2": "ART2", "TAKEN": "ART3"}
    assert report.written == {"correspondences_created": 2, "correspondences_moved": 0}


def test_duplicates_reject_every_later_occurrence_even_after_a_rejected_first(
        engine, dossier, tmp_path) -> None:
    path = bulk_file(tmp_path, [("ART9", "", "D"), ("ART1", "", "D"), ("ART2", "", "D|E")])
    report = map_bulk(engine, "FACILI", path)
    assert by_rule(report) == [(2, "ART9", "unknown_article", "ARTICLE"),
                               (3, "ART1", "duplicate_in_file", "CODE_EXTERNE"),
                               (4, "ART2", "duplicate_in_file", "CODE_EXTERNE")]
    assert stored(engine) == {}


def test_a_row_breaking_several_rules_gets_one_entry_per_rule(engine, dossier,
                                                             tmp_path) -> None:
    mapped(engine, ("ART3", "T1"), ("ART3", "T2"))
    path = bulk_file(tmp_path, [("ART1", "", "A"), ("ART2", "", "A|T1|T2")])
    report = map_bulk(engine, "FACILI", path)
    assert (report.rejected, by_rule(report)) == (1, [
        (3, "ART2", "duplicate_in_file", "CODE_EXTERNE"),
        (3, "ART2", "external_code_taken", "CODE_EXTERNE")])
    taken = [r.message for r in report.rejections if r.rule == "external_code_taken"]
    assert taken == ["CODE_EXTERNE T1 is already mapped to article ART3 (--replace moves "
                     "it); CODE_EXTERNE T2 is already mapped to article ART3 (--replace "
                     "moves it)"]


def test_replace_moves_codes_mapped_to_another_article(engine, dossier, tmp_path) -> None:
    mapped(engine, ("ART3", "T1"), ("ART1", "SAME"))
    path = bulk_file(tmp_path, [("ART1", "", "T1|SAME|NEW")])
    report = map_bulk(engine, "FACILI", path, replace=True)
    assert (report.exit_code, report.mode) == (0, "replace")
    assert report.written == {"correspondences_created": 1, "correspondences_moved": 1}
    assert stored(engine) == {"T1": "ART1", "SAME": "ART1", "NEW": "ART1"}


def test_a_windows_1252_file_with_accents(engine, dossier, tmp_path) -> None:
    path = bulk_file(tmp_path, [("ART1", "Désignation à l'été", "CAFÉ|THÉ"),
                                ("ART2", "Crème brûlée", "ŒUF")], encoding="cp1252")
    assert path.read_bytes().count(b"\xc9") == 2  # É in Windows-1252, not UTF-8
    report = map_bulk(engine, "FACILI", path)
    assert report.exit_code == 0
    assert stored(engine) == {"CAFÉ": "ART1", "THÉ": "ART1", "ŒUF": "ART2"}


def test_the_file_is_read_with_the_connectors_separator(engine, dossier, tmp_path) -> None:
    with engine.begin() as conn:
        from comptoir.econnector.settings import set_value
        set_value(conn, "FACILI", "separator", "|")
    path = tmp_path / "pipe.csv"
    path.write_text('ARTICLE|DESIG|CODE_EXTERNE\nART1|un|"P1|P2"\n', encoding="utf-8")
    assert map_bulk(engine, "FACILI", path).exit_code == 0
    assert stored(engine) == {"P1": "ART1", "P2": "ART1"}


def test_a_malformed_record_is_rejected_and_the_others_written(engine, dossier,
                                                              tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ARTICLE;DESIG;CODE_EXTERNE\nART1;un;A\nART2;deux;B;extra\n",
                    encoding="utf-8")
    report = map_bulk(engine, "FACILI", path)
    assert (report.exit_code, report.records, report.accepted, report.rejected) == (3, 2, 1, 1)
    assert by_rule(report) == [(3, "ART2", "invalid_value", None)]
    assert stored(engine) == {"A": "ART1"}


def test_an_unknown_column_is_a_warning(engine, dossier, tmp_path) -> None:
    path = bulk_file(tmp_path, [("ART1", "A", "note")],
                     columns=("ARTICLE", "CODE_EXTERNE", "NOTE"))
    report = map_bulk(engine, "FACILI", path)
    assert report.exit_code == 0
    assert [w.message for w in report.warnings] == ["unknown column NOTE ignored"]


@pytest.mark.parametrize(("content", "code", "message"), [
    ("ARTICLE;DESIG\nART1;x\n", "FACILI", "mandatory column CODE_EXTERNE missing"),
    ("", "FACILI", "the file is empty"),
    ("ARTICLE;CODE_EXTERNE\nART1;A\n", "NOPE", "unknown connector NOPE"),
])
def test_exit_1_writes_nothing(engine, dossier, tmp_path, content, code, message) -> None:
    path = tmp_path / "m.csv"
    path.write_text(content, encoding="utf-8")
    report = map_bulk(engine, code, path)
    assert report.exit_code == 1 and message in (report.error or "")
    assert (report.accepted, report.written) == (0, {})
    assert stored(engine) == {}


def test_a_missing_file_is_exit_1(engine, dossier, tmp_path) -> None:
    report = map_bulk(engine, "FACILI", tmp_path / "absent.csv")
    assert report.exit_code == 1 and "cannot read the file" in (report.error or "")


def test_one_transaction_a_failure_while_writing_writes_nothing(engine, dossier, tmp_path,
                                                               monkeypatch) -> None:
    mapped(engine, ("ART3", "T1"))
    path = bulk_file(tmp_path, [("ART1", "", "NEW1|T1"), ("ART2", "", "NEW2")])

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise WriteError("article_correspondences: disk full")

    monkeypatch.setattr(loader, "update", refuse)  # the inserts have run by then
    report = map_bulk(engine, "FACILI", path, replace=True)
    assert report.exit_code == 1
    assert report.error == "article_correspondences: disk full"
    assert (report.accepted, report.rejected, report.written) == (0, 2, {})
    assert stored(engine) == {"T1": "ART3"}
