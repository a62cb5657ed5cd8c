"""What a pass over an inbox took, as a reader that takes no claim (a dry run) sees it."""

from __future__ import annotations

from pathlib import Path

from comptoir.exchange.inbox import Inbox


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


def test_a_claim_whose_pass_no_longer_holds_the_inbox_is_ignored(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox")
    with inbox.claim("died", ["vat.csv"]):  # as left by a process killed mid-pass
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
