"""Pilot files: a register's transfer steps as a list of actions (`comptoir pos pilot`).

One action per line, `ACTION[,ARG...]`, fields trimmed, names in any case; blank lines
and `;` comments skipped; UTF-8 or Windows-1252 (`line_files`). The native actions and
what they run:

    EXTRACT[,degraded|untransferred]  pos extract --out <pos_outbox>
    SEND_MAIL[,ADDRESS]               pos send --outbox <pos_outbox> --to ADDRESS
    COPY[,FOLDER]                     pos send --outbox <pos_outbox> --folder FOLDER
    INTEGRATE[,FOLDER]                pos integrate --inbox FOLDER
    LOAD_BASE,FILE                    pos base-files load FILE

Defaults: ADDRESS `pos_transfer_email`, COPY's FOLDER `pos_lan_folder`, INTEGRATE's
`pos_inbox`; a relative FILE is taken in the pilot file's folder.

Divalto's lines are understood (`COMPAT`): `pvppreco1.dhop,reco1` → EXTRACT,
`pvppsendmail.dhop,SENDMD` → SEND_MAIL, `pvppreco2.dhop,reco2` → COPY, `pvpplib.dhop,…`
ignored (user default values), an e-mail address alone → SEND_MAIL,ADDRESS. In a file
named `PVPPTRANST*.TXT`, EXTRACT takes `untransferred` by default.

The whole file is checked first (`plan_pilot`): an unknown action or program, a missing or
invalid address, a missing folder → refused (exit 1), nothing run, each problem naming its
line. Then the actions run in order (`run_pilot`); the first failure stops the file (exit
3, the earlier actions stay done). A dry run checks and reports the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comptoir.errors import ComptoirError
from comptoir.exchange.endpoints import check_address
from comptoir.exchange.names import matches
from comptoir.pos.folders import resolve_user_file, resolve_user_folder
from comptoir.pos.line_files import LineFileError, read_line_file
from comptoir.pos.report import Exit, RunReport
from comptoir.pos.ticket_file import KINDS

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from comptoir.exchange.mail import Mailer

__all__ = ["ACTIONS", "COMPAT", "IGNORED", "PilotAction", "PilotPlan", "plan_pilot",
           "run_pilot"]

ACTIONS = ("EXTRACT", "SEND_MAIL", "COPY", "INTEGRATE", "LOAD_BASE")
"""The native actions."""
COMPAT = {"pvppreco1.dhop": ("EXTRACT", "reco1"),
          "pvppsendmail.dhop": ("SEND_MAIL", "SENDMD"),
          "pvppreco2.dhop": ("COPY", "reco2")}
"""Divalto's programs and keywords, and the native action each stands for."""
IGNORED = frozenset({"pvpplib.dhop"})
"""Divalto programs with nothing to do here (user default values): reported `ignored`."""
UNTRANSFERRED_PILOTS = "PVPPTRANST*.TXT"
"""Pilot files whose EXTRACT takes `untransferred` tickets by default."""
OUTBOX_ACTIONS = frozenset({"EXTRACT", "SEND_MAIL", "COPY"})
SETTINGS = ("pos_outbox", "pos_inbox", "pos_transfer_email", "pos_lan_folder")


class PilotProblem(ComptoirError):
    """A line of a pilot file cannot be run as written."""


@dataclass
class PilotAction:
    """One line of a pilot file (an item of the report's `actions`)."""

    line: int
    action: str | None
    args: list[str]
    source: str
    """`native`, `compat` (a Divalto line) or `ignored`."""
    status: str = "planned"
    """`planned`, `done`, `failed` or `ignored`."""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PilotPlan:
    """A checked pilot file: its actions in order, and the problems that refuse it."""

    path: Path
    encoding: str | None
    outbox: Path | None = None
    """`pos_outbox`: where EXTRACT writes, what SEND_MAIL and COPY send."""
    actions: list[PilotAction] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan_pilot(path: Path, settings: Mapping[str, str | None], *,
               smtp_backend: bool = False) -> PilotPlan:
    """Check the whole pilot file against the settings (`SETTINGS`); the plan.

    `smtp_backend`: mail cannot be sent from here (a SEND_MAIL line is a problem).
    """
    path = Path(path)
    try:
        read = read_line_file(path)
    except LineFileError as exc:
        return PilotPlan(path, None, problems=[str(exc)])
    plan = PilotPlan(path, read.encoding)
    outbox_problem = None
    try:
        plan.outbox = resolve_user_folder(settings.get("pos_outbox") or "")
    except ComptoirError as exc:
        outbox_problem = f"pos_outbox: {exc}"
    default_kind = "untransferred" if matches(path.name, UNTRANSFERRED_PILOTS) else "degraded"
    for number, text in read.lines:
        try:
            action = _parse(number, text, default_kind)
            if action.action in OUTBOX_ACTIONS and outbox_problem:
                raise PilotProblem(outbox_problem)
            if action.action is not None:
                _resolve(action, settings, path.parent, plan.outbox, smtp_backend)
        except PilotProblem as exc:
            plan.problems.append(f"line {number} ({text!r}): {exc}")
            source = "compat" if ".dhop" in text.lower() else "native"
            action = PilotAction(number, None, [], source, "failed", str(exc))
        plan.actions.append(action)
    if not plan.problems and not plan.actions:
        plan.problems.append(f"{path.name}: no action in the file")
    return plan


