"""Fill a dossier with the demo business, in one transaction, with bulk inserts.

Parents are written first; their generated ids are read back in bulk (code -> id maps)
before their children are written. Everything is deterministic for a seed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Table, func, select, text

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import set_setting
from comptoir.demo import activity, names, people, pos, products, reference
from comptoir.demo.bank import bank_pool
from comptoir.demo.text import slug
from comptoir.errors import ComptoirError

STEPS = ("reference data", "stores", "suppliers", "catalogue", "stock", "customers",
         "point of sale", "sales documents", "purchase orders")
#: Tables `--reset` leaves alone: settings, connector settings and the task reports.
KEPT = ("settings", "connector_settings", "messages")
#: Tables shown first when refusing a dossier that holds data.
HEADLINE = ("customers", "articles", "depots", "sales_documents", "pos_tickets")
CHUNK = 5000


class DossierNotEmptyError(ComptoirError):
    """The dossier already holds data and `--reset` was not given."""


@dataclass(frozen=True)
class DemoSummary:
    """What a fill created."""

    seed: int
    scale: int
    reference_date: date
    counts: dict[str, int]


def business_tables() -> list[Table]:
    """Tables the demo fills and `--reset` empties, parents first."""
    return [t for t in s.metadata.sorted_tables if t.name not in KEPT]


def existing_data(conn: Connection) -> dict[str, int]:
    """Row counts of the business tables that are not empty (number counters aside)."""
    found = {}
    for table in business_tables():
        if table.name == "counters":
            continue
        count = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            found[table.name] = count
    first = {name: i for i, name in enumerate(HEADLINE)}
    return dict(sorted(found.items(), key=lambda item: first.get(item[0], len(HEADLINE))))


def empty_dossier(conn: Connection) -> None:
    """Delete every business row (children first), in the caller's transaction."""
    tables = business_tables()
    if conn.dialect.name == "postgresql":
        names_ = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names_} RESTART IDENTITY"))
        return
    for table in reversed(tables):
        conn.execute(table.delete())


def dec(value: int, places: int) -> Decimal:
    """An integer number of 10**-places units as an exact Decimal."""
    return Decimal(int(value)).scaleb(-places)


def fill_dossier(engine: Engine, *, scale: int = 1, seed: int = reference.DEFAULT_SEED,
                 reset: bool = False,
                 on_step: Callable[[str], None] | None = None) -> DemoSummary:
    """Fill the (migrated) dossier of `engine` with the demo business.

    Refuses a dossier that holds data unless `reset`, which empties it first in the same
    transaction. `on_step` is called with the name of each step as it starts.
    """
    if scale < 1:
        raise ComptoirError(f"--scale must be 1 or more, not {scale}")
    with engine.begin() as conn:
        found = existing_data(conn)
        if found and not reset:
            where = engine.url.render_as_string(hide_password=True)
            sample = ", ".join(f"{n} {t}" for t, n in list(found.items())[:3])
            more = ", ..." if len(found) > 3 else ""
            raise DossierNotEmptyError(
                f"the dossier at {where} already holds data ({sample}{more}): "
                "run `comptoir demo-data --reset` to empty it and fill it again"
            )
        if found:
            empty_dossier(conn)
        filler = _Filler(conn, scale, seed, on_step or (lambda _step: None))
        filler.run()
    return DemoSummary(seed, scale, filler.reference, dict(filler.counts))


