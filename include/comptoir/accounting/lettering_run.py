"""`accounting lettering`: letter the whole dossier by document number, as a run of its own.

`spec/pos.md`, "Accounting: common rules": the lettering by document number runs at the end
of every posting run and by `accounting lettering`. This is that run: one transaction
under the posting lock (`accounting.post`: codes are numbered per account, two runs
take turns), `lettered_on` today; its report says how many groups got a code
(`lettering`: `{"full", "partial"}`). After a posting run it normally finds nothing new.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from comptoir.accounting.lettering import letter
from comptoir.accounting.pos_posting import LOCK_STEP
from comptoir.backoffice import lock
from comptoir.pos.report import RunReport
from comptoir.pos.step_transaction import busy_message, step_transaction

__all__ = ["letter_dossier"]



def letter_dossier(engine_or_url: Engine | str, *, day: dt.date | None = None,
                   dry_run: bool = False, report: RunReport | None = None) -> RunReport:
    """Letter every line of the dossier that can be; the run's report."""
    from comptoir.backoffice.engine import get_engine

    report = report or RunReport("accounting lettering", dry_run=dry_run)
    report.dry_run = dry_run
    report.body["lettering"] = {"full": 0, "partial": 0}
    engine = engine_or_url if isinstance(engine_or_url, Engine) else get_engine(engine_or_url)
    try:
        with step_transaction(engine, LOCK_STEP, dry_run=dry_run) as conn:
            report.body["lettering"] = letter(conn, day or dt.date.today())
    except lock.DossierBusy as exc:
        report.refuse("dossier_busy", busy_message(exc))
    return report
