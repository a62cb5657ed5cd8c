"""File and mail servers on the providers' hooks and Airflow connections.

One module per protocol, each with its transport (delivery), its folder or mailbox
(fetch) and the mapping of its low-level errors to `comptoir.exchange.errors`:

- `ftp`: FTP and FTPS (`FTPHook`, `FTPSHook`);
- `sftp`: SFTP (`SFTPHook`), with `keys` for private keys;
- `smtp`: sending mail (`SmtpHook`);
- `imap`: reading mail (`ImapHook`);
- `pop3`: reading mail by POP3 (`poplib`, an Airflow connection);
- `connections`: finding connections inside a task and from the command line;
- `factory`: the one place that maps an endpoint config to its implementation.

Nothing else in `comptoir_airflow` builds a transport or a mailbox.
"""