class _Filler:
    """One fill: the connection, the random streams and the ids written so far."""

    def __init__(self, conn: Connection, scale: int, seed: int,
                 on_step: Callable[[str], None]) -> None:
        self.conn = conn
        self.scale = scale
        self.seed = seed
        self.on_step = on_step
        self.reference = reference.reference_date(seed)
        self.counts: Counter[str] = Counter()
        self.ids: dict[str, dict[Any, int]] = {}
        # Set by the steps, read by the later ones.
        self.articles: dict[str, np.ndarray] = {}
        self.customer_data: dict[str, np.ndarray] = {}
        self.store_stock = np.zeros((0, 0), dtype=bool)

    def rng(self, step: int) -> np.random.Generator:
        """An independent random stream per step: changing one step leaves the others."""
        return np.random.default_rng([self.seed, step])

    def insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            self.conn.execute(table.insert(), list(rows[start:start + CHUNK]))
        self.counts[table.name] += len(rows)

    def id_map(self, table: Table, *key: str) -> dict[Any, int]:
        cols = [table.c[k] for k in key or ("code",)]
        rows = self.conn.execute(select(*cols, table.c.id)).all()
        if len(cols) == 1:
            return {r[0]: r[1] for r in rows}
        return {tuple(r[:-1]): r[-1] for r in rows}

    def run(self) -> None:
        steps = [self.reference_data, self.stores, self.suppliers, self.catalogue, self.stock,
                 self.customers, self.point_of_sale, self.sales_documents,
                 self.purchase_orders]
        for i, (name, step) in enumerate(zip(STEPS, steps, strict=True)):
            self.on_step(name)
            step(self.rng(i))

    # --- reference data ---------------------------------------------------------------

    def reference_data(self, _rng: np.random.Generator) -> None:
        for key, value in reference.SETTINGS.items():
            set_setting(self.conn, key, value)
        self.insert(s.tax_regimes, [{"code": c, "name": n} for c, n in products.REGIMES])
        self.insert(s.vat_codes, [
            {"code": c, "name": n, "rate": dec(r, 3), "sales_account": acc,
             "tax_account": tax or None}
            for c, n, r, acc, tax in products.VAT_CODES])
        self.insert(s.revision_indexes, [
            {"code": c, "name": n, "value": Decimal(v)} for c, n, v in reference.REVISION_INDEXES])
        self.insert(s.accounts, [
            {"number": no, "name": n, "kind": k, "lettrable": lt}
            for no, n, k, lt in reference.ACCOUNTS])
        self.insert(s.journals, [{"code": c, "name": n, "kind": k}
                                 for c, n, k in reference.JOURNALS])
        self.insert(s.payment_modes, [
            {"code": c, "name": n, "account": acc, "state_code": st, "is_credit": cr,
             "is_deposit": dep, "lettrable": lt, "generates_delivery_note": dn}
            for c, n, acc, st, cr, dep, lt, dn in reference.PAYMENT_MODES])
        self.ids["regime"] = self.id_map(s.tax_regimes)
        self.ids["vat"] = self.id_map(s.vat_codes)
        self.ids["index"] = self.id_map(s.revision_indexes)
        self.ids["payment"] = self.id_map(s.payment_modes)

    def stores(self, _rng: np.random.Generator) -> None:
        sites = (names.CENTRAL, *names.STORES)
        self.insert(s.depots, [
            {"code": st.code, "name": st.name, "address1": st.address1, "postcode": st.postcode,
             "city": st.city, "country": "FR", "is_store": st is not names.CENTRAL,
             "site": st.site} for st in sites])
        self.ids["depot"] = depots = self.id_map(s.depots)
        registers = [row for st in names.STORES
                     for row in pos.register_rows(depots[st.code], st.code, st.city,
                                                  st.registers)]
        self.insert(s.registers, registers)
        self.insert(s.journals, pos.journal_rows(
            registers, {depots[st.code]: st.city for st in names.STORES}))
        self.ids["register"] = self.id_map(s.registers, "depot_id", "code")

    def suppliers(self, rng: np.random.Generator) -> None:
        rows, contacts = [], []
        regimes = self.ids["regime"]
        for i, sup in enumerate(names.SUPPLIERS):
            street = (f"{rng.integers(1, 120)} {rng.choice(names.STREET_TYPES)} "
                      f"{rng.choice(names.STREET_NAMES)}")
            rows.append({
                "code": products.supplier_code(i), "name": sup.name,
                "regime_id": regimes[sup.regime], "address1": street,
                "postcode": sup.postcode, "city": sup.city, "country": sup.country,
                "email": f"contact@{sup.domain}", "phone": _phone(rng, sup.country),
                "defective_policy": sup.policy,
                "intersite_email": f"commandes@{sup.domain}" if i == 0 else None,
            })
        self.insert(s.suppliers, rows)
        self.ids["supplier"] = ids = self.id_map(s.suppliers)
        roles = ["Commercial", "Service client", "Comptabilité", "Logistique"]
        for i, sup in enumerate(names.SUPPLIERS):
            for k in range(int(rng.integers(1, 3))):
                first, last = _person(rng)
                contacts.append({
                    "supplier_id": ids[products.supplier_code(i)], "name": f"{first} {last}",
                    "role": roles[(i + k) % len(roles)],
                    "email": f"{_ascii(first)}.{_ascii(last)}@{sup.domain}",
                    "phone": _phone(rng, sup.country)})
        self.insert(s.supplier_contacts, contacts)
        self.insert(s.brands, [
            {"code": c, "name": n, "supplier_id": ids[products.supplier_code(sup)]}
            for c, n, sup, _ in names.BRANDS])
        self.ids["brand"] = self.id_map(s.brands)

    # --- catalogue and stock -------------------------------------------------------------

    def catalogue(self, rng: np.random.Generator) -> None:
        self.insert(s.families, [{"code": f.code, "name": f.name} for f in names.FAMILIES])
        families = self.id_map(s.families)
        self.insert(s.sub_families, [
            {"family_id": families[f.code], "code": sub.code, "name": sub.name}
            for f in names.FAMILIES for sub in f.subs])
        subs = self.id_map(s.sub_families, "family_id", "code")
        total = reference.ARTICLES_PER_SCALE * self.scale
        art = products.articles(rng, 1, total, people.code_width(total))
        vat, sup, brand = self.ids["vat"], self.ids["supplier"], self.ids["brand"]
        cols = {k: v.tolist() for k, v in art.items()}
        rows = []
        for i in range(total):
            family_id = families[cols["family"][i]]
            rows.append({
                "code": cols["code"][i], "name": cols["name"][i],
                "vat_code_id": vat[cols["vat"][i]],
                "supplier_id": sup[cols["supplier"][i]], "brand_id": brand[cols["brand"][i]],
                "family_id": family_id, "sub_family_id": subs[(family_id, cols["sub_family"][i])],
                "purchase_price": dec(cols["purchase"][i], 2),
                "sale_price": dec(cols["sale"][i], 4), "unit": cols["unit"][i],
                "lot_managed": cols["lot_managed"][i], "assembled": cols["assembled"][i],
                "exportable": cols["exportable"][i], "active": cols["active"][i]})
        self.insert(s.articles, rows)
        ids = self.id_map(s.articles)
        art["id"] = np.array([ids[c] for c in cols["code"]], dtype=np.int64)
        art["vat_id"] = np.array([vat[v] for v in cols["vat"]], dtype=np.int64)
        art["supplier_id"] = np.array([sup[v] for v in cols["supplier"]], dtype=np.int64)
        self.articles = art
        self._bills_of_materials(rng)

    def _bills_of_materials(self, rng: np.random.Generator) -> None:
        art = self.articles
        parts = np.flatnonzero(np.isin(art["family"], ["EPI", "BOI"]) & ~art["assembled"])
        rows = []
        for parent in np.flatnonzero(art["assembled"]).tolist():
            chosen = rng.choice(parts, size=int(rng.integers(2, 5)), replace=False).tolist()
            for no, comp in enumerate(chosen, start=1):
                rows.append({"parent_article_id": int(art["id"][parent]), "line_no": no,
                             "component_article_id": int(art["id"][comp]),
                             "description": str(art["name"][comp]),
                             "quantity": Decimal(int(rng.integers(1, 3))),
                             "price": dec(art["purchase"][comp], 2), "kind": "assembly"})
            if rng.random() < 0.3:
                rows.append({"parent_article_id": int(art["id"][parent]),
                             "line_no": len(chosen) + 1, "component_article_id": None,
                             "description": "Panier en osier et papier de soie",
                             "quantity": None, "price": None, "kind": "assembly"})
        self.insert(s.bom_lines, rows)

    def stock(self, rng: np.random.Generator) -> None:
        art = self.articles
        n = len(art["id"])
        depots = [names.CENTRAL.code] + [st.code for st in names.STORES]
        day = self.reference - timedelta(days=60)
        stamp = activity.local(day, time(8, 0))
        self.insert(s.stock_movements, [
            {"number": f"MS{day.year}-{k + 1:06d}", "kind": "initial", "date": day,
             "depot_id": self.ids["depot"][code], "reference": f"Stock initial {code}",
             "validated": True, "validated_at": stamp} for k, code in enumerate(depots)])
        movements = self.id_map(s.stock_movements, "number")
        quantities = np.zeros((len(depots), n), dtype=np.int64)
        quantities[0] = np.where(rng.random(n) < 0.92, rng.integers(20, 401, n), 0)
        for d in range(1, len(depots)):
            quantities[d] = np.where(rng.random(n) < 0.7, rng.integers(1, 61, n), 0)
        quantities[:, ~art["active"]] = 0
        self.store_stock = quantities[1:] > 0
        records, lines, lots = [], [], []
        purchase = art["purchase"].tolist()
        lot_managed = art["lot_managed"].tolist()
        ids = art["id"].tolist()
        for d, code in enumerate(depots):
            depot_id = self.ids["depot"][code]
            movement_id = movements[f"MS{day.year}-{d + 1:06d}"]
            thresholds = rng.choice([20, 30, 50] if d == 0 else [2, 3, 5, 10], size=n).tolist()
            line_no = 0
            for i, qty in enumerate(quantities[d].tolist()):
                value = qty * purchase[i]
                records.append({
                    "article_id": ids[i], "depot_id": depot_id, "quantity": Decimal(qty),
                    "value": dec(value, 2), "wac": dec(purchase[i] * 100 if qty else 0, 4),
                    "alert_threshold": Decimal(thresholds[i])})
                if not qty:
                    continue
                split = _lots(rng, qty) if lot_managed[i] else [(None, qty)]
                for lot_number, lot_qty in split:
                    line_no += 1
                    lines.append({"movement_id": movement_id, "line_no": line_no,
                                  "article_id": ids[i], "quantity": Decimal(lot_qty),
                                  "unit_cost": dec(purchase[i], 2),
                                  "value": dec(lot_qty * purchase[i], 2),
                                  "lot_number": lot_number})
                    if lot_number:
                        lots.append({"article_id": ids[i], "depot_id": depot_id,
                                     "number": lot_number, "quantity": Decimal(lot_qty),
                                     "movement_id": movement_id})
        self.insert(s.stock_records, records)
        self.insert(s.stock_movement_lines, lines)
        self.insert(s.lots, lots)

    # --- customers -----------------------------------------------------------------------

    def customers(self, rng: np.random.Generator) -> None:
        total = reference.CUSTOMERS_PER_SCALE * self.scale
        pool = bank_pool(rng, min(5000, max(total, 100)))
        cust = people.customers(rng, 1, total, people.code_width(total), pool)
        cols = {k: v.tolist() for k, v in cust.items()}
        stores = [self.ids["depot"][st.code] for st in names.STORES]
        regimes = self.ids["regime"]
        text_cols = ("code", "name", "family", "address1", "address2", "postcode", "city",
                     "country", "email", "phone", "iban", "bic", "rib_bank", "rib_branch",
                     "rib_account", "rib_key", "account")
        rows = []
        for i in range(total):
            row: dict[str, Any] = {c: cols[c][i] or None for c in text_cols}
            row["regime_id"] = regimes[cols["regime"][i]]
            row["store_id"] = stores[cols["store"][i]]
            limit = cols["credit_limit"][i]
            row["credit_limit"] = dec(limit, 2) if limit else None
            rows.append(row)
        self.insert(s.customers, rows)
        ids = self.id_map(s.customers)
        cust["id"] = np.array([ids[c] for c in cols["code"]], dtype=np.int64)
        self.customer_data = cust
        addresses, contacts = [], []
        for i in np.flatnonzero(rng.random(total) < 0.12).tolist():
            addresses.append({
                "customer_id": ids[cols["code"][i]],
                "name": str(rng.choice(["Adresse de livraison", "Dépôt", "Résidence secondaire",
                                        "Siège social"])),
                "address1": f"{rng.integers(1, 150)} {rng.choice(names.STREET_TYPES)} "
                            f"{rng.choice(names.STREET_NAMES)}",
                "postcode": cols["postcode"][i], "city": cols["city"][i],
                "country": cols["country"][i]})
        for i in np.flatnonzero(cust["kind"] > 0).tolist():
            for k in range(int(rng.integers(1, 3))):
                first, last = _person(rng)
                contacts.append({
                    "customer_id": ids[cols["code"][i]], "name": f"{first} {last}",
                    "role": names.CONTACT_ROLES[(i + k) % len(names.CONTACT_ROLES)],
                    "email": f"{_ascii(first)}.{_ascii(last)}@{_ascii(cols['city'][i])}.fr",
                    "phone": _phone(rng, cols["country"][i])})
        self.insert(s.customer_addresses, addresses)
        self.insert(s.customer_contacts, contacts)

    # --- activity ------------------------------------------------------------------------

    def context(self) -> activity.Context:
        art, cust = self.articles, self.customer_data
        depots = self.ids["depot"]
        registers = self.ids["register"]
        store_ids = [depots[st.code] for st in names.STORES]
        return activity.Context(
            reference=self.reference, scale=self.scale, article_id=art["id"],
            article_name=art["name"].tolist(), ttc=art["ttc"], sale=art["sale"],
            purchase=art["purchase"], rate=art["rate"], vat_id=art["vat_id"],
            supplier_id=art["supplier_id"], sellable=art["active"], store_depots=store_ids,
            store_stock=self.store_stock,
            registers=[[registers[(store_ids[k], f"C{r}")] for r in range(1, st.registers + 1)]
                       for k, st in enumerate(names.STORES)],
            central_id=depots[names.CENTRAL.code], customer_id=cust["id"],
            customer_store=cust["store"], customer_business=cust["kind"] > 0,
            customer_foreign=cust["country"] != "FR", payment=self.ids["payment"],
            vat_t1=self.ids["vat"]["T1"], revision_indexes=sorted(self.ids["index"].values()),
            central_supplier_id=self.ids["supplier"][products.supplier_code(0)])

    def point_of_sale(self, rng: np.random.Generator) -> None:
        self.insert(s.customers, [pos.COUNTER_CUSTOMER])
        ctx = self.context()
        tickets = activity.pos_tickets(ctx, rng)
        days = activity.sales_days(ctx)
        self.insert(s.sales_days, [
            {"depot_id": depot, "register_id": reg, "date": day, "status": "closed",
             "closed": True, "closed_at": activity.local(day, time(19, 45))}
            for k, depot in enumerate(ctx.store_depots) for reg in ctx.registers[k]
            for day in days])
        day_ids = self.id_map(s.sales_days, "register_id", "date")
        self.insert(s.pos_tickets, [
            {"depot_id": t.depot_id, "register_id": t.register_id, "number": t.number,
             "issued_at": t.issued_at, "sales_day_id": day_ids[(t.register_id, t.day)],
             "customer_id": t.customer_id, "degraded": t.degraded,
             "total_incl_tax": dec(t.total, 2)} for t in tickets])
        ticket_ids = self.id_map(s.pos_tickets, "register_id", "number")
        lines, payments = [], []
        modes = ctx.payment
        for t in tickets:
            tid = ticket_ids[(t.register_id, t.number)]
            for no, (kind, article, qty, price, discount, rate, total) in enumerate(t.lines, 1):
                lines.append({
                    "ticket_id": tid, "line_no": no, "kind": kind,
                    "article_id": int(ctx.article_id[article]), "quantity": Decimal(qty),
                    "unit_price_incl_tax": dec(price, 2),
                    "discount": Decimal(discount) if discount else None,
                    "vat_rate": dec(rate, 3), "vat_code_id": int(ctx.vat_id[article]),
                    "total_incl_tax": dec(total, 2)})
            for no, (mode, amount, due) in enumerate(t.payments, 1):
                payments.append({"ticket_id": tid, "line_no": no, "payment_mode_id": modes[mode],
                                 "amount": dec(amount, 2), "due_date": due})
        self.insert(s.pos_ticket_lines, lines)
        self.insert(s.pos_ticket_payments, payments)

    def sales_documents(self, rng: np.random.Generator) -> None:
        ctx = self.context()
        docs = activity.sales_documents(ctx, rng)
        self.insert(s.sales_documents, [
            {"number": d.number, "type": d.type, "customer_id": int(ctx.customer_id[d.customer]),
             "date": d.day, "depot_id": d.depot_id, "reference": d.reference,
             "origin": d.origin, "source": "import" if d.origin else "manual",
             "revision_index_id": d.revision_index_id, "periodicity": d.periodicity,
             "start_date": d.start, "end_date": d.end,
             "total_excl_tax": dec(d.total_excl_tax, 2), "total_tax": dec(d.total_tax, 2),
             "total_incl_tax": dec(d.total_incl_tax, 2)} for d in docs])
        ids = self.id_map(s.sales_documents, "number")
        lines = []
        for d in docs:
            for no, (article, label, qty, unit, discount, vat_id, _rate, total) in enumerate(
                    d.lines, 1):
                lines.append({
                    "document_id": ids[d.number], "line_no": no,
                    "article_id": None if article is None else int(ctx.article_id[article]),
                    "description": label, "quantity": Decimal(qty), "unit_price": dec(unit, 4),
                    "discount": Decimal(discount) if discount else None, "vat_code_id": vat_id,
                    "total_excl_tax": dec(total, 2)})
        self.insert(s.sales_document_lines, lines)

    def purchase_orders(self, rng: np.random.Generator) -> None:
        ctx = self.context()
        orders = activity.purchase_orders(ctx, rng)
        self.insert(s.purchase_orders, [
            {"number": o.number, "supplier_id": o.supplier_id, "depot_id": o.depot_id,
             "date": o.day, "status": o.status, "follow_up_user": o.user,
             "reference": f"Réassort {o.day:%d/%m}", "sent_at": o.sent_at} for o in orders])
        ids = self.id_map(s.purchase_orders, "number")
        self.insert(s.purchase_order_lines, [
            {"order_id": ids[o.number], "line_no": no,
             "article_id": int(ctx.article_id[article]),
             "description": ctx.article_name[article], "quantity": Decimal(qty),
             "received_quantity": Decimal(received),
             "unit_price": dec(ctx.purchase[article], 2)}
            for o in orders for no, (article, qty, received) in enumerate(o.lines, 1)])


