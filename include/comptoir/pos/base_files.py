"""Base files for the registers (`comptoir pos base-files`, spec/pos.md).

The server writes, per register, `PvBase<store><register><YYYYMMDDHHMMSS>.zip` (dossier
time zone): a package (`comptoir.pos.package`) of format `comptoir-pos-base` holding
`settings.csv` and `registers.csv` always, the listed members among `vat_codes.csv`,
`payment_modes.csv`, `articles.csv`, `prices.csv`, `customers.csv` (every one without a
list; the counter customer always), and `extra/<name>` for listed specific files. One
SELECT per member.

`send_base_package` builds it and mails it to a mail list (one message to all, through
the `file` mail backend; SMTP goes through the `pos_base_files` task's delivery) or copies
it into a folder (temporary name, then a free name).

`load_base_package` (register dossier) checks the package like a ticket file, then every
value, then upserts by code, in one transaction, the store and its registers, VAT codes,
payment modes, families, articles and their prices, customers and the settings of
`settings.csv`; `extra/` files go to `var/pos/extra/`. Rows absent from the package are
left alone; a second load writes nothing. `prices.csv`'s `sale_price_incl_tax` is
informational (the dossier keeps prices excluding VAT).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from comptoir import paths
from comptoir.backoffice.dossier_time import dossier_zone
from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    families,
    payment_modes,
    registers,
    vat_codes,
)
from comptoir.backoffice.schema import settings as settings_table
from comptoir.backoffice.settings import KNOWN
from comptoir.errors import ComptoirError
from comptoir.exchange.files import atomic_write
from comptoir.exchange.mail import FileMailer, Mailer, build_message, mail_backend
from comptoir.exchange.names import check_name
from comptoir.pos.base_values import HEADERS, check_tables
from comptoir.pos.base_writes import write_tables
from comptoir.pos.list_files import FileList, read_file_list, read_mail_list
from comptoir.pos.package import (
    DEFAULT_LIMITS,
    EXTRA_FOLDER,
    Limits,
    MemberData,
    Package,
    PackageRefused,
    PackageSpec,
    open_package,
    write_package,
)
from comptoir.pos.package_csv import csv_member, read_csv_members
from comptoir.pos.report import RunReport

__all__ = [
    "FORMAT",
    "SETTINGS_KEYS",
    "BaseFilesError",
    "base_package_name",
    "build_base_package",
    "extra_dir",
    "load_base_package",
    "send_base_package",
]

FORMAT = "comptoir-pos-base"
VERSION = 1
ALWAYS = ("settings.csv", "registers.csv")
OPTIONAL = ("vat_codes.csv", "payment_modes.csv", "articles.csv", "prices.csv",
            "customers.csv")
SETTINGS_KEYS = ("company_name", "timezone", "pos_counter_customer", "pos_store",
                 "pos_register")
"""The settings a base package carries, in `settings.csv` order."""
CENT = Decimal("0.01")


class BaseFilesError(ComptoirError):
    """The base files cannot be built, sent or loaded as asked: nothing written or sent."""


def extra_dir() -> Path:
    """Where `load` copies the package's `extra/` files: `var/pos/extra/`."""
    return paths.home() / "pos" / "extra"


def base_package_name(store: str, register: str, created_at: dt.datetime) -> str:
    """`PvBase<store><register><YYYYMMDDHHMMSS>.zip` (`created_at` in the dossier's zone)."""
    return check_name(f"PvBase{store}{register}{created_at:%Y%m%d%H%M%S}.zip")


# --------------------------------------------------------------------------- build


def build_base_package(engine: Engine, store: str, register: str, out: Path, *,
                       list_file: Path | None = None, files: FileList | None = None,
                       now: dt.datetime | None = None, report: RunReport | None = None
                       ) -> RunReport:
    """Write the base package of a register into `out`; `report.body['file']` is its path.

    `list_file` (or an already read `files`) limits the members and adds specific files;
    a bad list raises `ListFileError` before anything is read or written.
    """
    report = report or RunReport("pos base-files build")
    if files is None and list_file is not None:
        files = read_file_list(list_file)
    wanted = ({f"{name}.csv" for name in files.members} if files is not None
              else set(OPTIONAL))
    with engine.connect() as conn:
        zone = dossier_zone(conn)
        created_at = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
        members, warnings = _members(conn, store, register, wanted)
    members += [MemberData(f"{EXTRA_FOLDER}/{path.name}", path.read_bytes())
                for path in (files.extras if files is not None else ())]
    manifest = {"format": FORMAT, "version": VERSION, "store": store, "register": register,
                "created_at": created_at.isoformat()}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = write_package(out, base_package_name(store, register, created_at), manifest,
                         members, created_at)
    report.warnings.extend(warnings)
    report.body.update({
        "file": str(path), "store": store, "register": register,
        "members": {member.name: member.rows for member in members if member.rows is not None},
        "extra": [member.name for member in members if member.rows is None],
        "recipients": report.body.get("recipients", []), "written": None})
    return report


