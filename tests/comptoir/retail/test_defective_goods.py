"""`defective_goods` through `runner.run_task`: the contract's worked example, a second run
that creates nothing, a voucher taking the stock below zero, the stock lock (both
databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice import schema as s
from comptoir.retail import stock_lock
from comptoir.retail.stock_posting import Movement, MovementLine, post

YEAR = dt.datetime.now(ZoneInfo("Europe/Paris")).year  # the run date's year (dossier zone)
DAY = dt.date(2025, 4, 1)
BDD1, RFD1, RFD2, RFD3 = (f"BDD{YEAR}-000001", f"RFD{YEAR}-000001", f"RFD{YEAR}-000002",
                          f"RFD{YEAR}-000003")
REFERENCE = "Défectueux des ventes du 01/04/2025 au 01/04/2025"


def task() -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "defectueux", "type": "defective_goods", "site": "central", "options": {},
        "output": None})


def run(engine: Engine) -> Report:
    return runner.run_task(task(), "manual-1", None, engine=engine, log=lambda _: None)


def business(report: Report) -> list[str]:
    return report.body.splitlines()[2:]


class Dossier:
    """The worked example: stores MAGD1, MAGD2, suppliers FTA/FTB/FTC/FTN, brands."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tickets = 0
        self.vt = 0
        with engine.begin() as conn:
            conn.execute(s.depots.insert(), [
                {"id": 1, "code": "MAGD1", "name": "Magasin défectueux 1", "is_store": True},
                {"id": 2, "code": "MAGD2", "name": "Magasin défectueux 2", "is_store": True}])
            conn.execute(s.registers.insert(), [
                {"id": 1, "depot_id": 1, "code": "C1", "name": "Caisse 1"},
                {"id": 2, "depot_id": 1, "code": "C2", "name": "Caisse 2"},
                {"id": 3, "depot_id": 2, "code": "C1", "name": "Caisse 1"},
                {"id": 4, "depot_id": 2, "code": "C2", "name": "Caisse 2"}])
            conn.execute(s.suppliers.insert(), [
                {"id": i, "code": f"FT{x}", "name": f"Fournisseur test {x}",
                 "defective_policy": policy}
                for i, (x, policy) in enumerate([("A", "adjustment"), ("B", "supplier_return"),
                                                 ("C", "supplier_return"), ("N", "none")], 1)])
            conn.execute(s.brands.insert(), [
                {"id": 1, "code": "BTA", "name": "Marque A", "supplier_id": 1},
                {"id": 2, "code": "BTB", "name": "Marque B", "supplier_id": 2},
                {"id": 3, "code": "BTC", "name": "Marque C", "supplier_id": 3},
                {"id": 4, "code": "BTN", "name": "Marque N", "supplier_id": 4},
                {"id": 5, "code": "BTM", "name": "Marque M", "supplier_id": 2}])
            conn.execute(s.articles.insert(), [
                {"id": 1, "code": "TDF-A", "name": "A", "brand_id": 1, "supplier_id": 1,
                 "purchase_price": Decimal("3.10")},
                {"id": 2, "code": "TDF-B", "name": "B", "brand_id": 2, "supplier_id": 2,
                 "purchase_price": Decimal("4.00")},
                {"id": 3, "code": "TDF-C", "name": "C", "brand_id": 3, "supplier_id": None,
                 "purchase_price": Decimal("5.00")},
                {"id": 4, "code": "TDF-M", "name": "M", "brand_id": 5, "supplier_id": None,
                 "purchase_price": Decimal("1.00")},
                {"id": 5, "code": "TDF-M2", "name": "M2", "brand_id": 5, "supplier_id": 3,
                 "purchase_price": Decimal("1.00")},
                {"id": 6, "code": "TDF-N", "name": "N", "brand_id": 4, "supplier_id": None,
                 "purchase_price": Decimal("2.00")}])
            conn.execute(s.stock_records.insert(), [
                {"article_id": 2, "depot_id": 1, "quantity": 8, "value": Decimal("33.60"),
                 "wac": Decimal("4.20")},
                {"article_id": 2, "depot_id": 2, "quantity": 3, "value": Decimal("12.30"),
                 "wac": Decimal("4.10")}])

    def day(self, register: int, defectives: dict[int, int], state: str = "updated",
            vt: bool = True, date: dt.date = DAY) -> int:
        """A sales day of `date` on `register` with one ticket of defective lines; with `vt`,
        its `VT` movement (the lines back into stock) posted and recorded on the day."""
        with self.engine.begin() as conn:
            depot = conn.execute(select(s.registers.c.depot_id)
                                 .where(s.registers.c.id == register)).scalar_one()
            day = conn.execute(s.sales_days.insert().values(
                depot_id=depot, register_id=register, date=date, status="closed", closed=True,
                stock_state=state).returning(s.sales_days.c.id)).scalar_one()
            self.tickets += 1
            ticket = conn.execute(s.pos_tickets.insert().values(
                depot_id=depot, register_id=register, number=self.tickets,
                issued_at=dt.datetime(2025, 4, 1, 10, tzinfo=dt.UTC), sales_day_id=day,
                total_incl_tax=0).returning(s.pos_tickets.c.id)).scalar_one()
            conn.execute(s.pos_ticket_lines.insert(), [
                {"ticket_id": ticket, "line_no": n, "kind": "defective", "article_id": article,
                 "quantity": -quantity, "unit_price_incl_tax": 0, "total_incl_tax": 0}
                for n, (article, quantity) in enumerate(defectives.items(), 1)])
            if vt:
                self.vt += 1
                [movement] = post(conn, [Movement(
                    f"VT2025-{self.vt:06d}", "sale", date, depot,
                    [MovementLine(a, Decimal(q)) for a, q in defectives.items()])])
                conn.execute(s.sales_days.update().where(s.sales_days.c.id == day)
                             .values(stock_movement_id=movement.id))
        return day


