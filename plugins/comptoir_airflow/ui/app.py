"""The FastAPI app of the Comptoir view: pages (HTML) and the same data as JSON (`/api/...`).

Every route depends on `ReaderDep` (a logged-in Airflow user, see `auth`). Data comes from
the core; the only paths read from a request are confined by `comptoir.views.imports`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Body, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection

from comptoir_airflow.ui.auth import ReaderDep, request_token

__all__ = ["PAGES", "URL_PREFIX", "app"]

URL_PREFIX = "/comptoir"
PAGES = (("reports", "Task reports"), ("imports", "Imports"), ("spool", "Spool"),
         ("more", "POS log, receivables, sync"))
"""The pages in Airflow's navigation: route under `URL_PREFIX`, title."""
SPOOL_RETRY_DAG = "comptoir_spool_retry"
REPORT_HEADERS = {
    "Content-Security-Policy": "sandbox allow-scripts allow-popups "
                               "allow-popups-to-escape-sandbox allow-downloads",
    "X-Content-Type-Options": "nosniff",
}
"""Report files (GX Data Docs load scripts from CDNs) run sandboxed, in an origin of their
own: nothing in them can read the Airflow session."""

app = FastAPI(title="Comptoir", description="Comptoir's pages in the Airflow UI",
              docs_url=None, redoc_url=None, openapi_url=None)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
Size = Annotated[int | None, Query(ge=1, le=500)]


class NoDossier(Exception):
    """The dossier is missing or outdated: the page says so."""


@contextmanager
def _dossier() -> Iterator[Connection]:
    from comptoir.backoffice.engine import get_engine
    from comptoir.backoffice.migrate import require_current
    from comptoir.errors import ComptoirError

    try:
        require_current()
    except ComptoirError as exc:
        raise NoDossier(str(exc)) from exc
    with get_engine().connect() as conn:
        yield conn


@app.exception_handler(NoDossier)
async def _no_dossier(request: Request, exc: NoDossier) -> Any:
    path, root = request.url.path, request.scope.get("root_path", "")
    if (path[len(root):] if path.startswith(root) else path).startswith("/api/"):
        return JSONResponse({"detail": str(exc)}, status.HTTP_503_SERVICE_UNAVAILABLE)
    return _page(request, "empty.html", title="No dossier", message=str(exc))


def _airflow_root(request: Request) -> str:
    """Airflow's URL prefix (its base URL's path), for links to its own pages."""
    root = request.scope.get("root_path", "")
    return root[: -len(URL_PREFIX)] if root.endswith(URL_PREFIX) else root


def _page(request: Request, name: str, **values: Any) -> HTMLResponse:
    airflow = _airflow_root(request)
    return templates.TemplateResponse(request, name, {
        "pages": PAGES, "prefix": f"{airflow}{URL_PREFIX}", "airflow": airflow,
        "query": lambda **changes: urlencode({k: v for k, v in (
            dict(request.query_params) | changes).items() if v not in (None, "")}),
        "quote": lambda value: quote(str(value), safe=""), **values})


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name}: a date YYYY-MM-DD") from None


def _bad_request(exc: ValueError) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))


# -- Task reports -------------------------------------------------------------------------

def _messages(reader: Any, task: str | None, level: str | None, since: str | None,
              until: str | None, after: str | None, size: int | None) -> Any:
    from comptoir.automation.messages import LEVELS, page_messages

    if level and level not in LEVELS:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"level: one of {', '.join(LEVELS)}")
    end = _day(until, "until")
    with _dossier() as conn:
        try:
            return page_messages(conn, task_ids=reader.dag_ids, task_id=task, level=level,
                                 since=_day(since, "since"),
                                 until=end + timedelta(days=1) if end else None,
                                 after=after, size=size)
        except ValueError as exc:
            raise _bad_request(exc) from exc


@app.get("/", include_in_schema=False)
def index(request: Request, reader: ReaderDep) -> RedirectResponse:
    return RedirectResponse(f"{request.scope.get('root_path', '')}/reports")


@app.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, reader: ReaderDep, task: str | None = None,
                 level: str | None = None, since: str | None = None, until: str | None = None,
                 after: str | None = None, size: Size = None) -> HTMLResponse:
    page = _messages(reader, task, level, since, until, after, size)
    return _page(request, "reports.html", title="Task reports", page=page,
                 tasks=sorted(reader.dag_ids), task=task or "", level=level or "",
                 since=since or "", until=until or "")


@app.get("/api/messages")
def messages_json(reader: ReaderDep, task: str | None = None, level: str | None = None,
                  since: str | None = None, until: str | None = None, after: str | None = None,
                  size: Size = None) -> dict[str, Any]:
    page = _messages(reader, task, level, since, until, after, size)
    return {"items": [asdict(m) for m in page.items], "next": page.next}


# -- Imports ------------------------------------------------------------------------------

def _require_imports(reader: Any) -> None:
    from comptoir.automation.definitions import load_folder

    import_tasks = {d.id for d in load_folder().definitions if d.type == "imports"}
    if not reader.may_read_any(import_tasks):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed to read the import runs")


