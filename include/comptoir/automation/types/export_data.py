"""`export_data` ("Exportation de données"): one entity of the dossier to CSV.

Separator, encoding, decimal separator and column list are options. References are
written as business codes (a customer's store is `MAG01`, not an internal id). With
`{mag:code}` or `{mag:name}` in the file name, one file per store, each holding the
rows of that store.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.fields import (
    DecimalSeparator,
    Encoding,
    Separator,
    decimal_separator_field,
    encoding_field,
    separator_field,
)
from comptoir.automation.filenames import Store, uses_store
from comptoir.errors import ComptoirError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Select

    from comptoir.automation.catalog import RunContext

_ADDRESS = {c: c for c in ("address1", "address2", "postcode", "city", "country")}


@dataclass(frozen=True)
class Entity:
    """An exportable entity: its table, its columns and the column that names its store.

    A column is `name` (of the table) or `fk>table.column` (through a foreign key).
    """

    title: str
    table: str
    columns: dict[str, str]
    store_column: str | None = None


ENTITIES: dict[str, Entity] = {
    "customers": Entity("Clients", "customers", {
        "code": "code", "name": "name", "family": "family", "store": "store_id>depots.code",
        **_ADDRESS, "email": "email", "phone": "phone",
        "regime": "regime_id>tax_regimes.code", "account": "account",
        "credit_limit": "credit_limit", "iban": "iban", "bic": "bic",
        "created_at": "created_at", "updated_at": "updated_at",
    }, store_column="store_id"),
    "customer_addresses": Entity("Adresses clients", "customer_addresses", {
        "customer": "customer_id>customers.code", "name": "name", **_ADDRESS,
    }),
    "customer_contacts": Entity("Contacts clients", "customer_contacts", {
        "customer": "customer_id>customers.code", "name": "name", "role": "role",
        "email": "email", "phone": "phone",
    }),
    "suppliers": Entity("Fournisseurs", "suppliers", {
        "code": "code", "name": "name", "regime": "regime_id>tax_regimes.code", **_ADDRESS,
        "email": "email", "phone": "phone", "defective_policy": "defective_policy",
    }),
    "supplier_contacts": Entity("Contacts fournisseurs", "supplier_contacts", {
        "supplier": "supplier_id>suppliers.code", "name": "name", "role": "role",
        "email": "email", "phone": "phone",
    }),
    "articles": Entity("Articles", "articles", {
        "code": "code", "name": "name", "supplier": "supplier_id>suppliers.code",
        "brand": "brand_id>brands.code", "family": "family_id>families.code",
        "sub_family": "sub_family_id>sub_families.code", "vat_code": "vat_code_id>vat_codes.code",
        "purchase_price": "purchase_price", "sale_price": "sale_price", "unit": "unit",
        "lot_managed": "lot_managed", "assembled": "assembled", "exportable": "exportable",
        "active": "active",
    }),
    "brands": Entity("Marques", "brands", {
        "code": "code", "name": "name", "supplier": "supplier_id>suppliers.code",
    }),
    "families": Entity("Familles", "families", {"code": "code", "name": "name"}),
    "stock": Entity("Stock", "stock_records", {
        "article": "article_id>articles.code", "article_name": "article_id>articles.name",
        "depot": "depot_id>depots.code", "quantity": "quantity", "value": "value",
        "wac": "wac", "alert_threshold": "alert_threshold",
    }, store_column="depot_id"),
    "stock_movements": Entity("Mouvements de stock", "stock_movements", {
        "number": "number", "kind": "kind", "date": "date", "depot": "depot_id>depots.code",
        "target_depot": "target_depot_id>depots.code", "reference": "reference",
        "validated": "validated", "validated_at": "validated_at",
    }, store_column="depot_id"),
    "sales_documents": Entity("Documents de vente", "sales_documents", {
        "number": "number", "type": "type", "date": "date",
        "customer": "customer_id>customers.code", "customer_name": "customer_id>customers.name",
        "depot": "depot_id>depots.code", "reference": "reference", "origin": "origin",
        "source": "source", "total_excl_tax": "total_excl_tax", "total_tax": "total_tax",
        "total_incl_tax": "total_incl_tax", "accounting_status": "accounting_status",
    }, store_column="depot_id"),
    "sales_document_lines": Entity("Lignes de documents de vente", "sales_document_lines", {
        "document": "document_id>sales_documents.number", "line_no": "line_no",
        "article": "article_id>articles.code", "description": "description",
        "quantity": "quantity", "unit_price": "unit_price", "discount": "discount",
        "vat_code": "vat_code_id>vat_codes.code", "total_excl_tax": "total_excl_tax",
    }),
    "purchase_orders": Entity("Commandes fournisseurs", "purchase_orders", {
        "number": "number", "supplier": "supplier_id>suppliers.code",
        "depot": "depot_id>depots.code", "date": "date", "status": "status",
        "reference": "reference", "sent_at": "sent_at",
    }, store_column="depot_id"),
    "pos_tickets": Entity("Tickets de caisse", "pos_tickets", {
        "store": "depot_id>depots.code", "register": "register_id>registers.code",
        "number": "number", "issued_at": "issued_at", "customer": "customer_id>customers.code",
        "degraded": "degraded", "total_incl_tax": "total_incl_tax",
    }, store_column="depot_id"),
    "receivables": Entity("Échéances clients", "receivables", {
        "customer": "customer_id>customers.code",
        "document": "document_id>sales_documents.number",
        "payment_mode": "payment_mode_id>payment_modes.code", "amount": "amount",
        "paid_amount": "paid_amount", "due_date": "due_date", "state": "state",
    }),
    "depots": Entity("Dépôts et magasins", "depots", {
        "code": "code", "name": "name", **_ADDRESS, "is_store": "is_store", "site": "site",
    }),
    "vat_codes": Entity("Codes TVA", "vat_codes", {
        "code": "code", "name": "name", "rate": "rate", "sales_account": "sales_account",
    }),
    "payment_modes": Entity("Modes de règlement", "payment_modes", {
        "code": "code", "name": "name", "account": "account", "is_credit": "is_credit",
        "is_deposit": "is_deposit",
    }),
}

EntityName = Literal[
    "customers", "customer_addresses", "customer_contacts", "suppliers", "supplier_contacts",
    "articles", "brands", "families", "stock", "stock_movements", "sales_documents",
    "sales_document_lines", "purchase_orders", "pos_tickets", "receivables", "depots",
    "vat_codes", "payment_modes",
]


class ExportError(ComptoirError):
    """The export cannot be written as asked."""


class Options(BaseModel):
    """Options of `export_data`."""

    model_config = ConfigDict(extra="forbid")

    entity: EntityName = Field(
        title="Entity",
        description="What to export.",
        json_schema_extra={
            "section": "Data",
            "values_display": {name: f"{e.title} ({name})" for name, e in ENTITIES.items()},
        },
    )
    columns: list[str] = Field(
        default_factory=list,
        title="Columns",
        description="Columns to write, in this order (one per line). Empty: every column "
        "of the entity.",
        json_schema_extra={"section": "Data"},
    )
    stores: list[str] = Field(
        default_factory=list,
        title="Stores",
        description="Store codes to export (one per line). Empty: every store. Only for "
        "entities that belong to a store.",
        json_schema_extra={"section": "Data"},
    )
    separator: Separator = separator_field("Field separator of the CSV file.")
    encoding: Encoding = encoding_field()
    decimal_separator: DecimalSeparator = decimal_separator_field()
    header: bool = Field(
        default=True,
        title="Header line",
        description="Write the column names on the first line.",
        json_schema_extra={"section": "CSV format"},
    )

    @model_validator(mode="after")
    def _known_columns(self) -> Options:
        entity = ENTITIES[self.entity]
        unknown = [c for c in self.columns if c not in entity.columns]
        if unknown:
            raise ValueError(
                f"columns: unknown column(s) {', '.join(map(repr, unknown))} for {self.entity}; "
                f"its columns are {', '.join(entity.columns)}"
            )
        if self.stores and entity.store_column is None:
            raise ValueError(f"stores: {self.entity} does not belong to a store; remove `stores`")
        if self.separator == self.decimal_separator:
            raise ValueError("decimal_separator: it cannot be the field separator")
        return self


def check(options: BaseModel, filename: str | None) -> None:
    """`{mag:...}` needs an entity that belongs to a store."""
    assert isinstance(options, Options)
    if filename and uses_store(filename) and ENTITIES[options.entity].store_column is None:
        raise ValueError(
            f"output.filename: {{mag:...}} makes one file per store, but {options.entity} "
            "does not belong to a store; remove the tag or export another entity"
        )


def _query(conn: Connection, entity: Entity, columns: list[str]) -> tuple[Select[Any], Any]:
    from sqlalchemy import select

    from comptoir.backoffice.schema import metadata

    table = metadata.tables[entity.table]
    joined: Any = table
    aliases: dict[str, Any] = {}
    selected = []
    for name in columns:
        source = entity.columns[name]
        if ">" in source:
            fk, target = source.split(">")
            target_table, target_column = target.split(".")
            if fk not in aliases:
                alias = metadata.tables[target_table].alias(f"j_{fk}")
                aliases[fk] = alias
                joined = joined.outerjoin(alias, table.c[fk] == alias.c.id)
            selected.append(aliases[fk].c[target_column].label(name))
        else:
            selected.append(table.c[source].label(name))
    query = select(*selected).select_from(joined).order_by(*table.primary_key.columns)
    return query, table


def _stores(conn: Connection, codes: list[str]) -> list[tuple[int, Store]]:
    from sqlalchemy import select

    from comptoir.backoffice.schema import depots

    query = select(depots.c.id, depots.c.code, depots.c.name).order_by(depots.c.code)
    if codes:
        query = query.where(depots.c.code.in_(codes))
    else:
        query = query.where(depots.c.is_store.is_(True))
    found = [(row.id, Store(row.code, row.name)) for row in conn.execute(query)]
    missing = sorted(set(codes) - {store.code for _, store in found})
    if missing:
        raise ExportError(f"unknown store code(s) in option stores: {', '.join(missing)}")
    return found


def cell(value: Any, decimal_separator: str) -> str:
    """One CSV cell: empty for None, `1`/`0` for booleans, ISO dates, decimals as given."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.replace(".", decimal_separator) if decimal_separator != "." else text
    if isinstance(value, float):  # never money: a float column would be a schema bug
        text = repr(value)
        return text.replace(".", decimal_separator) if decimal_separator != "." else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write_rows(rows: Any, path: Any, columns: list[str], options: Options) -> int:
    """Write `rows` as CSV with the options' separator, decimals and encoding; the count."""
    with open(path, "w", encoding=options.encoding, newline="") as handle:
        return write_rows_to(handle, rows, columns if options.header else None, options)


