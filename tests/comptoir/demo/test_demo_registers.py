"""The demo's offline registers: their ticket files land where the pos_tickets task reads,
and integrate cleanly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import func, select

from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine
from comptoir.backoffice.schema import pos_tickets
from comptoir.demo.dossier import fill_dossier
from comptoir.demo.pos_registers import OFFLINE_REGISTERS, stage_for_task
from comptoir.pos.integration import integrate_files

ROOT = Path(__file__).resolve().parents[3]


def test_nothing_is_staged_without_the_task(tasks_dir, comptoir_home) -> None:
    assert stage_for_task(get_engine()) is None


def test_offline_tickets_reach_the_task_inbox_and_integrate(tasks_dir, comptoir_home,
                                                           monkeypatch) -> None:
    shutil.copy(ROOT / "tasks" / "pos-tickets.json", tasks_dir)
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    migrate.upgrade()
    engine = get_engine()
    fill_dossier(engine, reset=True)
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(pos_tickets)).scalar_one()
    staged = stage_for_task(engine)
    assert [(s.store, s.register, s.tickets) for s in staged] == list(OFFLINE_REGISTERS)
    inbox = json.loads((tasks_dir / "pos-tickets.json").read_text())["tasks"][0]
    assert inbox["options"]["source"]["path"] == "pos-tickets"
    assert all(s.file.parent.name == "incoming" and s.file.exists() for s in staged)
    report, outcomes = integrate_files(engine, [s.file for s in staged])
    assert report.exit_code == 0, [o.rejections or o.error for o in outcomes]
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(pos_tickets)).scalar_one()
    assert after - before == sum(count for _, _, count in OFFLINE_REGISTERS)
