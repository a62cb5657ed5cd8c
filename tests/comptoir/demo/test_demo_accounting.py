"""The demo's POS day, posted: every group posted without warning, and the year's FEC
accepted by the tests' independent reader."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from comptoir.accounting.fec import export_fec, year_period
from comptoir.accounting.pos_posting import post_tickets
from comptoir.backoffice import migrate
from comptoir.backoffice.engine import get_engine
from comptoir.demo.dossier import fill_dossier
from comptoir.demo.pos_registers import stage_for_task
from comptoir.pos.filters import TicketFilters
from comptoir.pos.integration import integrate_files
from comptoir.pos.invoicing import invoice_tickets
from comptoir.pos.report import Exit
from tests.comptoir.accounting.fec_reader import cents, read_fec

ROOT = Path(__file__).resolve().parents[3]
LATER = TicketFilters(until=dt.date(2100, 1, 1))


def test_the_demo_posts_its_pos_day_and_exports_a_valid_fec(tasks_dir, comptoir_home,
                                                            monkeypatch, tmp_path) -> None:
    shutil.copy(ROOT / "tasks" / "pos-tickets.json", tasks_dir)
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    migrate.upgrade()
    engine = get_engine()
    fill_dossier(engine, reset=True)
    integrate_files(engine, [item.file for item in stage_for_task(engine)])
    assert invoice_tickets(engine, LATER).exit_code == Exit.DONE
    posted = post_tickets(engine, LATER)
    assert posted.exit_code == Exit.DONE
    assert posted.warnings == [] and posted.body["skipped"] == []
    assert posted.body["lettering"]["full"] > 0
    years = sorted({entry["date"][:4] for entry in posted.body["entries"]})
    for year in years:
        start, end = year_period(int(year))
        report = export_fec(engine, start=start, end=end, out=tmp_path)
        assert report.exit_code == Exit.DONE, report.to_dict()
        data = Path(report.body["file"]).read_bytes()
        fec = read_fec(data, numbers_from_one=True)
        assert fec.problems == []
        assert sum(cents(r["Debit"]) for r in fec.records) == sum(
            cents(r["Credit"]) for r in fec.records) > 0
    assert post_tickets(engine, LATER).body["entries"] == []
