"""The Comptoir view and the trigger forms in a real browser: headless Chromium (Debian's
chromium and chromium-driver, `make test-servers`) drives a real `airflow api-server`, both
started once for the module. The user logs in through Airflow's login page, reads the
Comptoir pages as Airflow embeds them, filters, follows a report to its DAG run, asks the
spool for a retry; the trigger form of a task DAG of each template shows a title and a
description for every option. Screenshots go to the tests' artefacts
(`var/test-artefacts/ui/`, or `$COMPTOIR_TEST_ARTEFACTS/ui/`)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.servers.airflow import ApiServer, running_api_server

ROOT = Path(__file__).resolve().parents[2]
TASKS = {"daily-journal": "default", "nightly-imports": "inbox"}
"""The task DAGs of the test, by their type's template."""
SPOOLED_TASK = "daily-journal"
WAIT = 30
FIELDS = """
const fields = {};
for (const input of arguments[0].querySelectorAll('[id^="element_"], [name^="element_"]')) {
  const root = input.closest('[data-scope="field"][data-part="root"]');
  if (!root || !root.getClientRects().length) continue;
  const text = (part) => ((root.querySelector('[data-part="' + part + '"]') || {}).textContent
                          || "").trim();
  const key = (input.id.startsWith("element_") ? input.id : input.name).slice(8);
  fields[key] = {title: text("label"), description: text("helper-text")};
}
return fields;
"""
"""The options shown in a section of the trigger form: the title (label) and description
(helper text) Airflow shows for each."""


def artefacts() -> Path:
    base = Path(os.environ.get("COMPTOIR_TEST_ARTEFACTS", ROOT / "var" / "test-artefacts"))
    folder = base / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _seed_dossier(home: Path, run_id: str) -> str:
    """A task report per task (one of `run_id`), an import run with a rejection and a file
    waiting in a spool, in the dossier of `home`; the import run's id."""
    from comptoir.automation.messages import Report, record
    from comptoir.backoffice import migrate
    from comptoir.backoffice.engine import dispose_engines, get_engine
    from comptoir.backoffice.schema import import_batches
    from comptoir.exchange import spool
    from comptoir.views.imports import reports_root

    batch = str(uuid.uuid4())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPTOIR_HOME", str(home))
        url = f"sqlite:///{home / 'comptoir.db'}"
        migrate.upgrade(url)
        with get_engine(url).begin() as conn:
            record(conn, Report("nightly-imports", "scheduled__2026-10-26T01:30:00+00:00",
                                "warning", "Imports: 1 record rejected", "articles.csv: 2 of 3"))
            record(conn, Report(SPOOLED_TASK, run_id, "error", "Daily journal not delivered",
                                "The destination demo/editions refused the file; it waits "
                                "in the spool."))
            conn.execute(import_batches.insert().values(
                id=batch, entity="articles", mode="create", files=json.dumps(["articles.csv"]),
                records=3, accepted=2, rejected=1))
        dispose_engines()
        folder = reports_root() / batch
        folder.mkdir(parents=True)
        (folder / "rejections.csv").write_text(
            "file;line;key;rule;field;message;record\n"
            'articles.csv;3;A2;missing_value;label;the label is empty;"A2;;1"\n',
            encoding="utf-8")
        waiting = home / "brouillard-M01-20261025.pdf"
        waiting.write_bytes(b"%PDF-1.4 the cash sheet")
        spool.enqueue(SPOOLED_TASK, [waiting])
    return batch


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's folder: its data home `home/` and tasks folder `tasks/`."""
    return tmp_path_factory.mktemp("ui-browser")


@pytest.fixture(scope="module")
def server(airflow_db: Path, folder: Path) -> Iterator[ApiServer]:
    (folder / "tasks").mkdir()
    (folder / "home").mkdir()
    for task in TASKS:
        shutil.copy(ROOT / "tasks" / f"{task}.json", folder / "tasks")
    with running_api_server(folder, folder / "home", folder / "tasks") as running:
        yield running


