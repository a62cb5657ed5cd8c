"""`comptoir nightly`: run the nightly batch now — every enabled task's DAG, then the spool retry.

With `--demo` it first fills the dossier with the demo business (what `make demo` runs).
The DAGs run through Airflow (`dag.test()` in one Airflow process), in a fixed order:
imports first (later tasks read what they load), exports and editions, the POS invoicing
then its posting, the FEC export, then upkeep.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from comptoir.errors import ComptoirError

out = Console()

#: Order of the categories in the batch; tasks of one category keep the folder's order.
#: The editions print what the night wrote (tickets integrated, invoiced, posted; stock
#: corrected), so they come after every category that writes, before the upkeep.
CATEGORY_ORDER = ["Import-Export", "Historiques", "Autres", "Editions", "Système"]
SPOOL_RETRY_DAG = "comptoir_spool_retry"
#: Types that run first in their category, in this order: later tasks read what they write
#: (imports, the partner's files, the inter-site orders sent then received, and POS tickets
#: loaded, then the tickets invoiced, then posted; the partner connector's sending comes
#: later in Import-Export; the sales days applied to the stock right after the tickets).
FIRST_TYPES = ("imports", "econnector_receive", "intersite_send", "intersite_receive",
               "pos_tickets", "sales_correction", "pos_invoicing", "pos_accounting")
#: Types that run in another category's place: the stock update of the sales days (a
#: "Système" type) right after the POS tickets, before the editions, exports and restock
#: that read the stock.
RUNS_WITH = {"sales_correction": "Import-Export"}
#: Types that run after the "Autres" category: they read what the posting wrote (the FEC
#: exports it).
AFTER_POSTING = ("accounting_fec",)


def _rank(definition: Any) -> tuple[float, int]:
    category = float(CATEGORY_ORDER.index(
        RUNS_WITH.get(definition.type, definition.task_type.category.value)))
    if definition.type in AFTER_POSTING:
        category = CATEGORY_ORDER.index("Autres") + 0.5
    first = (FIRST_TYPES.index(definition.type) if definition.type in FIRST_TYPES
             else len(FIRST_TYPES))
    return category, first


def batch_order(definitions: list[Any]) -> list[str]:
    """The DAG ids of the nightly batch: enabled tasks by category (in theirs, the types
    of `FIRST_TYPES` first and in that order), the FEC after the posting, the editions
    after everything that writes, then the spool retry."""
    enabled = [d for d in definitions if d.enabled]
    return [d.id for d in sorted(enabled, key=_rank)] + [SPOOL_RETRY_DAG]


def register(app: typer.Typer) -> None:
    @app.command("nightly")
    def nightly(
        demo: bool = typer.Option(False, "--demo",
                                  help="First refill the dossier with the demo business."),
        seed: int = typer.Option(42, "--seed", help="--demo: the demo data's seed."),
    ) -> None:
        """Run the nightly batch now through Airflow and print what it did."""
        from comptoir import paths
        from comptoir.automation.definitions import load_folder
        from comptoir.backoffice import migrate
        from comptoir.cli.airflow_process import last_line, log_file, run_module, run_results

        started = time.time()
        migrate.upgrade()
        if demo:
            _fill_demo(seed)
            _stage_demo_imports()
            _stage_demo_connector()
            _stage_demo_intersite()
            _stage_demo_tickets()
            _stage_demo_retail()
        loaded = load_folder()
        for error in loaded.errors:
            out.print(f"[yellow]skipped an invalid definition:[/] {error}", highlight=False)
        dag_ids = batch_order(loaded.definitions)
        log = log_file("nightly")
        out.print(f"running {len(dag_ids)} DAGs through Airflow: {', '.join(dag_ids)}",
                  highlight=False)
        out.print(f"(Airflow's output: {log})", highlight=False)
        with out.status("the nightly batch is running..."):
            status, output = run_module("comptoir_airflow.run_task", dag_ids, log=log)
        results = run_results(output)
        if not results:
            raise ComptoirError(f"the nightly batch did not run: {last_line(output)} "
                                f"(Airflow's output: {log})")
        _summary(results, started, paths.home())
        if status != 0:
            raise typer.Exit(1)


def _fill_demo(seed: int) -> None:
    from comptoir.backoffice.engine import get_engine
    from comptoir.demo.dossier import fill_dossier

    with out.status("filling the dossier with the demo business..."):
        fill_dossier(get_engine(), seed=seed, reset=True)
    out.print(f"demo dossier filled (seed {seed}): {get_engine().url.database}",
              highlight=False)


def _stage_demo_imports() -> None:
    from comptoir.demo.inbox import mail_for_task, stage_for_task

    staged = stage_for_task()
    if staged is not None:
        inbox, files = staged
        out.print(f"demo import files dropped into {inbox.incoming}: "
                  f"{', '.join(p.name for p in files)}", highlight=False)
    mailed = mail_for_task()
    if mailed is not None:
        folder, names = mailed
        out.print(f"a demo customer mailed {', '.join(names)} (a .eml file in {folder})",
                  highlight=False)


def _stage_demo_connector() -> None:
    from comptoir.backoffice.engine import get_engine
    from comptoir.demo.econnector import stage_connector

    staged = stage_connector(get_engine())
    out.print(f"partner connector {staged.connector.code}: {staged.mapped} partner article "
              f"codes mapped; the partner dropped {', '.join(p.name for p in staged.files)} "
              f"into {staged.connector.import_folder}", highlight=False)


def _stage_demo_intersite() -> None:
    from comptoir.backoffice.engine import get_engine
    from comptoir.demo.intersite import stage_intersite

    staged = stage_intersite(get_engine())
    out.print(f"inter-site orders: site {staged.site} (this dossier plays both roles) has "
              f"{len(staged.orders)} confirmed orders for {staged.supplier} to mail "
              f"({', '.join(staged.orders)})", highlight=False)


def _stage_demo_tickets() -> None:
    from comptoir.backoffice.engine import get_engine
    from comptoir.demo.pos_registers import stage_for_task

    with out.status("registers selling offline, then extracting their tickets..."):
        staged = stage_for_task(get_engine())
    for item in staged or []:
        out.print(f"register {item.store} {item.register} sold {item.tickets} tickets offline; "
                  f"its ticket file {item.file.name} was dropped into {item.file.parent}",
                  highlight=False)


def _stage_demo_retail() -> None:
    from comptoir.backoffice.engine import get_engine
    from comptoir.demo.retail import stage_retail

    for line in stage_retail(get_engine()):
        out.print(line, highlight=False)


def gist(body: str, width: int = 90) -> str:
    """The concluding line of a task report, shortened for a table cell: the type's own
    last line (the framework's file and delivery lines only when it wrote none)."""
    from comptoir.automation.runner import business_lines

    lines = business_lines(body) or [line.strip() for line in body.splitlines()
                                     if line.strip()]
    last = lines[-1] if lines else ""
    return last if len(last) <= width else last[: width - 1] + "…"


def _by_folder(paths: list[Path], home: Path) -> list[str]:
    """Every produced file, one line per folder: `  var/outbox/demo (2): a.pdf, b.csv`."""
    folders: dict[Path, list[str]] = {}
    for path in paths:
        folders.setdefault(path.parent, []).append(path.name)
    lines = []
    for folder, names in folders.items():
        shown = folder.relative_to(home.parent) if home.parent in folder.parents else folder
        lines.append(f"  {shown} ({len(names)}): {', '.join(names)}")
    return lines


def _summary(results: list[dict[str, Any]], started: float, home: Path) -> None:
    from comptoir.automation.messages import list_messages
    from comptoir.backoffice.engine import get_engine

    table = Table("DAG", "state", "what it did", title="Nightly batch")
    with get_engine().connect() as conn:
        for result in results:
            reports = list_messages(conn, task_id=result["dag_id"], run_id=result["run_id"],
                                    limit=1) if result["run_id"] else []
            colour = "green" if result["state"] == "success" else "red"
            table.add_row(result["dag_id"], f"[{colour}]{result['state']}[/]",
                          gist(reports[0].body) if reports else "")
    out.print(table)
    produced = sorted(
        p for folder in ("outbox", "mail", "backups", "connectors") if (home / folder).exists()
        for p in (home / folder).rglob("*") if p.is_file() and p.stat().st_mtime >= started
        and (folder != "connectors" or p.parent.name == "out")  # the snapshots sent
    )
    if produced:
        out.print(f"[bold]Files produced[/] ({len(produced)}):")
        for line in _by_folder(produced, home):
            out.print(line, highlight=False)
    out.print(f"Reports: `comptoir messages` (the messages table of the dossier); "
              f"import reports in {home / 'reports'}; each task's log in the Airflow UI "
              f"(`make airflow`)", highlight=False)
