"""`comptoir tasks`: the automated tasks — catalog, definitions, checks and runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.cli.output import JSON_HELP, print_listing, stdout_is_terminal
from comptoir.errors import ComptoirError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _option_line(name: str, field: Any) -> str:
    default = field.get_default(call_default_factory=True)
    return f"{name} = {default!r}" if not field.is_required() else f"{name} (required)"


def _option_document(name: str, field: Any) -> dict[str, Any]:
    required = field.is_required()
    default = None if required else field.get_default(call_default_factory=True)
    return {"name": name, "required": required, "default": default}


def parse_overrides(definition: Any, pairs: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs as option values: JSON when it parses, else text (lists: a,b,c)."""
    fields = definition.task_type.options.model_fields
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ComptoirError(f"--set {pair!r}: expected KEY=VALUE")
        if key not in fields:
            raise ComptoirError(f"--set {key}: {definition.type} has no option {key!r}; its "
                                f"options are {', '.join(fields)}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        annotation = str(fields[key].annotation)
        if isinstance(value, str) and annotation.startswith("list"):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and "int" not in annotation and "float" not in annotation:
            value = raw
        overrides[key] = value
    definition.typed_options(overrides)  # refuse a bad value before starting Airflow
    return overrides


def register(app: typer.Typer) -> None:
    tasks = typer.Typer(help="Automated tasks: catalog, definitions, checks and runs.",
                        no_args_is_help=True)
    app.add_typer(tasks, name="tasks")

    @tasks.command("types")
    def types(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """The catalog: each task type, its category, what it does and its options."""
        from comptoir.automation.catalog import all_types

        rows, documents = [], []
        for task_type in all_types():
            fields = task_type.options.model_fields
            rows.append((task_type.name, task_type.title, task_type.category.value,
                         task_type.description, [_option_line(n, f) for n, f in fields.items()]))
            documents.append({
                "type": task_type.name, "title": task_type.title,
                "category": task_type.category.value, "description": task_type.description,
                "options": [_option_document(n, f) for n, f in fields.items()],
            })
        print_listing(("type", "title", "category", "description", "options"), rows,
                      as_json=as_json, json_data=documents, console=out, show_lines=True)

    @tasks.command("list")
    def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """The defined tasks; invalid definitions are listed after them (on stderr when piped).

        With --json, each invalid definition is an entry whose `invalid` says why.
        """
        from comptoir import paths
        from comptoir.automation.definitions import load_folder

        loaded = load_folder()
        rows, documents = [], []
        for d in loaded.definitions:
            schedule = (d.schedule or "manual") + ("" if d.enabled else " (disabled)")
            delivery = d.output.delivery.describe() if d.output else None
            rows.append((d.id, d.type, d.site, schedule, delivery, d.name))
            documents.append({
                "id": d.id, "type": d.type, "site": d.site, "schedule": d.schedule,
                "enabled": d.enabled, "delivery": delivery, "name": d.name,
                "file": str(d.source) if d.source else None, "invalid": None,
            })
        for error in loaded.errors:
            documents.append({
                "id": error.task_id, "type": None, "site": None, "schedule": None,
                "enabled": None, "delivery": None, "name": None, "file": str(error.path),
                "invalid": error.message,
            })
        print_listing(("id", "type", "site", "schedule", "delivery", "name"), rows,
                      as_json=as_json, json_data=documents, console=out)
        if as_json:
            return
        terminal = stdout_is_terminal()
        if terminal:
            out.print(f"{len(loaded.definitions)} task(s) in {paths.tasks_dir()}",
                      highlight=False)
        for error in loaded.errors:
            (out if terminal else err).print(f"[red]invalid:[/] {escape(str(error))}",
                                             highlight=False)

    @tasks.command("validate")
    def validate() -> None:
        """Check every definition; exit 1 if one is invalid."""
        from comptoir import paths
        from comptoir.automation.definitions import load_folder

        loaded = load_folder()
        for error in loaded.errors:
            out.print(f"[red]invalid:[/] {escape(str(error))}", highlight=False)
        out.print(f"{len(loaded.definitions)} valid, {len(loaded.errors)} invalid "
                  f"({paths.tasks_dir()})")
        if loaded.errors:
            raise typer.Exit(1)

    @tasks.command("duplicate")
    def duplicate(
        task_id: str = typer.Argument(..., help="The task to copy."),
        new_id: str = typer.Argument(..., help="The copy's id."),
        name: str | None = typer.Option(None, help="The copy's name (default: '<name> (copy)')."),
    ) -> None:
        """Copy a task under a new id."""
        from comptoir.automation import portability

        path = portability.duplicate(task_id, new_id, name=name)
        out.print(f"{task_id} copied to {new_id}: edit {path} to change it")

    @tasks.command("export")
    def export(
        task_ids: list[str] = typer.Argument(None, help="Tasks to export (default: all)."),
        out_file: Path = typer.Option(..., "--out", help="The file to write."),
    ) -> None:
        """Write the chosen tasks (default: all) to one file."""
        from comptoir.automation import portability

        ids = portability.export(task_ids or [], out_file)
        out.print(f"{len(ids)} task(s) exported to {out_file}: {', '.join(ids) or '-'}")

    @tasks.command("import")
    def import_(
        source: Path = typer.Argument(..., help="A file written by `tasks export`."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite tasks that exist."),
    ) -> None:
        """Add every task of a file; an id that exists is refused unless --replace."""
        from comptoir.automation import portability

        ids = portability.import_file(source, replace=replace)
        out.print(f"all {len(ids)} task(s) imported from {source}: {', '.join(ids)}")

    @tasks.command("check")
    def check(task_id: str = typer.Argument(..., help="The task whose delivery to test.")) -> None:
        """Test the delivery: connect and log in; for e-mail, send "Test de connexion"."""
        from comptoir.automation.definitions import find
        from comptoir.cli.airflow_process import last_line, log_file, run_module

        find(task_id)  # an unknown or invalid task is said here, without starting Airflow
        log = log_file(f"check-{task_id}")
        status, output = run_module("comptoir_airflow.check_delivery", [task_id], log=log)
        verdict = [line for line in output.splitlines() if line.startswith(("OK:", "FAILED:"))]
        if not verdict:
            raise ComptoirError(f"the check of {task_id} did not complete: {last_line(output)} "
                                f"(Airflow's output: {log})")
        out.print(verdict[-1], highlight=False)
        if status != 0:
            raise typer.Exit(1)

    @tasks.command("run")
    def run(
        task_id: str = typer.Argument(..., help="The task to start now."),
        set_: list[str] = typer.Option(None, "--set", help="KEY=VALUE: an option for this run."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Airflow's output."),
    ) -> None:
        """Start the task now ("Démarrer"), through its DAG; exit 1 if the run failed."""
        from comptoir.automation.definitions import find
        from comptoir.cli.airflow_process import last_line, log_file, run_module, run_results

        definition = find(task_id)
        overrides = parse_overrides(definition, set_ or [])
        args = [task_id] + (["--conf", json.dumps(overrides)] if overrides else [])
        log = log_file(f"run-{task_id}")
        out.print(f"running {task_id} through Airflow (log: {log})", highlight=False)
        status, output = run_module("comptoir_airflow.run_task", args, log=log, echo=verbose)
        results = run_results(output)
        result = results[-1] if results else None
        if result is None:
            raise ComptoirError(f"the run of {task_id} did not complete: {last_line(output)} "
                                f"(Airflow's output: {log})")
        _print_run(task_id, result)
        if status != 0:
            raise typer.Exit(1)


def _print_run(task_id: str, result: dict[str, Any]) -> None:
    from comptoir.automation.messages import list_messages
    from comptoir.backoffice.engine import get_engine

    if result["state"] == "not_found":
        raise ComptoirError(f"Airflow found no DAG {task_id!r}: check `comptoir tasks validate`")
    colour = "green" if result["state"] == "success" else "red"
    out.print(f"run {result['run_id']}: [{colour}]{result['state']}[/]", highlight=False)
    for step, state in result["tasks"].items():
        out.print(f"  {step}: {state}", highlight=False)
    with get_engine().connect() as conn:
        reports = list_messages(conn, task_id=task_id, run_id=result["run_id"], limit=1)
    for report in reports:
        out.print(f"\n[bold]{escape(report.title)}[/]", highlight=False)
        out.print(report.body, highlight=False, markup=False)
