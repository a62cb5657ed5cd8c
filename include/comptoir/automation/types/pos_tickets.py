"""The `pos_tickets` task type ("Intégration des tickets"): `fetch >> integrate_files >>
report` on the inbox template, as `imports` (spec/pos.md, "Task types").

The source is a local folder (default `var/inbox/<task id>`), an SFTP or FTP folder, or
the attachments of an IMAP or POP3 mailbox; the ticket files (`TicDeg…zip`, `ticdep…zip`)
are integrated in name order and filed in done/ or failed/ with their report. The tickets
written emit an event on `comptoir://dossier/pos_tickets`, which the invoicing task can
be scheduled on. A refused file fails the run (after the other files were integrated);
rejected tickets are listed in the report and the POS log, and make the run's report a
warning with the counts (a failure with `fail_on_rejections`).
"""

from __future__ import annotations

from comptoir.automation.catalog import Category, RunContext, TaskOutput, TaskType
from comptoir.automation.rejections import fail_on_rejections_field, verdict
from comptoir.automation.task_inbox import InboxOptions

ASSET_URI = "comptoir://dossier/pos_tickets"
ASSET_ALIAS = "comptoir-pos-tickets"


class Options(InboxOptions):
    """Options of `pos_tickets`: the inbox (`source`; pattern `*.zip` for remote ones)."""

    fail_on_rejections: bool = fail_on_rejections_field("tickets", "Integration")


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: integrate the ticket files waiting in the task's inbox."""
    from comptoir.pos.integration import integrate_inbox

    if ctx.inbox is None:
        from comptoir.automation.task_inbox import task_inbox

        inbox = task_inbox(ctx.task_id, options)
    else:
        inbox = ctx.inbox
    report, outcomes = integrate_inbox(ctx.engine, inbox.inbox.root,
                                       pattern=inbox.source.pattern, min_age=inbox.min_age)
    path = report.finish()
    lines = []
    for outcome in outcomes:
        lines.append(outcome.line())
        ctx.log(lines[-1])
    totals = report.body["totals"]
    lines.append(f"{len(outcomes)} ticket files from {inbox.describe()}: {totals['integrated']}"
                 f" tickets integrated, {totals['rejected']} rejected, "
                 f"{totals['refused_files']} files refused (report {path})")
    assets = ({ASSET_URI: {"task_id": ctx.task_id, "run_id": report.run_id,
                           "tickets": totals["integrated"]}}
              if totals["integrated"] else {})
    refused = [o.file for o in outcomes if o.status == "failed"]
    error = f"refused ticket files (in failed/): {', '.join(refused)}" if refused else None
    if report.error is not None:  # the run itself was refused (the dossier lock): say so
        lines.append(report.error["message"])
        error = report.error["message"]
    rejected = [o.file for o in outcomes if o.rejected]
    rejections = (f"{totals['rejected']} of {totals['tickets']} tickets rejected "
                  f"({', '.join(rejected)}): see the POS log" if rejected else None)
    error, warning = verdict(error, rejections, options.fail_on_rejections)
    return TaskOutput(summary=lines, assets=assets, error=error, warning=warning)


TASK_TYPE = TaskType(
    name="pos_tickets",
    title="Intégration des tickets",
    category=Category.IMPORT_EXPORT,
    description=(
        "Integrates the POS ticket files (TicDeg…zip, ticdep…zip) waiting in an inbox (a "
        "local folder, an SFTP or FTP folder, or the attachments of an IMAP or POP3 "
        "mailbox): each ticket once, a bad ticket alone set aside with its reason in the POS "
        "log, a damaged or tampered file refused whole. Files go to done/ or failed/ with "
        "their report; the tickets written update the pos_tickets asset."
    ),
    options=Options,
    run=run,
    produces_files=False,
    template="inbox",
    step="integrate_files",
    asset_alias=ASSET_ALIAS,
)
