"""`customer_duplicates` ("Contrôle des clients en doublon"): customers that are probably
the same person or company, as groups in a CSV report (spec/retail-tasks.md).

Two customers match under a rule (`name_postcode`, `email`, `phone`) when their
normalised keys are equal; matches join transitively into groups. The master of a group
is the member with the most POS tickets and sales documents, then the lowest id. Nothing
is merged unless `merge` says so (`comptoir.retail.customer_merge`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, field_validator

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.editions.formats import refuse_store_tag
from comptoir.retail.csv_options import CsvOptions, write_csv

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext

Rule = Literal["name_postcode", "email", "phone"]
RULES: tuple[Rule, ...] = ("name_postcode", "email", "phone")
LEGAL_FORMS = frozenset(["sarl", "sas", "sasu", "eurl", "sa", "sci", "snc", "ei", "eirl", "selarl"])
COLUMNS = ("group", "rules", "master", "customer", "name", "postcode", "city", "email",
           "phone", "store", "tickets", "documents", "created_at")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normal_name(name: str | None) -> str | None:
    """NFKD without accents, case-folded, words of letters and digits without legal forms,
    sorted; None under 2 characters."""
    if not name:
        return None
    text = "".join(c for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c)).casefold()
    words = sorted(w for w in _NOT_ALNUM.sub(" ", text).split() if w not in LEGAL_FORMS)
    joined = " ".join(words)
    return joined if len(joined) >= 2 else None


def normal_postcode(postcode: str | None) -> str | None:
    """Upper case without spaces; None when empty."""
    text = "".join((postcode or "").split()).upper()
    return text or None


def normal_email(email: str | None) -> str | None:
    """Trimmed and case-folded; None without `@`."""
    text = (email or "").strip().casefold()
    return text if "@" in text else None


def normal_phone(phone: str | None) -> str | None:
    """Digits only, `+33`/`0033` → `0`, other country codes `+CC…`; None under 9 digits."""
    raw = (phone or "").strip()
    digits = "".join(c for c in raw if c.isdigit())
    international = None
    if raw.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    if international is None:
        text = digits
    elif international.startswith("33"):
        national = international[2:]
        text = "0" + (national[1:] if national.startswith("0") else national)
    else:
        text = "+" + international
    return text if sum(c.isdigit() for c in text) >= 9 else None


def keys(customer: Customer, rules: list[Rule]) -> dict[Rule, str]:
    """The customer's key under each rule that applies to it."""
    found: dict[Rule, str] = {}
    if "name_postcode" in rules:
        name, postcode = normal_name(customer.name), normal_postcode(customer.postcode)
        if name and postcode:
            found["name_postcode"] = f"{name}|{postcode}"
    if "email" in rules and (email := normal_email(customer.email)):
        found["email"] = email
    if "phone" in rules and (phone := normal_phone(customer.phone)):
        found["phone"] = phone
    return found


@dataclass
class Customer:
    id: int
    code: str
    name: str
    postcode: str | None
    city: str | None
    email: str | None
    phone: str | None
    store: str | None
    iban: str | None
    created_at: date | None
    tickets: int = 0
    documents: int = 0


@dataclass
class Group:
    """Customers found to be one; `master` first in `members`, then by code."""

    number: int
    members: list[Customer]
    rules: dict[int, list[Rule]] = field(default_factory=dict)
    """Customer id → the rules that tie it to the group."""

    @property
    def master(self) -> Customer:
        return self.members[0]


def groups(customers: list[Customer], rules: list[Rule]) -> list[Group]:
    """The duplicate groups among `customers`, numbered in the order of their masters' codes."""
    parent = {c.id: c.id for c in customers}

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    by_key: dict[tuple[Rule, str], list[int]] = defaultdict(list)
    for customer in customers:
        for rule, key in keys(customer, rules).items():
            by_key[(rule, key)].append(customer.id)
    tied: dict[int, set[Rule]] = defaultdict(set)
    for (rule, _), ids in by_key.items():
        if len(ids) < 2:
            continue
        for other in ids[1:]:
            parent[root(other)] = root(ids[0])
        for member in ids:
            tied[member].add(rule)
    members: dict[int, list[Customer]] = defaultdict(list)
    for customer in customers:
        if customer.id in tied:
            members[root(customer.id)].append(customer)
    found = []
    for group in members.values():
        master = min(group, key=lambda c: (-(c.tickets + c.documents), c.id))
        others = sorted((c for c in group if c is not master), key=lambda c: c.code)
        found.append(Group(0, [master, *others],
                           {c.id: [r for r in RULES if r in tied[c.id]] for c in group}))
    found.sort(key=lambda g: g.master.code)
    for number, group in enumerate(found, 1):
        group.number = number
    return found


