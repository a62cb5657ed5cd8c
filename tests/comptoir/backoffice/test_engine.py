"""The dossier URL accepts what users type and picks our drivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.backoffice.engine import DatabaseUrlError, database_url, normalize_url


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("postgresql://comptoir@db/dossier", "postgresql+psycopg://comptoir@db/dossier"),
        ("postgres://u:p@h:5433/d", "postgresql+psycopg://u:p@h:5433/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("  sqlite:///rel.db ", "sqlite:///rel.db"),
    ],
)
def test_normalize_url_accepts_typed_urls(typed: str, expected: str) -> None:
    assert normalize_url(typed) == expected


@pytest.mark.parametrize("bad", ["mysql://u@h/d", "not a url", "oracle://x"])
def test_normalize_url_refuses_other_databases_clearly(bad: str) -> None:
    with pytest.raises(DatabaseUrlError, match="SQLite or PostgreSQL|cannot read"):
        normalize_url(bad)


def test_default_dossier_lives_in_the_data_home(comptoir_home: Path, monkeypatch) -> None:
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{comptoir_home / 'comptoir.db'}"


def test_environment_names_the_dossier(monkeypatch) -> None:
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", "postgresql://me@server/shop")
    assert database_url() == "postgresql+psycopg://me@server/shop"
