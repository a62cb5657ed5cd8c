"""`comptoir messages`: the task reports."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from comptoir.cli.output import JSON_HELP, print_listing, stdout_is_terminal

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: The fields of a report, in the order of the plain rows (--brief drops `body`).
FIELDS = ("created_at", "level", "task_id", "run_id", "title", "body")


def register(app: typer.Typer) -> None:
    @app.command("messages")
    def messages(
        task: str | None = typer.Option(None, "--task", help="Only this task's reports."),
        errors: bool = typer.Option(False, "--errors", help="Only the reports of failures."),
        limit: int = typer.Option(20, "--limit", "-n", help="How many (newest first)."),
        brief: bool = typer.Option(False, "--brief", help="Titles only, no bodies."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
        category: str = typer.Option("Rapports de tâches", "--category",
                                     help="The messages of this category (live messages to "
                                     "registers: the live_message type's category)."),
    ) -> None:
        """The task reports, newest first (piped: one line each, newlines in bodies as \\n)."""
        from comptoir.automation.messages import list_messages
        from comptoir.cli.open_dossier import dossier

        with dossier().connect() as conn:
            found = list_messages(conn, task_id=task, errors_only=errors, limit=limit,
                                  category=category)
        if as_json or not stdout_is_terminal():
            columns = FIELDS[:-1] if brief else FIELDS
            print_listing(columns, ({name: getattr(m, name) for name in columns} for m in found),
                          as_json=as_json)
            if not found and not as_json:
                err.print("no task report" + (f" for {task}" if task else ""), highlight=False,
                          markup=False)
            return
        if not found:
            out.print("no task report" + (f" for {task}" if task else ""), highlight=False,
                      markup=False)
            return
        for message in found:
            colour = {"error": "red", "warning": "yellow"}.get(message.level, "green")
            when = f"{message.created_at:%Y-%m-%d %H:%M:%S}"
            out.print(f"[{colour}]{escape(message.level):<5}[/] {when}  {escape(message.title)}",
                      highlight=False)
            if not brief:
                for line in message.body.splitlines():
                    out.print(f"        {line}", highlight=False, markup=False)
                out.print()
