"""The stock-posting helper, with worked numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from comptoir.backoffice import schema as s
from comptoir.retail.stock_posting import (
    NO_LOT,
    Movement,
    MovementLine,
    StockPostingError,
    depot_costs,
    post,
)
from tests.comptoir.retail.stock_data import DAY, D, StockData


@pytest.fixture
def data(engine) -> StockData:
    return StockData(engine)


def _post(data: StockData, number: str, kind: str, depot: str, lines, *, target=None,
          day=DAY, **extra):
    movement = Movement(
        number, kind, day, data.depot[depot],
        [MovementLine(data.article[code], D(q), **kw) for code, q, kw in lines],
        target_depot_id=data.depot[target] if target else None, extra=extra)
    with data.engine.begin() as conn:
        return post(conn, [movement])[0]


def test_an_entry_adds_value_and_sets_the_wac_to_four_decimals(data) -> None:
    data.stock("TSC-A", "MAGT1", "10", "40.00", "4.0000")
    posted = _post(data, "AV2025-000001", "adjustment", "MAGT1",
                   [("TSC-A", "5", {"unit_cost": D("5.50")})])
    assert data.lines("AV2025-000001") == [("TSC-A", D(5), D("5.5000"), D("27.50"), None)]
    assert data.record("TSC-A", "MAGT1") == (D(15), D("67.50"), D("4.5000"))
    assert posted.value == D("27.50")
    _post(data, "AV2025-000002", "adjustment", "MAGT2", [("TSC-B", "3", {"value": D("10.00")})])
    assert data.record("TSC-B", "MAGT2") == (D(3), D("10.00"), D("3.3333"))


def test_an_exit_leaves_at_the_wac_which_does_not_change(data) -> None:
    data.stock("TSC-A", "MAGT1", "15", "67.50", "4.5000")
    _post(data, "VT2025-000001", "sale", "MAGT1", [("TSC-A", "-4", {})])
    assert data.lines("VT2025-000001") == [("TSC-A", D(-4), D("4.5000"), D("-18.00"), None)]
    assert data.record("TSC-A", "MAGT1") == (D(11), D("49.50"), D("4.5000"))


def test_an_exit_at_wac_zero_takes_the_purchase_price(data) -> None:
    _post(data, "BDD2025-000001", "defective_destruction", "MAGT1", [("TSC-A", "-2", {})])
    assert data.lines("BDD2025-000001") == [("TSC-A", D(-2), D("3.5000"), D("-7.00"), None)]
    assert data.record("TSC-A", "MAGT1") == (D(-2), D("-7.00"), D(0))
    _post(data, "BDD2025-000002", "defective_destruction", "MAGT1", [("NOPP", "-1", {})])
    assert data.lines("BDD2025-000002") == [("NOPP", D(-1), D(0), D(0), None)]


def test_a_return_enters_at_the_depots_wac(data) -> None:
    data.stock("TSC-A", "MAGT1", "4", "16.80", "4.2000")
    _post(data, "VT2025-000001", "sale", "MAGT1", [("TSC-A", "2", {})])
    assert data.lines("VT2025-000001") == [("TSC-A", D(2), D("4.2000"), D("8.40"), None)]
    assert data.record("TSC-A", "MAGT1") == (D(6), D("25.20"), D("4.2000"))
    _post(data, "AV2025-000001", "adjustment", "MAGT2", [("TSC-B", "1", {})])  # no WAC yet
    assert data.record("TSC-B", "MAGT2") == (D(1), D("2.00"), D("2.0000"))


def test_the_last_unit_takes_the_rounding_residue(data) -> None:
    data.stock("TSC-A", "MAGT1", "3", "10.00", "3.3333")
    for n in (1, 2):
        _post(data, f"VT2025-00000{n}", "sale", "MAGT1", [("TSC-A", "-1", {})])
        assert data.lines(f"VT2025-00000{n}")[0][3] == D("-3.33")
    _post(data, "VT2025-000003", "sale", "MAGT1", [("TSC-A", "-1", {})])
    assert data.lines("VT2025-000003")[0][2:4] == (D("3.3333"), D("-3.34"))
    assert data.record("TSC-A", "MAGT1") == (D(0), D("0.00"), D("3.3333"))


def test_fifo_over_two_lots_one_line_per_lot(data) -> None:
    data.stock("LOT-A", "MAGT1", "8", "40.00", "5.0000")
    data.lot("LOT-A", "MAGT1", "L2", "3", dt.date(2025, 1, 10))  # older, though numbered after
    data.lot("LOT-A", "MAGT1", "L1", "5", dt.date(2025, 1, 20))
    _post(data, "VT2025-000001", "sale", "MAGT1", [("LOT-A", "-4", {})])
    assert data.lines("VT2025-000001") == [("LOT-A", D(-3), D("5.0000"), D("-15.00"), "L2"),
                                           ("LOT-A", D(-1), D("5.0000"), D("-5.00"), "L1")]
    assert data.lots("LOT-A", "MAGT1") == {"L1": D(4), "L2": D(0)}
    assert data.record("LOT-A", "MAGT1") == (D(4), D("20.00"), D("5.0000"))
    assert data.lots_add_up()


def test_same_day_lots_go_by_number_and_a_named_lot_is_taken_as_named(data) -> None:
    data.stock("LOT-A", "MAGT1", "4", "20.00", "5.0000")
    data.lot("LOT-A", "MAGT1", "B", "2", DAY)
    data.lot("LOT-A", "MAGT1", "A", "2", DAY)
    _post(data, "VT2025-000001", "sale", "MAGT1", [("LOT-A", "-1", {}),
                                                  ("LOT-A", "-1", {"lot_number": "B"})])
    assert [(line[1], line[4]) for line in data.lines("VT2025-000001")] == [(D(-1), "A"),
                                                                           (D(-1), "B")]
    assert data.lots("LOT-A", "MAGT1") == {"A": D(1), "B": D(1)}


def test_entries_without_a_lot_go_to_sans_lot_created_when_missing(data) -> None:
    _post(data, "AV2025-000001", "adjustment", "MAGT1", [("LOT-A", "2", {})])
    assert data.lots("LOT-A", "MAGT1") == {NO_LOT: D(2)}
    assert data.lines("AV2025-000001") == [("LOT-A", D(2), D("5.0000"), D("10.00"), NO_LOT)]
    _post(data, "AV2025-000002", "adjustment", "MAGT1",
          [("LOT-A", "3", {}), ("LOT-A", "1", {"lot_number": "L9", "unit_cost": D(6)})])
    assert data.lots("LOT-A", "MAGT1") == {NO_LOT: D(5), "L9": D(1)}
    with data.engine.connect() as conn:  # one SANS-LOT row, created by the first entry
        creator = conn.execute(select(s.stock_movements.c.number)
                               .join(s.lots, s.lots.c.movement_id == s.stock_movements.c.id)
                               .where(s.lots.c.number == NO_LOT)).scalars().all()
    assert creator == ["AV2025-000001"]
    assert data.lots_add_up()


def test_an_exit_beyond_the_lots_takes_the_rest_from_sans_lot(data) -> None:
    data.stock("LOT-A", "MAGT1", "1", "5.00", "5.0000")
    data.lot("LOT-A", "MAGT1", "L1", "1", DAY)
    _post(data, "BDD2025-000001", "defective_destruction", "MAGT1", [("LOT-A", "-3", {})])
    assert [(line[1], line[4]) for line in data.lines("BDD2025-000001")] == [
        (D(-1), "L1"), (D(-2), NO_LOT)]
    assert data.lots("LOT-A", "MAGT1") == {"L1": D(0), NO_LOT: D(-2)}
    assert data.record("LOT-A", "MAGT1")[0] == D(-2)
    assert data.lots_add_up()


def test_a_transfer_moves_at_the_sources_cost(data) -> None:
    data.stock("TSC-A", "MAGT2", "10", "40.00", "4.0000")
    data.stock("TSC-A", "MAGT1", "5", "15.00", "3.0000")
    posted = _post(data, "TR2025-000001", "transfer", "MAGT2", [("TSC-A", "3", {})],
                   target="MAGT1")
    assert data.lines("TR2025-000001") == [("TSC-A", D(3), D("4.0000"), D("12.00"), None)]
    assert data.record("TSC-A", "MAGT2") == (D(7), D("28.00"), D("4.0000"))
    assert data.record("TSC-A", "MAGT1") == (D(8), D("27.00"), D("3.3750"))
    assert posted.target_depot_id == data.depot["MAGT1"]


def test_a_transfer_brings_the_same_lots_into_the_target(data) -> None:
    data.stock("LOT-A", "MAGT2", "5", "30.00", "6.0000")
    data.lot("LOT-A", "MAGT2", "L1", "2", dt.date(2025, 1, 1))
    data.lot("LOT-A", "MAGT2", "L2", "3", dt.date(2025, 2, 1))
    _post(data, "TR2025-000001", "transfer", "MAGT2", [("LOT-A", "4", {})], target="MAGT3")
    assert data.lines("TR2025-000001") == [("LOT-A", D(2), D("6.0000"), D("12.00"), "L1"),
                                           ("LOT-A", D(2), D("6.0000"), D("12.00"), "L2")]
    assert data.lots("LOT-A", "MAGT3") == {"L1": D(2), "L2": D(2)}
    assert data.lots("LOT-A", "MAGT2") == {"L1": D(0), "L2": D(1)}
    assert data.record("LOT-A", "MAGT3") == (D(4), D("24.00"), D("6.0000"))
    assert data.record("LOT-A", "MAGT2") == (D(1), D("6.00"), D("6.0000"))
    assert data.lots_add_up()


def test_movements_are_validated_with_their_kind_and_extra_columns(data, engine) -> None:
    stamp = dt.datetime(2025, 3, 4, 21, 0, tzinfo=dt.UTC)
    movements = [
        Movement("EC2025-000001", "adjustment", DAY, data.depot["MAGT1"],
                 [MovementLine(data.article["TSC-A"], D(1))], reference="Éclatement"),
        Movement("AV2025-000001", "adjustment", DAY, data.depot["MAGT1"],
                 [MovementLine(data.article["TSC-A"], D(-1))],
                 extra={"import_batch_id": None}),
    ]
    with engine.begin() as conn:
        posted = post(conn, movements, validated_at=stamp)
    m = s.stock_movements.c
    with engine.connect() as conn:
        rows = conn.execute(select(m.id, m.number, m.kind, m.validated, m.reference)
                            .order_by(m.number)).all()
    assert [tuple(r) for r in rows] == [
        (posted[1].id, "AV2025-000001", "adjustment", True, None),
        (posted[0].id, "EC2025-000001", "adjustment", True, "Éclatement")]
    assert data.record("TSC-A", "MAGT1") == (D(0), D("0.00"), D("3.5000"))


def test_bad_movements_are_refused_before_anything_is_written(data, engine) -> None:
    with pytest.raises(StockPostingError, match="positive"), engine.begin() as conn:
        post(conn, [Movement("TR2025-000001", "transfer", DAY, data.depot["MAGT1"],
                             [MovementLine(data.article["TSC-A"], D(-1))],
                             target_depot_id=data.depot["MAGT2"])])
    with pytest.raises(StockPostingError, match="exit"), engine.begin() as conn:
        post(conn, [Movement("VT2025-000001", "sale", DAY, data.depot["MAGT1"],
                             [MovementLine(data.article["TSC-A"], D(-1), unit_cost=D(1))])])
    with engine.connect() as conn:
        assert conn.execute(select(s.stock_movements.c.id)).first() is None


def test_depot_costs_are_the_wac_else_the_purchase_price(data, engine) -> None:
    data.stock("TSC-A", "MAGT1", "2", "8.40", "4.2000")
    a, m1, m2 = data.article["TSC-A"], data.depot["MAGT1"], data.depot["MAGT2"]
    with engine.connect() as conn:
        assert depot_costs(conn, [(a, m1), (a, m2)]) == {(a, m1): D("4.2"), (a, m2): D("3.5")}


def _statements(engine, lines: int, number: str, data: StockData) -> int:
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    movements = [Movement(number, "sale", DAY, data.depot["MAGT1"],
                          [MovementLine(data.article[code], D(-1))
                           for _ in range(lines) for code in ("TSC-A", "LOT-A")])]
    event.listen(engine, "before_cursor_execute", counted)
    try:
        with engine.begin() as conn:
            post(conn, movements)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def test_the_statements_do_not_grow_with_the_lines(data, engine) -> None:
    data.stock("LOT-A", "MAGT1", "1000", "5000.00", "5.0000")
    data.stock("TSC-A", "MAGT1", "1000", "4000.00", "4.0000")
    data.lot("LOT-A", "MAGT1", "L1", "1000", DAY)
    few = _statements(engine, 2, "VT2025-000001", data)
    many = _statements(engine, 300, "VT2025-000002", data)
    assert many == few
    assert data.lots_add_up()
