"""Sending a register's ticket files to the server (`comptoir pos send`).

Every `*.zip` at the top of the outbox, oldest first (modification time, then name), is
checked (`read_ticket_file`: a damaged file is never sent) and sent:

- by mail, one message per file through a `Mailer` (subject `Comptoir tickets <store>
  <register> <file>`, the zip attached as `application/zip`). Without a mailer, the
  dossier's backend: `file` writes `.eml` files into `var/mail`. The core cannot reach
  Airflow's SMTP connections, so with `smtp` the mail leaves through the `pos_extract`
  task's delivery instead (`SmtpBackendNotHere`);
- or copied into a folder (LAN mode): `.NAME.part`, flushed, then published under the
  first free name (`NAME-2.zip` when taken; never over a file).

A sent file moves to `outbox/sent/` (`-2` when the name is taken there); a failed one
stays for the next run. Exit: 0 nothing to send or all sent, 3 some failed, 1 none sent.
One run at a time per outbox (a lock file, `.lock`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import check_address
from comptoir.exchange.errors import LocalFolderNotWritable
from comptoir.exchange.files import fsync_folder, link_to_free_name, locked, write_durably
from comptoir.exchange.names import is_temporary, matches, name_candidates, printable
from comptoir.exchange.transports import part_name
from comptoir.pos.package import PackageRefused
from comptoir.pos.report import Exit, RunReport
from comptoir.pos.ticket_file import read_ticket_file

if TYPE_CHECKING:
    from comptoir.exchange.mail import Mailer
    from comptoir.pos.ticket_file import TicketFile

__all__ = ["SENT_FOLDER", "SmtpBackendNotHere", "copy_to_folder", "default_mailer",
           "mail_subject", "outbox_files", "send_outbox"]

SENT_FOLDER = "sent"
"""The subfolder of the outbox sent files move to."""


class SmtpBackendNotHere(ComptoirError):
    """`COMPTOIR_MAIL_BACKEND=smtp`: the core cannot use Airflow's SMTP connection."""


@dataclass(frozen=True)
class _Target:
    """Where the files go: an address or a folder, and how to say it."""

    to: str | None
    folder: Path | None

    def describe(self) -> str:
        return f"e-mail to {self.to}" if self.to else f"folder {self.folder}"


def mail_subject(ticket_file: TicketFile, name: str) -> str:
    """`Comptoir tickets <store> <register> <file>`: what the server's mailbox filters on."""
    return f"Comptoir tickets {ticket_file.store} {ticket_file.register} {name}"


def outbox_files(outbox: Path) -> list[Path]:
    """The ticket files waiting in `outbox`: `*.zip` (any case), oldest first, then by name.

    Hidden and temporary names, folders and links are not taken.
    """
    try:
        entries = list(os.scandir(outbox))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        if (matches(entry.name, "*.zip") and not is_temporary(entry.name)
                and entry.is_file(follow_symlinks=False)):
            found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
    return [Path(outbox) / name for _, name in sorted(found)]


