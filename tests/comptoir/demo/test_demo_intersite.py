"""The demo's inter-site orders: one dossier plays both roles; the send task mails the
stores' orders, the central side receives them from the embedded mail folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from comptoir.automation import runner
from comptoir.automation.definitions import find
from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import purchase_orders, sales_documents
from comptoir.demo.dossier import fill_dossier
from comptoir.demo.intersite import CENTRAL_MAILBOX, DEMO_SITE, stage_intersite
from comptoir.intersite.sources import parse_source, receive_mail_folder

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo(tasks_dir, comptoir_home, monkeypatch) -> Engine:  # type: ignore[no-untyped-def]
    shutil.copy(ROOT / "tasks" / "intersite-send.json", tasks_dir)
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    monkeypatch.delenv("COMPTOIR_MAIL_BACKEND", raising=False)
    migrate.upgrade()
    engine = get_engine()
    fill_dossier(engine, reset=True)
    return engine


def test_the_demo_sends_its_stores_orders_and_receives_them_as_customer_orders(
        demo: Engine, comptoir_home: Path) -> None:
    (comptoir_home / "mail").mkdir(parents=True, exist_ok=True)
    (comptoir_home / "mail" / "old.eml").write_bytes(b"Subject: earlier\n\nx\n")
    staged = stage_intersite(demo)
    assert staged.site == DEMO_SITE and staged.set_aside == 1
    assert len(staged.orders) == 2
    assert (comptoir_home / "mail" / "earlier" / "old.eml").exists()

    report = runner.run_task(find("intersite-send"), "manual-1", None, engine=demo,
                             log=lambda _: None)
    assert report.level == "info", report.body
    [mail] = sorted((comptoir_home / "mail").glob("*.eml"))
    assert f"To: {CENTRAL_MAILBOX}" in mail.read_text(encoding="utf-8")
    with demo.connect() as conn:
        statuses = dict(conn.execute(select(purchase_orders.c.number,
                                            purchase_orders.c.status)).all())
    assert {statuses[number] for number in staged.orders} == {"pending"}

    received = receive_mail_folder(demo, parse_source('{"kind": "mail_folder", "path": "."}'),
                                   prices="order", acknowledge=False, dry_run=False,
                                   mailer=None)
    assert received.summary() == ("1 messages: 1 processed, 0 rejected; 2 orders created, "
                                  "0 already received, 0 rejected")
    with demo.connect() as conn:
        origins = sorted(conn.execute(select(sales_documents.c.origin).where(
            sales_documents.c.source == "intersite")).scalars())
    assert origins == sorted(f"{DEMO_SITE}:{number}" for number in staged.orders)
