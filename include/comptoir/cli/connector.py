"""`comptoir connector`: the partner CSV connector (`spec/econnector.md`).

The group is the module-level `connector_app`, so that other modules add their commands
to it (`connector_mappings`: correspondences; `connector_sync`: receive, pending;
`connector_send`: send). This module holds the settings commands (`create`, `set`,
`show`, `list`, `delete`) and `history`.

Every command of the group first warns on stderr, one line per connector in `at_start`
reception mode whose import folder holds waiting files
(`warning: connector FACILI: data waiting for reception (N files)`); the warning never
fails a command (no dossier yet, an unreadable folder: no warning).

Exit statuses: 0 done; 1 unknown connector (but `history`, which also lists a deleted
connector's runs), invalid connector code, a value a setting does not take (the message
names the key and why), a code that exists already — nothing is written then; 2 usage
error (a missing option or argument, a bad `--since` date, `--direction` or `--limit`).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from comptoir.cli.output import JSON_HELP, print_json, print_listing
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from comptoir.econnector.settings import Connector

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

connector_app = typer.Typer(
    help="Partner CSV connector (Facilitime): settings, article correspondences, "
         "reception, sending and history.", no_args_is_help=True)

LIST_COLUMNS = ("code", "link", "document_type", "reception_mode", "pending_files")
HISTORY_COLUMNS = ("started_at", "finished_at", "direction", "run_id", "files", "counts",
                   "error")
ITEM_COLUMNS = ("run_id", "file", "line", "type", "identifier", "state", "messages")


class Direction(enum.StrEnum):
    """The direction of a run."""

    IN = "in"
    """Receptions."""
    OUT = "out"
    """Sendings."""


def register(app: typer.Typer) -> None:
    app.add_typer(connector_app, name="connector")


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


def pending_files(connector: Connector) -> int | None:
    """How many files a reception would take now (None: the import folder is unreadable)."""
    from comptoir.econnector.files import waiting_files

    try:
        return len(waiting_files(connector))
    except (OSError, ValueError):
        return None


def _dossier_exists() -> bool:
    """False for an embedded dossier whose file is not there yet (opening would create it)."""
    from sqlalchemy.engine import make_url

    from comptoir.backoffice.engine import database_url

    url = make_url(database_url())
    return url.get_backend_name() != "sqlite" or Path(url.database or "").is_file()


@connector_app.callback()
def warn_waiting_data() -> None:
    """Warn about the `at_start` connectors whose import folder holds waiting files."""
    from sqlalchemy.exc import SQLAlchemyError

    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.settings import connector_codes, load_connector

    try:
        if not _dossier_exists():
            return
        with dossier().connect() as conn:
            connectors = [load_connector(conn, code) for code in connector_codes(conn)]
    except (ComptoirError, SQLAlchemyError, OSError, ValueError):
        return  # no dossier yet, an outdated or unreachable one: the command itself says
    for connector in connectors:
        if connector.get("reception_mode") != "at_start":
            continue
        if count := pending_files(connector):
            err.print(f"warning: connector {connector.code}: data waiting for reception "
                      f"({count} files)", highlight=False, markup=False)


@connector_app.command("create")
def create(
    code: str = typer.Argument(..., help="1–20 letters, digits, _ or - (stored upper-case)."),
    link: str = typer.Option(..., "--link", help="The link type: facilitime."),
    document_type: str = typer.Option(..., "--document-type", help="orders or "
                                      "delivery_notes: the document a reception creates."),
    depot: str = typer.Option(..., "--depot", help="Depot (and so site) of the documents."),
    customer_family: str = typer.Option(..., "--customer-family", help="Family of the "
                                        "customers a reception creates."),
    supplier_family: str | None = typer.Option(None, "--supplier-family", help="Family of "
                                               "the suppliers a reception creates (required "
                                               "while the purchases_module setting is on)."),
    import_path: str | None = typer.Option(None, "--import-path", help="Folder the partner "
                                           "drops files into (default CODE/in under "
                                           "COMPTOIR_HOME/connectors/)."),
    export_path: str | None = typer.Option(None, "--export-path", help="Folder Comptoir "
                                           "writes sent files into (default CODE/out)."),
    reception_mode: str | None = typer.Option(None, "--reception-mode", help="manual "
                                              "(default) or at_start: warn when data waits."),
) -> None:
    """Create a connector; nothing is written when a value is refused."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.settings import create_connector

    values = {"link": link, "document_type": document_type, "depot": depot,
              "customer_family": customer_family, "supplier_family": supplier_family,
              "import_path": import_path, "export_path": export_path,
              "reception_mode": reception_mode}
    with dossier().begin() as conn:
        connector = create_connector(conn, code, values)
    _say(f"connector {connector.code} created (import folder {connector.import_folder}, "
         f"export folder {connector.export_folder})")