@pytest.fixture
def dossier(engine: Engine) -> Dossier:
    found = Dossier(engine)
    found.day(1, {1: 1, 2: 2, 3: 1, 4: 1, 6: 1})  # MAGD1 C1
    found.day(3, {2: 1})  # MAGD2 C1
    found.day(2, {2: 1}, state="error", vt=False)  # MAGD1 C2: still in error
    found.day(4, {2: 1}, vt=False)  # MAGD2 C2: updated before the migration, no VT
    return found


def vouchers(engine: Engine) -> dict[str, tuple]:
    """number → (kind, store, supplier, date, reference, validated, run, [(article, qty,
    unit cost, value)])."""
    m, ln, a = s.stock_movements.c, s.stock_movement_lines.c, s.articles.c
    with engine.connect() as conn:
        heads = conn.execute(
            select(m.id, m.number, m.kind, m.date, m.reference, m.validated,
                   m.created_by_run, s.depots.c.code.label("store"),
                   s.suppliers.c.code.label("supplier"))
            .join(s.depots, s.depots.c.id == m.depot_id)
            .outerjoin(s.suppliers, s.suppliers.c.id == m.supplier_id)
            .where(m.kind.in_(["defective_destruction", "supplier_return"]))).all()
        found = {}
        for h in heads:
            rows = conn.execute(select(a.code, ln.quantity, ln.unit_cost, ln.value)
                                .join(s.articles, a.id == ln.article_id)
                                .where(ln.movement_id == h.id).order_by(ln.line_no)).all()
            found[h.number] = (h.kind, h.store, h.supplier, h.date, h.reference, h.validated,
                               h.created_by_run,
                               [(c, Decimal(q).normalize(), Decimal(u), Decimal(v))
                                for c, q, u, v in rows])
    return found


def stock(engine: Engine, article: int, depot: int) -> Decimal:
    r = s.stock_records.c
    with engine.connect() as conn:
        return Decimal(conn.execute(select(r.quantity).where(
            r.article_id == article, r.depot_id == depot)).scalar_one()).normalize()


def taken(engine: Engine) -> dict[tuple[int, str], str | None]:
    """(ticket number, article code) → the voucher number that took the line."""
    ln, t, a, m = s.pos_ticket_lines.c, s.pos_tickets.c, s.articles.c, s.stock_movements.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.number, a.code, m.number.label("voucher"))
            .select_from(s.pos_ticket_lines.join(s.pos_tickets, t.id == ln.ticket_id)
                         .join(s.articles, a.id == ln.article_id)
                         .outerjoin(s.stock_movements, m.id == ln.defective_movement_id)))
        return {(r.number, r.code): r.voucher for r in rows}


