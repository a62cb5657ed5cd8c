"""Running an automated task: produce, deliver, report. Plain Python, no Airflow.

The three steps are the three Airflow tasks of the default DAG template, each called by a
thin operator; `run_task()` chains them in one process for tests and scripts.

1. `produce()`: the type's core function writes files into a work folder; they are
   renamed from the file-name template (rendered at the start of the run, in the
   dossier's time zone) and copied into the task's spool. The work folder is removed.
2. `deliver()`: every pending file of the spool goes through the transport, oldest
   first; what fails stays for the next run or the spool retry DAG.
3. `finish()`: the report goes to the `messages` table, the log, and by e-mail when the
   definition asks; a `run_once` task that succeeded has its definition removed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from comptoir import paths
from comptoir.automation import spool
from comptoir.automation.catalog import RunContext
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.filenames import FileNameError, render
from comptoir.automation.messages import Report, record
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from comptoir.automation.mail import Mailer
    from comptoir.automation.transports import Transport

__all__ = ["StepOutcome", "compose_report", "deliver", "dossier_now", "finish", "produce",
           "run_task"]

Log = Callable[[str], None]


def _print(line: str) -> None:
    print(line)


@dataclass
class StepOutcome:
    """What one step did, as plain data (it travels between Airflow tasks as XCom)."""

    step: str
    ok: bool
    lines: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepOutcome:
        """Back from `to_dict()`."""
        return cls(**data)

    @classmethod
    def failed(cls, step: str, error: BaseException | str) -> StepOutcome:
        """A step that raised."""
        text = str(error) or type(error).__name__
        if isinstance(error, BaseException) and not isinstance(error, ComptoirError):
            text = f"{type(error).__name__}: {text}"
        return cls(step=step, ok=False, error=text)


def dossier_now(engine: Engine) -> datetime:
    """Now, in the dossier's time zone (setting `timezone`)."""
    from comptoir.backoffice.settings import get_setting

    with engine.connect() as conn:
        zone = get_setting(conn, "timezone") or "Europe/Paris"
    return datetime.now(ZoneInfo(zone))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:120]


def produce(
    definition: TaskDefinition,
    run_id: str,
    *,
    overrides: dict[str, Any] | None = None,
    engine: Engine | None = None,
    log: Log = _print,
) -> StepOutcome:
    """Run the task's core function and put its files, named, into the spool."""
    from comptoir.backoffice.engine import get_engine

    engine = engine or get_engine()
    task_type = definition.task_type
    options = definition.typed_options(overrides)
    moment = dossier_now(engine)
    work = paths.work_dir() / definition.id / _safe(run_id)
    shutil.rmtree(work, ignore_errors=True)
    (work / "named").mkdir(parents=True)
    try:
        ctx = RunContext(definition.id, run_id, engine, work, moment, definition.filename, log)
        output = task_type.run_function()(ctx, options)
        lines = list(output.summary)
        named = []
        for produced in output.files:
            assert definition.filename is not None
            name = render(definition.filename, moment, produced.store)
            target = work / "named" / name
            if target.exists():
                raise FileNameError(
                    f"two files would both be named {name!r}: add {{mag:code}} (or another "
                    "tag that differs) to the file name"
                )
            produced.path.rename(target)
            named.append(target)
            rows = f" ({produced.lines} rows)" if produced.lines is not None else ""
            lines.append(f"Produced {name}{rows}")
        spool.enqueue(definition.id, named)
        for line in lines:
            log(line)
        return StepOutcome("run", True, lines, files=[p.name for p in named])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def deliver(definition: TaskDefinition, transport: Transport, *, log: Log = _print) -> StepOutcome:
    """Send every pending file of the task's spool; failures stay in the spool."""
    result = spool.deliver_pending(definition.id, transport)
    lines = result.summary().splitlines()
    for line in lines:
        log(line)
    if result.delivered and definition.output is not None:
        hook = definition.task_type.after_delivery_function()
        if hook is not None:
            hook(definition.output.delivery, definition.filename, definition.typed_options(),
                 log)
    error = str(result.error) if result.error is not None else None
    if error is None and result.remaining:
        error = f"files left in the spool: {', '.join(result.remaining)}"
    return StepOutcome("deliver", error is None, lines, error=error,
                       files=list(result.delivered))


