"""`imports` ("Importations"): the files waiting in an inbox, imported in dependency order.

The inbox is a local folder (default: `<inbox dir>/<task id>`), or an SFTP/FTP folder or
mail attachments (IMAP, POP3, a folder of `.eml` files) fetched into one by the `fetch`
step of the `inbox` DAG template. Each file says its entity by
its name (`comptoir.imports.naming`: `customers.csv`, `articles_2026-11.csv`,
`sales_documents.xml`; CSV sales documents come as `sales_documents[_X].csv` with their
lines in `sales_documents_lines[_X].csv`). Files are imported in `ENTITY_ORDER`, each
through `comptoir.imports.service.run_import` (the same controls as `comptoir import`),
then filed with the import's report:

- `done/`: the file was processed; every accepted record is written, rejected ones are
  listed in the report (the command's exit status 0 or 3);
- `failed/`: nothing of it was written (exit status 1: unreadable, a mandatory column
  missing, a mode the entity does not support), its name says no entity, or a CSV sales
  documents file came without its lines file (or lines without their headers).

The Great Expectations Data Docs of a pass are one site, built once after its last file
(`<reports>/imports/data_docs/<pass>/index.html`); each file's HTML report links to its
pages. A dry run controls everything, writes nothing and leaves the files waiting. Files of
entities outside the `entities` filter stay waiting too.

A real pass holds the inbox (`Inbox.processing`) and records the files it took
(`Inbox.claim`, with the Airflow run id). A dry run takes neither: it never waits for a
real pass, reads its own link of each file (`Inbox.peek`), and reports the files a live
pass is importing as "in progress in run X" instead of reading them (or finding
nothing). Rejected records make the run's report a warning with the counts;
`fail_on_rejections` makes them fail the run instead (what was accepted is written).

No Airflow here: the `inbox` template fetches, runs `run` as its `import_files` step,
and turns the output into the task report and one asset event per entity written (alias
`comptoir-imports`).
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.automation.fields import Separator, separator_field
from comptoir.automation.rejections import fail_on_rejections_field, verdict
from comptoir.automation.task_inbox import InboxOptions, TaskInbox, task_inbox
from comptoir.exchange.inbox import Claims, Inbox
from comptoir.imports.naming import (
    ENTITY_ORDER,
    LINES_PREFIX,
    MODES,
    entity_for_file,
    lines_file_for,
)

if TYPE_CHECKING:
    from comptoir.automation.catalog import RunContext
    from comptoir.imports.outputs import DataDocs

__all__ = ["ASSET_ALIAS", "ASSET_URI", "FileResult", "InboxRun",
           "Options", "TASK_TYPE", "asset_uri", "import_inbox", "import_task_inbox"]

_logger = logging.getLogger(__name__)
Log = Callable[[str], None]

#: The asset of an imported entity: `comptoir://dossier/<entity>`.
ASSET_URI = "comptoir://dossier/{entity}"
#: The alias the import step emits its asset events through.
ASSET_ALIAS = "comptoir-imports"

ENTITY_TITLES: dict[str, str] = {
    "regimes": "Régimes fiscaux", "vat": "Codes TVA", "revision_indexes": "Indices de révision",
    "depots": "Dépôts et magasins", "suppliers": "Fournisseurs", "customers": "Clients",
    "customer_addresses": "Adresses clients", "articles": "Articles",
    "stocks": "Stocks initiaux", "bom": "Nomenclatures", "sales_documents": "Documents de vente",
}

NAMING_RULE = (
    "name a file after its entity: <entity>.csv or <entity>_<anything>.csv (.txt too; "
    ".xml for sales documents), the entity being one of " + ", ".join(ENTITY_ORDER)
    + "; the lines of sales_documents[_X].csv go in sales_documents_lines[_X].csv"
)

EntityName = Literal[ENTITY_ORDER]  # type: ignore[valid-type]
Mode = Literal[MODES]  # type: ignore[valid-type]


def asset_uri(entity: str) -> str:
    """The URI of the asset updated when records of `entity` are written."""
    return ASSET_URI.format(entity=entity)


class Options(InboxOptions):
    """Options of `imports`: the inbox (`source`), then what and how to import."""

    entities: list[EntityName] = Field(
        default_factory=list,
        title="Entities",
        description="Import only the files of these entities; the others stay waiting. "
        "Empty: every entity, in dependency order.",
        json_schema_extra={
            "section": "Files",
            "examples": list(ENTITY_ORDER),
            "values_display": {e: f"{ENTITY_TITLES[e]} ({e})" for e in ENTITY_ORDER},
        },
    )
    mode: Mode = Field(
        default="create",
        title="Mode",
        description="create: new records only (a code that exists is rejected); modify: "
        "update existing records, only the columns filled in the file.",
        json_schema_extra={
            "section": "Import",
            "values_display": {"create": "Create new records", "modify": "Modify existing records"},
        },
    )
    dry_run: bool = Field(
        default=False,
        title="Dry run",
        description="Run every control and write the reports, but write nothing in the "
        "dossier; the files stay waiting. A dry run never waits for nor takes a file from "
        "a real run: the files a real run is importing are listed as in progress. From the "
        "UI, untick \"Unpause on trigger\" on a paused DAG, or its scheduled run imports "
        "the files first.",
        json_schema_extra={"section": "Import"},
    )
    auto_create_regimes: bool = Field(
        default=False,
        title="Create unknown tax regimes",
        description="Customers and suppliers: a REGIME_CODE the dossier does not know is "
        "created (name = code) instead of rejecting the record.",
        json_schema_extra={"section": "Import"},
    )
    auto_create_vat: bool = Field(
        default=False,
        title="Create unknown VAT codes",
        description="Articles: a TVA_CODE the dossier does not know is created (name = "
        "code, rate 0) instead of rejecting the record.",
        json_schema_extra={"section": "Import"},
    )
    fail_on_rejections: bool = fail_on_rejections_field("records", "Import")
    separator: Separator = separator_field("Field separator of the CSV files.")


# --------------------------------------------------------------------------- results


@dataclass
class FileResult:
    """What became of one waiting file (a CSV sales documents file with its lines file)."""

    files: list[str]
    entity: str | None
    outcome: Literal["done", "failed", "dry run"]
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    error: str | None = None
    written: dict[str, int] = field(default_factory=dict)
    batch_id: str | None = None
    report: str | None = None
    """The import's HTML report."""
    filed: str | None = None
    """Where the file went (done/ or failed/), None when it stays waiting."""
    repeat: str | None = None
    """Why the file is a repeat of one imported whole before (nothing written), if it is."""
    taken_by: str | None = None
    """Dry run: the real run that took the file first (the file was not read)."""

    def line(self) -> str:
        """One line of the task report."""
        what = f"{' + '.join(self.files)} — {self.entity or 'unknown entity'}: "
        if self.taken_by is not None:
            return what + f"taken by run {self.taken_by}, not read by this dry run"
        if self.error is not None:
            what += f"not imported: {self.error}"
        elif self.repeat is not None:
            what += f"a repeat: {self.repeat}"
        else:
            what += f"{self.records} records, {self.accepted} accepted, {self.rejected} rejected"
        where = {"done": "done", "failed": "failed", "dry run": "dry run, left waiting"}
        what += f" → {where[self.outcome]}"
        if self.filed:
            what += f" ({self.filed})"
        return what + (f"; report {self.report}" if self.report else "")


