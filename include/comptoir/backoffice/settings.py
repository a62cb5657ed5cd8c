"""Dossier settings: a small key/value table with known keys, defaults and validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import Connection, select

from comptoir.backoffice.schema import settings as settings_table
from comptoir.errors import ComptoirError


class SettingError(ComptoirError):
    """An unknown setting, or a value it does not accept."""


def _on_off(value: str) -> str:
    v = value.strip().lower()
    if v not in {"on", "off"}:
        raise ValueError("expected on or off")
    return v


def _timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("expected an IANA time zone such as Europe/Paris")
    ZoneInfo(value)
    return value


def _code(value: str) -> str:
    v = value.strip()
    if not v or len(v) > 40:
        raise ValueError("expected a code of 1 to 40 characters")
    return v


def _text(value: str) -> str:
    return value.strip()


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        v = value.strip().lower()
        if v not in choices:
            raise ValueError(f"expected {' or '.join(choices)}")
        return v

    return parse


def _journal(value: str) -> str:
    v = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,10}", v):
        raise ValueError("expected a journal code of 1 to 10 letters or digits")
    return v


def _account(value: str) -> str:
    v = value.strip()
    if not re.fullmatch(r"[0-9][0-9A-Za-z]{0,19}", v):
        raise ValueError("expected an account number: a digit, then up to 19 letters or digits")
    return v


def _state_code(value: str) -> str:
    v = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{3}", v):
        raise ValueError("expected a state code of 3 letters or digits, such as D10")
    return v


def _days(value: str) -> str:
    v = value.strip()
    if not v.isdigit() or int(v) > 3650:
        raise ValueError("expected a number of days from 0 to 3650")
    return str(int(v))


def _folder(value: str) -> str:
    v = value.strip()
    if not v or any(ord(c) < 32 for c in v):
        raise ValueError("expected a folder path")
    return v


def _email(value: str) -> str:
    from comptoir.exchange.endpoints import check_address

    return check_address(value)


#: A site code (inter-site orders): 1-40 letters, digits, `-`, `_`, `.`.
SITE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def _site_code(value: str) -> str:
    v = value.strip()
    if not SITE_CODE.fullmatch(v):
        raise ValueError("expected 1 to 40 letters, digits, '-', '_' or '.'")
    return v


def _mail_source(value: str) -> str:
    import json

    from pydantic import TypeAdapter, ValidationError

    from comptoir.exchange.endpoints import InboxSource

    try:
        source = TypeAdapter(InboxSource).validate_python(json.loads(value))
    except (ValueError, ValidationError) as exc:
        raise ValueError(f"expected a mail source as JSON ({str(exc).splitlines()[0]})"
                         ) from None
    if source.kind not in ("imap", "pop3", "mail_folder"):
        raise ValueError("expected a mailbox: kind imap, pop3 or mail_folder")
    return json.dumps(source.model_dump(mode="json", exclude_defaults=True) | {
        "kind": source.kind}, ensure_ascii=False, sort_keys=True)


def _siren(value: str) -> str:
    v = value.replace(" ", "").strip()
    if not re.fullmatch(r"[0-9]{9}", v) or not luhn_valid(v):
        raise ValueError("expected a SIREN: 9 digits passing the Luhn check")
    return v


def _siret(value: str) -> str:
    v = value.replace(" ", "").strip()
    if not re.fullmatch(r"[0-9]{14}", v) or not luhn_valid(v):
        raise ValueError("expected a SIRET: 14 digits passing the Luhn check")
    return v


def _vat_number(value: str) -> str:
    v = value.replace(" ", "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z+*]{2,13}", v):
        raise ValueError("expected a VAT number: 2 letters, then 2 to 13 characters "
                         "(FR40303265045)")
    return v


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn check (SIREN, SIRET, card numbers)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@dataclass(frozen=True)
class Setting:
    """A known setting: its default and what it means."""

    key: str
    default: str | None
    description: str
    parse: Callable[[str], str]


KNOWN: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("company_name", "Comptoir", "Name of the business, printed on reports", _text),
        Setting("timezone", "Europe/Paris", "Time zone of the dossier (file-name tags)", _timezone),
        Setting("default_regime", None, "Tax regime given to imported third parties "
                "without one", _code),
        Setting("purchases_module", "on", "Purchases and stock module: on or off", _on_off),
        Setting("default_supplier", None, "Supplier given to imported articles when the "
                "purchases module is off", _code),
        Setting("isolated_mode", "off", "Isolated mode: scheduled tasks are skipped", _on_off),
        Setting("school_mode", "off", "School mode: scheduled tasks are skipped", _on_off),
        Setting("company_siren", None, "SIREN of the business (9 digits); names the FEC file",
                _siren),
        # Company identity printed on documents (spec/retail-tasks.md)
        Setting("company_address", None, "Street address of the business, printed on "
                "invoices", _text),
        Setting("company_postcode", None, "Postcode of the business", _text),
        Setting("company_city", None, "City of the business", _text),
        Setting("company_siret", None, "SIRET of the business (14 digits)", _siret),
        Setting("company_vat_number", None, "Intra-EU VAT number of the business "
                "(e.g. FR40303265045)", _vat_number),
        Setting("invoice_footer", None, "Optional text printed at the foot of invoices",
                _text),
        # Point of sale (spec/pos.md)
        Setting("pos_counter_customer", None, "Customer code of anonymous tickets "
                "(client comptoir)", _code),
        Setting("pos_accounting", "direct", "POS accounting: direct (pos post) or classic "
                "(accounting post-documents, then pos payments)", _one_of("direct", "classic")),
        Setting("pos_grouping", "customer", "Default grouping of pos post: customer or account",
                _one_of("customer", "account")),
        Setting("sales_journal", "VE", "Journal of sales entries", _journal),
        Setting("customer_account", "411000", "Receivable account of a customer without "
                "an account", _account),
        Setting("default_sales_account", "707000", "Sales account of a VAT code without one",
                _account),
        Setting("default_vat_account", "445710", "VAT account of a VAT code without one",
                _account),
        Setting("receivable_state", "D10", "State code of the due receivable of a posted "
                "invoice", _state_code),
        Setting("payment_terms_days", "30", "Due date = document or sales date + this many "
                "days, when nothing else gives one", _days),
        Setting("pos_store", None, "Register dossier: the store it belongs to", _code),
        Setting("pos_register", None, "Register dossier: which register it is", _code),
        Setting("pos_outbox", "var/pos/outbox", "Folder extracted ticket files wait in "
                "(pilot actions)", _folder),
        Setting("pos_inbox", "var/inbox/pos", "Folder ticket files are integrated from "
                "(pilot actions)", _folder),
        Setting("pos_transfer_email", None, "Address a register mails its tickets to",
                _email),
        Setting("pos_lan_folder", None, "LAN folder a register copies its tickets to",
                _folder),
        # Inter-site orders (spec/intersite.md)
        Setting("intersite_site_code", None, "Site code of this dossier in inter-site "
                "orders (1-40 letters, digits, -, _, .); required to send", _site_code),
        Setting("intersite_source", None, "Mailbox inter-site orders are received from, as "
                'JSON (e.g. {"kind": "imap", "conn_id": "imap_appros"}); unset: the mail '
                "folder incoming", _mail_source),
        Setting("intersite_ack_from", None, "Address acknowledgements of inter-site orders "
                "are sent from", _email),
    ]
}


def _known(key: str) -> Setting:
    try:
        return KNOWN[key]
    except KeyError:
        raise SettingError(
            f"unknown setting {key!r}; known settings: {', '.join(sorted(KNOWN))}"
        ) from None


def get_setting(conn: Connection, key: str) -> str | None:
    """The value of `key` in the dossier, or its default."""
    setting = _known(key)
    value = conn.execute(
        select(settings_table.c.value).where(settings_table.c.key == key)
    ).scalar_one_or_none()
    return setting.default if value is None else value


def set_setting(conn: Connection, key: str, value: str) -> str:
    """Validate and store `value` for `key`; returns the stored value."""
    setting = _known(key)
    try:
        parsed = setting.parse(value)
    except ValueError as exc:
        raise SettingError(f"invalid value {value!r} for {key}: {exc}") from None
    updated = conn.execute(
        settings_table.update().where(settings_table.c.key == key).values(value=parsed)
    )
    if updated.rowcount == 0:
        conn.execute(settings_table.insert().values(key=key, value=parsed))
    return parsed


def all_settings(conn: Connection) -> dict[str, str | None]:
    """Every known setting with its current value."""
    stored = dict(conn.execute(select(settings_table.c.key, settings_table.c.value)).all())
    return {key: stored.get(key, s.default) for key, s in sorted(KNOWN.items())}