def _members(conn: Connection, store: str, register: str, wanted: set[str]
             ) -> tuple[list[MemberData], list[dict[str, str]]]:
    """The CSV members, one SELECT each; a store or register unknown is `BaseFilesError`."""
    warnings: list[dict[str, str]] = []
    register_rows = conn.execute(
        select(depots.c.code, depots.c.name, registers.c.code, registers.c.name,
               registers.c.number)
        .select_from(registers.join(depots)).where(depots.c.code == store)
        .order_by(registers.c.code)).all()
    if register not in {row[2] for row in register_rows}:
        raise BaseFilesError(f"register {register!r} of store {store!r} is not in this "
                             "dossier (pos registers list)")
    stored = dict(conn.execute(select(settings_table.c.key, settings_table.c.value).where(
        settings_table.c.key.in_(SETTINGS_KEYS))).all())
    values = {key: stored.get(key, KNOWN[key].default) for key in SETTINGS_KEYS}
    values.update(pos_store=store, pos_register=register)
    counter = values["pos_counter_customer"]
    members = [
        csv_member("settings.csv", HEADERS["settings.csv"],
                   [(key, value) for key, value in values.items() if value]),
        csv_member("registers.csv", HEADERS["registers.csv"], register_rows),
    ]
    if "vat_codes.csv" in wanted:
        members.append(csv_member("vat_codes.csv", HEADERS["vat_codes.csv"], conn.execute(
            select(vat_codes.c.code, vat_codes.c.name, vat_codes.c.rate)
            .order_by(vat_codes.c.code)).all()))
    if "payment_modes.csv" in wanted:
        members.append(csv_member("payment_modes.csv", HEADERS["payment_modes.csv"],
                                  conn.execute(select(
                                      payment_modes.c.code, payment_modes.c.name,
                                      payment_modes.c.state_code, payment_modes.c.is_credit,
                                      payment_modes.c.is_deposit, payment_modes.c.lettrable,
                                      payment_modes.c.generates_delivery_note)
                                      .order_by(payment_modes.c.code)).all()))
    if "articles.csv" in wanted:
        members.append(csv_member("articles.csv", HEADERS["articles.csv"], conn.execute(
            select(articles.c.code, articles.c.name, vat_codes.c.code, families.c.code,
                   articles.c.unit, articles.c.active)
            .select_from(articles.outerjoin(vat_codes).outerjoin(families))
            .order_by(articles.c.code)).all()))
    if "prices.csv" in wanted:
        rows = conn.execute(
            select(articles.c.code, articles.c.sale_price, vat_codes.c.rate)
            .select_from(articles.outerjoin(vat_codes))
            .where(articles.c.sale_price.is_not(None)).order_by(articles.c.code)).all()
        members.append(csv_member("prices.csv", HEADERS["prices.csv"], [
            (code, price, _incl_tax(price, rate)) for code, price, rate in rows]))
    query = select(customers.c.code, customers.c.name, customers.c.family,
                   customers.c.postcode, customers.c.city, customers.c.email,
                   customers.c.phone, customers.c.credit_limit).order_by(customers.c.code)
    if "customers.csv" in wanted or counter:
        if "customers.csv" not in wanted:
            query = query.where(customers.c.code == counter)
        rows = conn.execute(query).all()
        if counter and counter not in {row[0] for row in rows}:
            warnings.append({"rule": "no_counter_customer", "message": f"the counter "
                             f"customer {counter!r} (pos_counter_customer) is not a customer"})
        members.append(csv_member("customers.csv", HEADERS["customers.csv"], rows))
    return members, warnings