def _lots(rng: np.random.Generator, quantity: int) -> list[tuple[str | None, int]]:
    """Split `quantity` into 1 to 3 lots, each with at least one unit."""
    count = min(quantity, int(rng.integers(1, 4)))
    cuts = sorted(rng.choice(np.arange(1, quantity), size=count - 1, replace=False).tolist()
                  ) if count > 1 else []
    bounds = [0, *cuts, quantity]
    base = int(rng.integers(1000, 9000))
    return [(f"L{base}-{k + 1}", bounds[k + 1] - bounds[k]) for k in range(count)]


def _person(rng: np.random.Generator) -> tuple[str, str]:
    return (names.FIRST_NAMES[int(rng.integers(len(names.FIRST_NAMES)))],
            names.LAST_NAMES[int(rng.integers(len(names.LAST_NAMES)))])


def _ascii(words: str) -> str:
    return slug(words, "")


_DIAL = {"BE": "+32", "LU": "+352", "DE": "+49", "ES": "+34", "IT": "+39", "CH": "+41",
         "GB": "+44"}


def _phone(rng: np.random.Generator, country: str) -> str:
    digits = f"{int(rng.integers(0, 100_000_000)):08d}"
    if country != "FR":
        return f"{_DIAL.get(country, '+33')} {digits}"
    pairs = " ".join(digits[k:k + 2] for k in range(0, 8, 2))
    return f"0{int(rng.integers(1, 6))} {pairs}"
