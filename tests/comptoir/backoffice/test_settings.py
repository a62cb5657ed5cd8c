"""Settings have defaults, validate their values and refuse unknown keys."""

from __future__ import annotations

import pytest

from comptoir.backoffice.settings import SettingError, all_settings, get_setting, set_setting


def test_defaults_apply_until_set(engine) -> None:
    with engine.begin() as conn:
        assert get_setting(conn, "purchases_module") == "on"
        assert get_setting(conn, "default_regime") is None
        set_setting(conn, "purchases_module", "OFF")
        set_setting(conn, "purchases_module", "off")
        assert get_setting(conn, "purchases_module") == "off"


def test_unknown_key_is_refused_with_the_known_ones(engine) -> None:
    with engine.begin() as conn, pytest.raises(SettingError, match="known settings: .*timezone"):
        set_setting(conn, "colour", "blue")


@pytest.mark.parametrize(("key", "value"), [("purchases_module", "maybe"),
                                            ("timezone", "Mars/Olympus")])
def test_bad_values_are_refused(engine, key: str, value: str) -> None:
    with engine.begin() as conn, pytest.raises(SettingError, match=f"invalid value .* for {key}"):
        set_setting(conn, key, value)


def test_all_settings_lists_every_known_key(engine) -> None:
    with engine.begin() as conn:
        set_setting(conn, "default_regime", "FR")
        values = all_settings(conn)
    assert values["default_regime"] == "FR" and values["timezone"] == "Europe/Paris"
