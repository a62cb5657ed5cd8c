from comptoir.automation import modes
from comptoir.automation.messages import Report, list_messages, record


def test_scheduled_runs_are_skipped_while_a_mode_is_on():
    off = {"isolated": False, "school": False}
    assert modes.skip_reason("scheduled", off) is None
    reason = modes.skip_reason("scheduled", {"isolated": True, "school": False})
    assert reason.startswith("Skipped: isolated mode is on (dossier setting isolated_mode)")
    reason = modes.skip_reason("asset_triggered", off, {"comptoir_school_mode": "ON"})
    assert "school mode is on (Airflow Variable comptoir_school_mode)" in reason


def test_runs_started_by_hand_always_execute():
    on = {"isolated": True, "school": True}
    for run_type in ("manual", "backfill"):
        assert modes.skip_reason(run_type, on, {"comptoir_isolated_mode": "on"}) is None


def test_modes_are_dossier_settings(engine):
    with engine.begin() as conn:
        assert modes.modes_on(conn) == {"isolated": False, "school": False}
        modes.set_mode(conn, "school", True)
        assert modes.modes_on(conn) == {"isolated": False, "school": True}


def test_reports_are_listed_newest_first_and_filtered(engine):
    with engine.begin() as conn:
        record(conn, Report("a", "r1", "info", "a: succeeded", "ok"))
        record(conn, Report("a", "r2", "error", "a: failed", "boom"))
        record(conn, Report("b", "r3", "info", "b: succeeded", ""))
    with engine.connect() as conn:
        assert [m.run_id for m in list_messages(conn)] == ["r3", "r2", "r1"]
        assert [m.run_id for m in list_messages(conn, task_id="a")] == ["r2", "r1"]
        assert [m.run_id for m in list_messages(conn, errors_only=True)] == ["r2"]
        assert list_messages(conn, run_id="r1")[0].category == "Rapports de tâches"
