"""The ticket filters shared by the POS task types that take tickets (`pos_invoicing`,
`pos_accounting`): `spec/pos.md`, "Invoicing" filters, as task options."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from comptoir.pos.filters import TicketFilters

RANGE_HELP = "FROM:TO, inclusive; either side may be empty (C1:C3, :C0050). Empty: all."
#: The grouping of a direct posting; empty: the `pos_grouping` setting.
Grouping = Literal["", "customer", "account"]
GROUPING_HELP = ("customer: one sales entry per document; account: one per register, day "
                 "and receivable account. Empty: the pos_grouping setting.")
GROUPING_DISPLAY = {"": "The pos_grouping setting", "customer": "One entry per document",
                    "account": "One entry per register, day and account"}
"""The grouping choices, as the trigger form names them."""


class TicketOptions(BaseModel):
    """Which tickets a POS step takes: up to a sales day, stores, three ranges."""

    model_config = ConfigDict(extra="forbid")

    until: str = Field(
        default="yesterday", title="Last sales day",
        description="The last sales day taken: yesterday, today or a date YYYY-MM-DD.",
        json_schema_extra={"section": "Tickets", "examples": ["yesterday", "today"]},
    )
    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Only the tickets of these stores (codes). Empty: every store.",
        json_schema_extra={"section": "Tickets"},
    )
    registers: str = Field(default="", title="Registers",
                           description=f"Register codes {RANGE_HELP}",
                           json_schema_extra={"section": "Tickets"})
    customers: str = Field(
        default="", title="Customers",
        description=f"Customer codes {RANGE_HELP} Anonymous tickets match by the counter "
        "customer's code.", json_schema_extra={"section": "Tickets"})
    tickets: str = Field(default="", title="Ticket numbers",
                         description=f"Ticket numbers {RANGE_HELP}",
                         json_schema_extra={"section": "Tickets"})

    @field_validator("until", "registers", "customers", "tickets")
    @classmethod
    def _readable(cls, value: str, info) -> str:  # type: ignore[no-untyped-def]
        from comptoir.pos.filters import FilterError, parse_range, parse_until

        try:
            if info.field_name == "until":
                parse_until(value)
            else:
                parse_range(value, numbers=info.field_name == "tickets",
                            option=info.field_name)
        except FilterError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()

    def filters(self, today: dt.date) -> TicketFilters:
        from comptoir.pos.filters import TicketFilters

        return TicketFilters.parse(until=self.until, stores=self.stores,
                                   registers=self.registers, customers=self.customers,
                                   tickets=self.tickets, today=today)
