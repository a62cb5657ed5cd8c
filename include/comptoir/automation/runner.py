"""Running an automated task: fetch, produce, deliver, report. Plain Python, no Airflow.

The steps are the Airflow tasks of the DAG templates, each called by a thin operator;
`run_task()` chains them in one process for tests and scripts.

1. `fetch()` (types on the `inbox` template): fills the task's inbox from its source
   through a `Connector` (`comptoir.exchange.fetch`); a type with its own `fetch` (one
   that reads its source itself) only checks the source can be opened.
2. `produce()`: the type's core function runs (with the task's inbox, for inbox types)
   and writes files into a work folder; they are renamed from the file-name template
   (rendered at the start of the run, in the dossier's time zone) and copied into the
   task's spool, one entry each (a type with `own_file_names` keeps the names its core
   function gave). The work folder is removed.
3. `deliver()`: every pending entry of the spool goes through the transport, oldest
   first; what fails stays for the next run or the spool retry.
4. `finish()`: the report goes to the `messages` table, the log, and by e-mail when the
   definition asks; a `run_once` task that succeeded has its definition removed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from comptoir import paths
from comptoir.automation.catalog import RunContext
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.filenames import FileNameError, check_name, render
from comptoir.automation.messages import Report, record
from comptoir.automation.task_inbox import InboxOptions, inbox_of
from comptoir.errors import ComptoirError
from comptoir.exchange import spool
from comptoir.exchange.names import to_identifier

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Engine

    from comptoir.exchange.fetch import Connector
    from comptoir.exchange.mail import Mailer
    from comptoir.exchange.transports import Transport

__all__ = ["StepOutcome", "compose_report", "deliver", "dossier_now", "fetch", "finish",
           "options_lines", "produce", "retry_spools", "run_task"]

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
    entries: list[str] = field(default_factory=list)
    """Spool entries the run step made (the deliver step reports where each went)."""
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Asset URI → extra, for the assets the run step updated."""
    warning: str | None = None
    """Something the run step did not do although it succeeded (the report's level is
    then `warning`)."""

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


_SECRET_WORDS = ("password", "secret", "token")


def options_lines(definition: TaskDefinition, options: BaseModel) -> list[str]:
    """What a run logs first: the options it runs with, one a line, `*` marking those set
    for this run (the trigger form, `--set`) rather than by the definition.

    Options hold no credential (connections do); a name that says otherwise is masked.
    """
    used = options.model_dump(mode="json")
    written = definition.typed_options().model_dump(mode="json")
    lines = ["Options of this run (* set for this run only):"]
    for key, value in used.items():
        secret = any(word in key.lower() for word in _SECRET_WORDS)
        text = "***" if secret else json.dumps(value, ensure_ascii=False)
        lines.append(f"{'*' if value != written.get(key) else ' '} {key}: {text}")
    return lines


def dossier_now(engine: Engine) -> datetime:
    """Now, in the dossier's time zone (setting `timezone`)."""
    from comptoir.backoffice.dossier_time import dossier_zone

    with engine.connect() as conn:
        zone = dossier_zone(conn)
    return datetime.now(zone)


def fetch(
    definition: TaskDefinition,
    connector: Connector,
    *,
    overrides: dict[str, Any] | None = None,
    log: Log = _print,
) -> StepOutcome:
    """Fill the task's inbox from its source (nothing to do for a local folder); a type
    that reads its source itself (`TaskType.fetch`) only checks it can be opened."""
    from comptoir.exchange.endpoints import LocalInboxSource
    from comptoir.exchange.fetch import fetch as fetch_source

    options = definition.typed_options(overrides)
    assert isinstance(options, InboxOptions)
    own = definition.task_type.fetch
    if own is not None:
        lines = own(definition.id, options, connector, log)
        for line in lines:
            log(line)
        return StepOutcome("fetch", True, lines)
    inbox = inbox_of(definition.task_type, definition.id, options)
    if isinstance(inbox.source, LocalInboxSource):  # the folder is the inbox itself
        return StepOutcome("fetch", True, [f"Inbox: {inbox.describe()}"])
    result = fetch_source(inbox.source, inbox.inbox, connector)
    lines = result.summary().splitlines()
    for line in lines:
        log(line)
    return StepOutcome("fetch", True, lines, files=[p.name for p in result.paths])


def produce(
    definition: TaskDefinition,
    run_id: str,
    *,
    overrides: dict[str, Any] | None = None,
    engine: Engine | None = None,
    log: Log = _print,
    connector: Connector | None = None,
) -> StepOutcome:
    """Run the task's core function and put its files, named, into the spool.

    `connector` opens servers for a core function that reads a mailbox itself (inter-site
    orders); the operator passes Airflow's.

    A core function that reports a partial failure (`TaskOutput.error`) still has its
    files spooled and its assets returned; the outcome is not ok.
    """
    from comptoir.backoffice.engine import get_engine

    engine = engine or get_engine()
    task_type = definition.task_type
    options = definition.typed_options(overrides)
    for line in options_lines(definition, options):
        log(line)
    moment = dossier_now(engine)
    work = paths.work_dir() / definition.id / to_identifier(run_id)
    shutil.rmtree(work, ignore_errors=True)
    (work / "named").mkdir(parents=True)
    try:
        inbox = (inbox_of(task_type, definition.id, options)
                 if isinstance(options, InboxOptions) else None)
        ctx = RunContext(definition.id, run_id, engine, work, moment, definition.filename, log,
                         inbox, connector)
        output = task_type.run(ctx, options)
        lines = list(output.summary)
        named = []
        for produced in output.files:
            if task_type.own_file_names is not None:  # the core function's name is kept
                name = check_name(produced.path.name)
            else:
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
        entries = spool.enqueue(definition.id, named)
        for line in lines:
            log(line)
        return StepOutcome(task_type.step, output.error is None, lines, error=output.error,
                           files=[p.name for p in named], entries=[e.id for e in entries],
                           assets=output.assets, warning=output.warning)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def deliver(definition: TaskDefinition, transport: Transport, *, own: Sequence[str] = (),
            log: Log = _print) -> StepOutcome:
    """Send every pending file of the task's spool; failures stay in the spool.

    `own`: the spool entries of this run, to say where each went even when another run
    (the spool retry, a run of the same task) delivered it.
    """
    result = spool.deliver_pending(definition.id, transport, own)
    lines = result.summary().splitlines()
    for line in lines:
        log(line)
    if result.delivered and definition.output is not None:
        hook = definition.task_type.after_delivery
        if hook is not None:
            hook(definition.output.delivery, definition.filename, definition.typed_options(),
                 log)
    error = str(result.error) if result.error is not None else None
    if error is None and result.remaining:
        error = f"files left in the spool: {', '.join(result.remaining)}"
    return StepOutcome("deliver", error is None, lines, error=error,
                       files=list(result.delivered))