@connector_app.command("set")
def set_(
    code: str = typer.Argument(..., help="The connector."),
    key: str = typer.Argument(..., help="A setting (see `connector show`)."),
    value: str = typer.Argument(..., help="Its new value (empty: back to the default)."),
) -> None:
    """Change one setting; nothing changes when the key or the value is refused."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.settings import set_value

    with dossier().begin() as conn:
        connector = set_value(conn, code, key, value)
    _say(f"connector {connector.code}: {key} = {connector.get(key)}")


def _shown(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "on" if value else "off"
    return {"\t": "tab"}.get(value, value) if isinstance(value, str) else value


@connector_app.command("show")
def show(
    code: str = typer.Argument(..., help="The connector."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Every setting of a connector, defaults filled in, folders absolute."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.settings import load_connector

    with dossier().connect() as conn:
        shown = load_connector(conn, code).as_json()
    if as_json:
        print_json(shown)
        return
    print_listing(("key", "value"), [(key, _shown(value)) for key, value in shown.items()],
                  console=out)


@connector_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The dossier's connectors, with the number of files waiting for reception."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.settings import connector_codes, load_connector

    with dossier().connect() as conn:
        connectors = [load_connector(conn, code) for code in connector_codes(conn)]
    rows = [{"code": c.code, "link": c.get("link"), "document_type": c.get("document_type"),
             "reception_mode": c.get("reception_mode"), "pending_files": pending_files(c)}
            for c in connectors]
    print_listing(LIST_COLUMNS, rows, as_json=as_json, console=out)


@connector_app.command("delete")
def delete(code: str = typer.Argument(..., help="The connector.")) -> None:
    """Remove a connector's settings and correspondences; its history stays."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.settings import check_code, delete_connector

    with dossier().begin() as conn:
        delete_connector(conn, code)
    _say(f"connector {check_code(code)} deleted (its history stays)")


def _counts(counts: dict[str, int] | None) -> str | None:
    if counts is None:
        return None
    return ", ".join(f"{number} {state}" for state, number in counts.items())


@connector_app.command("history")
def history(
    code: str = typer.Argument(..., help="The connector (a deleted one too)."),
    direction: Direction | None = typer.Option(None, "--direction", help="in (receptions) "
                                               "or out (sendings)."),
    since: dt.datetime | None = typer.Option(None, "--since", formats=["%Y-%m-%d"],
                                             help="Runs started this day (YYYY-MM-DD) or "
                                             "later."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the newest N runs."),
    items: bool = typer.Option(False, "--items", help="Also each run's items."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """A connector's receptions and sendings, newest first."""
    from comptoir.cli.open_dossier import dossier
    from comptoir.econnector.history import list_runs

    with dossier().connect() as conn:
        runs = list_runs(conn, code, direction=direction.value if direction else None,
                         since=since.date() if since else None, limit=limit, items=items)
    if as_json:
        print_json(runs)
        return
    print_listing(HISTORY_COLUMNS, [{**run, "counts": _counts(run["counts"])} for run in runs],
                  console=out)
    if items:
        print_listing(ITEM_COLUMNS, [{"run_id": run["run_id"], **item}
                                     for run in runs for item in run["items"]], console=out)
