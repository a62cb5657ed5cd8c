"""Base files for the registers: built on the server, sent, loaded into a register
dossier once (a second load writes nothing), a tampered package refused whole."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, update
from typer.testing import CliRunner

from comptoir.backoffice import migrate
from comptoir.backoffice.schema import (
    articles,
    customers,
    depots,
    families,
    registers,
    settings,
    vat_codes,
)
from comptoir.backoffice.settings import get_setting
from comptoir.cli import app
from comptoir.pos.base_files import (
    BaseFilesError,
    build_base_package,
    load_base_package,
    send_base_package,
)
from comptoir.pos.package import MemberData, write_package
from comptoir.pos.package_csv import csv_member
from tests.comptoir.pos.pos_data import seed

NOW = dt.datetime(2026, 1, 12, 17, 30, 5, tzinfo=dt.UTC)  # 18:30:05 in Paris
NAME = "PvBaseMAG01C120260112183005.zip"


def prepare(engine) -> None:  # type: ignore[no-untyped-def]
    """The POS seed, with a family, prices and the company's name."""
    seed(engine)
    with engine.begin() as conn:
        family = conn.execute(insert(families).values(code="FAM1", name="Famille 1")
                              ).inserted_primary_key[0]
        conn.execute(update(articles).where(articles.c.code == "A1").values(
            sale_price="10.0000", family_id=family, unit="U"))
        conn.execute(update(articles).where(articles.c.code == "A2").values(
            sale_price="3.3333"))
        conn.execute(update(customers).where(customers.c.code == "CLI1").values(
            city="Lyon", credit_limit="1500.50"))
        conn.execute(insert(settings).values(key="company_name", value="Boutique Ŝ"))


def member(path: Path, name: str) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8").splitlines()


