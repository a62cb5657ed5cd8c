"""`comptoir spool`: the files waiting for delivery, and delivering them now.

    comptoir spool list [TASK] [--json]   every file waiting, per task, since when, where to
    comptoir spool retry [TASK]           deliver what waits now (all tasks, or TASK)

`retry` runs in the embedded Airflow environment (the deliveries use Airflow
connections), like the spool retry DAG does every 15 minutes. Exit statuses: `list` 0;
`retry` 0 when nothing is left waiting in the spools it tried, 1 when a delivery failed
(the files stay, the cause is printed) or Airflow could not start.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.console import Console

from comptoir.errors import ComptoirError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

COLUMNS = ["task", "file", "waiting_since", "bytes", "destination"]


def register(app: typer.Typer) -> None:
    spool = typer.Typer(help="Files waiting for delivery: list them, deliver them now.",
                        no_args_is_help=True)
    app.add_typer(spool, name="spool")

    @spool.command("list")
    def list_(
        task: str | None = typer.Argument(None, help="Only this task's files."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)."),
    ) -> None:
        """Every file waiting in a spool: task, name, since when, size, destination."""
        from comptoir.automation.definitions import load_folder
        from comptoir.cli.output import print_listing
        from comptoir.exchange import spool as spools
        from comptoir.exchange.names import printable
        from comptoir.views.spool import destination_of

        by_id = {d.id: d for d in load_folder().definitions}
        rows = []
        for task_id, entries in spools.all_spools().items():
            if task is not None and task_id != task:
                continue
            destination = destination_of(task_id, by_id)
            for entry in entries:
                stat = entry.path.stat()
                rows.append({"task": task_id, "file": printable(entry.name),
                             "waiting_since": datetime.fromtimestamp(stat.st_mtime, UTC),
                             "bytes": stat.st_size, "destination": destination})
        if not rows and not as_json:
            err.print("no file waiting" + (f" for {task}" if task else ""), highlight=False)
            return
        print_listing(COLUMNS, rows, as_json=as_json)

    @spool.command("retry")
    def retry(
        task: str | None = typer.Argument(None, help="Only this task's files."),
    ) -> None:
        """Deliver the files waiting now, as the spool retry DAG does; exit 1 if some stay."""
        from comptoir.automation.definitions import find
        from comptoir.cli.airflow_process import log_file, run_module
        from comptoir.embedded import SPOOL_MARKER

        if task is not None:
            find(task)  # an unknown or invalid task is said here, without starting Airflow
        log = log_file("spool-retry")
        status, output = run_module("comptoir_airflow.spool_retry", [task] if task else [],
                                    log=log)
        results = [json.loads(line[len(SPOOL_MARKER):]) for line in output.splitlines()
                   if line.startswith(SPOOL_MARKER)]
        if not results:
            err.print(output[-3000:], highlight=False, markup=False)
            raise ComptoirError(f"the spool retry did not complete; see {log}")
        outcomes = results[-1]
        if not outcomes:
            out.print("no file waiting" + (f" for {task}" if task else ""), highlight=False)
        for outcome in outcomes:
            for line in outcome["lines"]:
                out.print(line, highlight=False, markup=False)
            if outcome["error"]:
                out.print(f"failed: {outcome['error']}", highlight=False, markup=False)
        if status != 0:
            raise typer.Exit(1)
