"""Operators of the `imports` template: thin wrappers over `comptoir.automation.types.imports`.

Like the default template's operators, each step leaves its outcome in the XCom `outcome`
for the report step. The import step also emits one asset event per entity written,
through the asset alias it declares as outlet (`IMPORTS_ALIAS`): only the entities that
got records in this run are updated.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import AssetAlias
from airflow.sdk.exceptions import AirflowSkipException

from comptoir_airflow.operators import _DefinitionOperator

__all__ = ["IMPORTS_ALIAS", "FetchInboxOperator", "ImportFilesOperator"]

#: The outlet through which import steps emit the asset events of the entities written.
IMPORTS_ALIAS = AssetAlias("comptoir-imports")


def _options(operator: _DefinitionOperator, context: Any):  # type: ignore[no-untyped-def]
    """The definition and its options, overridden by the run's params (the trigger form)."""
    definition = operator._definition()
    fields = definition.task_type.options.model_fields
    overrides = {k: v for k, v in context["params"].items() if k in fields}
    return definition, definition.typed_options(overrides)


class FetchInboxOperator(_DefinitionOperator):
    """Brings the files of a remote source (SFTP, FTP, IMAP) into the task's local inbox."""

    def execute(self, context: Any) -> None:
        from comptoir.automation import runner
        from comptoir.automation.inbox import LocalInboxSource
        from comptoir.automation.types.imports import task_inbox
        from comptoir_airflow.inbox_sources import fetch
        from comptoir_airflow.modes import skip_reason

        reason = skip_reason(context)
        if reason:
            self.log.info(reason)
            self._push(context, runner.StepOutcome("fetch", True, skipped=reason))
            raise AirflowSkipException(reason)
        try:
            definition, options = _options(self, context)
            source, inbox = task_inbox(definition.id, options)
            lines: list[str] = []
            fetched: list[str] = []
            if not isinstance(source, LocalInboxSource):  # a local folder is the inbox itself
                result = fetch(source, inbox)
                lines, fetched = result.summary().splitlines(), [p.name for p in result.paths]
        except Exception as exc:
            self._push(context, runner.StepOutcome.failed("fetch", exc))
            raise
        for line in lines:
            self.log.info(line)
        self._push(context, runner.StepOutcome("fetch", True, lines, files=fetched))


class ImportFilesOperator(_DefinitionOperator):
    """Imports the waiting files in dependency order; emits an asset event per entity written.

    Succeeds even when some files went to failed/ (their outcome says so and the report
    step fails the run): the entities written by the other files still get their events.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("outlets", [IMPORTS_ALIAS])
        super().__init__(**kwargs)

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow.sdk import Asset

        from comptoir.automation import runner
        from comptoir.automation.types.imports import asset_uri, import_task_inbox

        try:
            definition, options = _options(self, context)
            result = import_task_inbox(definition.id, options, log=self.log.info)
        except Exception as exc:
            self._push(context, runner.StepOutcome.failed("import_files", exc))
            raise
        error = result.error()
        self._push(context, runner.StepOutcome(
            "import_files", error is None, result.lines(), error=error,
            files=[name for r in result.results if r.outcome == "done" for name in r.files]))
        events = context["outlet_events"][IMPORTS_ALIAS]
        for entity, extra in result.imported().items():
            events.add(Asset(asset_uri(entity)), extra={"task_id": definition.id, **extra})
        return result.to_dict()
