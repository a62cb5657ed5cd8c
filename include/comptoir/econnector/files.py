"""The files of a connector's import folder: which ones a reception takes, and their kind.

The import folder is a flat inbox (`comptoir.exchange.inbox.Inbox(flat=True)`): the partner
drops files at its top; processed ones go to `done/<YYYY-MM-DD>/` and `failed/<…>/`.
Names say the kind, ignoring case, with `.csv` or `.txt`: `ImportClients*` customers,
`ImportFournisseurs*` suppliers, `ImportContacts*` contacts, `ImportDocuments*` documents.
Hidden and temporary names, folders and symbolic links are never picked up (the inbox's
rule); any other name is "not a connector file". Files modified less than
`min_age_seconds` ago are left for the next reception.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comptoir.econnector.settings import Connector
from comptoir.exchange.inbox import Inbox

__all__ = ["KINDS", "Waiting", "connector_inbox", "kind_of", "waiting_files"]

#: Kind → the name prefix that says it, in the order a reception processes them.
KINDS = {"customers": "importclients", "suppliers": "importfournisseurs",
         "contacts": "importcontacts", "documents": "importdocuments"}
_EXTENSIONS = (".csv", ".txt")


def kind_of(name: str) -> str | None:
    """The kind a file name says (None: not a connector file)."""
    lower = name.lower()
    if not lower.endswith(_EXTENSIONS):
        return None
    return next((kind for kind, prefix in KINDS.items() if lower.startswith(prefix)), None)


def connector_inbox(connector: Connector) -> Inbox:
    """The connector's import folder as a flat inbox."""
    return Inbox(connector.import_folder, flat=True)


@dataclass(frozen=True)
class Waiting:
    """The files a reception would take now."""

    files: list[tuple[Path, str]]
    """Connector files with their kind, in reception order (kind, then name)."""
    others: list[Path]
    """Files whose name is not a connector file's (filed in failed/ by a reception)."""

    def __len__(self) -> int:
        return len(self.files) + len(self.others)


def waiting_files(connector: Connector, *, min_age: float | None = None) -> Waiting:
    """The files waiting in the connector's import folder (old enough), sorted."""
    age = connector.min_age if min_age is None else min_age
    files: list[tuple[Path, str]] = []
    others: list[Path] = []
    for path in connector_inbox(connector).waiting(min_age=age):
        kind = kind_of(path.name)
        if kind is None:
            others.append(path)
        else:
            files.append((path, kind))
    order = list(KINDS)
    files.sort(key=lambda item: (order.index(item[1]), item[0].name))
    return Waiting(files, others)