@dataclass
class InboxRun:
    """What one pass over an inbox did."""

    inbox: str
    dry_run: bool
    results: list[FileResult] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    """Files left waiting: not in the entity filter."""
    recent: list[str] = field(default_factory=list)
    """Files left for the next run: modified too recently, they may still be being copied."""
    data_docs: str | None = None
    """The index of the pass's Great Expectations Data Docs, when some were built."""
    in_progress: str | None = None
    """Dry run: the real run importing files of this inbox when it started."""
    busy: list[str] = field(default_factory=list)
    """Dry run: the files `in_progress` had taken (not read by the dry run)."""
    last: dict[str, Any] | None = None
    """The last real pass over the inbox (`Claim`): said when no file waits."""

    @property
    def failed(self) -> list[FileResult]:
        """The files that went to failed/ (or would have, on a dry run)."""
        return [r for r in self.results if r.error is not None]

    @property
    def read(self) -> list[FileResult]:
        """The files imported (or dry-run), not failed, not taken by another run."""
        return [r for r in self.results if r.error is None and r.taken_by is None]

    def rejections(self) -> str | None:
        """"6 of 6 records rejected (customers.csv)" when records were rejected, else None."""
        rejected = [r for r in self.read if r.rejected]
        if not rejected:
            return None
        count = sum(r.rejected for r in rejected)
        records = sum(r.records for r in self.read)
        verb = "would be rejected" if self.dry_run else "rejected"
        return (f"{count} of {records} records {verb} "
                f"({', '.join(' + '.join(r.files) for r in rejected)}): see the import reports")

    def imported(self) -> dict[str, dict[str, Any]]:
        """Per entity with records written: the asset event's extra (files, counts, batches)."""
        entities: dict[str, dict[str, Any]] = {}
        for result in self.results:
            if self.dry_run or result.error is not None or not result.accepted:
                continue
            assert result.entity is not None
            extra = entities.setdefault(result.entity, {"files": [], "records": 0,
                                                        "accepted": 0, "rejected": 0,
                                                        "batch_ids": []})
            extra["files"] += result.files
            extra["records"] += result.records
            extra["accepted"] += result.accepted
            extra["rejected"] += result.rejected
            extra["batch_ids"].append(result.batch_id)
        return entities

    def error(self) -> str | None:
        """Why the run is a failure (files in failed/), else None."""
        if not self.failed:
            return None
        names = "; ".join(f"{' + '.join(r.files)}: {r.error}" for r in self.failed)
        count = len(self.failed)
        return f"{count} file{'s' if count > 1 else ''} could not be imported: {names}"

    def lines(self) -> list[str]:
        """The task report's lines."""
        lines = [f"Inbox: {self.inbox}"]
        if self.busy:
            lines.append(f"In progress in run {self.in_progress}, not read by this dry run: "
                         + ", ".join(self.busy))
        if not self.results and not self.busy:
            last = self.last
            lines.append("No file to import" + (
                f" (the last run, {last['run_id']}, took {', '.join(last['files'])}"
                f" at {last['finished'] or last['started']})"
                if last and last.get("files") else ""))
        lines += [r.line() for r in self.results]
        if self.left:
            lines.append(f"Left waiting (not in the entities of this run): {', '.join(self.left)}")
        if self.recent:
            lines.append("Left for the next run (modified moments ago, maybe still being "
                         f"copied): {', '.join(self.recent)}")
        if self.dry_run:
            lines.append("Dry run: nothing was written in the dossier; the files stay waiting")
        counts = self.rejections()
        if counts:
            lines.append(counts)
        if self.data_docs:
            lines.append(f"Great Expectations Data Docs: {self.data_docs}")
        written = self.imported()
        if written:
            lines.append("Records written: " + ", ".join(
                f"{entity} {extra['accepted']}" for entity, extra in written.items()))
        return lines

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the XCom of the DAG's import step)."""
        return asdict(self)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class _Job:
    entity: str | None
    path: Path
    lines: Path | None = None
    problem: str | None = None


