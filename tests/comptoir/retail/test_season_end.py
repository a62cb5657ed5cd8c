"""`season_end` through `runner.run_task`: the contract's worked example, a second run that
archives nothing, a month archived again adding into its history, a dry run, a crash in
the middle leaving whole months, bad options (both databases)."""

from __future__ import annotations

import datetime as dt
import gzip
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from comptoir.automation import runner
from comptoir.automation.definitions import TaskDefinition
from comptoir.automation.messages import Report
from comptoir.backoffice import schema as s
from comptoir.exchange.transports import LocalTransport
from comptoir.retail import season_archive
from comptoir.retail.season_end import cutoff

PARIS = ZoneInfo("Europe/Paris")
BEFORE = f"{cutoff(dt.datetime.now(PARIS).date(), 24):%d/%m/%Y}"
HEADER = ("type;store;register;ticket;date;issued_at;customer;line_no;kind;article;"
          "article_code;quantity;unit_price_incl_tax;discount;vat_rate;total_incl_tax;"
          "payment_mode;amount;due_date")
KEPT_ONE = "1 ticket conservé (journée non clôturée ou non mise à jour)"


def task(output: dict[str, Any] | None = None, **options: Any) -> TaskDefinition:
    return TaskDefinition.model_validate({
        "id": "fin-de-saison", "type": "season_end", "site": "central", "options": options,
        "output": {"delivery": {"method": "local", "path": "archives"}, **(output or {})}})


def run(engine: Engine, folder: Path, **options: Any) -> Report:
    return runner.run_task(task(**options), "manual-1", LocalTransport(folder),
                           engine=engine, log=lambda _: None)


FRAMEWORK = ("Produced ", "Nothing to deliver", "Delivered ", "Errors:", "- ")


def business(report: Report) -> list[str]:
    """The type's own lines of the report (not the framework's file and delivery lines)."""
    return [line for line in report.body.splitlines()[2:]
            if line and not line.startswith(FRAMEWORK)]


