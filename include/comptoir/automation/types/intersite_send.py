"""The `intersite_send` task type ("Envoi des commandes inter-sites"): a scheduled
`comptoir intersite send` on the distributor's dossier (spec/intersite.md, "Task types").

The selection is the command's: confirmed orders never sent, of `suppliers` (empty: every
supplier with an order address), followed by `follow_up`, dated in the last `days` days
(empty: any date), or every order with `include_all`. One mail per supplier through the
installation's mail backend (`COMPTOIR_MAIL_BACKEND`: `.eml` files, or the Airflow SMTP
connection `smtp_conn_id`). No `output`: the mail is the exchange. The task report
carries the summary line and every order not sent, at level info, warning or error for the
command's exit 0, 3 or 1; the run fails only on 1.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType

if TYPE_CHECKING:
    from comptoir.automation.catalog import RunContext
    from comptoir.exchange.mail import Mailer

SECTION = {"section": "Inter-site orders"}


class Options(BaseModel):
    """Options of `intersite_send`: who sends, and which orders."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(title="User", min_length=1, max_length=60,
                      description="The login who sends (comptoir users list): the mails come "
                      "from this user's address.", json_schema_extra=SECTION)
    suppliers: list[str] = Field(default_factory=list, title="Suppliers",
                                 description="Supplier codes. Empty: every supplier with an "
                                 "order address (comptoir intersite supplier-email).",
                                 json_schema_extra=SECTION)
    follow_up: str | None = Field(default=None, title="Followed by",
                                  description="Only the orders this login follows. Empty: "
                                  "whoever follows them.", json_schema_extra=SECTION)
    days: int | None = Field(default=None, ge=0, title="Days",
                             description="Only orders dated in the last N days (today "
                             "included). Empty: any date.", json_schema_extra=SECTION)
    include_all: bool = Field(default=False, title="All orders",
                              description="Every order whatever its status, drafts and "
                              "orders already sent included (the original's 'tout voir').",
                              json_schema_extra=SECTION)
    smtp_conn_id: str = Field(default="smtp_default", title="SMTP connection",
                              description="The Airflow SMTP connection, when the mail "
                              "backend is smtp. Credentials stay in the connection.",
                              json_schema_extra=SECTION)


def _mailer(ctx: RunContext, conn_id: str) -> Mailer:
    from comptoir.errors import ComptoirError
    from comptoir.exchange.mail import FileMailer, mail_backend

    if mail_backend() == "file":
        return FileMailer()
    if ctx.connector is None:
        raise ComptoirError("the smtp mail backend needs Airflow's connections (run the task "
                            "through Airflow)")
    return ctx.connector.mailer(conn_id)


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """The core function: send the selected purchase orders, one mail per supplier."""
    from comptoir.intersite.selection import Selection
    from comptoir.intersite.sending import SendRequest, send_orders

    date_from = None
    if options.days is not None:
        date_from = ctx.moment.date() - dt.timedelta(days=options.days)
    selection = Selection(suppliers=tuple(options.suppliers), date_from=date_from,
                          follow_up=options.follow_up, include_all=options.include_all)
    result = send_orders(ctx.engine, SendRequest(user=options.user, selection=selection),
                         _mailer(ctx, options.smtp_conn_id))
    lines = [f"order {item.order}: not sent ({item.rule}) {item.message}"
             for item in result.not_sent]
    lines += [f"message to {m.supplier} ({m.recipient}): not sent: {m.error}"
              for m in result.messages if m.state != "sent"]
    lines.append(result.summary())
    error = result.error
    warning = result.summary() if error is None and result.exit_code == 3 else None
    return TaskOutput(summary=lines, error=error, warning=warning)


TASK_TYPE = TaskType(
    name="intersite_send",
    title="Envoi des commandes inter-sites",
    category=Category.IMPORT_EXPORT,
    description=(
        "Sends the distributor's confirmed purchase orders to the central base by e-mail: "
        "one mail per supplier, from the user's address to the supplier's order address, "
        "with the orders as a JSON attachment the central base reads; sent orders become "
        "pending. Orders that cannot be sent (no line, a line without article) are "
        "reported and left as they are."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