def _plan(ready: list[Path], young: set[str],
          entities: set[str]) -> tuple[list[_Job], list[str], list[str]]:
    """The imports to run in dependency order, the names filtered out, those that wait."""
    by_name = {p.name.lower(): p for p in ready}
    lines_files = {name: p for name, p in by_name.items() if name.startswith(LINES_PREFIX)}
    used: set[str] = set()
    jobs: list[_Job] = []
    left: list[str] = []
    wait: list[str] = []
    unknown: list[_Job] = []
    for path in ready:
        entity = entity_for_file(path.name)
        if entity is None and path.name.lower() not in lines_files:
            unknown.append(_Job(None, path, problem=f"the file name says no entity: {NAMING_RULE}"))
    for entity in ENTITY_ORDER:
        for path in (p for p in ready if entity_for_file(p.name) == entity):
            if entity not in entities:
                left.append(path.name)
                continue
            wanted = lines_file_for(path.name)
            if wanted is None:
                jobs.append(_Job(entity, path))
                continue
            wanted = wanted.lower()
            if wanted in young:
                wait.append(path.name)  # its lines file may still be being copied
            elif wanted in lines_files:
                used.add(wanted)
                jobs.append(_Job(entity, path, lines_files[wanted]))
            else:
                jobs.append(_Job(entity, path, problem=(
                    f"its lines file {Path(lines_file_for(path.name) or '').name} is missing: "
                    "send the headers and their lines together")))
    for name, path in lines_files.items():
        if name in used:
            continue
        if "sales_documents" in entities:
            jobs.append(_Job("sales_documents", path, problem=(
                "a lines file without its headers file (sales_documents"
                f"{path.stem[len(LINES_PREFIX):]}{path.suffix}): send them together")))
        else:
            left.append(path.name)
    return unknown + jobs, sorted(left, key=str.lower), wait


# --------------------------------------------------------------------------- running


