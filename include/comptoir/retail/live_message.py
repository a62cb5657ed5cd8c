"""`live_message` ("Envoyer un live message"): a message posted to registers
(spec/retail-tasks.md).

One `messages` row per register addressed: category `Live message`, `target` =
`STORE/REGISTER`, `expires_at` = the run's moment + `valid_hours`, the level, the title,
the text as body, and the task and run ids. The registers read their messages (category,
target, not expired): that read is the POS capability's. `expires_at` is written in UTC
(as `created_at`, the database's clock), so SQLite compares like PostgreSQL. The run's
task report is recorded after these rows, in a later transaction: it stays the newest row
of the run (`created_at`, then id), which `comptoir tasks run` prints.

A retried run (same run id) posts nothing twice: the targets the run already has are
skipped, and the unique index (`task_id`, `run_id`, `target`) guards the rest. Its report
names every register addressed, as the first attempt's did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext

CATEGORY = "Live message"
"""The `messages` category of live messages (not the task reports')."""
NAMED = 20
"""How many targets the report names; the others are counted."""


class LiveMessageError(ComptoirError):
    """The run cannot start as asked (an unknown store or register)."""


class Options(BaseModel):
    """Options of `live_message`."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=500)] = Field(
        title="Text", description="The message shown on the registers (1 to 500 characters).",
        json_schema_extra={"section": "Message"})
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=250)] = Field(
        default="Message", title="Title", description="The message's title.",
        json_schema_extra={"section": "Message"})
    level: Literal["info", "warning"] = Field(
        default="info", title="Level", description="info or warning.",
        json_schema_extra={"section": "Message"})
    valid_hours: int = Field(
        default=24, ge=1, le=720, title="Valid for (hours)",
        description="The registers stop showing the message this many hours after the run.",
        json_schema_extra={"section": "Message"})
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Store codes addressed (one per line). Empty: every store.",
        json_schema_extra={"section": "Registers"})
    registers: list[str] = Field(
        default_factory=list, title="Registers",
        description="Register codes addressed in those stores (one per line). Empty: every "
        "register of those stores.",
        json_schema_extra={"section": "Registers"})


def targets(conn: Connection, stores: list[str], registers: list[str]) -> list[str]:
    """`STORE/REGISTER` of every register addressed, sorted; an unknown code fails.

    A register code that no selected store has is unknown.
    """
    from sqlalchemy import select

    from comptoir.backoffice.schema import depots
    from comptoir.backoffice.schema import registers as registers_table
    from comptoir.retail.scope import store_ids

    ids = store_ids(conn, stores)
    query = (select(depots.c.code.label("store"), registers_table.c.code)
             .join(depots, depots.c.id == registers_table.c.depot_id)
             .where(registers_table.c.depot_id.in_(ids)))
    if registers:
        query = query.where(registers_table.c.code.in_(registers))
    found = [(row.store, row.code) for row in conn.execute(query)]
    missing = sorted(set(registers) - {code for _, code in found})
    if missing:
        raise LiveMessageError(
            f"unknown register code(s) in option registers: {', '.join(missing)}")
    return sorted(f"{store}/{code}" for store, code in found)


def report_line(title: str, addressed: list[str]) -> str:
    """`Message « T » envoyé à N caisses : A, B…` (the first 20 named)."""
    count = len(addressed)
    named = ", ".join(addressed[:NAMED])
    if count > NAMED:
        named += f" et {count - NAMED} autres"
    return f"Message « {title} » envoyé à {count} caisse{'s' if count > 1 else ''} : {named}"


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Post the message to every register addressed, once per run."""
    from datetime import UTC, timedelta

    from sqlalchemy import insert, select

    from comptoir.backoffice.schema import messages

    expires = (ctx.moment + timedelta(hours=options.valid_hours)).astimezone(UTC)
    run_id = ctx.run_id[:250]
    with ctx.engine.begin() as conn:
        addressed = targets(conn, options.stores, options.registers)
        posted = set(conn.execute(select(messages.c.target).where(
            messages.c.task_id == ctx.task_id, messages.c.run_id == run_id,
            messages.c.target.is_not(None))).scalars())
        new = [target for target in addressed if target not in posted]
        if new:
            conn.execute(insert(messages), [
                {"category": CATEGORY, "task_id": ctx.task_id, "run_id": run_id,
                 "level": options.level, "title": options.title, "body": options.text,
                 "target": target, "expires_at": expires}
                for target in new])
    ctx.log(f"{len(addressed)} registers addressed, {len(new)} messages posted, "
            f"{len(addressed) - len(new)} already posted by this run")
    if not addressed:
        return TaskOutput(
            summary=[f"Message « {options.title} » envoyé à aucune caisse : les magasins "
                     "choisis n'ont pas de caisse"],
            warning="no register to send the message to")
    return TaskOutput(summary=[report_line(options.title, addressed)])


TASK_TYPE = TaskType(
    name="live_message",
    title="Envoyer un live message",
    category=Category.AUTRES,
    description=(
        "Posts a message to the registers of the selected stores (or some of their "
        "registers): one message per register, valid for valid_hours, which the registers "
        "show. A retried run posts nothing twice."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