def compose_report(
    definition: TaskDefinition, run_id: str, outcomes: Sequence[StepOutcome | None],
    expected: Sequence[str] = ("run", "deliver"),
) -> Report:
    """The report of a run from the outcome of each step (None: the step left no outcome)."""
    by_step = {o.step: o for o in outcomes if o is not None}
    head = [f"Task: {definition.id} ({definition.task_type.title})",
            f"Run: {run_id}"]
    skipped = next((o.skipped for o in by_step.values() if o.skipped), None)
    if skipped:  # the first step of any template may skip the run
        return Report(definition.id, run_id, "info", f"{definition.id}: skipped",
                      "\n".join([*head, skipped]))
    lines: list[str] = []
    errors: list[str] = []
    for step in expected:
        outcome = by_step.get(step)
        if outcome is None:
            if not errors:
                errors.append(f"the {step} step did not finish (see its Airflow log)")
            continue
        lines.extend(outcome.lines)
        if not outcome.ok:
            errors.append(f"{step}: {outcome.error}")
    if errors:
        title = f"{definition.id}: failed — {errors[0]}"
        body = [*head, *lines, "", "Errors:", *(f"- {e}" for e in errors)]
        return Report(definition.id, run_id, "error", title[:250], "\n".join(body))
    return Report(definition.id, run_id, "info", f"{definition.id}: succeeded",
                  "\n".join([*head, *lines]))


def finish(
    definition: TaskDefinition,
    report: Report,
    *,
    engine: Engine | None = None,
    mailer: Mailer | None = None,
    log: Log = _print,
) -> None:
    """Log, mail and record the report as the definition asks; end a run_once task."""
    from comptoir.automation.mail import build_message
    from comptoir.backoffice.engine import get_engine

    body = report.body
    for line in [report.title, *body.splitlines()]:
        log(line)
    skipped = report.title.endswith(": skipped")
    wanted = skipped or (definition.report.on_error if report.level == "error"
                         else definition.report.on_success)
    if wanted and definition.report.email and not skipped:
        try:
            if mailer is None:
                raise ComptoirError("no mailer configured")
            mailer.send(build_message(to=definition.report.email,
                                      subject=f"[Comptoir] {report.title}", body=body))
            log(f"report mailed to {', '.join(definition.report.email)}")
        except ComptoirError as exc:
            line = f"The report could not be mailed: {exc}"
            log(line)
            body = f"{body}\n{line}"
    if wanted:
        with (engine or get_engine()).begin() as conn:
            record(conn, Report(report.task_id, report.run_id, report.level, report.title,
                                body))
    if definition.run_once and report.level != "error" and not skipped:
        from comptoir.automation.portability import remove

        remove(definition.id)
        log(f"run_once: the definition of {definition.id} was removed after this success")


def run_task(
    definition: TaskDefinition,
    run_id: str,
    transport: Transport | None,
    *,
    overrides: dict[str, Any] | None = None,
    engine: Engine | None = None,
    mailer: Mailer | None = None,
    log: Log = _print,
) -> Report:
    """Produce, deliver and report in this process (tests, scripts)."""
    outcomes: list[StepOutcome | None] = []
    try:
        outcomes.append(produce(definition, run_id, overrides=overrides, engine=engine,
                                log=log))
    except Exception as exc:  # the report says why
        outcomes.append(StepOutcome.failed("run", exc))
    expected = ["run"]
    if definition.task_type.produces_files:
        expected.append("deliver")
        if outcomes[0] is not None and outcomes[0].ok:
            assert transport is not None
            try:
                outcomes.append(deliver(definition, transport, log=log))
            except Exception as exc:
                outcomes.append(StepOutcome.failed("deliver", exc))
    report = compose_report(definition, run_id, outcomes, expected)
    finish(definition, report, engine=engine, mailer=mailer, log=log)
    return report


def retry_spools(
    site: str,
    transport_for: Callable[[Any], Transport],
    *,
    engine: Engine | None = None,
    log: Log = _print,
) -> list[StepOutcome]:
    """Deliver the pending files of every task of `site` (the spool retry DAG).

    A retry that delivers files records an info report; one that fails only logs, the
    task's own run has reported the cause already.
    """
    from comptoir.automation.definitions import load_folder
    from comptoir.backoffice.engine import get_engine

    by_id = {d.id: d for d in load_folder().definitions}
    outcomes: list[StepOutcome] = []
    for task_id, files in spool.all_spools().items():
        definition = by_id.get(task_id)
        if definition is None or definition.output is None:
            log(f"spool UPDATE-{task_id}: {len(files)} file(s) wait, but no valid task "
                "definition has this id; they stay until it is defined again")
            continue
        if definition.site != site:
            continue
        try:
            outcome = deliver(definition, transport_for(definition.output.delivery), log=log)
        except Exception as exc:
            outcome = StepOutcome.failed("deliver", exc)
            log(f"{task_id}: {outcome.error}")
        outcomes.append(outcome)
        if outcome.files and definition.report.on_success:
            with (engine or get_engine()).begin() as conn:
                record(conn, Report(task_id, "spool-retry", "info",
                                    f"{task_id}: pending files delivered by the spool retry",
                                    "\n".join(outcome.lines)))
    return outcomes
