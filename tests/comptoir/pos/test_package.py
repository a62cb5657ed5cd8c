"""The zip container: every refusal up to `checksum`, in order, and the atomic writer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from comptoir.pos.package import (
    RULES,
    Limits,
    MemberData,
    PackageRefused,
    PackageSpec,
    open_package,
    write_package,
)
from comptoir.pos.ticket_file import read_ticket_file
from tests.comptoir.pos.ticket_zips import (
    craft,
    default_members,
    manifest_for,
    set_encrypted_flag,
)

CREATED = dt.datetime(2026, 1, 12, 18, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def refused(path: Path, **kwargs: object) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        read_ticket_file(path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.rule in RULES
    assert str(caught.value) == caught.value.message
    return caught.value


# --------------------------------------------------------------------------- bad_zip


def test_not_a_zip_is_bad_zip(tmp_path: Path) -> None:
    path = tmp_path / "TicDegMAG01C120260112183005.zip"
    path.write_text("ticket;issued_at\n148;2026\n")
    assert refused(path).rule == "bad_zip"


def test_empty_file_is_bad_zip(tmp_path: Path) -> None:
    path = tmp_path / "t.zip"
    path.write_bytes(b"")
    assert refused(path).rule == "bad_zip"


def test_truncated_zip_is_bad_zip(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        path.write_bytes(data[:cut])
        assert refused(path).rule == "bad_zip"


def test_crc_error_is_bad_zip(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip", compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.find(b"148;1;ESP")  # inside payments.csv, stored as is
    data[at] = ord("9")
    path.write_bytes(bytes(data))
    error = refused(path)
    assert error.rule == "bad_zip"
    assert "payments.csv" in error.message


def test_corrupt_deflate_data_is_bad_zip(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip")
    data = bytearray(path.read_bytes())
    header = data.find(b"PK\x03\x04", 10)  # the second member's local header
    start = header + 30 + len("tickets.csv")
    data[start:start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    assert refused(path).rule == "bad_zip"


def test_other_compression_method_is_bad_zip(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip", compression=zipfile.ZIP_BZIP2)
    assert "only stored and deflate" in refused(path).message


# --------------------------------------------------------------------------- sizes


def test_file_over_the_limit_is_too_large(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip")
    error = refused(path, limits=Limits(file_bytes=path.stat().st_size - 1))
    assert error.rule == "too_large"
    read_ticket_file(path, limits=Limits(file_bytes=path.stat().st_size))


def test_highly_compressed_member_is_zip_bomb(tmp_path: Path) -> None:
    """A real 2 MiB member of repeated lines deflates ~300:1, over 200:1 allowed past 1 MiB."""
    members = default_members()
    members["lines.csv"] += b"150;2;sale;ART1;1;1;0;20;1;\n" * 80_000
    path = craft(tmp_path / "t.zip", members)
    assert path.stat().st_size < 20_000
    error = refused(path)
    assert error.rule == "zip_bomb"
    assert "lines.csv" in error.message
    # under the size the ratio applies from, the same ratio is fine
    read = read_ticket_file(path, limits=Limits(ratio_from_bytes=4 * 1024 * 1024))
    assert len(read.lines) == 80_003


def test_member_and_total_limits_are_zip_bomb(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip")
    assert refused(path, limits=Limits(member_bytes=100)).rule == "zip_bomb"
    assert refused(path, limits=Limits(total_bytes=500)).rule == "zip_bomb"
    assert refused(path, limits=Limits(members=3)).rule == "zip_bomb"


def test_member_longer_than_declared_is_never_read_past(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip", compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    # shrink payments.csv's declared size in the central directory: reading stops there
    while central >= 0:
        name_length = int.from_bytes(data[central + 28:central + 30], "little")
        name = bytes(data[central + 46:central + 46 + name_length])
        if name == b"payments.csv":
            data[central + 24:central + 28] = (10).to_bytes(4, "little")
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    assert refused(path).rule == "bad_zip"  # stopped at 10 bytes: the CRC does not match


# --------------------------------------------------------------------------- unsafe_member


@pytest.mark.parametrize("name", [
    "../evil.csv", "a/b.csv", "/etc/passwd", "C:x", "c:evil.csv", "a\\b.csv", "..",
    "tick\x01ets.csv", "evil\n.csv", "extra/logo.png", "tickets.csv/", "",
])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = craft(tmp_path / "t.zip", after={name: b"x"})
    assert refused(path).rule == "unsafe_member"


def test_symlink_member_is_unsafe(tmp_path: Path) -> None:
    def link(info: zipfile.ZipInfo) -> None:
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        info.create_system = 3

    path = craft(tmp_path / "t.zip", infos={"lines.csv": link})
    error = refused(path)
    assert error.rule == "unsafe_member"
    assert "link" in error.message


def test_encrypted_member_is_unsafe(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip")
    set_encrypted_flag(path, "tickets.csv")
    error = refused(path)
    assert (error.rule, error.member) == ("unsafe_member", "tickets.csv")
    assert "encrypted" in error.message


def test_duplicate_member_is_unsafe(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = craft(tmp_path / "t.zip", after={"tickets.csv": b"ticket\n"})
    error = refused(path)
    assert error.rule == "unsafe_member"
    assert "twice" in error.message


def test_members_are_never_written_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    folder = tmp_path / "in"
    folder.mkdir()
    monkeypatch.chdir(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        craft(folder / "a.zip", after={"../victim.txt": b"overwritten"})
        craft(folder / "b.zip", after={str(victim): b"overwritten"})
    craft(folder / "c.zip")
    for name in ("a.zip", "b.zip"):
        assert refused(folder / name).rule == "unsafe_member"
    read_ticket_file(folder / "c.zip")
    assert victim.read_text() == "untouched"
    assert sorted(os.listdir(folder)) == ["a.zip", "b.zip", "c.zip"]


# --------------------------------------------------------------------------- members


def test_extra_member_is_unexpected(tmp_path: Path) -> None:
    error = refused(craft(tmp_path / "t.zip", after={"notes.txt": b"hello"}))
    assert (error.rule, error.member) == ("unexpected_member", "notes.txt")


def test_absent_member_is_missing(tmp_path: Path) -> None:
    members = default_members()
    del members["payments.csv"]
    error = refused(craft(tmp_path / "t.zip", members))
    assert (error.rule, error.member) == ("missing_member", "payments.csv")


def test_absent_manifest_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in default_members().items():
            archive.writestr(name, data)
    assert refused(path).member == "manifest.json"


def test_extra_folder_when_the_spec_allows_it(tmp_path: Path) -> None:
    spec = PackageSpec(format="comptoir-pos-base", version=1, members=frozenset({"a.csv"}),
                       allow_extra=True)
    members = [MemberData("a.csv", b"key;value\nx;1\n", 1),
               MemberData("extra/logo.png", b"\x89PNG")]
    path = write_package(tmp_path, "PvBase.zip", {"format": "comptoir-pos-base",
                                                  "version": 1}, members, CREATED)
    with open_package(path, spec) as package:
        assert package.names == ("a.csv", "extra/logo.png")
        with package.open_member("extra/logo.png") as stream:
            assert stream.read() == b"\x89PNG"
    for bad in ("extra/a/b.png", "extra/../x", "extra/.hidden", "extra/", "other/x"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with zipfile.ZipFile(path, "a") as archive:
                archive.writestr(bad, b"x")
        with pytest.raises(PackageRefused) as caught, open_package(path, spec):
            pass
        assert caught.value.rule == "unsafe_member", bad
        path = write_package(tmp_path, "PvBase.zip", {"format": "comptoir-pos-base",
                                                      "version": 1}, members, CREATED)


# --------------------------------------------------------------------------- manifest


@pytest.mark.parametrize("manifest", [
    b"{not json", b"\xff\xfe", b"[1, 2]", b"", b"null",
])
def test_unreadable_manifest_is_bad_manifest(tmp_path: Path, manifest: bytes) -> None:
    assert refused(craft(tmp_path / "t.zip", manifest=manifest)).rule == "bad_manifest"


@pytest.mark.parametrize(("key", "value"), [
    ("format", "comptoir-pos-base"), ("format", None), ("version", 2), ("version", True),
    ("version", "1"), ("kind", "normal"), ("kind", None), ("members", []),
    ("store", ""), ("register", 12), ("store", "MAG\x1b01"), ("extraction_id", None),
    ("created_at", "2026-01-12T18:30:05"), ("created_at", "yesterday"), ("tickets", -1),
    ("tickets", "3"), ("first_ticket", 1.5),
])
def test_wrong_manifest_field_is_bad_manifest(tmp_path: Path, key: str, value: object) -> None:
    path = craft(tmp_path / "t.zip", edit_manifest=lambda m: m.__setitem__(key, value))
    error = refused(path)
    assert error.rule == "bad_manifest", error.message
    assert error.message.startswith("manifest.json: ")


@pytest.mark.parametrize("edit", [
    lambda m: m["members"].pop("lines.csv"),
    lambda m: m["members"].__setitem__("notes.csv", {"rows": 0, "bytes": 0, "sha256": "0" * 64}),
    lambda m: m["members"]["lines.csv"].pop("sha256"),
    lambda m: m["members"]["lines.csv"].__setitem__("sha256", "ABC"),
    lambda m: m["members"]["lines.csv"].__setitem__("rows", -2),
    lambda m: m["members"]["lines.csv"].__setitem__("bytes", "12"),
    lambda m: m["members"].__setitem__("lines.csv", [1]),
])
def test_malformed_members_entry_is_bad_manifest(tmp_path: Path, edit: object) -> None:
    assert refused(craft(tmp_path / "t.zip", edit_manifest=edit)).rule == "bad_manifest"


def test_manifest_with_bom_is_read(tmp_path: Path) -> None:
    members = default_members()
    raw = b"\xef\xbb\xbf" + json.dumps(manifest_for(members)).encode()
    assert len(read_ticket_file(craft(tmp_path / "t.zip", members, manifest=raw)).tickets) == 3


# --------------------------------------------------------------------------- checksum


def test_tampered_member_is_checksum(tmp_path: Path) -> None:
    members = default_members()
    path = craft(tmp_path / "t.zip", members, edit_manifest=lambda m: m["members"][
        "payments.csv"].__setitem__("sha256", "0" * 64))
    error = refused(path)
    assert (error.rule, error.member) == ("checksum", "payments.csv")
    assert "SHA-256" in error.message


def test_wrong_byte_count_is_checksum(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip", edit_manifest=lambda m: m["members"][
        "tickets.csv"].__setitem__("bytes", 1))
    assert refused(path).rule == "checksum"


# --------------------------------------------------------------------------- order


def test_unsafe_member_wins_over_tampering(tmp_path: Path) -> None:
    path = craft(tmp_path / "t.zip", after={"../evil.csv": b"x"},
                 edit_manifest=lambda m: m["members"]["tickets.csv"].__setitem__(
                     "sha256", "0" * 64))
    assert refused(path).rule == "unsafe_member"


def test_rules_come_in_the_contract_order(tmp_path: Path) -> None:
    def tamper(m: dict) -> None:  # type: ignore[type-arg]
        m["members"]["tickets.csv"]["sha256"] = "0" * 64

    path = craft(tmp_path / "t.zip", after={"notes.txt": b"x"}, edit_manifest=tamper)
    assert refused(path).rule == "unexpected_member"
    assert refused(path, limits=Limits(file_bytes=10)).rule == "too_large"
    members = default_members()
    del members["lines.csv"]
    assert refused(craft(tmp_path / "m.zip", members, manifest=b"[]")).rule == "missing_member"
    path = craft(tmp_path / "b.zip", edit_manifest=lambda m: (tamper(m), m.update(version=9)))
    assert refused(path).rule == "bad_manifest"
    assert list(RULES) == [
        "bad_zip", "too_large", "zip_bomb", "unsafe_member", "unexpected_member",
        "missing_member", "bad_manifest", "checksum", "bad_header", "bad_row",
        "duplicate_in_file", "orphan_row", "unknown_register"]


# --------------------------------------------------------------------------- writer


def test_writer_takes_the_next_free_name_and_leaves_no_part(tmp_path: Path) -> None:
    members = [MemberData("a.csv", b"key;value\n", 0)]
    manifest = {"format": "f", "version": 1}
    (tmp_path / "P.zip").write_bytes(b"someone else's")
    first = write_package(tmp_path, "P.zip", manifest, members, CREATED)
    second = write_package(tmp_path, "P.zip", manifest, members, CREATED)
    assert (first.name, second.name) == ("P-2.zip", "P-3.zip")
    assert (tmp_path / "P.zip").read_bytes() == b"someone else's"
    assert sorted(os.listdir(tmp_path)) == ["P-2.zip", "P-3.zip", "P.zip"]
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["manifest.json", "a.csv"]
        described = json.loads(archive.read("manifest.json"))
    assert described["members"]["a.csv"] == {
        "rows": 0, "bytes": 10, "sha256": hashlib.sha256(b"key;value\n").hexdigest()}


def test_writer_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import comptoir.pos.package as package

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    (tmp_path / ".P.zip.part").write_bytes(b"leftover of a crash")
    monkeypatch.setattr(package.zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        write_package(tmp_path, "P.zip", {}, [MemberData("a.csv", b"x\n", 0)], CREATED)
    assert os.listdir(tmp_path) == []


def test_writer_refuses_a_name_that_leaves_its_folder(tmp_path: Path) -> None:
    from comptoir.exchange.errors import UnsafeFileName

    with pytest.raises(UnsafeFileName):
        write_package(tmp_path, "../P.zip", {}, [], CREATED)