def _parse(number: int, text: str, default_kind: str) -> PilotAction:
    """One line as an action, its given arguments not yet checked."""
    fields = [part.strip() for part in text.split(",")]
    head, args = fields[0], fields[1:]
    while args and not args[-1]:
        args.pop()
    name = head.lower()
    if head.upper() in ACTIONS:
        action, source = head.upper(), "native"
    elif name in IGNORED:
        return PilotAction(number, None, fields[1:], "ignored", "ignored",
                           f"{name}: Divalto's user default values, nothing to do here")
    elif name in COMPAT:
        action, keyword = COMPAT[name]
        if [arg.lower() for arg in args] != [keyword.lower()]:
            raise PilotProblem(f"{name} is written '{name},{keyword}'")
        args, source = [], "compat"
    elif name.endswith(".dhop"):
        raise PilotProblem(f"unknown Divalto program {head!r}: the known ones are "
                           f"{', '.join([*COMPAT, *sorted(IGNORED)])}")
    elif not args and "@" in head:
        action, source = "SEND_MAIL", "compat"
        args = [head]
    else:
        raise PilotProblem(f"unknown action {head!r}: one of {', '.join(ACTIONS)}, or a "
                           "Divalto line (pvppreco1.dhop,reco1 ...)")
    if action == "EXTRACT" and not args:
        args = [default_kind]
    return PilotAction(number, action, args, source)


def _resolve(action: PilotAction, settings: Mapping[str, str | None], base: Path,
             outbox: Path | None, smtp_backend: bool) -> None:
    """Check the arguments, fill in the settings' defaults; the plan's message."""
    name, args = action.action, action.args
    if len(args) > 1:
        raise PilotProblem(f"{name} takes one argument at most, {len(args)} given")
    given = args[0] if args else None
    if name == "EXTRACT":
        kind = (given or "").lower()
        if kind not in KINDS:
            raise PilotProblem(f"EXTRACT {given!r}: one of {', '.join(sorted(KINDS))}")
        action.args = [kind]
        action.message = f"pos extract --kind {kind} --out {outbox}"
    elif name == "SEND_MAIL":
        address = given or settings.get("pos_transfer_email")
        if not address:
            raise PilotProblem("SEND_MAIL needs an address: write SEND_MAIL,ADDRESS or set "
                               "pos_transfer_email")
        try:
            address = check_address(address)
        except ValueError as exc:
            raise PilotProblem(f"SEND_MAIL: {exc}") from None
        if smtp_backend:
            raise PilotProblem("SEND_MAIL with COMPTOIR_MAIL_BACKEND=smtp: mail the ticket "
                               "files through the pos_extract task's delivery instead")
        action.args = [address]
        action.message = f"pos send --outbox {outbox} --to {address}"
    elif name in ("COPY", "INTEGRATE"):
        key = "pos_lan_folder" if name == "COPY" else "pos_inbox"
        value = given or settings.get(key)
        if not value:
            raise PilotProblem(f"{name} needs a folder: write {name},FOLDER or set {key}")
        try:
            folder = resolve_user_folder(value)
        except ComptoirError as exc:
            raise PilotProblem(str(exc)) from None
        action.args = [str(folder)]
        action.message = (f"pos send --outbox {outbox} --folder {folder}" if name == "COPY"
                          else f"pos integrate --inbox {folder}")
    else:  # LOAD_BASE
        if not given:
            raise PilotProblem("LOAD_BASE needs the base package: write LOAD_BASE,FILE")
        try:
            package = resolve_user_file(given, base)
        except ComptoirError as exc:
            raise PilotProblem(str(exc)) from None
        action.args = [str(package)]
        action.message = f"pos base-files load {package}"


# ---------------------------------------------------------------------------- running


@dataclass(frozen=True)
class _Run:
    """What the steps share: the dossier, the outbox, the mailer of SEND_MAIL."""

    engine: Engine
    outbox: Path
    mailer: Mailer | None


Step = Callable[[_Run, list[str]], str]


