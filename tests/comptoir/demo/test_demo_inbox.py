"""The demo's arrivals: files dropped into the nightly imports' inbox, a mail with attachments
in the `.eml` folder the mailed imports read."""

import json
from pathlib import Path

from comptoir.automation.definitions import find
from comptoir.automation.task_inbox import task_inbox
from comptoir.demo.inbox import FILES, MAILED_FILES, mail_for_task, stage_for_task
from comptoir.exchange.fetch import fetch_mailbox
from comptoir.exchange.mail import MailFolder

ROOT = Path(__file__).resolve().parents[3]


def copy_task(tasks_dir: Path, name: str) -> None:
    (tasks_dir / name).write_text((ROOT / "tasks" / name).read_text())


def test_nothing_is_staged_for_tasks_that_are_not_defined(tasks_dir, comptoir_home):
    assert stage_for_task() is None and mail_for_task() is None


def test_the_demo_files_and_mail_arrive_where_the_demo_tasks_read(tasks_dir, comptoir_home):
    copy_task(tasks_dir, "nightly-imports.json")
    copy_task(tasks_dir, "mailed-imports.json")

    inbox, files = stage_for_task()
    assert sorted(p.name for p in inbox.waiting()) == sorted(FILES)
    assert inbox.root == comptoir_home / "inbox" / "nightly-imports"

    folder, names = mail_for_task()
    assert names == list(MAILED_FILES) and folder == comptoir_home / "mail" / "incoming"
    definition = find("mailed-imports")
    mailed = task_inbox(definition.id, definition.typed_options())
    with MailFolder(folder).session() as box:
        result = fetch_mailbox(box, mailed.source, mailed.inbox)
    assert [f.remote_name for f in result.fetched] == list(MAILED_FILES)
    waiting = {p.name: p.read_text() for p in mailed.waiting()}
    assert waiting == MAILED_FILES
    assert json.loads(json.dumps(result.fetched[0].origin))["sender"].startswith("Traiteur")
