"""Operators of automated tasks: thin wrappers over `comptoir.automation.runner`.

Each step leaves its outcome in the XCom `outcome` (even when it fails), so the report
step can say what happened and why. Transports (paramiko, ftplib) are imported inside
`execute`, never when a DAG file is parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

OUTCOME = "outcome"


class _DefinitionOperator(BaseOperator):
    """Holds the task definition (as JSON) the DAG was built from."""

    ui_color = "#e8f1fb"

    def __init__(self, *, definition: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.definition = definition

    def _definition(self):  # type: ignore[no-untyped-def]
        from comptoir.automation.definitions import TaskDefinition

        return TaskDefinition.model_validate(self.definition)

    def _push(self, context: Any, outcome: Any) -> None:
        context["ti"].xcom_push(key=OUTCOME, value=outcome.to_dict())


class ProduceOperator(_DefinitionOperator):
    """Runs the task type's core function; its files go to the task's spool."""

    def execute(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.modes import skip_reason

        reason = skip_reason(context)
        if reason:
            self.log.info(reason)
            self._push(context, runner.StepOutcome("run", True, skipped=reason))
            raise AirflowSkipException(reason)
        definition = self._definition()
        fields = definition.task_type.options.model_fields
        overrides = {k: v for k, v in context["params"].items() if k in fields}
        try:
            outcome = runner.produce(definition, context["run_id"], overrides=overrides,
                                     log=self.log.info)
        except Exception as exc:
            self._push(context, runner.StepOutcome.failed("run", exc))
            raise
        self._push(context, outcome)


class DeliverOperator(_DefinitionOperator):
    """Delivers every pending file of the task's spool through the delivery's transport."""

    def execute(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.transports import transport_for

        definition = self._definition()
        assert definition.output is not None
        try:
            outcome = runner.deliver(definition, transport_for(definition.output.delivery),
                                     log=self.log.info)
        except Exception as exc:
            outcome = runner.StepOutcome.failed("deliver", exc)
        self._push(context, outcome)
        if not outcome.ok:
            raise AirflowException(f"delivery failed: {outcome.error}")


class ReportOperator(_DefinitionOperator):
    """Writes the run's report (messages table, log, e-mail); fails the run if a step did."""

    def __init__(self, *, steps: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = list(steps)

    def execute(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir_airflow.mailer import mailer_for

        definition = self._definition()
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
        from comptoir_airflow.modes import skip_reason
        from comptoir_airflow.transports import transport_for

        reason = skip_reason(context)
        if reason:
            raise AirflowSkipException(reason)
        runner.retry_spools(self.site, transport_for, log=self.log.info)
