"""What a pass over an inbox took, as a reader that takes no claim (a dry run) sees it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from comptoir.exchange.inbox import Inbox

HOLD = """
import sys, time
from comptoir.exchange.inbox import Inbox
inbox = Inbox(sys.argv[1])
with inbox.processing(), inbox.claim("scheduled__9", ["vat.csv"]):
    print("claimed", flush=True)
    time.sleep(60)
"""


def test_a_claim_is_live_while_its_pass_holds_the_inbox_then_becomes_the_last(
        tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox")
    assert inbox.claims().current is None and inbox.claims().last is None
    with inbox.processing(), inbox.claim("scheduled__1", ["vat.csv", "customers.csv"]):
        claims = inbox.claims()
        assert claims.current is not None
        assert (claims.current.run_id, claims.current.files) == (
            "scheduled__1", ["customers.csv", "vat.csv"])
        assert claims.holder("vat.csv") == claims.current and claims.holder("x.csv") is None
    claims = inbox.claims()
    assert claims.current is None
    assert claims.last is not None and claims.last.run_id == "scheduled__1"
    assert claims.last.finished is not None


def test_a_claim_is_seen_from_another_process_and_ignored_once_that_process_dies(
        tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(inbox.root)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "claimed\n"
        current = inbox.claims().current
        assert current is not None and current.run_id == "scheduled__9"
    finally:
        holder.kill()  # killed mid-pass: its claim stays in .runs.json, its lock goes
        holder.wait()
    deadline = time.monotonic() + 10
    while inbox.claims().current is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert inbox.claims().current is None


def test_a_peeked_file_keeps_its_content_when_a_pass_files_the_original_away(
        tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox")
    waiting = inbox.receive("vat.csv", b"CODE;DESIG\nN;Normale\n")
    link = inbox.peek(waiting, tmp_path / "private")
    assert link is not None
    inbox.done(waiting)
    assert link.read_bytes() == b"CODE;DESIG\nN;Normale\n"
    assert inbox.peek(waiting, tmp_path / "private") is None  # gone: nothing to read
