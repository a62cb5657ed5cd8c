"""Operators of automated tasks: thin wrappers over `comptoir.automation.runner`.

Every step of a task's DAG is a `DefinitionOperator`: it holds the definition (as JSON),
reads the run's params as option overrides, calls one core function and leaves its
outcome in the XCom `outcome` (even when it fails), so the report step can say what
happened and why. The first step of a template (`first=True`) does nothing on an
automatic run while isolated or school mode is on, and says so.

Protocol modules (paramiko, ftplib...) are imported inside `execute`, never when a DAG
file is parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

__all__ = ["OUTCOME", "DefinitionOperator", "DeliverOperator", "FetchOperator",
           "InvalidDefinitionOperator", "ReportOperator", "RunOperator", "SpoolRetryOperator"]

OUTCOME = "outcome"


class DefinitionOperator(BaseOperator):
    """One step of a task's DAG, built from the task definition (as JSON)."""

    ui_color = "#e8f1fb"
    step = "step"

    def __init__(self, *, definition: dict[str, Any], first: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.definition = definition
        self.first = first

    def task_definition(self):  # type: ignore[no-untyped-def]
        """The definition, validated."""
        from comptoir.automation.definitions import TaskDefinition

        return TaskDefinition.model_validate(self.definition)

    @staticmethod
    def overrides(definition: Any, context: Any) -> dict[str, Any]:
        """The options the run's params set (the trigger form's values: an emptied field
        is the type's default, the plain source fields the nested `source`)."""
        return definition.task_type.form_overrides(context["params"], definition.options)

    def push(self, context: Any, outcome: Any) -> None:
        """Leave the step's outcome for the report step."""
        context["ti"].xcom_push(key=OUTCOME, value=outcome.to_dict())

    def execute(self, context: Any) -> Any:
        """Skip an automatic run in isolated or school mode (first step), else run the step."""
        if self.first:
            from comptoir.automation import runner
            from comptoir_airflow.modes import skip_reason

            reason = skip_reason(context)
            if reason:
                self.log.info(reason)
                self.push(context, runner.StepOutcome(self.task_id, True, skipped=reason))
                raise AirflowSkipException(reason)
        return self.run_step(context)

    def run_step(self, context: Any) -> Any:
        """The step itself."""
        raise NotImplementedError

    def recorded(self, context: Any, step: Callable[[Any], Any]) -> Any:
        """Run `step(definition)` and push its outcome; a step that raises is pushed as
        failed, then re-raised (Airflow fails the task)."""
        from comptoir.automation import runner

        try:
            outcome = step(self.task_definition())
        except Exception as exc:
            self.push(context, runner.StepOutcome.failed(self.task_id, exc))
            raise
        self.push(context, outcome)
        return outcome


class FetchOperator(DefinitionOperator):
    """Fills the task's inbox from its source (SFTP, FTP, IMAP, POP3, mail folder)."""

    def run_step(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.exchange.factory import CONNECTOR

        self.recorded(context, lambda definition: runner.fetch(
            definition, CONNECTOR, overrides=self.overrides(definition, context),
            log=self.log.info))


class RunOperator(DefinitionOperator):
    """Runs the type's core function: files to the spool, asset events to its alias.

    Succeeds when the core function reports a partial failure (its outcome says so and
    the report step fails the run): the files are still delivered and the assets still
    updated.
    """

    def __init__(self, *, asset_alias: str | None = None, **kwargs: Any) -> None:
        if asset_alias:
            from airflow.sdk import AssetAlias

            kwargs.setdefault("outlets", [AssetAlias(asset_alias)])
        super().__init__(**kwargs)
        self.asset_alias = asset_alias

    def run_step(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.exchange.factory import CONNECTOR

        outcome = self.recorded(context, lambda definition: runner.produce(
            definition, context["run_id"], overrides=self.overrides(definition, context),
            log=self.log.info, connector=CONNECTOR))
        if outcome.warning:  # e.g. records rejected: a WARNING line in the task log
            self.log.warning(outcome.warning)
        if self.asset_alias and outcome.assets:
            from airflow.sdk import Asset

            events = context["outlet_events"][self.outlets[0]]
            for uri, extra in outcome.assets.items():
                events.add(Asset(uri), extra=extra)


class DeliverOperator(DefinitionOperator):
    """Delivers every pending file of the task's spool through the delivery's transport."""

    def __init__(self, *, run_step_id: str = "run", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_step_id = run_step_id

    def run_step(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.exchange.factory import transport_for

        produced = context["ti"].xcom_pull(task_ids=self.run_step_id, key=OUTCOME) or {}
        try:
            definition = self.task_definition()
            assert definition.output is not None
            outcome = runner.deliver(definition, transport_for(definition.output.delivery),
                                     own=produced.get("entries", []), log=self.log.info)
        except Exception as exc:
            outcome = runner.StepOutcome.failed("deliver", exc)
        self.push(context, outcome)
        if not outcome.ok:
            raise AirflowException(f"delivery failed: {outcome.error}")


class ReportOperator(DefinitionOperator):
    """Writes the run's report (messages table, log, e-mail); fails the run if a step did."""

    def __init__(self, *, steps: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = list(steps)

    def run_step(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.exchange.factory import mailer_for

        definition = self.task_definition()
        outcomes = []
        for step in self.steps:
            data = context["ti"].xcom_pull(task_ids=step, key=OUTCOME)
            outcomes.append(runner.StepOutcome.from_dict(data) if data else None)
        report = runner.compose_report(definition, context["run_id"], outcomes, self.steps)
        runner.finish(definition, report, mailer=mailer_for(), log=self.log.info)
        if report.level == "error":
            raise AirflowFailException(report.title)


class InvalidDefinitionOperator(BaseOperator):
    """Stands for a definition that is invalid: fails with the validation message."""

    ui_color = "#fbe3e3"

    def __init__(self, *, problem: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def execute(self, context: Any) -> None:
        raise AirflowFailException(f"invalid task definition: {self.problem}")


class SpoolRetryOperator(BaseOperator):
    """Delivers the files waiting in the spools of one site's tasks."""

    def __init__(self, *, site: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site

    def execute(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.exchange.factory import transport_for
        from comptoir_airflow.modes import skip_reason

        reason = skip_reason(context)
        if reason:
            raise AirflowSkipException(reason)
        runner.retry_spools(transport_for, site=self.site, log=self.log.info)