def _incl_tax(price: Decimal, rate: Decimal | None) -> Decimal:
    """The price including VAT, to the cent, half away from zero."""
    rate = Decimal(rate or 0)
    return (Decimal(price) * (100 + rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- send


def send_base_package(engine: Engine, store: str, register: str, *,
                      list_file: Path | None = None, mail_list: Path | None = None,
                      folder: Path | None = None, mailer: Mailer | None = None,
                      now: dt.datetime | None = None) -> RunReport:
    """Build the register's package and mail it to `mail_list`, or copy it into `folder`.

    Both lists are read before anything is built: a bad one raises `ListFileError`.
    Mail goes through `mailer` (default: the `file` backend's `FileMailer`); with
    `COMPTOIR_MAIL_BACKEND=smtp` this raises `BaseFilesError` (the core cannot reach
    Airflow's SMTP connection: the `pos_base_files` task's delivery mails it).
    """
    if (mail_list is None) == (folder is None):
        raise BaseFilesError("give a mail list or a folder (one of them)")
    report = RunReport("pos base-files send")
    files = read_file_list(list_file) if list_file is not None else None
    if folder is not None:
        report.body["copied_to"] = str(folder)
        return build_base_package(engine, store, register, Path(folder), files=files,
                                  now=now, report=report)
    assert mail_list is not None
    addresses = read_mail_list(mail_list)
    if mailer is None:
        mailer = file_mailer()
    with tempfile.TemporaryDirectory(prefix="pvbase-") as scratch:
        build_base_package(engine, store, register, Path(scratch), files=files, now=now,
                           report=report)
        path = Path(report.body["file"])
        mail_package(mailer, path, addresses, store, register)
    report.body.update({"file": path.name, "recipients": list(addresses)})
    return report


def file_mailer() -> Mailer:
    """The core's mailer: `FileMailer` (`file` backend); SMTP is the task delivery's."""
    if mail_backend() == "smtp":
        raise BaseFilesError(
            "COMPTOIR_MAIL_BACKEND=smtp: the comptoir command cannot reach Airflow's SMTP "
            "connection; mail base files through the pos_base_files task (its e-mail "
            "delivery), or copy them with --folder")
    return FileMailer()


def mail_package(mailer: Mailer, path: Path, addresses: Sequence[str], store: str,
                 register: str) -> None:
    """One message to every address, the package attached (`application/zip`)."""
    mailer.send(build_message(
        to=addresses, subject=f"Comptoir base files {store} {register} {path.name}",
        body=(f"Fichiers de base de la caisse {register} du magasin {store} : {path.name}.\n"
              "Sur la caisse : comptoir pos base-files load <fichier>.\n"),
        attachments=[path]))


# --------------------------------------------------------------------------- load


def load_base_package(engine: Engine, path: Path, *, limits: Limits = DEFAULT_LIMITS,
                      report: RunReport | None = None) -> RunReport:
    """Check the package, then upsert its rows and copy its extra files (see above).

    A package that cannot be trusted is refused whole (`report.error`, exit 1), nothing
    written. Report: `file`, `store`, `register`, `members` (name → rows), `written` (rows
    inserted or changed, extra files copied or changed), `changes` (per member).
    """
    report = report or RunReport("pos base-files load")
    report.body.update({"file": str(path), "store": None, "register": None, "members": {},
                        "recipients": [], "written": 0, "changes": {}})
    try:
        with _open(Path(path), limits) as package:
            csv_names = [name for name in ALWAYS + OPTIONAL if name in package.names]
            tables = read_csv_members(package, {name: HEADERS[name] for name in csv_names})
            extras = {name.partition("/")[2]: _member_bytes(package, name)
                      for name in package.names if name.startswith(f"{EXTRA_FOLDER}/")}
            manifest = package.manifest
        store, register = manifest["store"], manifest["register"]
        report.body.update(store=store, register=register,
                           members={name: len(table) for name, table in tables.items()})
        with engine.begin() as conn:
            values = check_tables(conn, tables, store, register)
            changes = write_tables(conn, values)
            changes["extra"] = _copy_extras(extras)
    except PackageRefused as exc:
        report.refuse(exc.rule, exc.message)
        return report
    report.body.update(changes={name: count for name, count in changes.items()},
                       written=sum(changes.values()))
    return report


def _member_bytes(package: Package, name: str) -> bytes:
    with package.open_member(name) as stream:
        return stream.read()


@contextlib.contextmanager
def _open(path: Path, limits: Limits) -> Iterator[Package]:
    """Open a base package: the optional members it lacks are dropped from the spec."""
    members = set(ALWAYS + OPTIONAL)
    while True:
        stack = contextlib.ExitStack()
        try:
            package = stack.enter_context(open_package(path, _spec(members), limits))
        except PackageRefused as exc:
            if exc.rule == "missing_member" and exc.member in OPTIONAL:
                members.discard(exc.member)
                continue
            raise
        with stack:
            yield package
        return


def _spec(members: set[str]) -> PackageSpec:
    return PackageSpec(format=FORMAT, version=VERSION, members=frozenset(members),
                       allow_extra=True, check_manifest=_manifest_problem)


def _manifest_problem(manifest: Mapping[str, object]) -> str | None:
    """Why the base package's own manifest fields are wrong (`bad_manifest`), or None."""
    for key in ("store", "register"):
        value = manifest.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > 40 or (
                not value.isprintable()):
            return f"{key!r} is {repr(value)[:80]}, not a code"
    created = manifest.get("created_at")
    try:
        created_at = dt.datetime.fromisoformat(created)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        created_at = None
    if created_at is None or created_at.utcoffset() is None:
        return f"'created_at' is {repr(created)[:80]}, not a date and time with its offset"
    return None


def _copy_extras(extras: Mapping[str, bytes]) -> int:
    """Copy the extra files into `extra_dir()` (atomically); how many were new or changed."""
    if not extras:
        return 0
    folder = extra_dir()
    folder.mkdir(parents=True, exist_ok=True)
    changed = 0
    for name, data in extras.items():
        target = folder / check_name(name)
        with contextlib.suppress(OSError):
            if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
                continue
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise BaseFilesError(f"{target} is not a plain file: remove it, then load again")
        atomic_write(target, data)
        changed += 1
    return changed
