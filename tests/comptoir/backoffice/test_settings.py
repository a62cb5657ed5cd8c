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


def test_pos_settings_have_the_spec_defaults(engine) -> None:
    with engine.begin() as conn:
        values = all_settings(conn)
    assert {k: values[k] for k in (
        "pos_counter_customer", "pos_accounting", "pos_grouping", "sales_journal",
        "customer_account", "default_sales_account", "default_vat_account", "receivable_state",
        "payment_terms_days", "pos_store", "pos_register", "pos_outbox", "pos_inbox",
        "pos_transfer_email", "pos_lan_folder", "company_siren")} == {
        "pos_counter_customer": None, "pos_accounting": "direct", "pos_grouping": "customer",
        "sales_journal": "VE", "customer_account": "411000", "default_sales_account": "707000",
        "default_vat_account": "445710", "receivable_state": "D10", "payment_terms_days": "30",
        "pos_store": None, "pos_register": None, "pos_outbox": "var/pos/outbox",
        "pos_inbox": "var/inbox/pos", "pos_transfer_email": None, "pos_lan_folder": None,
        "company_siren": None}


@pytest.mark.parametrize(("key", "value", "stored"), [
    ("company_siren", "732 829 320", "732829320"),
    ("pos_accounting", "Classic", "classic"),
    ("pos_grouping", "account", "account"),
    ("sales_journal", "ve", "VE"),
    ("receivable_state", "d10", "D10"),
    ("payment_terms_days", "045", "45"),
    ("pos_transfer_email", " caisses@example.com ", "caisses@example.com"),
    ("pos_counter_customer", "COMPTOIR", "COMPTOIR"),
])
def test_pos_settings_store_a_clean_value(engine, key: str, value: str, stored: str) -> None:
    with engine.begin() as conn:
        assert set_setting(conn, key, value) == stored
        assert get_setting(conn, key) == stored


@pytest.mark.parametrize(("key", "value"), [
    ("company_siren", "732829321"),  # fails the Luhn check
    ("company_siren", "73282932"),
    ("pos_accounting", "both"),
    ("pos_grouping", "store"),
    ("sales_journal", "VENTES-2026"),
    ("customer_account", "clients"),
    ("receivable_state", "D100"),
    ("payment_terms_days", "-5"),
    ("pos_transfer_email", "not an address"),
])
def test_pos_settings_refuse_bad_values(engine, key: str, value: str) -> None:
    with engine.begin() as conn, pytest.raises(SettingError, match=f"invalid value .* for {key}"):
        set_setting(conn, key, value)