@pytest.fixture
def server(tmp_path):  # type: ignore[no-untyped-def]
    """A seeded server dossier (SQLite) for tests whose register side is `engine`."""
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate.upgrade(str(engine.url))
    prepare(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def package(server, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    report = build_base_package(server, "MAG01", "C1", tmp_path / "out", now=NOW)
    return Path(report.body["file"])


def test_build_writes_every_member_with_its_rows(engine, comptoir_home, tmp_path) -> None:
    prepare(engine)
    report = build_base_package(engine, "MAG01", "C1", tmp_path / "out", now=NOW)
    path = Path(report.body["file"])
    assert path.name == NAME  # the dossier's time zone
    assert report.body["members"] == {
        "settings.csv": 5, "registers.csv": 2, "vat_codes.csv": 4, "payment_modes.csv": 5,
        "articles.csv": 2, "prices.csv": 2, "customers.csv": 3}
    manifest = json.loads(zipfile.ZipFile(path).read("manifest.json"))
    assert (manifest["format"], manifest["version"], manifest["store"],
            manifest["register"]) == ("comptoir-pos-base", 1, "MAG01", "C1")
    assert manifest["created_at"] == "2026-01-12T18:30:05+01:00"
    assert manifest["members"]["articles.csv"]["rows"] == 2
    assert member(path, "settings.csv") == [
        "key;value", "company_name;Boutique Ŝ", "timezone;Europe/Paris",
        "pos_counter_customer;COMPTOIR", "pos_store;MAG01", "pos_register;C1"]
    assert member(path, "registers.csv") == ["store;store_name;register;name;number",
                                             "MAG01;Magasin 1;C1;Caisse 1;1",
                                             "MAG01;Magasin 1;C2;Caisse 2;2"]
    assert member(path, "articles.csv") == ["code;name;vat_code;family;unit;active",
                                            "A1;Article one;N2;FAM1;U;1",
                                            "A2;Article two;R;;;1"]
    assert member(path, "prices.csv") == ["article;sale_price;sale_price_incl_tax",
                                          "A1;10.0000;12.00", "A2;3.3333;3.52"]
    assert member(path, "payment_modes.csv")[:2] == [
        "code;name;state_code;is_credit;is_deposit;lettrable;generates_delivery_note",
        "ACP;Deposit used;APV;0;1;1;0"]
    assert member(path, "customers.csv")[1] == "CLI1;Customer one;;;Lyon;;;1500.50"


def test_a_list_limits_the_members_but_keeps_settings_registers_and_the_counter_customer(
        engine, comptoir_home, tmp_path) -> None:
    prepare(engine)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "implicites.txt").write_bytes(b"caisse=1\n")
    listing = tmp_path / "lists" / "pvpplstfic.txt"
    listing.write_text("DEBUT LISTE\narticles\nprices.csv\nimplicites.txt\nFIN LISTE\n")
    report = build_base_package(engine, "MAG01", "C1", tmp_path / "out", list_file=listing,
                                now=NOW)
    path = Path(report.body["file"])
    assert sorted(zipfile.ZipFile(path).namelist()) == [
        "articles.csv", "customers.csv", "extra/implicites.txt", "manifest.json",
        "prices.csv", "registers.csv", "settings.csv"]
    assert member(path, "customers.csv")[1:] == ["COMPTOIR;Client comptoir;;;;;;"]
    assert report.body["extra"] == ["extra/implicites.txt"]


def test_an_unknown_register_builds_nothing(engine, comptoir_home, tmp_path) -> None:
    prepare(engine)
    with pytest.raises(BaseFilesError, match="register 'C9' of store 'MAG01' is not in"):
        build_base_package(engine, "MAG01", "C9", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_load_into_a_fresh_register_dossier_then_again_changes_nothing(
        engine, comptoir_home, server, package, tmp_path) -> None:
    with engine.begin() as conn:  # a row of the register's own, absent from the package
        conn.execute(insert(customers).values(code="LOCAL", name="Walk-in local"))
    first = load_base_package(engine, package)
    assert first.error is None and first.exit_code == 0
    assert first.body["changes"] == {
        "depots": 1, "registers": 2, "vat_codes": 4, "payment_modes": 5, "families": 1,
        "articles": 2, "prices": 2, "customers": 3, "settings": 5, "extra": 0}
    assert first.body["written"] == 25
    with engine.connect() as conn:
        assert conn.execute(select(depots.c.code, depots.c.is_store)).all() == [
            ("MAG01", True)]
        assert sorted(conn.execute(select(registers.c.code, registers.c.number)).all()) == [
            ("C1", 1), ("C2", 2)]
        rows = conn.execute(select(articles.c.code, articles.c.sale_price, vat_codes.c.code,
                                   families.c.code, articles.c.unit)
                            .select_from(articles.join(vat_codes).outerjoin(families))
                            .order_by(articles.c.code)).all()
        assert [tuple(r) for r in rows] == [("A1", Decimal("10"), "N2", "FAM1", "U"),
                                            ("A2", Decimal("3.3333"), "R", None, None)]
        assert str(conn.execute(select(articles.c.sale_price).where(
            articles.c.code == "A2")).scalar_one()) == "3.3333"
        assert conn.execute(select(customers.c.credit_limit).where(
            customers.c.code == "CLI1")).scalar_one() == Decimal("1500.50")
        assert conn.execute(select(func.count()).select_from(customers)).scalar_one() == 4
        assert (get_setting(conn, "pos_store"), get_setting(conn, "pos_register"),
                get_setting(conn, "pos_counter_customer"),
                get_setting(conn, "company_name")) == ("MAG01", "C1", "COMPTOIR", "Boutique Ŝ")

    again = load_base_package(engine, package)
    assert again.body["written"] == 0 and set(again.body["changes"].values()) == {0}

    with server.begin() as conn:  # one price and one name change on the server
        conn.execute(update(articles).where(articles.c.code == "A1").values(
            sale_price="11.0000"))
        conn.execute(update(customers).where(customers.c.code == "CLI2").values(name="Two"))
    newer = build_base_package(server, "MAG01", "C1", tmp_path / "out2", now=NOW)
    third = load_base_package(engine, Path(newer.body["file"]))
    changed = {k: v for k, v in third.body["changes"].items() if v}
    assert changed == {"prices": 1, "customers": 1} and third.body["written"] == 2
    with engine.connect() as conn:
        assert conn.execute(select(customers.c.name).where(customers.c.code == "LOCAL")
                            ).scalar_one() == "Walk-in local"


def rewrite(source: Path, target: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of a package whose members went through `change(name, data)` (None: dropped)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            data = change(info.filename, src.read(info))
            if data is not None:
                out.writestr(info.filename, data)
    return target


@pytest.mark.parametrize(("change", "rule"), [
    (lambda n, d: d.replace(b"10.0000", b"01.0000") if n == "prices.csv" else d, "checksum"),
    (lambda n, d: d.replace(b'"version": 1', b'"version": 2') if n == "manifest.json" else d,
     "bad_manifest"),
    (lambda n, d: None if n == "registers.csv" else d, "missing_member"),
])
def test_a_tampered_package_is_refused_and_nothing_is_written(
        engine, comptoir_home, package, tmp_path, change, rule) -> None:
    bad = rewrite(package, tmp_path / "bad.zip", change)
    report = load_base_package(engine, bad)
    assert report.exit_code == 1 and report.error["rule"] == rule, report.error
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(depots)).scalar_one() == 0
        assert get_setting(conn, "pos_store") is None


def test_unsafe_extra_members_are_refused(engine, comptoir_home, package, tmp_path) -> None:
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(tmp_path / "slip.zip", "w") as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
        out.writestr("extra/../../evil.sh", b"x")
    report = load_base_package(engine, tmp_path / "slip.zip")
    assert report.error["rule"] == "unsafe_member"
    assert not (comptoir_home / "pos").exists()


def base(folder: Path, members: list[MemberData], store: str = "MAG01",
         register: str = "C1") -> Path:
    """A package written by hand (values the builder would never write)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_package(folder, "PvBaseX.zip", {
        "format": "comptoir-pos-base", "version": 1, "store": store, "register": register,
        "created_at": "2026-01-12T18:30:05+01:00"}, members, NOW)


SETTINGS = csv_member("settings.csv", ("key", "value"),
                      [("pos_store", "MAG01"), ("pos_register", "C1")])
REGISTERS = csv_member("registers.csv", ("store", "store_name", "register", "name", "number"),
                       [("MAG01", "Magasin 1", "C1", "Caisse 1", "1")])


@pytest.mark.parametrize(("members", "rule", "message"), [
    ([SETTINGS, REGISTERS, csv_member("vat_codes.csv", ("code", "name", "rate"),
                                      [("N", "Normal", "20"), ("R", "Reduced", "5,5")])],
     "bad_row", "line 3 of vat_codes.csv: rate '5,5' is not a decimal"),
    ([SETTINGS, REGISTERS, csv_member("vat_codes.csv", ("code", "name", "rate"),
                                      [("N", "Normal", "20"), ("N", "Again", "20")])],
     "duplicate_in_file", "line 3 of vat_codes.csv: 'N' appears twice"),
    ([SETTINGS, REGISTERS, csv_member(
        "articles.csv", ("code", "name", "vat_code", "family", "unit", "active"),
        [("A1", "One", "ZZ", "", "", "1")])],
     "orphan_row", "line 2 of articles.csv: VAT code 'ZZ' is neither"),
    ([csv_member("settings.csv", ("key", "value"), [("pos_store", "MAG02"),
                                                    ("pos_register", "C1")]), REGISTERS],
     "checksum", "settings.csv gives pos_store 'MAG02', the manifest 'MAG01'"),
    ([csv_member("settings.csv", ("key", "value"), [("pos_store", "MAG01"),
                                                    ("pos_register", "C1"),
                                                    ("isolated_mode", "on")]), REGISTERS],
     "bad_row", "'isolated_mode' is not a setting a base package carries"),
    ([csv_member("settings.csv", ("key", "value"), [("pos_store", "MAG01"),
                                                    ("pos_register", "C1"),
                                                    ("timezone", "Mars/Olympus")]), REGISTERS],
     "bad_row", "line 4 of settings.csv: timezone 'Mars/Olympus'"),
])
def test_bad_values_refuse_the_package_naming_the_line(
        engine, comptoir_home, tmp_path, members, rule, message) -> None:
    report = load_base_package(engine, base(tmp_path / "p", members))
    assert report.error["rule"] == rule and message in report.error["message"], report.error
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(depots)).scalar_one() == 0


def test_extra_files_are_copied_once(engine, comptoir_home, tmp_path) -> None:
    path = base(tmp_path / "p", [SETTINGS, REGISTERS,
                                 MemberData("extra/implicites.txt", b"caisse=1\n")])
    first = load_base_package(engine, path)
    assert first.body["changes"]["extra"] == 1
    assert (comptoir_home / "pos" / "extra" / "implicites.txt").read_bytes() == b"caisse=1\n"
    assert load_base_package(engine, path).body["written"] == 0


def test_send_copies_into_a_folder(engine, comptoir_home, tmp_path) -> None:
    prepare(engine)
    report = send_base_package(engine, "MAG01", "C1", folder=tmp_path / "lan", now=NOW)
    assert [p.name for p in (tmp_path / "lan").iterdir()] == [NAME]
    assert report.body["copied_to"] == str(tmp_path / "lan")
    send_base_package(engine, "MAG01", "C1", folder=tmp_path / "lan", now=NOW)
    assert sorted(p.name for p in (tmp_path / "lan").iterdir()) == sorted([
        NAME, NAME.replace(".zip", "-2.zip")])


def test_send_mails_one_message_to_the_list(engine, comptoir_home, tmp_path,
                                            monkeypatch) -> None:
    prepare(engine)
    listing = tmp_path / "pvpplstmail.txt"
    listing.write_text("DEBUT LISTE\ncaisse1@example.com\nmagasin@example.org\nFIN LISTE\n")
    report = send_base_package(engine, "MAG01", "C1", mail_list=listing, now=NOW)
    assert report.body["recipients"] == ["caisse1@example.com", "magasin@example.org"]
    (eml,) = (comptoir_home / "mail").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "caisse1@example.com, magasin@example.org"
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/zip"
    assert attachment.get_filename() == NAME
    archive = zipfile.ZipFile(io.BytesIO(attachment.get_content()))
    assert "articles.csv" in archive.namelist()

    monkeypatch.setenv("COMPTOIR_MAIL_BACKEND", "smtp")
    with pytest.raises(BaseFilesError, match="pos_base_files task"):
        send_base_package(engine, "MAG01", "C1", mail_list=listing, now=NOW)
    assert len(list((comptoir_home / "mail").glob("*.eml"))) == 1


def test_the_commands_and_their_exit_statuses(engine, dossier_url, comptoir_home, tmp_path,
                                              monkeypatch) -> None:
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", dossier_url)
    prepare(engine)
    runner = CliRunner()
    built = runner.invoke(app, ["pos", "base-files", "build", "--store", "MAG01", "--register",
                                "C1", "--out", str(tmp_path / "out"), "--report",
                                str(tmp_path / "r.json")])
    assert built.exit_code == 0, built.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["command"] == "pos base-files build" and report["members"]["articles.csv"] == 2
    (path,) = (tmp_path / "out").iterdir()

    bad = tmp_path / "list.txt"
    bad.write_text("DEBUT LISTE\nstock\nFIN LISTE\n")
    refused = runner.invoke(app, ["pos", "base-files", "send", "--store", "MAG01",
                                  "--register", "C1", "--list", str(bad), "--folder",
                                  str(tmp_path / "lan")])
    assert refused.exit_code == 1 and "list.txt, line 2" in refused.output
    assert not (tmp_path / "lan").exists()
    usage = runner.invoke(app, ["pos", "base-files", "send", "--store", "MAG01",
                                "--register", "C1"])
    assert usage.exit_code == 2

    register = create_engine(f"sqlite:///{tmp_path / 'register.db'}")
    migrate.upgrade(str(register.url))
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", str(register.url))
    from comptoir.backoffice.engine import dispose_engines

    dispose_engines()
    loaded = runner.invoke(app, ["pos", "base-files", "load", str(path)])
    assert loaded.exit_code == 0 and "rows or files written" in loaded.output, loaded.output
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    failed = runner.invoke(app, ["pos", "base-files", "load", str(broken)])
    assert failed.exit_code == 1 and "refused (bad_zip)" in failed.output
    register.dispose()
