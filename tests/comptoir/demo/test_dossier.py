"""The demo dossier: deterministic for a seed, coherent, and never written over by accident."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from schwifty import IBAN
from sqlalchemy import func, select
from typer.testing import CliRunner

from comptoir.backoffice import schema as s
from comptoir.backoffice.settings import get_setting
from comptoir.demo.dossier import DossierNotEmptyError, business_tables, fill_dossier

CENT = Decimal("0.01")


def rows(conn, table, *where):  # type: ignore[no-untyped-def]
    return [r._asdict() for r in conn.execute(select(table).where(*where)).all()]


def rib_key(bank: str, branch: str, account: str) -> int:
    return 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97


def snapshot(engine) -> dict:  # type: ignore[no-untyped-def]
    """Counts of every table and a few rows picked by their business keys."""
    volatile = {"id", "created_at", "updated_at", "customer_id", "regime_id", "store_id",
                "vat_code_id", "supplier_id", "brand_id", "family_id", "sub_family_id"}
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in business_tables()}
        customer = rows(conn, s.customers, s.customers.c.code == "CLI000123")[0]
        article = rows(conn, s.articles, s.articles.c.code == "ART000042")[0]
        doc = rows(conn, s.sales_documents, s.sales_documents.c.number == "FA2026-000003")[0]
        ticket = conn.execute(
            select(s.pos_tickets.c.number, s.pos_tickets.c.issued_at,
                   s.pos_tickets.c.total_incl_tax, s.pos_tickets.c.degraded)
            .join(s.depots, s.depots.c.id == s.pos_tickets.c.depot_id)
            .join(s.registers, s.registers.c.id == s.pos_tickets.c.register_id)
            .where(s.depots.c.code == "MAG02", s.registers.c.code == "C1",
                   s.pos_tickets.c.number == 5)).one()._asdict()
        doc_lines = conn.execute(
            select(s.sales_document_lines.c.line_no, s.sales_document_lines.c.quantity,
                   s.sales_document_lines.c.unit_price, s.articles.c.code)
            .join(s.sales_documents)
            .join(s.articles, s.articles.c.id == s.sales_document_lines.c.article_id,
                  isouter=True)
            .where(s.sales_documents.c.number == "FA2026-000003")
            .order_by(s.sales_document_lines.c.line_no)).all()
    strip = lambda row: {k: v for k, v in row.items() if k not in volatile}  # noqa: E731
    return {"counts": counts, "customer": strip(customer), "article": strip(article),
            "document": strip(doc), "ticket": ticket, "document_lines": doc_lines}


def test_same_seed_gives_the_same_dossier_and_reset_refills_it(engine) -> None:
    from comptoir.cli import app

    runner = CliRunner()
    filled = runner.invoke(app, ["demo-data", "--seed", "42"])
    assert filled.exit_code == 0, filled.output
    assert "reference date 26/10/2026" in filled.output and "pos_tickets" in filled.output
    first = snapshot(engine)
    # 2000 customers and the counter customer of anonymous tickets.
    assert first["counts"]["articles"] == 3000 and first["counts"]["customers"] == 2001

    refused = runner.invoke(app, ["demo-data", "--seed", "42"])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, DossierNotEmptyError)
    assert "--reset" in str(refused.exception)
    assert snapshot(engine) == first  # the refusal wrote nothing

    again = fill_dossier(engine, seed=42, reset=True)
    assert again.reference_date == date(2026, 10, 26)
    assert {name: first["counts"][name] for name in again.counts} == again.counts
    assert snapshot(engine) == first


def test_the_demo_dossier_is_coherent(engine) -> None:
    summary = fill_dossier(engine, seed=42)
    with engine.connect() as conn:
        assert get_setting(conn, "default_regime") == "FR"
        assert get_setting(conn, "timezone") == "Europe/Paris"
        assert get_setting(conn, "purchases_module") == "on"
        supplier = get_setting(conn, "default_supplier")
        assert conn.execute(select(s.suppliers.c.intersite_email)
                            .where(s.suppliers.c.code == supplier)).scalar_one()
        assert {r["code"] for r in rows(conn, s.tax_regimes)} == {"FR", "UE", "EXPORT"}
        vat = {r["code"]: r["rate"] for r in rows(conn, s.vat_codes)}
        assert vat == {"T1": 20, "T2": 10, "T3": Decimal("5.5"), "T4": Decimal("2.1"), "T0": 0}

        _check_sites(conn)
        _check_pos_reference(conn)
        _check_stock(conn)
        _check_bank_details(conn)
        _check_tickets(conn, summary.reference_date)
        _check_documents(conn, vat)
        orders = rows(conn, s.purchase_orders)
        assert orders and {o["status"] for o in orders} <= {"draft", "confirmed", "pending"}
        lines = rows(conn, s.purchase_order_lines)
        assert {line["order_id"] for line in lines} == {o["id"] for o in orders}


def _check_sites(conn) -> None:  # type: ignore[no-untyped-def]
    depots = {r["code"]: r for r in rows(conn, s.depots)}
    assert set(depots) == {"CENTRAL", *(f"MAG0{k}" for k in range(1, 7))}
    assert not depots["CENTRAL"]["is_store"] and depots["CENTRAL"]["site"] == "central"
    registers = defaultdict(set)
    for r in rows(conn, s.registers):
        registers[r["depot_id"]].add(r["code"])
    for k in range(1, 7):
        store = depots[f"MAG0{k}"]
        assert store["is_store"] and store["site"] == f"mag-0{k}" and store["city"]
        assert registers[store["id"]] in ({"C1", "C2"}, {"C1", "C2", "C3"})
    assert depots["MAG01"]["city"] == "Lyon" and depots["MAG02"]["city"] == "Paris"


def _check_pos_reference(conn) -> None:  # type: ignore[no-untyped-def]
    """What POS invoicing and posting read: register numbers and journals, VAT and payment
    accounts, state codes, the counter customer."""
    journals = {j["code"]: j["kind"] for j in rows(conn, s.journals)}
    assert journals["VE"] == "sales" == journals[get_setting(conn, "sales_journal")]
    stores = {d["id"]: d["code"] for d in rows(conn, s.depots)}
    for r in rows(conn, s.registers):
        assert r["code"] == f"C{r['number']}"
        assert r["journal_code"] == stores[r["depot_id"]] + r["code"]
        assert journals[r["journal_code"]] == "cash"
    accounts = {a["number"] for a in rows(conn, s.accounts)}
    taxes = {v["code"]: v["tax_account"] for v in rows(conn, s.vat_codes)}
    assert taxes == {"T1": "445711", "T2": "445712", "T3": "445713", "T4": "445714", "T0": None}
    assert set(taxes.values()) - {None} <= accounts
    modes = {m["code"]: m for m in rows(conn, s.payment_modes)}
    assert {c: modes[c]["state_code"] for c in ("ESP", "CB", "CHQ", "ACP", "CRED")} == {
        "ESP": "EPV", "CB": "BPV", "CHQ": "CPV", "ACP": "APV", "CRED": "C10"}
    assert modes["CB"]["account"] == "511200" and modes["ACP"]["account"] == "419100"
    assert modes["ACP"]["is_deposit"] and modes["CRED"]["is_credit"]
    assert not modes["CRED"]["generates_delivery_note"] and modes["CRED"]["account"] is None
    assert [c for c, m in modes.items() if m["generates_delivery_note"]] == ["BLC"]
    assert all(m["account"] in accounts for m in modes.values() if m["account"])
    counter = get_setting(conn, "pos_counter_customer")
    assert rows(conn, s.customers, s.customers.c.code == counter)[0]["name"] == "Client comptoir"


def _check_stock(conn) -> None:  # type: ignore[no-untyped-def]
    moved = defaultdict(Decimal)
    for line in rows(conn, s.stock_movement_lines):
        moved[(line["movement_id"], line["article_id"])] += line["quantity"]
    movements = {m["depot_id"]: m for m in rows(conn, s.stock_movements)}
    assert all(m["kind"] == "initial" and m["validated"] for m in movements.values())
    lots = defaultdict(Decimal)
    for lot in rows(conn, s.lots):
        lots[(lot["article_id"], lot["depot_id"])] += lot["quantity"]
    lot_managed = {a["id"]: a["lot_managed"] for a in rows(conn, s.articles)}
    records = rows(conn, s.stock_records)
    assert len(records) == len(lot_managed) * len(movements)
    for r in records:
        movement = movements[r["depot_id"]]["id"]
        assert moved.get((movement, r["article_id"]), 0) == r["quantity"]
        if r["quantity"]:
            assert (r["value"] / r["quantity"]).quantize(Decimal("0.0001")) == r["wac"]
            if lot_managed[r["article_id"]]:
                assert lots[(r["article_id"], r["depot_id"])] == r["quantity"]
        else:
            assert r["value"] == 0
    assert any(lot_managed.values()) and lots


def _check_bank_details(conn) -> None:  # type: ignore[no-untyped-def]
    customers = rows(conn, s.customers)
    with_bank = [c for c in customers if c["iban"]]
    assert len(with_bank) > len(customers) // 2
    assert len({c["iban"] for c in with_bank}) == len(with_bank)
    for c in with_bank:
        iban = IBAN(c["iban"])
        assert iban.validate(validate_bban=True) and iban.country_code == "FR"
        assert iban.bban == c["rib_bank"] + c["rib_branch"] + c["rib_account"] + c["rib_key"]
        assert rib_key(c["rib_bank"], c["rib_branch"], c["rib_account"]) == int(c["rib_key"])
        assert c["bic"] and c["account"].startswith("411")


def _check_tickets(conn, reference: date) -> None:  # type: ignore[no-untyped-def]
    tickets = {t["id"]: t for t in rows(conn, s.pos_tickets)}
    paid, lines_total = defaultdict(Decimal), defaultdict(Decimal)
    for p in rows(conn, s.pos_ticket_payments):
        paid[p["ticket_id"]] += p["amount"]
    kinds = set()
    for line in rows(conn, s.pos_ticket_lines):
        kinds.add(line["kind"])
        discount = 1 - (line["discount"] or 0) / Decimal(100)
        expected = (line["quantity"] * line["unit_price_incl_tax"] * discount).quantize(
            CENT, rounding=ROUND_HALF_UP)
        assert line["total_incl_tax"] == expected
        lines_total[line["ticket_id"]] += line["total_incl_tax"]
    for tid, ticket in tickets.items():
        assert paid[tid] == ticket["total_incl_tax"] == lines_total[tid]
    assert kinds == {"sale", "return", "defective"}
    assert 0 < sum(t["degraded"] for t in tickets.values()) < len(tickets) // 10
    days = rows(conn, s.sales_days)
    assert days and all(d["closed"] and d["date"] < reference for d in days)
    assert all(d["date"].weekday() != 6 for d in days)


def _check_documents(conn, vat: dict[str, Decimal]) -> None:  # type: ignore[no-untyped-def]
    rates = {r["id"]: vat[r["code"]] for r in rows(conn, s.vat_codes)}
    lines = defaultdict(list)
    for line in rows(conn, s.sales_document_lines):
        discount = 1 - (line["discount"] or 0) / Decimal(100)
        expected = (line["quantity"] * line["unit_price"] * discount).quantize(
            CENT, rounding=ROUND_HALF_UP)
        assert line["total_excl_tax"] == expected
        lines[line["document_id"]].append(line)
    docs = rows(conn, s.sales_documents)
    assert {d["type"] for d in docs} == set("DCBFAO")
    for d in docs:
        bases = defaultdict(Decimal)
        for line in lines[d["id"]]:
            bases[rates[line["vat_code_id"]]] += line["total_excl_tax"]
        tax = sum((b * r / 100).quantize(CENT, rounding=ROUND_HALF_UP) for r, b in bases.items())
        assert d["total_excl_tax"] == sum(bases.values())
        assert d["total_tax"] == tax
        assert d["total_excl_tax"] + d["total_tax"] == d["total_incl_tax"]
    web = [d for d in docs if d["origin"]]
    assert web and all(d["source"] == "import" and d["origin"].startswith("WEB-") for d in web)
    contracts = [d for d in docs if d["type"] == "O"]
    assert contracts and all(d["revision_index_id"] and d["periodicity"] in ("A", "M")
                             and d["start_date"] < d["end_date"] for d in contracts)
