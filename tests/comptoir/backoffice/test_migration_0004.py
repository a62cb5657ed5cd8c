"""Migration 0004 (partner connector): existing rows kept, the exchanged-origin index, undo."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine


def _downgrade(url: str, revision: str) -> None:
    command.downgrade(migrate.alembic_config(url), revision)


def test_0004_keeps_history_and_correspondences_and_downgrades(dossier_url: str) -> None:
    engine = get_engine(dossier_url)
    _downgrade(dossier_url, "0003")
    assert "sync_runs" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO articles (id, code, name) VALUES (1, 'ART1', 'A')"))
        conn.execute(text("INSERT INTO article_correspondences (connector, external_code, "
                          "article_id) VALUES ('FACILI', 'EXT1', 1)"))
        conn.execute(text("INSERT INTO sync_history (connector, direction, entity, "
                          "external_id, status) VALUES ('FACILI', 'in', 'document', 'D1', "
                          "'ok')"))
    migrate.upgrade(dossier_url, "0004")
    with engine.begin() as conn:
        corr = conn.execute(text("SELECT external_code, label, created_at IS NOT NULL "
                                 "FROM article_correspondences")).one()
        assert (corr[0], corr[1], bool(corr[2])) == ("EXT1", None, True)
        conn.execute(text("INSERT INTO sync_runs (id, connector, direction, started_at) "
                          "VALUES ('r1', 'FACILI', 'in', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO sync_history (connector, direction, entity, status, "
                          "run_id, file, line, local_ref) VALUES ('FACILI', 'in', 'document', "
                          "'waiting', 'r1', 'ImportDocuments.csv', 5, NULL)"))
    _downgrade(dossier_url, "0003")
    with engine.connect() as conn:
        statuses = conn.execute(text("SELECT status FROM sync_history ORDER BY id")).scalars()
        assert list(statuses) == ["ok", "error"]
        assert "family" not in {c["name"] for c in inspect(conn).get_columns("suppliers")}
    migrate.upgrade(dossier_url)
    assert migrate.current_revision(dossier_url) == migrate.head_revision()


@pytest.mark.parametrize("source", ["econnector", "intersite"])
def test_an_exchanged_origin_is_unique_where_other_sources_may_repeat(
        dossier_url: str, source: str) -> None:
    engine = get_engine(dossier_url)
    insert = text("INSERT INTO sales_documents (number, type, customer_id, date, origin, "
                  "source) VALUES (:number, 'C', 1, '2026-01-12', :origin, :source)")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, code, name) VALUES (1, 'CLI1', 'C')"))
        for number in ("I1", "I2"):  # imports may carry one WEB_IDENT twice
            conn.execute(insert, {"number": number, "origin": "W1", "source": "import"})
        conn.execute(insert, {"number": "E1", "origin": "FACILI:D1", "source": source})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"number": "E2", "origin": "FACILI:D1", "source": source})
