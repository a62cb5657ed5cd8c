"""Files and mails in and out of Comptoir. No Airflow here.

- `errors`: one flat hierarchy under `ExchangeError`, each with its cause in plain words;
- `names`: safe file names, the identifier pattern, control characters, display escaping;
- `files`: durable and atomic writes, folder sync, the lock every module uses;
- `endpoints`: delivery targets (`method`) and inbox sources (`kind`), validated configs;
- `transports`: the protocols the delivery and fetch logic depend on (`Transport`,
  `RemoteFolder`), and the local folder transport;
- `spool`: files waiting for delivery, each entry delivered and removed exactly once;
- `inbox`, `ledger`, `fetch`: files waiting to be processed, what was fetched from a
  server and not yet removed from it, and one fetch pass over a folder or a mailbox;
- `mail`: messages, attachments, mailers, and the `Mailbox` protocol (IMAP, POP3, the
  embedded `.eml` folder).

Server implementations (FTP/FTPS, SFTP, SMTP, IMAP, POP3) live in
`comptoir_airflow.exchange`, on the providers' hooks and Airflow connections.
"""