FRAMEWORK_LINES = ("Task: ", "Run: ", "Inbox: ", "Produced ", "Delivered ",
                   "Nothing to deliver ", "Still in the spool", "Delivery failed")
"""How the lines the runner and the spool add to a report start (files, delivery)."""


def business_lines(body: str) -> list[str]:
    """The lines of a report's body that its task type wrote, the framework's left out."""
    return [line for line in (raw.strip() for raw in body.splitlines())
            if line and not line.startswith(FRAMEWORK_LINES)]


def compose_report(
    definition: TaskDefinition, run_id: str, outcomes: Sequence[StepOutcome | None],
    expected: Sequence[str] | None = None,
) -> Report:
    """The report of a run from the outcome of each step (None: the step left no outcome).

    `expected`: the steps of the run, in order (default: those of the task's type).
    """
    expected = definition.task_type.steps if expected is None else expected
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
    warning = next((o.warning for o in by_step.values() if o.warning), None)
    if warning:
        return Report(definition.id, run_id, "warning",
                      f"{definition.id}: succeeded with warnings — {warning}"[:250],
                      "\n".join([*head, *lines]))
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
    from comptoir.backoffice.engine import get_engine
    from comptoir.exchange.mail import build_message

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
    connector: Connector | None = None,
    overrides: dict[str, Any] | None = None,
    engine: Engine | None = None,
    mailer: Mailer | None = None,
    log: Log = _print,
) -> Report:
    """Fetch, produce, deliver and report in this process (tests, scripts).

    `connector` opens the servers of an inbox source (not needed for a local folder).
    """
    task_type = definition.task_type
    outcomes: list[StepOutcome | None] = []

    def step(name: str, action: Callable[[], StepOutcome]) -> bool:
        try:
            outcomes.append(action())
        except Exception as exc:  # the report says why
            outcomes.append(StepOutcome.failed(name, exc))
            return False
        return True

    proceed = True
    if task_type.template == "inbox":
        proceed = step("fetch", lambda: fetch(definition, connector,  # type: ignore[arg-type]
                                              overrides=overrides, log=log))
    if proceed:
        proceed = step(task_type.step, lambda: produce(definition, run_id, overrides=overrides,
                                                       engine=engine, log=log,
                                                       connector=connector))
    if proceed and task_type.produces_files:
        assert transport is not None
        own = outcomes[-1].entries if outcomes[-1] is not None else []
        step("deliver", lambda: deliver(definition, transport, own=own, log=log))
    report = compose_report(definition, run_id, outcomes)
    finish(definition, report, engine=engine, mailer=mailer, log=log)
    return report


def retry_spools(
    transport_for: Callable[[Any], Transport],
    *,
    site: str | None = None,
    task_id: str | None = None,
    engine: Engine | None = None,
    log: Log = _print,
) -> list[StepOutcome]:
    """Deliver the pending files of every task (of `site`, or only `task_id`).

    The spool retry DAG (one task per site) and `comptoir spool retry`. A retry that
    delivers files records an info report; one that fails only logs, the task's own run
    has reported the cause already.
    """
    from comptoir.automation.definitions import load_folder
    from comptoir.backoffice.engine import get_engine

    by_id = {d.id: d for d in load_folder().definitions}
    outcomes: list[StepOutcome] = []
    for spooled_id, entries in spool.all_spools().items():
        if task_id is not None and spooled_id != task_id:
            continue
        definition = by_id.get(spooled_id)
        if definition is None or definition.output is None:
            log(f"spool UPDATE-{spooled_id}: {len(entries)} file(s) wait, but no valid task "
                "definition has this id; they stay until it is defined again")
            continue
        if site is not None and definition.site != site:
            continue
        try:
            outcome = deliver(definition, transport_for(definition.output.delivery), log=log)
        except Exception as exc:
            outcome = StepOutcome.failed("deliver", exc)
            log(f"{spooled_id}: {outcome.error}")
        outcome.lines.insert(0, f"Task: {spooled_id}")
        outcomes.append(outcome)
        if outcome.files and definition.report.on_success:
            with (engine or get_engine()).begin() as conn:
                record(conn, Report(spooled_id, "spool-retry", "info",
                                    f"{spooled_id}: pending files delivered by the spool retry",
                                    "\n".join(outcome.lines[1:])))
    return outcomes
