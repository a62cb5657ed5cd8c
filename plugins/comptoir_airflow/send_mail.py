"""Send one `.eml` message through an Airflow SMTP connection, for the `comptoir` command.

    python -m comptoir_airflow.send_mail CONN_ID MESSAGE.eml

Started by `comptoir.cli.smtp_process.AirflowSmtpMailer` in the embedded Airflow
environment, where the Airflow connections are visible. Prints `OK: <where>` or
`FAILED: <reason>`; exit status 0 sent, 1 not sent, 3 Airflow could not be prepared.
"""

from __future__ import annotations

import email
import email.policy
import sys
from email.message import EmailMessage
from pathlib import Path

from comptoir.errors import ComptoirError
from comptoir_airflow.preparation import prepared


def send(conn_id: str, path: Path) -> str:
    """Send the message stored at `path` through `conn_id`; where it went."""
    from comptoir_airflow.exchange.smtp import SmtpMailer

    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    mailer = SmtpMailer(conn_id)
    mailer.send(message)
    return mailer.name


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m comptoir_airflow.send_mail CONN_ID MESSAGE.eml", file=sys.stderr)
        return 2
    if not prepared():
        return 3
    try:
        where = send(args[0], Path(args[1]))
    except (ComptoirError, OSError) as exc:
        print(f"FAILED: {exc}")
        return 1
    print(f"OK: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
