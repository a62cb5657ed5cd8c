"""The dossier's schema (SQLAlchemy Core): every entity the five source documents use.

Conventions: integer surrogate keys `id`, business codes unique, money and quantities
`NUMERIC` (Decimal in Python), every imported row stamped with `import_batch_id`.
Schema changes go through Alembic migrations (`comptoir/backoffice/migrations`).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def money(name: str, **kw: object) -> Column:
    """An amount in euros: NUMERIC(15, 2)."""
    return Column(name, Numeric(15, 2, asdecimal=True), **kw)  # type: ignore[arg-type]


def price(name: str, **kw: object) -> Column:
    """A unit price or cost: NUMERIC(15, 4)."""
    return Column(name, Numeric(15, 4, asdecimal=True), **kw)  # type: ignore[arg-type]


def qty(name: str, **kw: object) -> Column:
    """A quantity: NUMERIC(15, 3)."""
    return Column(name, Numeric(15, 3, asdecimal=True), **kw)  # type: ignore[arg-type]


def code(name: str = "code", length: int = 40, **kw: object) -> Column:
    """A business code."""
    return Column(name, String(length), **kw)  # type: ignore[arg-type]


def batch() -> Column:
    """The import batch that wrote the row (null when not imported)."""
    return Column(
        "import_batch_id", String(36), ForeignKey("import_batches.id"), nullable=True, index=True
    )


def created() -> Column:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def updated() -> Column:
    return Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        onupdate=func.now(),
    )


def address_columns() -> list[Column]:
    return [
        Column("address1", String(120)),
        Column("address2", String(120)),
        Column("postcode", String(20)),
        Column("city", String(80)),
        Column("country", String(2)),
    ]


# --- Technical tables -------------------------------------------------------------------

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    updated(),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False, server_default="0"),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("entity", String(40), nullable=False),
    Column("mode", String(10), nullable=False),
    Column("files", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
    Column("records", Integer, nullable=False, server_default="0"),
    Column("accepted", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("report", Text, doc="a summary of the report: counts, the first rejections"),
    Column("content_sha256", String(64), index=True, doc="SHA-256 of the file's bytes"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("category", String(60), nullable=False, server_default="Rapports de tâches"),
    Column("task_id", String(200), index=True),
    Column("run_id", String(250)),
    Column("level", String(10), nullable=False),
    Column("title", String(250), nullable=False),
    Column("body", Text, nullable=False, server_default=""),
    created(),
    Column("target", String(120), doc="STORE/REGISTER a live message is for"),
    Column("expires_at", DateTime(timezone=True)),
    CheckConstraint("level IN ('info', 'warning', 'error')", name="level"),
)

task_state = Table(
    "task_state",
    metadata,
    Column("task_id", String(200), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    updated(),
)

# --- Tax ----------------------------------------------------------------------------------

tax_regimes = Table(
    "tax_regimes",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    batch(),
    created(),
)

vat_codes = Table(
    "vat_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("rate", Numeric(6, 3), nullable=False, server_default="0"),
    Column("sales_account", String(20)),
    Column("tax_account", String(20), doc="Account of the VAT collected at this rate"),
    batch(),
    created(),
    CheckConstraint("rate >= 0", name="rate_positive"),
)

revision_indexes = Table(
    "revision_indexes",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("value", Numeric(12, 4)),
    batch(),
    created(),
)

# --- Sites: depots, stores, registers --------------------------------------------------------

depots = Table(
    "depots",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    *address_columns(),
    Column("is_store", Boolean, nullable=False, server_default="0"),
    Column("site", String(60), doc="Airflow site (Celery queue) the store's tasks run on"),
    batch(),
    created(),
)

registers = Table(
    "registers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False),
    code(nullable=False),
    Column("name", String(120), nullable=False),
    Column("number", SmallInteger, doc="Register number (the NN of *TPV<NN> references)"),
    Column("journal_code", String(10), doc="Treasury journal of the register's payments"),
    UniqueConstraint("depot_id", "code", name="uq_registers_depot_code"),
)

# --- Third parties ---------------------------------------------------------------------------

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("regime_id", Integer, ForeignKey("tax_regimes.id")),
    Column("family", String(40)),
    Column("store_id", Integer, ForeignKey("depots.id")),
    *address_columns(),
    Column("email", String(200)),
    Column("phone", String(40)),
    Column("iban", String(34)),
    Column("bic", String(11)),
    Column("rib_bank", String(5)),
    Column("rib_branch", String(5)),
    Column("rib_account", String(11)),
    Column("rib_key", String(2)),
    Column("account", String(20), doc="Accounting account of the customer"),
    money("credit_limit"),
    batch(),
    created(),
    updated(),
)

customer_addresses = Table(
    "customer_addresses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("name", String(120)),
    *address_columns(),
    batch(),
    created(),
)

customer_contacts = Table(
    "customer_contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("role", String(60)),
    Column("email", String(200)),
    Column("phone", String(40)),
)

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("regime_id", Integer, ForeignKey("tax_regimes.id")),
    *address_columns(),
    Column("email", String(200)),
    Column("phone", String(40)),
    Column(
        "defective_policy",
        String(20),
        nullable=False,
        server_default="adjustment",
        doc="What happens to defective goods: none, adjustment, supplier_return",
    ),
    Column("intersite_email", String(200), doc="Mailbox receiving inter-site orders"),
    Column("family", String(40), doc="Supplier family (the one a connector reception assigns)"),
    batch(),
    created(),
    updated(),
    CheckConstraint(
        "defective_policy IN ('none', 'adjustment', 'supplier_return')", name="defective_policy"
    ),
)

supplier_contacts = Table(
    "supplier_contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("role", String(60)),
    Column("email", String(200)),
    Column("phone", String(40)),
)

# --- Catalogue -------------------------------------------------------------------------------

brands = Table(
    "brands",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("supplier_id", Integer, ForeignKey("suppliers.id")),
)

families = Table(
    "families",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
)

sub_families = Table(
    "sub_families",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("family_id", Integer, ForeignKey("families.id"), nullable=False),
    code(nullable=False),
    Column("name", String(120), nullable=False),
    UniqueConstraint("family_id", "code", name="uq_sub_families_family_code"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("vat_code_id", Integer, ForeignKey("vat_codes.id")),
    Column("supplier_id", Integer, ForeignKey("suppliers.id")),
    Column("brand_id", Integer, ForeignKey("brands.id")),
    Column("family_id", Integer, ForeignKey("families.id")),
    Column("sub_family_id", Integer, ForeignKey("sub_families.id")),
    price("purchase_price"),
    price("sale_price", doc="Sale price excluding VAT"),
    Column("unit", String(10)),
    Column("lot_managed", Boolean, nullable=False, server_default="0"),
    Column("assembled", Boolean, nullable=False, server_default="0"),
    Column("exportable", Boolean, nullable=False, server_default="1"),
    Column("active", Boolean, nullable=False, server_default="1"),
    batch(),
    created(),
    updated(),
)

STOCK_FILLFACTOR = 50
"""PostgreSQL fill factor of `stock_records` (migration 0007)."""

stock_records = Table(
    "stock_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False, index=True),
    qty("quantity", nullable=False, server_default="0"),
    money("value", nullable=False, server_default="0"),
    price("wac", nullable=False, server_default="0", doc="Weighted average cost (PAMP)"),
    qty("alert_threshold"),
    qty("target_quantity", doc="Stock maxi: what a restock orders up to"),
    batch(),
    UniqueConstraint("article_id", "depot_id", name="uq_stock_records_article_depot"),
    # Every sale updates its record: half-empty pages let PostgreSQL update a record in its
    # page without touching the indexes (HOT), so a night's million updates stay cheap.
    postgresql_with={"fillfactor": STOCK_FILLFACTOR},
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(30), nullable=False, unique=True),
    Column("kind", String(30), nullable=False),
    Column("date", Date, nullable=False),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False),
    Column("target_depot_id", Integer, ForeignKey("depots.id")),
    Column("reference", String(120)),
    Column("validated", Boolean, nullable=False, server_default="0"),
    Column("validated_at", DateTime(timezone=True)),
    batch(),
    created(),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"),
           doc="The supplier defectives are returned to (RFD)"),
    Column("created_by_run", String(250), doc="The task run that created it"),
    CheckConstraint(
        "kind IN ('initial', 'sale', 'return', 'adjustment', 'transfer', "
        "'defective_destruction', 'supplier_return', 'sales_adjustment', 'kit_split')",
        name="kind",
    ),
)

stock_movement_lines = Table(
    "stock_movement_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("movement_id", Integer, ForeignKey("stock_movements.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False, index=True),
    qty("quantity", nullable=False),
    price("unit_cost"),
    money("value"),
    Column("lot_number", String(60)),
)

lots = Table(
    "lots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False),
    Column("number", String(60), nullable=False),
    qty("quantity", nullable=False),
    Column("movement_id", Integer, ForeignKey("stock_movements.id")),
    batch(),
    UniqueConstraint("article_id", "depot_id", "number", name="uq_lots_article_depot_number"),
)

bom_lines = Table(
    "bom_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_article_id", Integer, ForeignKey("articles.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column(
        "component_article_id",
        Integer,
        ForeignKey("articles.id"),
        doc="Null on a comment line",
    ),
    Column("description", String(200)),
    qty("quantity"),
    price("price"),
    Column("kind", String(15), nullable=False, doc="assembly or manufacturing"),
    batch(),
    CheckConstraint("kind IN ('assembly', 'manufacturing')", name="kind"),
)

# --- Sales ----------------------------------------------------------------------------------

sales_documents = Table(
    "sales_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(30), nullable=False, unique=True),
    Column("type", String(1), nullable=False, doc="D quote, C order, B delivery note, "
           "F invoice, A credit note, O subscription contract"),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("depot_id", Integer, ForeignKey("depots.id")),
    Column("register_id", Integer, ForeignKey("registers.id"),
           doc="Register whose tickets the document invoices"),
    Column("reference", String(120)),
    Column("origin", String(120), index=True, doc="WEB_IDENT: the document's id elsewhere"),
    Column("source", String(20), nullable=False, server_default="manual"),
    Column("accounting_status", String(20), nullable=False, server_default="not_posted"),
    Column("revision_index_id", Integer, ForeignKey("revision_indexes.id")),
    Column("periodicity", String(1)),
    Column("start_date", Date),
    Column("end_date", Date),
    money("total_excl_tax", nullable=False, server_default="0"),
    money("total_tax", nullable=False, server_default="0"),
    money("total_incl_tax", nullable=False, server_default="0"),
    batch(),
    created(),
    Column("printed_at", DateTime(timezone=True), doc="When an invoice edition printed it"),
    CheckConstraint("type IN ('D', 'C', 'B', 'F', 'A', 'O')", name="type"),
    CheckConstraint(
        "source IN ('manual', 'import', 'pos', 'econnector', 'intersite')", name="source"
    ),
    CheckConstraint(
        "accounting_status IN ('not_posted', 'pos_pending', 'posted', 'excluded')",
        name="accounting_status",
    ),
    CheckConstraint("periodicity IS NULL OR periodicity IN ('A', 'M', 'J')", name="periodicity"),
)

sales_document_lines = Table(
    "sales_document_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("sales_documents.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id")),
    Column("description", String(200)),
    qty("quantity"),
    price("unit_price", doc="Unit price excluding VAT"),
    Column("discount", Numeric(6, 3), doc="Discount percentage"),
    Column("vat_code_id", Integer, ForeignKey("vat_codes.id")),
    money("total_excl_tax"),
    batch(),
)

sales_document_taxes = Table(
    "sales_document_taxes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("sales_documents.id"), nullable=False),
    Column("vat_code_id", Integer, ForeignKey("vat_codes.id"), nullable=False),
    Column("rate", Numeric(6, 3), nullable=False),
    money("base_excl_tax", nullable=False),
    money("tax", nullable=False),
    money("total_incl_tax", nullable=False),
    UniqueConstraint("document_id", "vat_code_id", name="uq_sales_document_taxes_key"),
)

# --- Purchases ------------------------------------------------------------------------------

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(30), nullable=False, unique=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False, index=True),
    Column("depot_id", Integer, ForeignKey("depots.id")),
    Column("date", Date, nullable=False),
    Column("status", String(12), nullable=False, server_default="draft"),
    Column("follow_up_user", String(60)),
    Column("reference", String(120)),
    Column("sent_at", DateTime(timezone=True), doc="When it was e-mailed to the supplier"),
    created(),
    Column("sent_message_id", String(250), doc="Message-ID of the inter-site mail that sent it"),
    Column("origin", String(120), doc="What drafted it: restock_alert:<task id>"),
    CheckConstraint(
        "status IN ('draft', 'confirmed', 'pending', 'received')", name="status"
    ),
)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("purchase_orders.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id")),
    Column("description", String(200)),
    qty("quantity", nullable=False),
    qty("received_quantity", nullable=False, server_default="0"),
    price("unit_price"),
)

# --- Point of sale ---------------------------------------------------------------------------

#: Ticket line kinds that pay an invoice or take a deposit: no article, a document reference.
ACCOUNT_OPERATIONS = ("invoice_payment", "deposit")

payment_modes = Table(
    "payment_modes",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("account", String(20), doc="Accounting account the payments are posted to"),
    Column("state_code", String(20), doc="Payment state given to receivables of this mode"),
    Column("is_credit", Boolean, nullable=False, server_default="0"),
    Column("is_deposit", Boolean, nullable=False, server_default="0"),
    Column("lettrable", Boolean, nullable=False, server_default="1"),
    Column("generates_delivery_note", Boolean, nullable=False, server_default="0"),
)

sales_days = Table(
    "sales_days",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False),
    Column("register_id", Integer, ForeignKey("registers.id"), nullable=False),
    Column("date", Date, nullable=False),
    Column("status", String(12), nullable=False, server_default="open"),
    Column("closed", Boolean, nullable=False, server_default="0"),
    Column("closed_at", DateTime(timezone=True)),
    Column("stock_state", String(10), nullable=False, server_default="pending",
           doc="Whether its tickets are applied to the stock: pending, updated, error"),
    Column("stock_movement_id", Integer, ForeignKey("stock_movements.id"),
           doc="The day's VT movement"),
    Column("stock_errors", Text, doc="Why the day could not be applied, one error a line"),
    Column("stock_updated_at", DateTime(timezone=True)),
    UniqueConstraint("register_id", "date", name="uq_sales_days_register_date"),
    CheckConstraint("status IN ('open', 'closed', 'integrated', 'posted')", name="status"),
    CheckConstraint("stock_state IN ('pending', 'updated', 'error')", name="stock_state"),
)

pos_tickets = Table(
    "pos_tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False),
    Column("register_id", Integer, ForeignKey("registers.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("sales_day_id", Integer, ForeignKey("sales_days.id"), index=True),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    Column("degraded", Boolean, nullable=False, server_default="0",
           doc="Captured while the store was offline"),
    money("total_incl_tax", nullable=False, server_default="0"),
    Column("integrated_document_id", Integer, ForeignKey("sales_documents.id"),
           doc="The document that invoiced the ticket"),
    Column("integrated_at", DateTime(timezone=True), index=True,
           doc="When the ticket was invoiced (put into a document, or found without sales)"),
    Column("received_at", DateTime(timezone=True), doc="Server: when its file was integrated"),
    Column("source_file", String(255), doc="Server: the ticket file it came in"),
    Column("extracted_at", DateTime(timezone=True), doc="Register: when it was extracted"),
    Column("extract_file", String(255), doc="Register: the ticket file it left in"),
    Column("posted_at", DateTime(timezone=True), index=True,
           doc="When its sales and payments were posted"),
    batch(),
    UniqueConstraint("depot_id", "register_id", "number", name="uq_pos_tickets_key"),
)

pos_ticket_lines = Table(
    "pos_ticket_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("pos_tickets.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("kind", String(20), nullable=False, server_default="sale"),
    Column("article_id", Integer, ForeignKey("articles.id")),
    Column("article_code", String(40), doc="The article code keyed or scanned at the register"),
    Column("sub_family_id", Integer, ForeignKey("sub_families.id"),
           doc="A sale on a sub-family, without stock"),
    qty("quantity", nullable=False),
    price("unit_price_incl_tax", nullable=False),
    Column("discount", Numeric(6, 3)),
    Column("vat_rate", Numeric(6, 3), nullable=False, server_default="0"),
    Column("vat_code_id", Integer, ForeignKey("vat_codes.id")),
    money("total_incl_tax", nullable=False),
    Column("document_ref", String(30),
           doc="invoice_payment: the invoice paid; deposit: the order the deposit is on"),
    Column("correction", String(20), doc="What the sales correction changed"),
    Column("defective_movement_id", Integer, ForeignKey("stock_movements.id"),
           doc="defective: the BDD/RFD voucher that took the item out"),
    CheckConstraint(
        "kind IN ('sale', 'return', 'defective', 'invoice_payment', 'deposit')", name="kind"
    ),
    CheckConstraint(
        "kind IN ('invoice_payment', 'deposit') OR article_id IS NOT NULL "
        "OR sub_family_id IS NOT NULL OR article_code IS NOT NULL",
        name="article",
    ),
    CheckConstraint(
        "kind NOT IN ('invoice_payment', 'deposit') OR document_ref IS NOT NULL",
        name="document_ref",
    ),
    CheckConstraint(
        "correction IS NULL OR correction IN ('misc_article', 'return_sign')",
        name="correction",
    ),
)

pos_ticket_payments = Table(
    "pos_ticket_payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("pos_tickets.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("payment_mode_id", Integer, ForeignKey("payment_modes.id"), nullable=False),
    money("amount", nullable=False),
    Column("due_date", Date),
    Column("reference", String(40), doc="Deposit mode: the order whose deposit is used"),
)

pos_files = Table(
    "pos_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, index=True),
    Column("sha256", String(64), index=True, doc="SHA-256 of the file's bytes"),
    Column("kind", String(20), doc="degraded or untransferred; null when unreadable"),
    Column("store", String(40)),
    Column("register", String(40)),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("status", String(10), nullable=False),
    Column("tickets", Integer, nullable=False, server_default="0"),
    Column("integrated", Integer, nullable=False, server_default="0"),
    Column("already_integrated", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("run_id", String(36), index=True),
    CheckConstraint("status IN ('done', 'failed')", name="status"),
    CheckConstraint("kind IS NULL OR kind IN ('degraded', 'untransferred')", name="kind"),
)

pos_log = Table(
    "pos_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           index=True),
    Column("run_id", String(36), nullable=False, index=True),
    Column("step", String(20), nullable=False),
    Column("level", String(10), nullable=False),
    Column("file", String(255)),
    Column("store", String(40)),
    Column("register", String(40)),
    Column("ticket", Integer),
    Column("rule", String(40)),
    Column("message", Text, nullable=False),
    CheckConstraint("level IN ('info', 'warning', 'error')", name="level"),
)

# --- Accounting ------------------------------------------------------------------------------

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(12), nullable=False, server_default="general"),
    Column("lettrable", Boolean, nullable=False, server_default="0"),
    CheckConstraint(
        "kind IN ('general', 'customer', 'supplier', 'bank', 'cash', 'revenue', 'tax', "
        "'expense')",
        name="kind",
    ),
)

journals = Table(
    "journals",
    metadata,
    Column("id", Integer, primary_key=True),
    code(length=10, nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(12), nullable=False),
    CheckConstraint("kind IN ('sales', 'purchases', 'bank', 'cash', 'misc')", name="kind"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("journal_id", Integer, ForeignKey("journals.id"), nullable=False),
    Column("number", String(30), nullable=False, unique=True),
    Column("date", Date, nullable=False),
    Column("label", String(200), nullable=False),
    Column("document_id", Integer, ForeignKey("sales_documents.id"), index=True),
    Column("sales_day_id", Integer, ForeignKey("sales_days.id")),
    Column("source", String(20), nullable=False, server_default="manual"),
    Column("document_ref", String(40), doc="The entry's document reference (PieceRef)"),
    Column("validated_on", Date, nullable=False, doc="Validation date (the FEC's ValidDate)"),
    Column("kind", String(10), doc="sales or treasury; null for other entries"),
    Column("register_id", Integer, ForeignKey("registers.id")),
    Column("run_id", String(36), index=True, doc="The posting run that wrote it"),
    created(),
    CheckConstraint("kind IS NULL OR kind IN ('sales', 'treasury')", name="kind"),
)

journal_entry_lines = Table(
    "journal_entry_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("journal_entries.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), index=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id")),
    Column("label", String(200)),
    money("debit", nullable=False, server_default="0"),
    money("credit", nullable=False, server_default="0"),
    Column("due_date", Date),
    Column("lettering_code", String(10), index=True),
    Column("lettered_on", Date),
    Column("document_ref", String(40)),
    Column("payment_mode_id", Integer, ForeignKey("payment_modes.id")),
    CheckConstraint("debit >= 0 AND credit >= 0", name="amounts_positive"),
)

journal_line_breakdowns = Table(
    "journal_line_breakdowns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", Integer, ForeignKey("journal_entry_lines.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("document_id", Integer, ForeignKey("sales_documents.id")),
    Column("document_ref", String(40)),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    money("amount", nullable=False),
    Column("due_date", Date),
    Column("lettering_code", String(10)),
    UniqueConstraint("line_id", "line_no", name="uq_journal_line_breakdowns_key"),
)

receivables = Table(
    "receivables",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("document_id", Integer, ForeignKey("sales_documents.id"), index=True),
    Column("payment_mode_id", Integer, ForeignKey("payment_modes.id")),
    Column("kind", String(10), nullable=False),
    Column("state_code", String(3), nullable=False,
           doc="3 characters; the last two are the position (10 due, PV remitted, 30 collected)"),
    money("amount", nullable=False),
    money("paid_amount", nullable=False, server_default="0"),
    Column("due_date", Date, nullable=False),
    Column("state", String(20), nullable=False, server_default="open"),
    Column("reference", String(40), doc="deposit: the order it is on"),
    Column("entry_line_id", Integer, ForeignKey("journal_entry_lines.id")),
    CheckConstraint("state IN ('open', 'partially_paid', 'paid', 'cancelled')", name="state"),
    CheckConstraint("kind IN ('due', 'payment', 'deposit')", name="kind"),
    CheckConstraint("length(state_code) = 3", name="state_code"),
)

# --- Partner connector and inter-site orders -------------------------------------------------

connector_settings = Table(
    "connector_settings",
    metadata,
    Column("connector", String(40), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

article_correspondences = Table(
    "article_correspondences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connector", String(40), nullable=False),
    Column("external_code", String(60), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("label", String(200), doc="The partner's label of the external code, when known"),
    created(),
    UniqueConstraint("connector", "external_code", name="uq_article_correspondences_key"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("connector", String(40), nullable=False),
    Column("direction", String(4), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("files", Text, doc="JSON: the files with their counts"),
    Column("counts", Text, doc="JSON: the items by state"),
    Column("error", Text),
    CheckConstraint("direction IN ('in', 'out')", name="direction"),
)

sync_history = Table(
    "sync_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connector", String(40), nullable=False),
    Column("direction", String(4), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("external_id", String(120)),
    Column("status", String(10), nullable=False),
    Column("message", Text),
    created(),
    Column("run_id", String(36), ForeignKey("sync_runs.id"), index=True),
    Column("file", String(255)),
    Column("line", Integer),
    Column("local_ref", String(60), doc="Document number or third-party code"),
    CheckConstraint("direction IN ('in', 'out')", name="direction"),
    CheckConstraint("status IN ('ok', 'error', 'skipped', 'waiting')", name="status"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(60), nullable=False, unique=True),
    Column("name", String(120)),
    Column("email", String(200)),
    created(),
)

intersite_sites = Table(
    "intersite_sites",
    metadata,
    Column("id", Integer, primary_key=True),
    code(nullable=False, unique=True),
    Column("name", String(120)),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("depot_id", Integer, ForeignKey("depots.id")),
    created(),
)

intersite_site_senders = Table(
    "intersite_site_senders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("intersite_sites.id"), nullable=False, index=True),
    Column("address", String(200), nullable=False, unique=True, doc="Lower-case"),
)

intersite_mails = Table(
    "intersite_mails",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(250), nullable=False, unique=True,
           doc="The Message-ID, else sha256:<hex digest of the raw message>"),
    Column("source", String(250)),
    Column("uid", String(120), doc="IMAP UID or POP3 UIDL"),
    Column("sender", String(250)),
    Column("subject", String(250)),
    Column("site_id", Integer, ForeignKey("intersite_sites.id")),
    Column("outcome", String(10), nullable=False),
    Column("rule", String(40)),
    Column("report", Text, doc="JSON: the message's part of the report"),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("outcome IN ('processed', 'rejected')", name="outcome"),
)

intersite_messages = Table(
    "intersite_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_site", String(60), nullable=False),
    Column("order_ref", String(60), nullable=False),
    Column("message_id", String(250), doc="The key of the mail that carried the order"),
    Column("document_id", Integer, ForeignKey("sales_documents.id")),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("mail_id", Integer, ForeignKey("intersite_mails.id")),
    UniqueConstraint("sender_site", "order_ref", name="uq_intersite_messages_key"),
)

# --- Retail tasks (spec/retail-tasks.md) ------------------------------------------------------

sales_history = Table(
    "sales_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("month", Date, nullable=False, doc="First day of the month"),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id")),
    Column("sub_family_id", Integer, ForeignKey("sub_families.id")),
    Column("article_code", String(40), doc="A code that matched no article"),
    Column("tickets", Integer, nullable=False, server_default="0"),
    qty("quantity", nullable=False, server_default="0"),
    money("amount_incl_tax", nullable=False, server_default="0"),
    money("amount_excl_tax", nullable=False, server_default="0"),
    money("cost", nullable=False, server_default="0"),
)

history_months = Table(
    "history_months",
    metadata,
    Column("depot_id", Integer, ForeignKey("depots.id"), primary_key=True),
    Column("month", Date, primary_key=True, doc="First day of the month archived"),
    Column("tickets", Integer, nullable=False, server_default="0"),
    Column("lines", Integer, nullable=False, server_default="0"),
    Column("archived_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("run_id", String(250)),
)

store_traffic = Table(
    "store_traffic",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False),
    Column("date", Date, nullable=False),
    Column("hour", SmallInteger, doc="Null: the whole day"),
    Column("visitors", Integer, nullable=False),
    Column("source_file", String(255)),
    Column("imported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("visitors >= 0", name="visitors"),
    CheckConstraint("hour IS NULL OR hour BETWEEN 0 AND 23", name="hour"),
)

inventories = Table(
    "inventories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(30), nullable=False, unique=True),
    Column("depot_id", Integer, ForeignKey("depots.id"), nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("status", String(12), nullable=False, server_default="prepared"),
    Column("blind", Boolean, nullable=False, server_default="0",
           doc="Expected quantities hidden on the count sheets"),
    Column("created_by_run", String(250)),
    created(),
    updated(),
    CheckConstraint("status IN ('prepared', 'counted', 'validated', 'cancelled')",
                    name="status"),
)

inventory_lines = Table(
    "inventory_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inventory_id", Integer, ForeignKey("inventories.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("lot_number", String(60)),
    qty("expected_quantity", nullable=False),
    price("wac", nullable=False, server_default="0"),
    qty("counted_quantity", doc="Null until counted"),
    UniqueConstraint("inventory_id", "line_no", name="uq_inventory_lines_key"),
)

customer_merges = Table(
    "customer_merges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("master_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("merged_code", String(40), nullable=False),
    Column("merged_name", String(120)),
    Column("data", Text, nullable=False, doc="The merged customer's row as JSON"),
    Column("run_id", String(250)),
    Column("merged_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

Index("ix_journal_entry_lines_account_lettering", journal_entry_lines.c.account_id,
      journal_entry_lines.c.lettering_code)
Index("ix_sales_documents_type_date", sales_documents.c.type, sales_documents.c.date)
Index("ix_intersite_mails_source_uid", intersite_mails.c.source, intersite_mails.c.uid)
Index("ix_sync_history_connector_created_at", sync_history.c.connector,
      sync_history.c.created_at)
#: One document per partner identifier: two runs at once cannot both create it.
EXCHANGED_ORIGIN = "source IN ('econnector', 'intersite')"
Index("uq_sales_documents_exchanged_origin", sales_documents.c.origin, unique=True,
      sqlite_where=text(EXCHANGED_ORIGIN), postgresql_where=text(EXCHANGED_ORIGIN))

#: Retail tasks: the lookups of the sales correction, the editions and the live messages.
Index("ix_sales_days_stock_state_date", sales_days.c.stock_state, sales_days.c.date)
Index("ix_sales_days_depot_date", sales_days.c.depot_id, sales_days.c.date)
Index("ix_pos_tickets_depot_issued_at", pos_tickets.c.depot_id, pos_tickets.c.issued_at)
Index("ix_pos_tickets_customer_issued_at", pos_tickets.c.customer_id, pos_tickets.c.issued_at)
Index("ix_messages_category_target", messages.c.category, messages.c.target)
#: The task reports paged newest first (the Comptoir UI).
Index("ix_messages_category_id", messages.c.category, messages.c.id)
DEFECTIVE_LINE = "kind = 'defective'"
Index("ix_pos_ticket_lines_defective_movement_id", pos_ticket_lines.c.defective_movement_id,
      sqlite_where=text(DEFECTIVE_LINE), postgresql_where=text(DEFECTIVE_LINE))
#: One live message per run and target: a retried run does not post it twice.
TARGETED = "target IS NOT NULL"
Index("uq_messages_task_run_target", messages.c.task_id, messages.c.run_id, messages.c.target,
      unique=True, sqlite_where=text(TARGETED), postgresql_where=text(TARGETED))
#: One history row per month, store and article, sub-family or unknown code (nulls as keys).
Index("uq_sales_history_key", sales_history.c.month, sales_history.c.depot_id,
      text("coalesce(article_id, 0)"), text("coalesce(sub_family_id, 0)"),
      text("coalesce(article_code, '')"), unique=True)
#: One count per store, day and hour (null hour: the whole day).
Index("uq_store_traffic_key", store_traffic.c.depot_id, store_traffic.c.date,
      text("coalesce(hour, -1)"), unique=True)