def import_inbox(
    inbox: Inbox,
    options: Options,
    *,
    pattern: str = "*",
    min_age: float = 0.0,
    describe: str | None = None,
    url: str | None = None,
    data_docs: bool = True,
    log: Log = print,
    run_id: str | None = None,
) -> InboxRun:
    """Import the files waiting in `inbox` in dependency order; file each with its report.

    `pattern` and `min_age` select the waiting files as `Inbox.waiting` does. One real
    pass at a time per inbox, recorded as run `run_id`; a dry run takes no turn and no
    file (module documentation). A dossier that cannot be reached raises before any file
    is touched.
    """
    from comptoir.backoffice.engine import get_engine

    with get_engine(url).connect():
        pass  # the dossier is down: raise now, every file stays waiting for the next run
    run = InboxRun(describe or str(inbox.root), options.dry_run)
    if options.dry_run:
        _dry_pass(inbox, run, options, pattern=pattern, min_age=min_age, url=url,
                  data_docs=data_docs, log=log)
        return run
    with inbox.processing():
        jobs = _plan_pass(inbox, run, options, inbox.waiting(pattern), min_age)
        names = [p.name for job in jobs for p in (job.path, job.lines) if p is not None]
        with inbox.claim(run_id or f"pid-{os.getpid()}", names):
            _run_jobs(jobs, run, data_docs, lambda job, docs: _import(
                inbox, job, options, url=url, data_docs=docs), log)
    return run


def _plan_pass(inbox: Inbox, run: InboxRun, options: Options, everything: list[Path],
               min_age: float) -> list[_Job]:
    """The pass's jobs from the waiting files; `run.left` and `run.recent` filled."""
    if min_age:
        old_enough = set(inbox.waiting(min_age=min_age))
        ready = [p for p in everything if p in old_enough]
    else:
        ready = everything
    young = {p.name.lower() for p in everything} - {p.name.lower() for p in ready}
    jobs, run.left, wait = _plan(ready, young, set(options.entities or ENTITY_ORDER))
    run.recent = sorted([*wait, *(p.name for p in everything if p.name.lower() in young)],
                        key=str.lower)
    return jobs


def _run_jobs(jobs: list[_Job], run: InboxRun, data_docs: bool,
              one: Callable[[_Job, DataDocs | bool], FileResult], log: Log) -> None:
    docs = _data_docs() if data_docs else None
    try:
        for job in jobs:
            result = one(job, docs or False)
            run.results.append(result)
            log(result.line())
    finally:
        if docs is not None and docs.build():
            run.data_docs = str(docs.index)


def _dry_pass(inbox: Inbox, run: InboxRun, options: Options, *, pattern: str,
              min_age: float, url: str | None, data_docs: bool, log: Log) -> None:
    """A dry run: no turn taken, no file claimed; the files a live pass took are listed."""
    claims = inbox.claims()
    _note_claims(run, claims)
    free = [p for p in inbox.waiting(pattern) if claims.holder(p.name) is None]
    jobs = _plan_pass(inbox, run, options, free, min_age)
    folder = inbox.root / f".dry-run-{uuid.uuid4().hex}"
    try:
        _run_jobs(jobs, run, data_docs, lambda job, docs: _dry_import(
            inbox, job, options, folder, url=url, data_docs=docs), log)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _note_claims(run: InboxRun, claims: Claims) -> None:
    if claims.current is not None:
        run.in_progress, run.busy = claims.current.run_id, list(claims.current.files)
    if claims.last is not None:
        run.last = asdict(claims.last)


def _dry_import(inbox: Inbox, job: _Job, options: Options, folder: Path, *,
                url: str | None, data_docs: DataDocs | bool) -> FileResult:
    """One job of a dry run, on private links to its files, unless a real run took them."""
    parts = [p for p in (job.path, job.lines) if p is not None]
    names = [p.name for p in parts]
    if job.problem is None:
        claims = inbox.claims()
        holder = next((c for c in map(claims.holder, names) if c is not None), None)
        links = [] if holder else [inbox.peek(p, folder) for p in parts]
        if holder or None in links:
            last = claims.last
            taken = holder or (last if last and set(names) & set(last.files) else None)
            return FileResult(names, job.entity, "dry run",
                              taken_by=taken.run_id if taken else "another run")
        job = _Job(job.entity, links[0], links[1] if len(links) > 1 else None)
    return _import(inbox, job, options, url=url, data_docs=data_docs)


def _data_docs() -> DataDocs:
    """The Data Docs of one pass, shared by its files and built once at the end."""
    import uuid
    from datetime import UTC, datetime

    from comptoir import paths
    from comptoir.imports.outputs import DataDocs

    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    return DataDocs(paths.reports_dir() / "imports" / "data_docs" / name)