def test_the_worked_example_and_a_second_run(dossier: Dossier) -> None:
    report = run(dossier.engine)
    assert business(report) == [
        "Voici la liste des bons d'ajustements générés :",
        f"Création du bon {BDD1} (destruction, magasin MAGD1 Magasin défectueux 1, 1 ligne, "
        "3,10 €)",
        f"Création du bon {RFD1} (retour fournisseur FTB Fournisseur test B, magasin MAGD1 "
        "Magasin défectueux 1, 1 ligne, 8,40 €)",
        f"Création du bon {RFD2} (retour fournisseur FTC Fournisseur test C, magasin MAGD1 "
        "Magasin défectueux 1, 1 ligne, 5,00 €)",
        f"Création du bon {RFD3} (retour fournisseur FTB Fournisseur test B, magasin MAGD2 "
        "Magasin défectueux 2, 1 ligne, 4,10 €)",
        "1 ligne défectueuse ignorée : marque sans fournisseur unique",
        "1 ligne défectueuse ignorée : fournisseur sans gestion des défectueux"]
    assert report.level == "warning"  # a brand with two suppliers needs a person
    found = vouchers(dossier.engine)
    today = found[BDD1][3]
    assert abs((today - dt.date.today()).days) <= 1
    head = (REFERENCE, True, "defectueux/manual-1")
    assert found == {
        BDD1: ("defective_destruction", "MAGD1", None, today, *head,
               [("TDF-A", Decimal(-1), Decimal("3.1"), Decimal("-3.10"))]),
        RFD1: ("supplier_return", "MAGD1", "FTB", today, *head,
               [("TDF-B", Decimal(-2), Decimal("4.2"), Decimal("-8.40"))]),
        RFD2: ("supplier_return", "MAGD1", "FTC", today, *head,
               [("TDF-C", Decimal(-1), Decimal(5), Decimal("-5.00"))]),
        RFD3: ("supplier_return", "MAGD2", "FTB", today, *head,
               [("TDF-B", Decimal(-1), Decimal("4.1"), Decimal("-4.10"))])}
    assert stock(dossier.engine, 2, 1) == 8 and stock(dossier.engine, 2, 2) == 3
    assert stock(dossier.engine, 1, 1) == 0 and stock(dossier.engine, 3, 1) == 0
    assert taken(dossier.engine) == {
        (1, "TDF-A"): BDD1, (1, "TDF-B"): RFD1, (1, "TDF-C"): RFD2, (1, "TDF-M"): None,
        (1, "TDF-N"): None, (2, "TDF-B"): RFD3, (3, "TDF-B"): None, (4, "TDF-B"): None}

    again = run(dossier.engine)
    assert business(again) == [
        "Voici la liste des bons d'ajustements générés :", "Aucun défectueux à traiter",
        "1 ligne défectueuse ignorée : marque sans fournisseur unique",
        "1 ligne défectueuse ignorée : fournisseur sans gestion des défectueux"]
    assert vouchers(dossier.engine) == found
    assert stock(dossier.engine, 2, 1) == 8


def test_vouchers_span_their_days_and_name_a_stock_taken_below_zero(engine: Engine) -> None:
    dossier = Dossier(engine)
    dossier.day(1, {2: 1})
    dossier.day(2, {2: 2}, date=dt.date(2025, 4, 3))
    with engine.begin() as conn:  # sold since: one TDF-B left in MAGD1 (WAC 4,20)
        conn.execute(s.stock_records.update().where(s.stock_records.c.article_id == 2,
                                                    s.stock_records.c.depot_id == 1)
                     .values(quantity=1, value=Decimal("4.20")))
    report = run(engine)
    assert business(report) == [
        "Voici la liste des bons d'ajustements générés :",
        f"Création du bon {RFD1} (retour fournisseur FTB Fournisseur test B, magasin MAGD1 "
        "Magasin défectueux 1, 1 ligne, 12,60 €)",
        "    - stock négatif : TDF-B -2"]
    assert report.level == "warning"
    [(number, voucher)] = vouchers(engine).items()
    assert voucher[4] == "Défectueux des ventes du 01/04/2025 au 03/04/2025"
    assert voucher[7] == [("TDF-B", Decimal(-3), Decimal("4.2"), Decimal("-12.60"))]
    assert stock(engine, 2, 1) == -2
    assert set(taken(engine).values()) == {number}


def test_a_run_waits_for_the_stock_lock_then_writes_nothing(
        dossier: Dossier, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(stock_lock.WAIT_ENV, "0.5")
    with dossier.engine.connect() as holder, holder.begin():
        stock_lock.acquire(holder, 1)
        with pytest.raises(stock_lock.StockLockBusy, match="another run holds the stock lock"):
            runner.produce(task(), "manual-1", engine=dossier.engine, log=lambda _: None)
    assert vouchers(dossier.engine) == {}
    assert set(taken(dossier.engine).values()) == {None}
