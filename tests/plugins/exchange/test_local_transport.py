"""Local deliveries: a folder of the machine that runs the task."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir import paths
from comptoir.exchange import spool
from comptoir.exchange.errors import LocalFolderMissing, LocalFolderNotWritable
from comptoir.exchange.transports import LocalTransport, Transport
from comptoir_airflow.exchange.factory import transport_for


def test_relative_path_lands_in_the_outbox_created_on_demand(
    comptoir_home: Path, tmp_path: Path
) -> None:
    transport = transport_for({"method": "local", "path": "loyalty"})
    assert isinstance(transport, LocalTransport) and isinstance(transport, Transport)
    source = tmp_path / "a.csv"
    source.write_text("x")
    spool.enqueue("t", [source])
    result = spool.deliver_pending("t", transport)
    assert result.ok
    target = paths.outbox_dir().resolve() / "loyalty"
    assert [p.name for p in target.iterdir()] == ["a.csv"]
    assert (target / "a.csv").read_text() == "x"


def test_an_older_file_is_replaced_and_no_part_file_stays(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "daily.csv").write_text("yesterday")
    source = tmp_path / "daily.csv"
    source.write_text("today")
    LocalTransport(folder).send(source, "daily.csv")
    assert [p.name for p in folder.iterdir()] == ["daily.csv"]
    assert (folder / "daily.csv").read_text() == "today"


def test_check_creates_the_folder_and_leaves_it_empty(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "folder"
    LocalTransport(folder).check()
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_a_file_in_the_way_is_not_a_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(LocalFolderMissing, match="not a folder"):
        LocalTransport(blocker).check()
    with pytest.raises(LocalFolderMissing, match="cannot be created"):
        LocalTransport(blocker / "below").check()


def test_a_file_that_cannot_be_written_is_reported_and_cleaned(tmp_path: Path) -> None:
    # The tests run as root, who may write anywhere: a folder under the final name is
    # what stands in the way here.
    folder = tmp_path / "out"
    (folder / "daily.csv").mkdir(parents=True)
    source = tmp_path / "daily.csv"
    source.write_text("today")
    with pytest.raises(LocalFolderNotWritable, match="not writable") as caught:
        LocalTransport(folder).send(source, "daily.csv")
    assert "remote" not in str(caught.value), "a local folder is not 'the remote folder'"
    assert [p.name for p in folder.iterdir()] == ["daily.csv"], "the .part file is removed"
