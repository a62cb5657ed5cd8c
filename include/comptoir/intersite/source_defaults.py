"""The inter-site reception's own default for an IMAP source (light: no database import).

An IMAP source of the reception moves processed messages to `Comptoir/Commandes
inter-sites` unless it names another `processed_mailbox` (`null`: left in place, read);
the inbox sources' general default (`Comptoir/Traité`) is for attachment fetches.
"""

from __future__ import annotations

from typing import Any

from comptoir.exchange.endpoints import ImapInboxSource

__all__ = ["PROCESSED_MAILBOX", "intersite_source"]

PROCESSED_MAILBOX = "Comptoir/Commandes inter-sites"


def intersite_source(source: Any) -> Any:
    """The source, an IMAP one's `processed_mailbox` set to the inter-site folder when it
    was not given (`null` given stays `null`)."""
    if isinstance(source, ImapInboxSource) and "processed_mailbox" not in \
            source.model_fields_set:
        return source.model_copy(update={"processed_mailbox": PROCESSED_MAILBOX})
    return source