class Dossier:
    """Store MAGS1 (register C1), article TSC-A (purchase price 3,50), modes ESP and CB."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.number = 0
        with engine.begin() as conn:
            conn.execute(s.depots.insert().values(id=1, code="MAGS1", name="Magasin saison 1",
                                                  is_store=True))
            conn.execute(s.registers.insert().values(id=1, depot_id=1, code="C1",
                                                     name="Caisse 1"))
            conn.execute(s.articles.insert().values(id=1, code="TSC-A", name="Article A",
                                                    purchase_price=Decimal("3.50")))
            conn.execute(s.payment_modes.insert(), [{"id": 1, "code": "ESP", "name": "Espèces"},
                                                    {"id": 2, "code": "CB", "name": "Carte"}])

    def day(self, date: dt.date, closed: bool = True, state: str = "updated") -> int:
        with self.engine.begin() as conn:
            return conn.execute(s.sales_days.insert().values(
                depot_id=1, register_id=1, date=date, closed=closed,
                status="closed" if closed else "open", stock_state=state)
                .returning(s.sales_days.c.id)).scalar_one()

    def ticket(self, day: int | None, when: dt.datetime, quantity: int, mode: int = 1,
               kind: str = "sale") -> int:
        """A ticket of TSC-A × `quantity` at 12,00 € (VAT 20 %), paid in full."""
        self.number += 1
        total = Decimal(12 * quantity)
        with self.engine.begin() as conn:
            ticket = conn.execute(s.pos_tickets.insert().values(
                depot_id=1, register_id=1, number=self.number, issued_at=when,
                sales_day_id=day, total_incl_tax=total).returning(s.pos_tickets.c.id)
            ).scalar_one()
            conn.execute(s.pos_ticket_lines.insert().values(
                ticket_id=ticket, line_no=1, kind=kind, article_id=1, quantity=quantity,
                unit_price_incl_tax=Decimal(12), vat_rate=Decimal(20),
                total_incl_tax=total))
            conn.execute(s.pos_ticket_payments.insert().values(
                ticket_id=ticket, line_no=1, payment_mode_id=mode, amount=total))
        return ticket


def at(day: int, month: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2020, month, day, hour, tzinfo=PARIS)


@pytest.fixture
def dossier(engine: Engine, comptoir_home: Path) -> Dossier:
    """The worked example: a closed, updated day of 15/01/2020 (tickets 1 and 2) and a
    pending day of 10/02/2020 (ticket 3)."""
    found = Dossier(engine)
    january = found.day(dt.date(2020, 1, 15))
    found.ticket(january, at(15, 1), 2)
    found.ticket(january, at(15, 1, 11), 1, mode=2)
    found.ticket(found.day(dt.date(2020, 2, 10), closed=False, state="pending"), at(10, 2), 1)
    return found


def tickets(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(s.pos_tickets.c.number)
                                 .order_by(s.pos_tickets.c.number)).scalars())


def counts(engine: Engine) -> tuple[int, int, int]:
    """(tickets, lines, payments) in the dossier."""
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (s.pos_tickets, s.pos_ticket_lines,
                                   s.pos_ticket_payments))  # type: ignore[return-value]


def history(engine: Engine) -> list[tuple]:
    h = s.sales_history.c
    with engine.connect() as conn:
        return [(r.month, r.depot_id, r.article_id, r.sub_family_id, r.article_code, r.tickets,
                 Decimal(r.quantity).normalize(), Decimal(r.amount_incl_tax),
                 Decimal(r.amount_excl_tax), Decimal(r.cost))
                for r in conn.execute(select(s.sales_history).order_by(h.month, h.id))]


def months(engine: Engine) -> list[tuple]:
    m = s.history_months.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(m.depot_id, m.month, m.tickets, m.lines,
                                                      m.run_id).order_by(m.month))]


def archive(folder: Path) -> list[str]:
    [path] = sorted(folder.glob("*"))
    assert path.name.startswith("ventes-historique-") and path.name.endswith(".csv.gz")
    return gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()


JANUARY = [
    HEADER,
    "L;MAGS1;C1;1;2020-01-15;2020-01-15T10:00:00+01:00;;1;sale;TSC-A;;2;12,00;;20;24,00;;;",
    "P;MAGS1;C1;1;2020-01-15;2020-01-15T10:00:00+01:00;;1;;;;;;;;;ESP;24,00;",
    "L;MAGS1;C1;2;2020-01-15;2020-01-15T11:00:00+01:00;;1;sale;TSC-A;;1;12,00;;20;12,00;;;",
    "P;MAGS1;C1;2;2020-01-15;2020-01-15T11:00:00+01:00;;1;;;;;;;;;CB;12,00;",
]


def test_the_worked_example_and_a_second_run(dossier: Dossier, tmp_path: Path) -> None:
    report = run(dossier.engine, tmp_path / "first")
    assert report.level == "info", report.body
    assert business(report)[0] == (
        f"Historique : 2 tickets (2 lignes) de 1 magasin archivés avant le {BEFORE} ; "
        + KEPT_ONE)
    assert archive(tmp_path / "first") == JANUARY
    assert any(line.startswith("Produced ventes-historique-") and line.endswith(
        ".csv.gz (4 rows)") for line in report.body.splitlines())
    assert tickets(dossier.engine) == [3]
    assert counts(dossier.engine) == (1, 1, 1)
    expected = [(dt.date(2020, 1, 1), 1, 1, None, None, 2, Decimal(3), Decimal("36.00"),
                 Decimal("30.00"), Decimal("10.50"))]
    assert history(dossier.engine) == expected
    assert months(dossier.engine) == [(1, dt.date(2020, 1, 1), 2, 2, "manual-1")]
    with dossier.engine.connect() as conn:  # sales days stay
        assert conn.execute(select(func.count()).select_from(s.sales_days)).scalar_one() == 2

    again = run(dossier.engine, tmp_path / "again")
    assert report.level == "info", again.body
    assert business(again) == [f"Aucune vente à archiver avant le {BEFORE}", KEPT_ONE]
    assert not (tmp_path / "again").exists() or not list((tmp_path / "again").iterdir())
    assert history(dossier.engine) == expected
    assert tickets(dossier.engine) == [3]


def test_a_month_archived_again_adds_into_its_history(dossier: Dossier,
                                                      tmp_path: Path) -> None:
    run(dossier.engine, tmp_path / "first")
    # a ticket without a sales day, dated by issued_at, then a defective line left over
    dossier.ticket(None, at(31, 1, 23), 2)
    dossier.ticket(None, at(20, 1), -1, kind="defective")
    report = run(dossier.engine, tmp_path / "second")
    assert report.level == "warning", report.body
    assert business(report) == [
        f"Historique : 2 tickets (2 lignes) de 1 magasin archivés avant le {BEFORE} ; "
        + KEPT_ONE,
        "1 ligne défectueuse non sortie du stock (sans bon BDD/RFD) archivée telle quelle"]
    lines = archive(tmp_path / "second")
    assert lines[0] == HEADER and len(lines) == 5
    assert lines[1].startswith("L;MAGS1;C1;4;2020-01-31;2020-01-31T23:00:00+01:00;")
    assert history(dossier.engine) == [
        (dt.date(2020, 1, 1), 1, 1, None, None, 4, Decimal(4), Decimal("48.00"),
         Decimal("40.00"), Decimal("14.00"))]
    assert months(dossier.engine) == [(1, dt.date(2020, 1, 1), 4, 4, "manual-1")]
    assert tickets(dossier.engine) == [3]


def test_a_dry_run_counts_and_writes_nothing(dossier: Dossier, tmp_path: Path) -> None:
    report = run(dossier.engine, tmp_path / "out", dry_run=True)
    assert business(report) == [
        "Simulation : rien n'est écrit",
        f"Historique : 2 tickets (2 lignes) de 1 magasin à archiver avant le {BEFORE} ; "
        + KEPT_ONE]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    assert tickets(dossier.engine) == [1, 2, 3]
    assert history(dossier.engine) == [] and months(dossier.engine) == []


def test_keep_months_and_stores_choose_what_is_archived(dossier: Dossier,
                                                        tmp_path: Path) -> None:
    with dossier.engine.begin() as conn:
        conn.execute(s.depots.insert().values(id=2, code="MAGS2", name="Magasin saison 2",
                                              is_store=True))
    report = run(dossier.engine, tmp_path / "out", stores=["MAGS2"])
    assert business(report) == [f"Aucune vente à archiver avant le {BEFORE}"]
    assert tickets(dossier.engine) == [1, 2, 3]
    now = dt.datetime.now(PARIS).date()
    keep = (now.year - 2019) * 12 + now.month  # the retention reaches back to 2019
    report = run(dossier.engine, tmp_path / "out", keep_months=min(keep, 120))
    assert business(report)[0].startswith("Aucune vente à archiver avant le ")
    assert tickets(dossier.engine) == [1, 2, 3]


def test_a_crash_leaves_whole_months_done_and_the_rest_untouched(
        dossier: Dossier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    march = dossier.day(dt.date(2020, 3, 2))
    dossier.ticket(march, at(2, 3), 5)
    real = season_archive.add_history
    calls: list[season_archive.Unit] = []

    def failing(conn: Any, unit: season_archive.Unit, ids: Any) -> None:
        calls.append(unit)
        real(conn, unit, ids)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(season_archive, "add_history", failing)
    report = run(dossier.engine, tmp_path / "out")
    assert report.level == "error"
    assert "archiving MAGS1 03/2020 failed, the months after it are left as they are: " \
           "disk full" in report.body
    assert "Archivage interrompu : magasin MAGS1 03/2020 en erreur" in report.body
    assert archive(tmp_path / "out") == JANUARY  # the month done is delivered
    assert tickets(dossier.engine) == [3, 4]
    assert [m[1] for m in months(dossier.engine)] == [dt.date(2020, 1, 1)]
    assert [h[0] for h in history(dossier.engine)] == [dt.date(2020, 1, 1)]

    monkeypatch.setattr(season_archive, "add_history", real)
    again = run(dossier.engine, tmp_path / "again")
    assert business(again)[0].startswith("Historique : 1 ticket (1 ligne) de 1 magasin archivé")
    assert tickets(dossier.engine) == [3]


def test_unknown_stores_fail_before_writing(dossier: Dossier, tmp_path: Path) -> None:
    report = run(dossier.engine, tmp_path / "out", stores=["MAGS1", "NOPE"])
    assert report.level == "error"
    assert "unknown store code(s) in option stores: NOPE" in report.body
    assert tickets(dossier.engine) == [1, 2, 3]


@pytest.mark.parametrize(("options", "output", "message"), [
    ({"keep_months": 2}, {}, "keep_months"),
    ({"keep_months": 121}, {}, "keep_months"),
    ({}, {"filename": "historique.csv"}, "output.filename: season_end writes a .csv.gz file"),
    ({}, {"filename": "historique-{mag:code}.csv.gz"}, "mag"),
])
def test_bad_definitions_are_refused(options: dict[str, Any], output: dict[str, Any],
                                     message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task(output, **options)
