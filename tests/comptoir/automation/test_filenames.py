from datetime import datetime

import pytest

from comptoir.automation.filenames import (
    FileNameError,
    Store,
    check_template,
    name_pattern,
    render,
    uses_store,
)

MOMENT = datetime(2012, 9, 19, 11, 59, 7)  # the contract's example: a Wednesday


def test_every_date_tag_renders_as_in_the_contract():
    name = render("test-{y}-{y2}-{m}-{d}-{j}-{h}-{i}-{s}.csv", MOMENT)
    assert name == "test-2012-12-09-19-Wednesday-11-59-07.csv"


def test_store_tags_give_the_store_code_or_name():
    store = Store("MAG01", "Lyon Part-Dieu")
    assert render("ventes-{mag:code}-{y}{m}{d}.csv", MOMENT, store) == "ventes-MAG01-20120919.csv"
    assert render("{mag:name}.csv", MOMENT, store) == "Lyon Part-Dieu.csv"
    assert uses_store("x-{mag:code}.csv") and not uses_store("x-{y}.csv")


@pytest.mark.parametrize("template, reason", [
    ("export-{yy}.csv", "unknown tag {yy}"),
    ("export-{y.csv", "brace"),
    ("export-y}.csv", "brace"),
    ("../export.csv", "'/'"),
    ("sub/export.csv", "'/'"),
    ("sub\\export.csv", "'/'"),
    ("..export.csv", "start with '.'"),
    ("export.csv.part", "temporary file"),
    ("exp\x07ort.csv", "control"),
    (".hidden.csv", "start with '.'"),
    ("", "empty"),
])
def test_bad_templates_are_refused_with_the_reason(template, reason):
    with pytest.raises(FileNameError, match=reason.replace("{", r"\{").replace(".", r"\.")
                       .replace("(", r"\(")):
        check_template(template)


def test_a_store_name_that_would_leave_the_folder_is_refused():
    with pytest.raises(FileNameError, match="store 'MAG02'.*use \\{mag:code\\}"):
        render("{mag:name}.csv", MOMENT, Store("MAG02", "Paris / Rivoli"))


def test_a_store_tag_needs_a_store():
    with pytest.raises(FileNameError, match="needs a store"):
        render("{mag:code}.csv", MOMENT)


def test_name_pattern_matches_rendered_names_only():
    pattern = name_pattern("comptoir-{y}{m}{d}-{h}{i}{s}.backup")
    assert pattern.match(render("comptoir-{y}{m}{d}-{h}{i}{s}.backup", MOMENT))
    assert not pattern.match("comptoir-2012.backup")
    assert not pattern.match(".comptoir-20120919-115907.backup.part")
