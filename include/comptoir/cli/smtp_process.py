"""A `Mailer` for the `comptoir` command on an Airflow SMTP connection, through a subprocess.

The command never imports Airflow: each message is written to a temporary `.eml` file
and sent by `python -m comptoir_airflow.send_mail` in the embedded Airflow environment
(`comptoir.cli.airflow_process`).
"""

from __future__ import annotations

import tempfile
from email.message import EmailMessage
from pathlib import Path

from comptoir.exchange.errors import ExchangeError

__all__ = ["AirflowSmtpMailer", "SmtpSendFailed"]


class SmtpSendFailed(ExchangeError):
    """The message could not be sent through the SMTP connection (the reason it gave)."""


class AirflowSmtpMailer:
    """Sends each message through the Airflow SMTP connection `conn_id`."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id

    @property
    def name(self) -> str:
        """The connection used."""
        return f"SMTP connection {self.conn_id!r}"

    def send(self, message: EmailMessage) -> None:
        """Send `message`, or raise `SmtpSendFailed` with the reason."""
        from comptoir.cli.airflow_process import last_line, log_file, run_module

        with tempfile.TemporaryDirectory(prefix="comptoir-mail-") as scratch:
            path = Path(scratch) / "message.eml"
            path.write_bytes(bytes(message))
            log = log_file("send-mail")
            status, output = run_module("comptoir_airflow.send_mail", [self.conn_id, str(path)],
                                        log=log)
        verdict = [line for line in output.splitlines() if line.startswith(("OK:", "FAILED:"))]
        if status == 0 and verdict and verdict[-1].startswith("OK:"):
            return
        reason = (verdict[-1].removeprefix("FAILED:").strip() if verdict
                  else f"{last_line(output)} (Airflow's output: {log})")
        raise SmtpSendFailed(self.name, reason=reason)
