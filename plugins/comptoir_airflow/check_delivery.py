"""Test a task's delivery ("Vérifier"): connect, log in, write; e-mail: send "Test de connexion".

    python -m comptoir_airflow.check_delivery TASK_ID

Started by `comptoir tasks check` in the embedded Airflow environment, where the
Airflow connections are visible. Exit status 0 when the check passed, 1 when it failed,
3 when Airflow could not be prepared (see `comptoir_airflow.preparation`).
"""

from __future__ import annotations

import sys

from comptoir.automation.definitions import find
from comptoir.errors import ComptoirError
from comptoir_airflow.preparation import prepared


def check(task_id: str) -> str:
    """Check the delivery of `task_id`; return what was checked, or raise a `ComptoirError`."""
    from comptoir_airflow.exchange.factory import transport_for

    definition = find(task_id)
    if definition.output is None:
        raise ComptoirError(f"{task_id} ({definition.type}) writes no file: it has no "
                            "delivery to check")
    transport = transport_for(definition.output.delivery)
    transport.check()
    return transport.name


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m comptoir_airflow.check_delivery TASK_ID", file=sys.stderr)
        return 2
    if not prepared():
        return 3
    try:
        where = check(args[0])
    except ComptoirError as exc:
        print(f"FAILED: {exc}")
        return 1
    print(f"OK: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
