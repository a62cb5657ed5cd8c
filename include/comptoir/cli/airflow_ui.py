"""`comptoir airflow`: Airflow (UI, scheduler, DAG processor, triggerer) on this project.

What `make airflow` runs: `airflow standalone` in the embedded Airflow environment, the UI
on 127.0.0.1 unless another address is asked for, on the port asked for; Ctrl-C or SIGTERM
stops every process it started (`comptoir.cli.process_group`).
"""

from __future__ import annotations

import errno
import shutil
import socket
from pathlib import Path

import typer
from rich.console import Console

from comptoir.errors import ComptoirError

out = Console()


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise ComptoirError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return True


def register(app: typer.Typer) -> None:
    @app.command("airflow")
    def airflow(
        host: str = typer.Option("127.0.0.1", "--host",
                                 help="Address the UI listens on (0.0.0.0: every interface)."),
        port: int = typer.Option(8080, "--port", min=1, max=65535, help="The UI's port."),
    ) -> None:
        """Start Airflow on this project (`airflow standalone`) until Ctrl-C, which stops it all."""
        from comptoir.cli.airflow_process import prepare_home
        from comptoir.cli.process_group import run_group
        from comptoir.embedded import EVERY_INTERFACE, ui_environment

        env = ui_environment(host, port)
        prepare_home(env)
        if not _port_free(host, port):
            raise ComptoirError(f"port {port} is in use: choose another one, e.g. "
                                f"`make airflow PORT={port + 1}` (comptoir airflow --port)")
        airflow_bin = shutil.which("airflow", path=env["PATH"])
        if airflow_bin is None:
            raise ComptoirError("the `airflow` command is not installed (make install)")
        shown = "localhost" if host in ("127.0.0.1", EVERY_INTERFACE) else host
        passwords = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
        out.print(f"Airflow UI: http://{shown}:{port} — login: admin, password in {passwords} "
                  "(printed below the first time). Ctrl-C stops Airflow.", highlight=False,
                  soft_wrap=True)
        status = run_group([airflow_bin, "standalone"], env)
        if status >= 128:  # stopped by Ctrl-C or SIGTERM: every process it started is gone
            out.print("Airflow stopped.")
            return
        if status:
            raise typer.Exit(status if status > 0 else 1)
