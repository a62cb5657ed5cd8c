"""Fetching an inbox source into a local inbox, through Airflow connections and hooks.

`fetch(source, inbox)` brings the files of an `InboxSource` (see
`comptoir.automation.inbox`) into `inbox.incoming`, and only then removes them from
where they were:

- `local`: nothing to fetch, the source's folder is the inbox (`inbox_for(source, ...)`);
- `sftp` (`SFTPHook`) and `ftp` (`FTPHook`, `FTPSHook` with `"secure": true`): every
  file of the folder matching the pattern is saved, then moved on the server into the
  folder's `processed/` subfolder (created if missing), or deleted when it cannot be
  moved. Hidden and temporary names (`.NAME.part`...) are uploads in progress: skipped;
- `imap` (`ImapHook`): the matching attachments of every unread message are saved, then
  the message is marked as read and moved to `processed_mailbox` (`Comptoir/Traité`).

A crash between saving and removing never yields a duplicate: the inbox's fetch ledger
remembers what was saved until the server side is done. A server that cannot be reached
or refuses the login raises a `comptoir.automation.transports.DeliveryError`
(`ConnectionFailed`, `LoginRefused`, `RemoteFolderMissing`...) before anything changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from comptoir.automation.inbox import (
    FetchResult,
    FtpInboxSource,
    ImapInboxSource,
    Inbox,
    InboxError,
    LocalInboxSource,
    SftpInboxSource,
    inbox_source_from_dict,
)
from comptoir_airflow._inbox_imap import ImapMailbox, MailMessage, fetch_attachments
from comptoir_airflow._inbox_remote import PROCESSED, fetch_folder, ftp_folder, sftp_folder

__all__ = ["PROCESSED", "ImapMailbox", "MailMessage", "fetch"]

Source = LocalInboxSource | SftpInboxSource | FtpInboxSource | ImapInboxSource


def fetch(source: Source | Mapping[str, Any], inbox: Inbox) -> FetchResult:
    """Bring the source's new files into `inbox.incoming`; remove them from the source after.

    `source` is a model or the dict from JSON. A local source must be given its own inbox.
    """
    if isinstance(source, Mapping):
        source = inbox_source_from_dict(source)
    if isinstance(source, LocalInboxSource):
        if inbox.root.resolve() != source.folder().resolve():
            raise InboxError(
                f"{source.describe()} is its own inbox: files are dropped into its incoming/ "
                f"folder, not fetched into {inbox.root}"
            )
        return FetchResult(source.describe())
    if isinstance(source, SftpInboxSource):
        with sftp_folder(source) as folder:
            return fetch_folder(folder, source, inbox)
    if isinstance(source, FtpInboxSource):
        with ftp_folder(source) as folder:
            return fetch_folder(folder, source, inbox)
    return fetch_attachments(source, inbox)