def run_pilot(engine: Engine, path: Path, *, dry_run: bool = False,
              mailer: Mailer | None = None, report: RunReport | None = None) -> RunReport:
    """Check the pilot file, then run its actions in order (see the module's docstring).

    Report `file`, `encoding`, `actions`. `mailer`: where SEND_MAIL goes (default: the
    dossier's mail backend).
    """
    from comptoir.backoffice.settings import get_setting
    from comptoir.exchange.mail import mail_backend

    report = report or RunReport("pos pilot", dry_run=dry_run)
    with engine.connect() as conn:
        settings = {key: get_setting(conn, key) for key in SETTINGS}
    plan = plan_pilot(path, settings, smtp_backend=mailer is None and mail_backend() == "smtp")
    report.body.update({"file": str(path), "encoding": plan.encoding})
    if plan.problems:
        report.refuse("bad_pilot", "; ".join(plan.problems))
    elif not dry_run:
        _run(engine, plan, report, mailer)
    report.put_list("actions", [action.to_dict() for action in plan.actions])
    return report


def _run(engine: Engine, plan: PilotPlan, report: RunReport, mailer: Mailer | None) -> None:
    """Run the actions in order; the first failure stops the file (exit 3)."""
    failed: PilotAction | None = None
    for action in plan.actions:
        if action.action is None:
            continue
        if failed is not None:
            action.message = f"not run: line {failed.line} failed"
            continue
        try:
            assert plan.outbox is not None
            action.message = STEPS[action.action](_Run(engine, plan.outbox, mailer),
                                                  action.args)
            action.status = "done"
        except (ComptoirError, OSError) as exc:
            action.status, action.message = "failed", str(exc) or type(exc).__name__
            failed = action
    if failed is not None:
        report.exit_code = Exit.PARTIAL
        report.error = {"rule": "action_failed",
                        "message": f"line {failed.line} ({failed.action}) failed: "
                                   f"{failed.message}"}


class ActionFailed(ComptoirError):
    """An action ran and did not succeed; its own report says why."""


def _extract(run: _Run, args: list[str]) -> str:
    from comptoir.pos.extraction import extract_tickets

    result = extract_tickets(run.engine, run.outbox, kind=args[0])
    path = result.finish()
    body = result.body
    if body["file"] is None:
        return f"nothing to extract for {body['store']} {body['register']} (report {path})"
    return (f"{body['tickets']} tickets ({body['first_ticket']}-{body['last_ticket']}) → "
            f"{body['file']} (report {path})")


def _send(run: _Run, args: list[str], *, by_mail: bool) -> str:
    from comptoir.pos.transfer import send_outbox

    if by_mail:
        result = send_outbox(run.outbox, to=args[0], mailer=run.mailer)
    else:
        result = send_outbox(run.outbox, folder=Path(args[0]))
    path = result.finish()
    sent = [item["file"] for item in result.body["sent"]]
    text = (f"{len(sent)} sent to {result.body['target']}: {', '.join(sent)}" if sent
            else f"nothing to send to {result.body['target']}")
    if result.exit_code != Exit.DONE:
        reasons = "; ".join(f"{item['file']}: {item['message']}"
                            for item in result.body["failed"][:5])
        raise ActionFailed(f"{text}; not sent: {reasons} (report {path})")
    return f"{text} (report {path})"


def _integrate(run: _Run, args: list[str]) -> str:
    from comptoir.pos.integration import integrate_inbox

    result, outcomes = integrate_inbox(run.engine, Path(args[0]))
    path = result.finish()
    totals = result.body["totals"]
    text = (f"{len(outcomes)} ticket files, {totals['integrated']} tickets integrated, "
            f"{totals['already_integrated']} already integrated, {totals['rejected']} "
            f"rejected, {totals['refused_files']} files refused (report {path})")
    if result.exit_code != Exit.DONE:
        raise ActionFailed(text)
    return text


def _load_base(run: _Run, args: list[str]) -> str:
    try:
        from comptoir.pos.base_files import load_base_package
    except ModuleNotFoundError as exc:
        if exc.name != "comptoir.pos.base_files":
            raise
        raise ActionFailed("base files cannot be loaded by this installation (the module "
                           "comptoir.pos.base_files is missing): update Comptoir") from None
    result = load_base_package(run.engine, Path(args[0]))
    path = result.finish() if hasattr(result, "finish") else None
    code = getattr(result, "exit_code", Exit.DONE)
    text = f"{args[0]} loaded" + (f" (report {path})" if path else "")
    if code != Exit.DONE:
        error = getattr(result, "error", None) or {}
        raise ActionFailed(f"{args[0]}: {error.get('message', f'exit {int(code)}')}"
                           + (f" (report {path})" if path else ""))
    return text


STEPS: dict[str, Step] = {
    "EXTRACT": _extract,
    "SEND_MAIL": lambda run, args: _send(run, args, by_mail=True),
    "COPY": lambda run, args: _send(run, args, by_mail=False),
    "INTEGRATE": _integrate,
    "LOAD_BASE": _load_base,
}
"""What each native action runs: `(run, args) -> message`, raising on failure."""
