"""The POS log: rows appended with their run, levels checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from comptoir.backoffice.schema import pos_log
from comptoir.pos.log import LogRow, write_log


def test_rows_are_written_with_their_run_and_step(engine) -> None:
    rows = [LogRow("integrate", "error", "the zip is damaged", rule="bad_zip",
                   file="TicDegMAG01C120260112183005.zip"),
            LogRow("integrate", "error", "article ZX-404 is unknown", rule="unknown_article",
                   store="MAG01", register="C1", ticket=148)]
    with engine.begin() as conn:
        assert write_log(conn, "run-1", rows) == 2
        assert write_log(conn, "run-1", []) == 0
    with engine.connect() as conn:
        found = conn.execute(select(pos_log.c.run_id, pos_log.c.level, pos_log.c.rule,
                                    pos_log.c.ticket).order_by(pos_log.c.id)).all()
    assert found == [("run-1", "error", "bad_zip", None),
                     ("run-1", "error", "unknown_article", 148)]


def test_an_unknown_level_is_refused_before_writing(engine) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="log level"):
        write_log(conn, "run-1", [LogRow("invoice", "fatal", "no")])