def _local_date(moment: datetime | None, zone: object) -> date | None:
    from comptoir.backoffice.dossier_time import aware

    found = aware(moment, zone)  # type: ignore[arg-type]
    return None if found is None else found.date()


def load(conn: Connection, zone: object) -> list[Customer]:
    """Every customer, with its POS tickets and sales documents counted."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import customers, depots

    return [
        Customer(row.id, row.code, row.name, row.postcode, row.city, row.email, row.phone,
                 row.store, row.iban, _local_date(row.created_at, zone))
        for row in conn.execute(
            select(customers.c.id, customers.c.code, customers.c.name, customers.c.postcode,
                   customers.c.city, customers.c.email, customers.c.phone,
                   depots.c.code.label("store"), customers.c.iban, customers.c.created_at)
            .select_from(customers.outerjoin(depots, depots.c.id == customers.c.store_id))
            .order_by(customers.c.id))
    ]


def count_activity(conn: Connection, members: list[Customer]) -> None:
    """Fill `tickets` and `documents` of `members`."""
    from sqlalchemy import func, select

    from comptoir.backoffice.schema import pos_tickets, sales_documents

    by_id = {c.id: c for c in members}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for table, attribute in ((pos_tickets, "tickets"), (sales_documents, "documents")):
            rows = conn.execute(select(table.c.customer_id, func.count())
                                .where(table.c.customer_id.in_(chunk))
                                .group_by(table.c.customer_id))
            for customer_id, count in rows:
                setattr(by_id[customer_id], attribute, count)


def find(conn: Connection, rules: list[Rule], zone: object) -> list[Group]:
    """The groups of duplicates of the dossier under `rules`."""
    customers = load(conn, zone)
    candidates = [c for g in groups(customers, rules) for c in g.members]
    count_activity(conn, candidates)  # the master depends on the counts
    return groups(candidates, rules)


def rows(found: list[Group]) -> list[list[object]]:
    """The CSV rows of `found`: per group, the master first, then by code."""
    return [
        [group.number, ",".join(group.rules[c.id]), 1 if c is group.master else 0, c.code,
         c.name, c.postcode, c.city, c.email, c.phone, c.store, c.tickets, c.documents,
         c.created_at]
        for group in found for c in group.members
    ]


class Options(CsvOptions):
    """Options of `customer_duplicates`."""

    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(
        default_factory=lambda: list(RULES), title="Matching rules",
        description="name_postcode: same name and postcode; email: same e-mail; phone: same "
        "phone number (at least 9 digits). Default: all three.",
        json_schema_extra={"section": "Duplicates"})
    merge: bool = Field(
        default=False, title="Merge",
        description="Merge every group into its master: references move to it, the others "
        "are copied into customer_merges and deleted. Groups whose members have different "
        "IBANs are left alone.",
        json_schema_extra={"section": "Duplicates"})

    @field_validator("rules")
    @classmethod
    def _some_rule(cls, value: list[Rule]) -> list[Rule]:
        if not value:
            raise ValueError("choose at least one rule (name_postcode, email, phone)")
        return [r for r in RULES if r in value]


def check(options: BaseModel, filename: str | None) -> None:
    """One file holds every customer: `{mag:...}` is refused."""
    refuse_store_tag("customer_duplicates", filename)


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Write the groups of duplicates to CSV; merge them with `merge`."""
    output = TaskOutput()
    with ctx.engine.begin() as conn:
        found = find(conn, options.rules, ctx.moment.tzinfo)
        members = sum(len(g.members) for g in found)
        output.summary.append(f"{len(found)} groupes de doublons, {members} clients concernés")
        if found:
            path = ctx.work_dir / "doublons.csv"
            count = write_csv(path, COLUMNS, rows(found), options)
            output.files.append(ProducedFile(path, None, count))
        else:
            output.summary.append("Aucun doublon : pas de fichier")
        if options.merge and found:
            from comptoir.retail.customer_merge import merge_groups

            lines, left = merge_groups(conn, found, ctx.run_id, ctx.moment)
            output.summary.extend(lines)
            if left:
                output.warning = (f"{left} groupe(s) de doublons non fusionné(s) : "
                                  "IBAN différents")
    ctx.log(f"{len(found)} duplicate groups, {members} customers")
    return output


TASK_TYPE = TaskType(
    name="customer_duplicates",
    title="Contrôle des clients en doublon",
    category=Category.IMPORT_EXPORT,
    description=(
        "Finds customers that are probably the same (same name and postcode, same e-mail, "
        "same phone) and writes them as groups, each with its master, in a CSV report. "
        "With merge, every group is merged into its master."
    ),
    options=Options,
    run=run,
    default_filename="doublons-clients-{y}{m}{d}.csv",
    check=check,
)