@pytest.fixture(scope="module")
def run_id(server: ApiServer) -> str:
    """A real run of the spooled task's DAG (queued: no scheduler runs it), whose report the
    dossier holds, so its link leads to a page Airflow knows."""
    answer = httpx.post(f"{server.url}/api/v2/dags/{SPOOLED_TASK}/dagRuns", timeout=30,
                        headers=server.headers("admin"), json={"logical_date": None})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["dag_run_id"])


@pytest.fixture(scope="module")
def batch(server: ApiServer, run_id: str, folder: Path) -> str:
    return _seed_dossier(folder / "home", run_id)


@pytest.fixture(scope="module")
def browser(server: ApiServer) -> Iterator[WebDriver]:
    """Headless Chromium, logged in as admin through Airflow's login page."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.fail("Chromium or its driver is missing: run `make test-servers`, which installs "
                    "Debian's chromium and chromium-driver", pytrace=False)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1280,900"):
        options.add_argument(flag)
    options.binary_location = chromium
    try:
        driver = webdriver.Chrome(options=options,
                                  service=webdriver.ChromeService(chromedriver))
    except WebDriverException as exc:
        pytest.fail(f"Chromium did not start ({exc.msg}): run `make test-servers`, which "
                    "installs Debian's chromium and chromium-driver", pytrace=False)
    try:
        driver.get(f"{server.url}/")
        wait = WebDriverWait(driver, WAIT)
        wait.until(ready.presence_of_element_located((By.NAME, "password")))
        assert "/auth/login" in driver.current_url  # Airflow asks who we are
        driver.find_element(By.NAME, "username").send_keys("admin")
        driver.find_element(By.NAME, "password").send_keys(server.passwords["admin"])
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: d.get_cookie("_token") is not None)
        yield driver
    finally:
        driver.quit()


def _snap(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(artefacts() / f"{name}.png"))


def _open_comptoir(driver: WebDriver, server: ApiServer, route: str,
                   shows: str) -> WebDriverWait:
    """Open the Comptoir page `route` as Airflow's navigation does (embedded in its UI) and
    work inside it once it shows the text `shows`."""
    driver.switch_to.default_content()
    driver.get(f"{server.url}/plugin/comptoir-{route}")
    wait = WebDriverWait(driver, WAIT)
    wait.until(ready.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    wait.until(ready.text_to_be_present_in_element((By.TAG_NAME, "body"), shows))
    return wait


def test_the_login_page_lets_the_user_in(browser: WebDriver, server: ApiServer) -> None:
    browser.get(f"{server.url}/")
    WebDriverWait(browser, WAIT).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, "a[href='/dags']")))
    assert "/auth/login" not in browser.current_url
    _snap(browser, "airflow-home")


def test_task_reports_filter_by_task_and_lead_to_the_dag_run(
        browser: WebDriver, server: ApiServer, batch: str, run_id: str) -> None:
    wait = _open_comptoir(browser, server, "reports", "Task reports")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Imports: 1 record rejected" in body and "Daily journal not delivered" in body
    _snap(browser, "task-reports")
    Select(browser.find_element(By.NAME, "task")).select_by_visible_text(SPOOLED_TASK)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait.until(lambda d: "task=" in d.execute_script("return location.search"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table tr")[1:]
    assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == [SPOOLED_TASK]
    assert "Imports: 1 record rejected" not in browser.find_element(By.TAG_NAME, "body").text
    _snap(browser, "task-reports-filtered")
    rows[0].find_element(By.LINK_TEXT, run_id).click()
    browser.switch_to.default_content()
    wait.until(lambda d: f"/dags/{SPOOLED_TASK}/runs/" in d.current_url)
    wait.until(ready.text_to_be_present_in_element((By.TAG_NAME, "body"), run_id))
    _snap(browser, "task-report-dag-run")


def test_an_import_run_shows_its_rejections(browser: WebDriver, server: ApiServer,
                                            batch: str) -> None:
    wait = _open_comptoir(browser, server, "imports", "Imports")
    row = browser.find_element(By.XPATH, "//tr[td[text()='articles']]")
    assert [c.text for c in row.find_elements(By.TAG_NAME, "td")][3:7] == [
        "create", "3", "2", "1"]
    _snap(browser, "imports")
    row.find_element(By.LINK_TEXT, "rejections").click()
    wait.until(ready.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Import of articles"))
    cells = [c.text for c in browser.find_elements(By.XPATH, "//tr[td][1]/td")]
    assert cells[:5] == ["articles.csv", "3", "A2", "missing_value", "label"]
    assert cells[5].startswith("the label is empty")
    assert browser.find_element(By.LINK_TEXT, "Rejected lines (CSV)")
    _snap(browser, "import-rejections")


def test_retry_now_on_the_spool_page_triggers_the_spool_retry_dag(
        browser: WebDriver, server: ApiServer, batch: str) -> None:
    def runs() -> set[str]:
        answer = httpx.get(f"{server.url}/api/v2/dags/comptoir_spool_retry/dagRuns",
                           headers=server.headers("admin"), timeout=30)
        return {r["dag_run_id"] for r in answer.json()["dag_runs"]}

    before = runs()
    wait = _open_comptoir(browser, server, "spool", "Spool")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "brouillard-M01-20261025.pdf" in body
    assert "Last error" in body and "Daily journal not delivered" in body
    browser.find_element(By.ID, "retry").click()
    wait.until(ready.text_to_be_present_in_element((By.ID, "retry-result"), "Triggered"))
    _snap(browser, "spool-retried")
    created = runs() - before
    assert len(created) == 1
    assert next(iter(created)) in browser.find_element(By.ID, "retry-result").text


def _params(server: ApiServer, dag_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/api/v2/dags/{dag_id}/details",
                       headers=server.headers("admin"), timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["params"])


@pytest.mark.parametrize("dag_id", list(TASKS), ids=list(TASKS.values()))
def test_every_option_of_the_trigger_form_has_a_title_and_a_description(
        browser: WebDriver, server: ApiServer, dag_id: str) -> None:
    params = _params(server, dag_id)
    assert params, f"{dag_id} has no option"
    browser.switch_to.default_content()
    browser.get(f"{server.url}/dags/{dag_id}")
    wait = WebDriverWait(browser, WAIT)
    wait.until(ready.element_to_be_clickable(
        (By.CSS_SELECTOR, "button[aria-label='Trigger Dag']"))).click()
    dialog = wait.until(_trigger_dialog)
    fields: dict[str, dict[str, str]] = {}
    for section in dialog.find_elements(By.CSS_SELECTOR, "button[data-part=item-trigger]"):
        if section.get_attribute("aria-expanded") != "true":
            _click(browser, section)
            wait.until(lambda _, s=section: s.get_attribute("aria-expanded") == "true")
        content = browser.find_element(By.ID, section.get_attribute("aria-controls"))
        wait.until(lambda _, c=content: c.is_displayed())
        fields |= browser.execute_script(FIELDS, content)
    assert sorted(fields) == sorted(params)  # every option shown, in a section
    untitled = [k for k, f in fields.items() if not f["title"] or f["title"] == k]
    undescribed = [k for k, f in fields.items() if not f["description"]]
    assert untitled == [] and undescribed == [], (untitled, undescribed)
    first = dialog.find_element(By.CSS_SELECTOR, "button[data-part=item-trigger]")
    _click(browser, first)  # the picture: the first section open
    wait.until(lambda _: first.get_attribute("aria-expanded") == "true")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", first)
    _snap(browser, f"trigger-form-{TASKS[dag_id]}")


def _click(driver: WebDriver, element: Any) -> None:
    """Click `element` once no other covers it (Chakra's sections slide open and shut)."""
    def clicked(_: WebDriver) -> bool:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        return True

    WebDriverWait(driver, WAIT, ignored_exceptions=(ElementClickInterceptedException,)).until(
        clicked)


def _trigger_dialog(driver: WebDriver) -> Any:
    found = [d for d in driver.find_elements(By.CSS_SELECTOR, "[role=dialog]")
             if "Trigger Dag" in d.text]
    return found[0] if found else False