def send_outbox(outbox: Path, *, to: str | None = None, folder: Path | None = None,
                mailer: Mailer | None = None, report: RunReport | None = None) -> RunReport:
    """Send every ticket file of `outbox` to the address `to` or into `folder` (see above).

    Report `target`, `sent` (`file`, `store`, `register`, `tickets`, `to`: the address or
    the file written, `moved_to`) and `failed` (`file`, `rule`, `message`). An invalid
    address or a wrong pair of targets refuses the run (exit 1) before anything is sent.
    """
    report = report or RunReport("pos send")
    report.body.update({"outbox": str(outbox), "target": None, "sent": [], "failed": []})
    if (to is None) == (folder is None):
        report.refuse("bad_target", "give an address (--to) or a folder (--folder), one of "
                                    "them")
        return report
    if to is not None:
        try:
            to = check_address(to)
        except ValueError as exc:
            report.refuse("bad_address", str(exc))
            return report
        mailer = mailer or default_mailer()
    target = _Target(to, Path(folder) if folder is not None else None)
    report.body["target"] = target.describe()
    sent: list[dict[str, object]] = []
    failed: list[dict[str, object]] = []
    if not Path(outbox).is_dir():
        report.warnings.append({"rule": "no_outbox",
                                "message": f"{outbox} does not exist: nothing to send"})
        return report
    with locked(Path(outbox) / ".lock"):
        for path in outbox_files(outbox):
            try:
                ticket_file = read_ticket_file(path)
                delivered = _send(path, ticket_file, target, mailer)
            except PackageRefused as exc:
                failed.append({"file": path.name, "rule": exc.rule,
                               "message": f"not sent, the file is damaged: {exc}"})
                continue
            except (ComptoirError, OSError) as exc:
                failed.append({"file": path.name, "rule": "send_failed",
                               "message": printable(str(exc) or type(exc).__name__)})
                continue
            item: dict[str, object] = {
                "file": path.name, "store": ticket_file.store,
                "register": ticket_file.register, "tickets": len(ticket_file.tickets),
                "to": delivered, "moved_to": None}
            try:
                item["moved_to"] = str(_file_as_sent(path))
            except OSError as exc:
                report.warnings.append({
                    "rule": "not_moved", "file": path.name,
                    "message": f"sent, but not moved to {SENT_FOLDER}/ ({exc.strerror or exc})"
                               ": it will be sent again, and the server skips its tickets"})
            sent.append(item)
    report.put_list("sent", sent)
    report.put_list("failed", failed)
    if failed:
        report.exit_code = Exit.PARTIAL if sent else Exit.REFUSED
        report.error = {"rule": "send_failed",
                        "message": f"{len(failed)} of {len(failed) + len(sent)} files not "
                                   "sent; they stay in the outbox for the next run"}
    return report


def default_mailer() -> Mailer:
    """The dossier's mail backend: `FileMailer` (`var/mail`) for `file`; `smtp` is refused."""
    from comptoir.exchange.mail import FileMailer, mail_backend

    if mail_backend() == "smtp":
        raise SmtpBackendNotHere(
            "COMPTOIR_MAIL_BACKEND=smtp: pos send cannot reach Airflow's SMTP connections; "
            "send ticket files by mail through the pos_extract task, whose delivery "
            "(method email) uses the SMTP connection, or copy them with --folder")
    return FileMailer()


def _send(path: Path, ticket_file: TicketFile, target: _Target, mailer: Mailer | None
          ) -> str:
    """Send one file; where it went."""
    if target.to is not None:
        from comptoir.exchange.mail import build_message

        assert mailer is not None
        first, last = ticket_file.first_ticket, ticket_file.last_ticket
        mailer.send(build_message(
            to=[target.to], subject=mail_subject(ticket_file, path.name),
            body=(f"Ticket file {path.name}: {len(ticket_file.tickets)} {ticket_file.kind} "
                  f"tickets ({first}-{last}) of register {ticket_file.register}, store "
                  f"{ticket_file.store}.\n"),
            attachments=[path]))
        return target.to
    assert target.folder is not None
    return str(copy_to_folder(path, target.folder))


def copy_to_folder(path: Path, folder: Path) -> Path:
    """Copy `path` into `folder` as `.NAME.part`, then under the first free name.

    Raises `LocalFolderNotWritable` when the folder cannot be created or written.
    """
    temporary = folder / part_name(path.name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()  # a leftover of a crashed copy: never published
        write_durably(temporary, path)
        try:
            final = link_to_free_name(temporary, folder, path.name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        fsync_folder(folder)
    except OSError as exc:
        if exc.filename == str(path):  # the file to send, not the folder, is the problem
            raise
        raise LocalFolderNotWritable(f"folder {folder}", exc.strerror or str(exc)) from exc
    return final


def _file_as_sent(path: Path) -> Path:
    """Move a sent file to `sent/` (`NAME-2.zip` when the name is taken there)."""
    sent = path.parent / SENT_FOLDER
    sent.mkdir(exist_ok=True)
    target = next(sent / name for name in name_candidates(path.name)
                  if not os.path.lexists(sent / name))
    os.replace(path, target)
    fsync_folder(sent)
    fsync_folder(path.parent)
    return target