def _import(inbox: Inbox, job: _Job, options: Options, *, url: str | None,
            data_docs: DataDocs | bool) -> FileResult:
    html = None
    if job.problem is not None:
        files = [job.path.name] + ([job.lines.name] if job.lines else [])
        document = _failure(job.entity, files, options, job.problem)
    else:
        from comptoir.imports.service import run_import

        assert job.entity is not None
        try:
            report = run_import(
                job.entity, job.path, lines_file=job.lines, mode=options.mode,
                dry_run=options.dry_run, auto_create_regimes=options.auto_create_regimes,
                auto_create_vat=options.auto_create_vat, sep=options.separator, url=url,
                data_docs=data_docs)
        except Exception as exc:  # noqa: BLE001  (filed in failed/ with the reason; trace logged)
            _logger.exception("import of %s failed", job.path.name)
            files = [job.path.name] + ([job.lines.name] if job.lines else [])
            document = _failure(job.entity, files, options,
                                f"the import stopped: {type(exc).__name__}: {exc}")
        else:
            document = report.to_dict()
            html = report.folder / "report.html" if report.folder else None
    return _file(inbox, job, document, html)


def _failure(entity: str | None, files: list[str], options: Options, error: str) -> dict[str, Any]:
    """A report document of the contract's shape for a file that was not imported."""
    return {"entity": entity, "mode": options.mode, "dry_run": options.dry_run,
            "files": files, "batch_id": None, "records": 0, "accepted": 0, "rejected": 0,
            "error": error, "rejections": [], "warnings": [], "written": {},
            "rejections_by_rule": {}, "rejections_complete": True, "rejections_file": None}


def _file(inbox: Inbox, job: _Job, document: dict[str, Any], html: Path | None) -> FileResult:
    failed = document["error"] is not None
    result = FileResult(
        files=list(document["files"]), entity=job.entity,
        outcome="dry run" if document["dry_run"] else "failed" if failed else "done",
        records=document["records"], accepted=document["accepted"],
        rejected=document["rejected"], error=document["error"],
        written=dict(document["written"]), batch_id=document["batch_id"],
        report=str(html) if html else None,
        repeat=next((r["message"] for r in document["rejections"]
                     if r["rule"] == "already_imported" and r["line"] is None), None))
    if result.outcome == "dry run":
        return result
    move = inbox.failed if failed else inbox.done
    target = move(job.path, document)
    if job.lines is not None:
        move(job.lines, document)
    result.filed = str(target.parent)
    return result


def import_task_inbox(
    task_id: str, options: Options, *, url: str | None = None, data_docs: bool = True,
    log: Log = print, inbox: TaskInbox | None = None, run_id: str | None = None,
) -> InboxRun:
    """Import what waits in task `task_id`'s inbox (for remote sources: what was fetched)."""
    inbox = inbox or task_inbox(task_id, options)
    return import_inbox(inbox.inbox, options, pattern=inbox.source.pattern,
                        min_age=inbox.min_age, describe=inbox.describe(), url=url,
                        data_docs=data_docs, log=log, run_id=run_id)


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: import the files waiting in the task's inbox, in order.

    Files that could not be imported are in failed/: the output's `error` says which,
    and the report fails the run, while the entities written still update their assets.
    """
    url = ctx.engine.url.render_as_string(hide_password=False)
    result = import_task_inbox(ctx.task_id, options, url=url, log=ctx.log, inbox=ctx.inbox,
                               run_id=ctx.run_id)
    assets = {asset_uri(entity): {"task_id": ctx.task_id, **extra}
              for entity, extra in result.imported().items()}
    error, warning = verdict(result.error(), result.rejections(), options.fail_on_rejections)
    return TaskOutput(summary=result.lines(), assets=assets, error=error, warning=warning)


TASK_TYPE = TaskType(
    name="imports",
    title="Importations",
    category=Category.IMPORT_EXPORT,
    description=(
        "Imports the files waiting in an inbox (a local folder, an SFTP or FTP folder, or "
        "the attachments of an IMAP or POP3 mailbox) in dependency order: regimes, VAT, revision "
        "indexes, depots, suppliers, customers, customer addresses, articles, stocks, "
        "BOMs, sales documents. The file name says the entity (customers.csv, "
        "articles_2026-11.csv, ...). Every record is controlled; each file goes to done/ "
        "or failed/ with its report, and each entity written updates its asset. Rejected "
        "records make the report a warning (fail_on_rejections: a failure). For a dry run "
        "of a paused DAG, untick \"Unpause on trigger\": ticked, it first starts the "
        "scheduled run, which imports the files."
    ),
    options=Options,
    run=run,
    produces_files=False,
    template="inbox",
    step="import_files",
    asset_alias=ASSET_ALIAS,
)
