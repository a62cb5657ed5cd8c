"""List files of the base files: markers, comments, encodings, members, specific files and
addresses; every error names its line, and nothing is built from a bad list."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.pos.base_files import build_base_package
from comptoir.pos.list_files import (
    ListFileError,
    read_file_list,
    read_list,
    read_mail_list,
)
from tests.comptoir.pos.pos_data import seed


def write(folder: Path, text: str, name: str = "pvpplstfic.txt",
          encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_comments_blank_lines_spaces_and_case_are_ignored(tmp_path) -> None:
    path = write(tmp_path, "; fichier liste\n\n  debut liste \r\n; articles d'abord\n"
                 "Articles.CSV\n prices \n\n Fin Liste\n;fin\n")
    assert [(e.line, e.text) for e in read_list(path)] == [(5, "Articles.CSV"), (6, "prices")]
    assert read_file_list(path).members == {"articles", "prices"}


def test_windows_1252_is_detected(tmp_path) -> None:
    (tmp_path / "réglés.txt").write_text("x")
    path = write(tmp_path, "DEBUT LISTE\r\nréglés.txt\r\nFIN LISTE\r\n", encoding="cp1252")
    assert [p.name for p in read_file_list(path).extras] == ["réglés.txt"]


@pytest.mark.parametrize(("text", "line", "why"), [
    ("articles\nFIN LISTE\n", 1, "the first line must be 'DEBUT LISTE'"),
    ("DEBUT LISTE\narticles\n", 2, "the last line must be 'FIN LISTE'"),
    ("DEBUT LISTE\n; nothing\nFIN LISTE\n", 3, "no entry between"),
    ("DEBUT LISTE\nstock\nFIN LISTE\n", 2, "'stock' is neither a member"),
    ("DEBUT LISTE\narticles\nmissing.dat\nFIN LISTE\n", 3, "'missing.dat' is neither a member"),
    ("DEBUT LISTE\n../secret.txt\nFIN LISTE\n", 2, "leads outside the list's folder"),
    ("DEBUT LISTE\n/etc/passwd\nFIN LISTE\n", 2, "not as absolute paths"),
    ("DEBUT LISTE\nC:\\divalto\\x.txt\nFIN LISTE\n", 2, "not as absolute paths"),
])
def test_a_bad_file_list_names_its_line(tmp_path, text, line, why) -> None:
    (tmp_path / "secret.txt").write_text("s")
    path = write(tmp_path / "lists", text)
    with pytest.raises(ListFileError, match=why) as caught:
        read_file_list(path)
    assert caught.value.line == line
    assert f"pvpplstfic.txt, line {line}" in str(caught.value)


def test_an_empty_file_is_refused(tmp_path) -> None:
    with pytest.raises(ListFileError, match="empty"):
        read_list(write(tmp_path, "\n; only a comment\n"))


def test_a_link_out_of_the_folder_is_refused(tmp_path) -> None:
    (tmp_path / "secret.txt").write_text("s")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ListFileError, match="leads outside"):
        read_file_list(write(tmp_path / "lists", "DEBUT LISTE\nlink.txt\nFIN LISTE\n"))


def test_specific_files_in_subfolders_and_the_limits(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "tarifs.dat").write_bytes(b"t")
    listed = read_file_list(write(tmp_path, "DEBUT LISTE\nsub\\tarifs.dat\nFIN LISTE\n"))
    assert listed.members == frozenset() and listed.extras == ((tmp_path / "sub" /
                                                               "tarifs.dat").resolve(),)
    names = [f"f{i}.txt" for i in range(21)]
    for name in names:
        (tmp_path / name).write_text("x")
    with pytest.raises(ListFileError, match="line 22: more than 20 specific files"):
        read_file_list(write(tmp_path, "DEBUT LISTE\n" + "\n".join(names) + "\nFIN LISTE\n"))
    with pytest.raises(ListFileError, match="line 3: 'tarifs.dat' is already listed on line 2"):
        (tmp_path / "tarifs.dat").write_text("y")
        read_file_list(write(tmp_path, "DEBUT LISTE\ntarifs.dat\nsub/tarifs.dat\nFIN LISTE\n"))


def test_a_file_over_50_mib_is_refused(tmp_path, monkeypatch) -> None:
    import comptoir.pos.list_files as module

    monkeypatch.setattr(module, "MAX_EXTRA_BYTES", 3)
    (tmp_path / "big.bin").write_bytes(b"1234")
    with pytest.raises(ListFileError, match="line 2: 'big.bin' is 4 bytes"):
        read_file_list(write(tmp_path, "DEBUT LISTE\nbig.bin\nFIN LISTE\n"))


def test_mail_lists_hold_addresses(tmp_path) -> None:
    path = write(tmp_path, "DEBUT LISTE\ncaisse1@example.com\n Caisse1@example.com\n"
                 "magasin@example.org\nFIN LISTE\n", name="pvpplstmail.txt")
    assert read_mail_list(path) == ("caisse1@example.com", "magasin@example.org")
    bad = write(tmp_path, "DEBUT LISTE\na@example.com\nnot an address\nFIN LISTE\n",
                name="pvpplstmail.txt")
    with pytest.raises(ListFileError, match="pvpplstmail.txt, line 3: 'not an address' is "
                       "not an e-mail address"):
        read_mail_list(bad)


def test_nothing_is_built_from_a_bad_list(engine, comptoir_home, tmp_path) -> None:
    seed(engine)
    path = write(tmp_path, "DEBUT LISTE\narticles\nunknown_member\nFIN LISTE\n")
    with pytest.raises(ListFileError, match="line 3"):
        build_base_package(engine, "MAG01", "C1", tmp_path / "out", list_file=path)
    assert not (tmp_path / "out").exists()
