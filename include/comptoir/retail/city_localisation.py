"""`city_localisation` ("Localisation de villes"): the city from the postcode, from the
offline data set of `comptoir.retail.postcodes` (spec/retail-tasks.md).

Rows of the chosen entities (customers, customer addresses, suppliers, depots) with a
postcode and an empty city get the data set's locality; with `overwrite`, every row with a
postcode whose city is not exactly the data set's. `check_only` writes nothing and lists
the cities that differ (compared without accents, case, hyphens). Unknown or ambiguous
codes are counted and named (the first 20, most frequent first). One transaction; the
updates are one executemany per table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from comptoir.automation.catalog import Category, TaskOutput, TaskType

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext

Entity = Literal["customers", "customer_addresses", "suppliers", "depots"]
LISTED = 20
CITY_LENGTH = 80


@dataclass(frozen=True)
class Target:
    """How an entity's rows are read and named in the report."""

    table: str
    label: str
    owner: str | None = None
    """The table whose code names the row (through `<owner>_id`), when not its own."""


TARGETS: dict[str, Target] = {
    "customers": Target("customers", "client"),
    "customer_addresses": Target("customer_addresses", "adresse du client", "customer"),
    "suppliers": Target("suppliers", "fournisseur"),
    "depots": Target("depots", "dépôt"),
}


class Options(BaseModel):
    """Options of `city_localisation`."""

    model_config = ConfigDict(extra="forbid")

    entities: list[Entity] = Field(
        default_factory=lambda: ["customers", "customer_addresses"], min_length=1,
        title="Entities",
        description="Whose cities are filled: customers, customer_addresses, suppliers, "
        "depots.",
        json_schema_extra={"section": "Scope"})
    overwrite: bool = Field(
        default=False, title="Overwrite",
        description="Replace the cities already filled in by the data set's locality.",
        json_schema_extra={"section": "Behaviour"})
    check_only: bool = Field(
        default=False, title="Check only",
        description="Write nothing: list the cities that differ from the data set.",
        json_schema_extra={"section": "Behaviour"})

    @field_validator("entities")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


@dataclass
class Found:
    """What the look-ups gave over every entity."""

    filled: int = 0
    differing: list[str] = field(default_factory=list)
    unknown: Counter[str] = field(default_factory=Counter)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def shown(country: str, postcode: str) -> str:
    return postcode if country == "FR" else f"{country}-{postcode}"


def rows(conn: Connection, target: Target, every_city: bool) -> list[Any]:
    """(id, name, postcode, city, country) of the rows with a postcode (and an empty city
    unless `every_city`)."""
    from sqlalchemy import func, or_, select

    from comptoir.backoffice.schema import metadata

    table = metadata.tables[target.table]
    if target.owner:
        owner = metadata.tables[f"{target.owner}s"]
        name = owner.c.code
        source = table.join(owner, owner.c.id == table.c[f"{target.owner}_id"])
    else:
        name, source = table.c.code, table
    query = (select(table.c.id, name.label("name"), table.c.postcode, table.c.city,
                    table.c.country).select_from(source)
             .where(func.trim(func.coalesce(table.c.postcode, "")) != "")
             .order_by(table.c.id))
    if not every_city:
        query = query.where(or_(table.c.city.is_(None), func.trim(table.c.city) == ""))
    return conn.execute(query).all()


def localise(conn: Connection, options: Options, moment: Any) -> Found:
    """Look every row up; fill (or compare) the cities; the counts."""
    from sqlalchemy import bindparam, update

    from comptoir.backoffice.schema import metadata
    from comptoir.retail.postcodes import city_of, normal_city, postcode_key

    found = Found()
    for entity in options.entities:
        target = TARGETS[entity]
        table = metadata.tables[target.table]
        changes: list[dict[str, Any]] = []
        for row in rows(conn, target, options.overwrite or options.check_only):
            key = postcode_key(row.country, row.postcode)
            if key is None:
                continue
            city = city_of(*key)
            if city is None:
                found.unknown[shown(*key)] += 1
                continue
            city = city[:CITY_LENGTH]
            current = (row.city or "").strip()
            if options.check_only:
                if current and normal_city(current) != normal_city(city):
                    found.differing.append(
                        f"Ville différente : {target.label} {row.name} ({row.postcode}) "
                        f"« {current} » au lieu de {city}")
                elif not current:
                    found.filled += 1
            elif current != city:
                changes.append({"row": row.id, "city": city})
        if changes:
            values: dict[str, Any] = {"city": bindparam("city")}
            if "updated_at" in table.c:
                values["updated_at"] = moment
            conn.execute(update(table).where(table.c.id == bindparam("row")).values(values),
                         changes)
            found.filled += len(changes)
    return found


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Fill (or check) the cities of the chosen entities from their postcodes."""
    with ctx.engine.begin() as conn:
        found = localise(conn, options, ctx.moment)
    unknown = plural(len(found.unknown), "code postal inconnu", "codes postaux inconnus")
    if options.check_only:
        differing = plural(len(found.differing), "ville différente", "villes différentes")
        empty = plural(found.filled, "ville vide à renseigner", "villes vides à renseigner")
        summary = [f"Contrôle des villes : {differing}, {empty}, {unknown}"]
        summary += found.differing[:LISTED]
        if len(found.differing) > LISTED:
            summary.append(f"… et {len(found.differing) - LISTED} autres")
    else:
        summary = [f"Localisation des villes : "
                   f"{plural(found.filled, 'ville renseignée', 'villes renseignées')}, "
                   f"{unknown}"]
    if found.unknown:
        codes = sorted(found.unknown.items(), key=lambda item: (-item[1], item[0]))
        summary.append("Codes postaux inconnus : " + ", ".join(
            f"{code} ({count})" for code, count in codes[:LISTED]))
    ctx.log(f"{found.filled} cities filled or fillable, {len(found.differing)} differing, "
            f"{len(found.unknown)} unknown postcodes")
    return TaskOutput(summary=summary)


TASK_TYPE = TaskType(
    name="city_localisation",
    title="Localisation de villes",
    category=Category.AUTRES,
    description=(
        "Fills the empty cities of customers, their addresses, suppliers or depots from "
        "their postcode, with an offline postcode data set (ODbL). With overwrite, "
        "replaces the cities already there; with check_only, only lists the cities that "
        "differ and the unknown postcodes."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