def _runs(reader: Any, entity: str | None, after: str | None, size: int | None) -> Any:
    from comptoir.views.imports import page_import_runs

    _require_imports(reader)
    with _dossier() as conn:
        try:
            return page_import_runs(conn, entity=entity, after=after, size=size)
        except ValueError as exc:
            raise _bad_request(exc) from exc


def _run_and_rejections(reader: Any, batch_id: str, after: str | None,
                        size: int | None) -> tuple[Any, Any, dict[str, str | None]]:
    from comptoir.views.imports import import_run, page_rejections, run_links
    from comptoir.views.page import Page

    _require_imports(reader)
    try:
        links = run_links(batch_id)  # refuses what is not a batch id, before anything else
        with _dossier() as conn:
            run = import_run(conn, batch_id)
        if run is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no import run {batch_id}")
        page = (page_rejections(batch_id, after=after, size=size)
                if links["rejections"] else Page([], None))
    except ValueError as exc:
        raise _bad_request(exc) from exc
    return run, page, links


@app.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, reader: ReaderDep, entity: str | None = None,
                 after: str | None = None, size: Size = None) -> HTMLResponse:
    page = _runs(reader, entity, after, size)
    return _page(request, "imports.html", title="Imports", page=page, entity=entity or "")


@app.get("/api/imports")
def imports_json(reader: ReaderDep, entity: str | None = None, after: str | None = None,
                 size: Size = None) -> dict[str, Any]:
    page = _runs(reader, entity, after, size)
    return {"items": [asdict(r) for r in page.items], "next": page.next}


@app.get("/imports/{batch_id}", response_class=HTMLResponse)
def import_run_page(request: Request, reader: ReaderDep, batch_id: str,
                    after: str | None = None, size: Size = None) -> HTMLResponse:
    run, page, links = _run_and_rejections(reader, batch_id, after, size)
    return _page(request, "import_run.html", title=f"Import of {run.entity}", run=run,
                 page=page, links=links)


@app.get("/api/imports/{batch_id}/rejections")
def rejections_json(reader: ReaderDep, batch_id: str, after: str | None = None,
                    size: Size = None) -> dict[str, Any]:
    run, page, links = _run_and_rejections(reader, batch_id, after, size)
    return {"run": asdict(run), "links": links, "next": page.next,
            "items": [{k: v for k, v in asdict(r).items() if k != "quote"} | {"record": r.quote}
                      for r in page.items]}


@app.get("/files/imports/{path:path}")
def report_file(reader: ReaderDep, path: str) -> FileResponse:
    """A file of the import reports (report.html, Data Docs, rejections.csv), confined."""
    from comptoir.views.imports import report_file as confined

    _require_imports(reader)
    try:
        found = confined(path)
    except ValueError as exc:
        raise _bad_request(exc) from exc
    except FileNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report file") from None
    if found.name == "rejections.csv":
        return FileResponse(found, media_type="text/csv; charset=utf-8",
                            filename=f"rejections-{found.parent.name}.csv")
    return FileResponse(found, headers=REPORT_HEADERS)


# -- Spool --------------------------------------------------------------------------------

def _spool(reader: Any) -> list[Any]:
    from comptoir.views.spool import spool_tasks

    try:
        with _dossier() as conn:
            return spool_tasks(conn, task_ids=reader.dag_ids)
    except NoDossier:
        return spool_tasks(None, task_ids=reader.dag_ids)


@app.get("/spool", response_class=HTMLResponse)
def spool_page(request: Request, reader: ReaderDep) -> HTMLResponse:
    return _page(request, "spool.html", title="Spool", tasks=_spool(reader),
                 retry_dag=SPOOL_RETRY_DAG)


@app.get("/api/spool")
def spool_json(reader: ReaderDep) -> dict[str, Any]:
    return {"items": [asdict(t) | {"since": t.since} for t in _spool(reader)]}


@app.post("/api/spool/retry")
async def spool_retry(request: Request, reader: ReaderDep,
                      body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Trigger the spool retry DAG through Airflow's REST API, as the logged-in user.

    A JSON body is required (a cross-site form cannot send one); Airflow itself decides
    whether this user may trigger that DAG.
    """
    import httpx

    base = f"{request.url.scheme}://{request.url.netloc}{_airflow_root(request)}"
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            f"{base}/api/v2/dags/{SPOOL_RETRY_DAG}/dagRuns",
            headers={"Authorization": f"Bearer {request_token(request)}"},
            json={"logical_date": None, "note": "Retry asked from the Comptoir spool page"})
    if answer.status_code >= 400:
        try:
            detail = answer.json().get("detail", answer.text)
        except ValueError:
            detail = answer.text
        raise HTTPException(answer.status_code, f"Airflow refused the run: {detail}")
    run = answer.json()
    return {"dag_id": SPOOL_RETRY_DAG, "run_id": run.get("dag_run_id"),
            "state": run.get("state"),
            "url": f"{_airflow_root(request)}/dags/{SPOOL_RETRY_DAG}/runs/"
                   f"{quote(str(run.get('dag_run_id')), safe='')}"}


# -- Other capabilities -------------------------------------------------------------------

@app.get("/more", response_class=HTMLResponse)
def more_page(request: Request, reader: ReaderDep) -> HTMLResponse:
    return _page(request, "more.html", title="POS log, receivables, sync")
