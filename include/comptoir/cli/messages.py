"""`comptoir messages`: the task reports."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("messages")
    def messages(
        task: str | None = typer.Option(None, "--task", help="Only this task's reports."),
        errors: bool = typer.Option(False, "--errors", help="Only the reports of failures."),
        limit: int = typer.Option(20, "--limit", "-n", help="How many (newest first)."),
        brief: bool = typer.Option(False, "--brief", help="Titles only, no bodies."),
    ) -> None:
        """The task reports, newest first."""
        from comptoir.automation.messages import list_messages
        from comptoir.cli._dossier import dossier

        with dossier().connect() as conn:
            found = list_messages(conn, task_id=task, errors_only=errors, limit=limit)
        if not found:
            out.print("no task report" + (f" for {task}" if task else ""))
            return
        for message in found:
            colour = {"error": "red", "warning": "yellow"}.get(message.level, "green")
            when = f"{message.created_at:%Y-%m-%d %H:%M:%S}"
            out.print(f"[{colour}]{message.level:<5}[/] {when}  {escape(message.title)}",
                      highlight=False)
            if not brief:
                for line in message.body.splitlines():
                    out.print(f"        {line}", highlight=False, markup=False)
                out.print()