def write_rows_to(handle: Any, rows: Any, columns: list[str] | None, options: Any) -> int:
    """Write `rows` (after the header `columns`, unless None) to an open text `handle`
    with the options' separator and decimals; the count. A character the handle's
    encoding cannot hold fails with `ExportError`, naming it."""
    count = 0
    try:
        writer = csv.writer(handle, delimiter=options.separator)
        if columns is not None:
            writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(v, options.decimal_separator) for v in row])
            count += 1
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start:exc.end]
        raise ExportError(
            f"the character {bad!r} cannot be written in {options.encoding}: choose the "
            "utf-8 encoding"
        ) from None
    return count


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Write the entity to one CSV file, or one per store."""
    entity = ENTITIES[options.entity]
    columns = options.columns or list(entity.columns)
    output = TaskOutput()
    with ctx.engine.connect() as conn:
        query, table = _query(conn, entity, columns)
        per_store = bool(ctx.filename and uses_store(ctx.filename))
        if per_store or options.stores:
            stores = _stores(conn, options.stores)
        if per_store:
            for index, (store_id, store) in enumerate(stores):
                path = ctx.work_dir / f"part-{index}.csv"
                rows = conn.execute(query.where(table.c[entity.store_column] == store_id))
                count = write_rows(rows, path, columns, options)
                output.files.append(ProducedFile(path, store, count))
                ctx.log(f"{options.entity}: {count} rows for store {store.code}")
            if not stores:
                output.summary.append("No store in the dossier: no file written")
        else:
            if options.stores:
                ids = [store_id for store_id, _ in stores]
                query = query.where(table.c[entity.store_column].in_(ids))
            path = ctx.work_dir / "export.csv"
            count = write_rows(conn.execute(query), path, columns, options)
            output.files.append(ProducedFile(path, None, count))
            ctx.log(f"{options.entity}: {count} rows")
    return output


TASK_TYPE = TaskType(
    name="export_data",
    title="Exportation de données",
    category=Category.IMPORT_EXPORT,
    description=(
        "Exports one entity of the dossier (customers, suppliers, articles, stock, sales "
        "documents, ...) to a CSV file with the chosen separator, encoding and columns. "
        "With {mag:code} or {mag:name} in the file name, one file per store."
    ),
    options=Options,
    run=run,
    default_filename="export-{y}{m}{d}-{h}{i}.csv",
    check=check,
)
